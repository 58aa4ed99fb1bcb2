"""The windows the performance table measures the app against still start, and say so the way the benchmarks read.

``python -m tests.perf`` and packaging/build.py time and weigh the app beside packaging/bare_window.py (the
budgets' baseline) and tests/perf/floor_window.py (what any window on the app's stack pays). Neither runs in CI
otherwise, so a yardstick broken by an edit would only show up as a benchmark that hangs or reads nonsense.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from crmdesk.server import demo_data
from tests.perf.bench_startup import BARE_WINDOW, FLOOR_WINDOW
from tests.support.live_server import Account

TIMEOUT_S = 60


def _env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_the_bare_and_floor_windows_report_their_window_and_exit() -> None:
    for script in (BARE_WINDOW, FLOOR_WINDOW):
        done = subprocess.run(
            [sys.executable, str(script), "--self-test"], env=_env(), capture_output=True, text=True, timeout=TIMEOUT_S
        )
        assert done.returncode == 0, done.stderr
        assert "window shown" in done.stdout.splitlines()


def _fetch(account: Account, email: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(FLOOR_WINDOW), "--fetch", account.base_url, account.token, email]
    return subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_floor_window_fetches_the_contact_and_stays_up_for_the_memory_reading(demo_account: Account) -> None:
    proc = _fetch(demo_account, demo_data.CONTACTS[0]["email"])
    assert proc.stdout is not None
    try:
        # (pytest-timeout bounds these reads, should the window never print)
        lines = [proc.stdout.readline().strip(), proc.stdout.readline().strip()]
        assert lines == ["window shown", "contact shown"]
        # bench_startup reads the memory a second after "contact shown": the window must still be up then.
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=1.5)
    finally:
        proc.terminate()
        proc.communicate(timeout=TIMEOUT_S)


def test_a_floor_window_that_cannot_fetch_exits_instead_of_hanging_the_benchmark(demo_account: Account) -> None:
    proc = _fetch(demo_account, "nobody@example.invalid")
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
    assert proc.returncode == 1
    assert "contact shown" not in out
    assert "fetching the contact failed" in err and "404" in err


def test_the_ui_benchmark_runs_through_and_reports_every_row() -> None:
    """Not timed: a short run of bench_ui (two search pairs, one demo start) must finish and report each figure.
    It once hung whenever its cycle of searches came back to the open contact, which the app reads again
    rather than opens."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.perf.bench_ui", "--runs", "2", "--demo-runs", "1", "--json"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S * 2,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {
        "search overhead median",
        "search overhead p95",
        "raw httpx GET median",
        "stall search",
        "stall save",
        "stall searches",
        "stall demo start-up",
    }
    assert all(isinstance(value, float) and math.isfinite(value) and value >= 0 for value in figures.values())
