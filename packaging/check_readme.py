"""Run the README's two quick-start commands verbatim in a fresh clone, as a newcomer would.

Usage: ``python packaging/check_readme.py [--demo-only | --tests-only | --print {demo,tests}]``

Both run in a fresh ``git clone`` of this checkout's HEAD in a temporary folder. The test command runs as
written and must exit 0. The demo command launches a GUI that runs until closed, so it runs offscreen with
``CRMDESK_REPORT_EVENTS=1``: it passes once the app reports that its demo server has started (the window
shows before that), and is then stopped; it fails if that does not happen within 15 minutes. ``--print``
writes one command to stdout, which is how ``.ci/run`` runs the test command exactly as the README says.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick_start, flags=re.DOTALL)
    if len(commands) != 2:
        raise SystemExit(f"expected two commands in the README's quick start, found {len(commands)}")
    return [command.strip() for command in commands]


def _clone(tmp: str) -> tuple[Path, dict[str, str]]:
    clone = Path(tmp) / "crmdesk"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["CRMDESK_DATA_DIR"] = str(Path(tmp) / "data")
    return clone, env


def check_tests(command: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone, env = _clone(tmp)
        print(f"+ (in a fresh clone) {command}", flush=True)
        result = subprocess.run(["bash", "-c", command], cwd=clone, env=env, timeout=1800)
        if result.returncode != 0:
            raise SystemExit(f"README test command failed with exit code {result.returncode}")


def check_demo(command: str, timeout: float = 900) -> None:
    """Run the demo command until the app says its demo server is up; fail if it never does within ``timeout``."""
    with tempfile.TemporaryDirectory() as tmp:
        clone, env = _clone(tmp)
        env.update({"QT_QPA_PLATFORM": "offscreen", "CRMDESK_REPORT_EVENTS": "1"})
        print(f"+ (in a fresh clone) {command}", flush=True)
        # A session of its own, so the whole pipeline (pip, then the app and its server child) can be stopped.
        proc = subprocess.Popen(
            ["bash", "-c", command], cwd=clone, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        assert proc.stdout is not None

        def stop() -> None:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)

        # The window shows before the demo's server is up: only "demo-ready" says the server started.
        deadline = threading.Timer(timeout, stop)
        deadline.start()
        ready = False
        try:
            for line in proc.stdout:
                if "event: demo-ready" in line:
                    ready = True
                    break
                if "event: demo-failed" in line:
                    break  # the app's log says why; the window stays open, offering sign-in
        finally:
            deadline.cancel()
            stop()
            proc.wait(timeout=60)
        if not ready:
            raise SystemExit(
                f"README demo command ended (exit code {proc.returncode}) without its demo server starting"
                f" (it failed, or did not start within {timeout:.0f} s)"
            )
        print("the demo window was shown and its bundled server started", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--demo-only", action="store_true")
    group.add_argument("--tests-only", action="store_true")
    group.add_argument("--print", choices=("demo", "tests"), help="print one README command and exit")
    args = parser.parse_args()
    demo, tests = readme_commands()
    if args.print:
        print(demo if args.print == "demo" else tests)
        return 0
    if not args.tests_only:
        check_demo(demo)
    if not args.demo_only:
        check_tests(tests)
    print("the README commands succeeded in fresh clones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
