"""Run the README's two quick-start commands verbatim in a fresh clone, as a newcomer would.

Usage: ``python packaging/check_readme.py [--demo-only | --tests-only]``

The demo command launches a GUI that runs until closed, so it runs with ``CRMDESK_SELF_TEST=1`` in the
environment: the app then performs its self-test (demo server, one search) and exits. The test command
runs as written. Both run in a fresh ``git clone`` of this checkout's HEAD in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick_start, flags=re.DOTALL)
    if len(commands) != 2:
        raise SystemExit(f"expected two commands in the README's quick start, found {len(commands)}")
    return [command.strip() for command in commands]


def run_in_fresh_clone(command: str, extra_env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "crmdesk"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        env = {
            key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
        }
        env.update(extra_env)
        env["CRMDESK_DATA_DIR"] = str(Path(tmp) / "data")
        print(f"+ (in a fresh clone) {command}", flush=True)
        result = subprocess.run(["bash", "-c", command], cwd=clone, env=env, timeout=1800)
        if result.returncode != 0:
            raise SystemExit(f"README command failed with exit code {result.returncode}: {command}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--demo-only", action="store_true")
    group.add_argument("--tests-only", action="store_true")
    args = parser.parse_args()
    demo, tests = readme_commands()
    if not args.tests_only:
        run_in_fresh_clone(demo, {"CRMDESK_SELF_TEST": "1", "QT_QPA_PLATFORM": "offscreen"})
    if not args.demo_only:
        run_in_fresh_clone(tests, {})
    print("both README commands succeeded in fresh clones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
