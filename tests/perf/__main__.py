"""``python -m tests.perf``: every performance budget of the desktop app as one table, baselines measured alongside.

Start-up figures come from separate processes (``bench_startup``), UI figures from the real window in a child
process (``bench_ui``). ``--all`` adds the API client's overhead over raw httpx (``bench_client``) and runs the
server throughput benchmark (``bench_server``, printed after the table). ``--markdown PATH`` also writes the
table, with the date and a note on the machine, to PATH (tests/perf/README.md keeps the latest).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.perf import bench_startup
from tests.perf.bench_startup import Row

UI_ROWS = (
    # (figure, result key, goal text, limit)
    ("search overhead, median", "search overhead median", "≤ 5 ms", 5.0),
    ("search overhead, p95", "search overhead p95", "≤ 16 ms", 16.0),
    ("UI stall: a search", "stall search", "≤ 16 ms", 16.0),
    ("UI stall: a save", "stall save", "≤ 16 ms", 16.0),
    ("UI stall: demo start-up", "stall demo start-up", "≤ 16 ms", 16.0),
    ("UI stall: 200 back-to-back searches", "stall searches", "≤ 16 ms", 16.0),
)


def ui_rows(runs: int) -> list[Row]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    cmd = [sys.executable, "-m", "tests.perf.bench_ui", "--json", "--runs", str(runs)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit("bench_ui failed")
    results = json.loads(done.stdout.strip().splitlines()[-1])
    raw = results["raw httpx GET median"]
    rows = []
    for figure, key, goal, limit in UI_ROWS:
        if key.startswith("search overhead"):  # already a difference from the raw GET; say what that took
            figure = f"{figure} (raw GET {raw:.2f} ms)"
        rows.append(Row(figure, results[key], None, "ms", goal, limit, limit_on_ratio=False))
    return rows


def client_row() -> Row:
    from tests.perf import bench_client
    from tests.support.live_server import LiveServer

    with tempfile.TemporaryDirectory() as folder, LiveServer(Path(folder) / "bench.sqlite3") as server:
        account = server.add_account()
        api_s, raw_s = asyncio.run(bench_client.bench(account.base_url, account.token, 20, 50))
    return Row(
        "ContactApi GET vs raw httpx", api_s * 1e6, raw_s * 1e6, "µs", f"≤ {bench_client.GOAL}×", bench_client.GOAL
    )


def machine_note() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per start-up figure (median)")
    parser.add_argument("--ui-runs", type=int, default=60, help="search pairs for the latency overhead")
    parser.add_argument("--all", action="store_true", help="add the client benchmark and run the server one")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table to this Markdown file")
    args = parser.parse_args()

    rows = bench_startup.run(args.runs)
    rows[-1:-1] = ui_rows(args.ui_runs)  # after the start-up and memory rows, before demo first result
    if args.all:
        rows.append(client_row())
    lines = bench_startup.format_rows(rows)
    print("\n".join(lines), flush=True)
    if args.markdown:
        stamp = datetime.date.today().isoformat()
        note = f"Measured {stamp} on {machine_note()}, PySide6 {_pyside_version()}, `QT_QPA_PLATFORM=offscreen`."
        target = Path(args.markdown)
        # The analysis below the table is written by hand; keep it across runs.
        previous = target.read_text(encoding="utf-8") if target.exists() else ""
        kept = previous[previous.index(ANALYSIS_HEADING) :] if ANALYSIS_HEADING in previous else ""
        target.write_text(_readme(lines, note) + ("\n" + kept if kept else ""), encoding="utf-8")
    if args.all:
        subprocess.run([sys.executable, "-m", "tests.perf.bench_server", "--contacts", "20000"], check=False)
    return 0 if all(row.verdict != "MISSED" for row in rows) else 1


def _pyside_version() -> str:
    import PySide6

    return str(PySide6.__version__)


ANALYSIS_HEADING = "## What still misses"


def _readme(lines: list[str], note: str) -> str:
    return "\n".join(
        [
            "# Performance budgets",
            "",
            "`python -m tests.perf` measures every performance budget beside a baseline measured in the same run",
            "(bare PySide6 window: `packaging/bare_window.py`; raw `httpx` GET of the same contact), and prints this",
            "table. Each figure is a median over several runs; the UI stall rows are the longest gap between 1 ms",
            "timer ticks on the UI thread. The two floor rows measure `tests/perf/floor_window.py`, the bare window",
            "plus what any window on the app's stack pays. `--all` adds the client and server benchmarks. The budgets",
            "are not timed tests in CI; the stall probe is, at a loose 100 ms (tests/ui).",
            "",
            note,
            "",
            *lines,
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
