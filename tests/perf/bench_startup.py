"""Start-up benchmarks: cold start to an interactive window, idle memory and demo first result.

Each figure is a median over interleaved runs beside a bare PySide6 window started the same way
(``packaging/bare_window.py``), so machine noise hits both sides alike. Two report rows measure
``tests/perf/floor_window.py`` the same way: the least any window on the app's stack pays. Run with
``python -m tests.perf.bench_startup``; ``python -m tests.perf`` runs it with the other benchmarks.

The app reports its progress on stdout when ``CRMDESK_REPORT_EVENTS=1`` is set ("event: window-shown",
"event: contact-shown"); ``--exit-when-shown`` makes it quit once the window has processed one event.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BARE_WINDOW = ROOT / "packaging" / "bare_window.py"
FLOOR_WINDOW = ROOT / "tests" / "perf" / "floor_window.py"
DEMO_TOKEN = "bench-demo-token"


@dataclass(frozen=True)
class Row:
    """One line of the performance table; ``limit`` is the goal as a number, on ``ratio`` or on ``value``."""

    figure: str
    value: float
    baseline: float | None
    unit: str
    goal: str
    limit: float | None = None
    limit_on_ratio: bool = True

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def verdict(self) -> str:
        if self.limit is None:
            return ""
        measured = self.ratio if self.limit_on_ratio else self.value
        return "ok" if measured is not None and measured <= self.limit else "MISSED"


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE (set on some CI machines) would make every run compile crmdesk's sources again;
    # an installed app, like the bundle, loads bytecode, and the warm-up run below writes it.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CRMDESK_") and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update({"QT_QPA_PLATFORM": "offscreen", "CRMDESK_DATA_DIR": str(data_dir), "CRMDESK_REPORT_EVENTS": "1"})
    env.update(extra)
    return env


@dataclass
class Server:
    base_url: str
    token: str
    demo_email: str


@contextmanager
def running_server(data_dir: Path) -> Iterator[Server]:
    """The bundled server with the demo data, in its own process, as a rep's real server would be."""
    from crmdesk.server import demo_data

    db = data_dir / "bench.sqlite3"
    env = _env(data_dir, CRMDESK_DEMO_TOKEN=DEMO_TOKEN)
    cmd = [sys.executable, "-m", "crmdesk.server", "serve", "--db", str(db), "--port", "0", "--demo", "--watch-stdin"]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        match = None
        for line in proc.stdout:
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                break
        if match is None:
            raise SystemExit("the bundled server did not start")
        # CONTACTS holds TypedDicts (API field names); the first has an email no other demo contact shares.
        yield Server(match.group(1), DEMO_TOKEN, demo_data.CONTACTS[0]["email"])
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def _app_command() -> list[str]:
    """How a rep starts the installed app: the ``crmdesk`` launcher pip made, else ``python -m crmdesk``."""
    launcher = Path(sys.executable).with_name("crmdesk.exe" if sys.platform == "win32" else "crmdesk")
    if launcher.is_file():
        return [str(launcher)] if sys.platform == "win32" else [sys.executable, str(launcher)]
    return [sys.executable, "-m", "crmdesk"]


#: A start that has not printed its marker by then is stuck (a dialog waiting for a person, say): it is ended, and
#: the benchmark stops saying so, instead of waiting for ever.
STUCK_AFTER_S = 60.0


def _until(proc: subprocess.Popen[str], marker: str, started: float) -> float:
    assert proc.stdout is not None
    watchdog = threading.Timer(STUCK_AFTER_S, proc.kill)
    watchdog.start()
    try:
        for line in proc.stdout:
            if marker in line:
                return time.perf_counter() - started
    finally:
        watchdog.cancel()
    if time.perf_counter() - started >= STUCK_AFTER_S:
        raise SystemExit(f"{proc.args!r} did not print {marker!r} within {STUCK_AFTER_S:.0f} s, and was ended")
    raise SystemExit(f"{proc.args!r} exited before printing {marker!r}")


def time_to(cmd: list[str], env: dict[str, str], marker: str) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        return _until(proc, marker, started)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def rss_after(cmd: list[str], env: dict[str, str], marker: str, settle: float = 1.0) -> float:
    """Resident memory in MB once the process has printed ``marker`` and settled."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        _until(proc, marker, time.perf_counter())
        time.sleep(settle)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, flags=re.MULTILINE)
        if match is None:
            raise SystemExit("cannot read VmRSS (this benchmark needs Linux's /proc)")
        return int(match.group(1)) / 1024
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def run(runs: int = 5) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        with running_server(data_dir) as server:
            app_env = _env(data_dir, CRMDESK_TOKEN=server.token)
            bare_env = _env(data_dir)
            app = [*_app_command(), "--base-url", server.base_url]
            bare = [sys.executable, str(BARE_WINDOW)]
            floor = [sys.executable, str(FLOOR_WINDOW)]

            starts: list[float] = []
            bare_starts: list[float] = []
            floor_starts: list[float] = []
            # One warm-up round fills the disk cache; then bare, floor and app alternate.
            for index in range(runs + 1):
                bare_start = time_to([*bare, "--self-test"], bare_env, "window shown")
                floor_start = time_to([*floor, "--self-test"], bare_env, "window shown")
                app_start = time_to([*app, "--exit-when-shown"], app_env, "event: window-shown")
                if index:
                    bare_starts.append(bare_start)
                    floor_starts.append(floor_start)
                    starts.append(app_start)
            bare_median = statistics.median(bare_starts)
            rows.append(Row("cold start to window", statistics.median(starts), bare_median, "s", "≤ 1.3×", 1.3))
            # What any window on this stack pays (tests/perf/floor_window.py), beside the same bare window.
            floor_start = statistics.median(floor_starts)
            rows.append(Row("cold start, floor window (first `Qt.` use)", floor_start, bare_median, "s", "report"))

            # A rep's everyday start: the token is in the keyring, and the profile remembers that it is, and for
            # which server, as a sign-in with Remember left it: the window shows first, the keyring read meanwhile.
            keyring_env = _env(
                data_dir,
                PYTHONPATH=str(ROOT),
                PYTHON_KEYRING_BACKEND="tests.perf.keyring_backend.BenchKeyring",
                BENCH_KEYRING_TOKEN=server.token,
                XDG_CONFIG_HOME=str(data_dir / "config"),
            )
            # The profile was signed in to this server: a remembered token goes only to the server it was given for.
            remember = (
                "from PySide6.QtCore import QCoreApplication; "
                "from crmdesk.services.profiles import DEFAULT_PROFILE, Profiles; "
                "app = QCoreApplication([]); app.setOrganizationName('crmdesk'); app.setApplicationName('crmdesk'); "
                f"Profiles().set_base_url(DEFAULT_PROFILE, {server.base_url!r}); "
                f"Profiles().set_token_remembered(DEFAULT_PROFILE, True, server={server.base_url!r})"
            )
            subprocess.run([sys.executable, "-c", remember], env=keyring_env, check=True, timeout=30)
            keyring_starts = [time_to([*app, "--exit-when-shown"], keyring_env, "event: window-shown")]
            for _ in range(runs):
                keyring_starts.append(time_to([*app, "--exit-when-shown"], keyring_env, "event: window-shown"))
            keyring_start = statistics.median(keyring_starts[1:])
            rows.append(Row("cold start, token in the keyring", keyring_start, bare_median, "s", "report"))

            fetching = [*floor, "--fetch", server.base_url, server.token, server.demo_email]
            memory: list[float] = []
            bare_memory: list[float] = []
            floor_memory: list[float] = []
            for _ in range(3):
                bare_memory.append(rss_after(bare, bare_env, "window shown"))
                floor_memory.append(rss_after(fetching, bare_env, "contact shown"))
                memory.append(rss_after([*app, "--search", server.demo_email], app_env, "event: contact-shown"))
            bare_rss = statistics.median(bare_memory)
            rows.append(Row("idle memory, one contact", statistics.median(memory), bare_rss, "MB", "≤ 1.3×", 1.3))
            floor_rss = statistics.median(floor_memory)
            rows.append(Row("idle memory, floor window (qasync + httpx GET)", floor_rss, bare_rss, "MB", "report"))

        demo = [*_app_command(), "--demo", "--search", server.demo_email]
        first_results = [time_to(demo, _env(data_dir), "event: contact-shown") for _ in range(runs)]
        rows.append(Row("demo first result", statistics.median(first_results), bare_median, "s", "report"))
    return rows


def format_rows(rows: list[Row]) -> list[str]:
    """The table as Markdown lines, so the same text reads in a terminal and in tests/perf/README.md."""
    lines = ["| figure | value | baseline | ratio | goal | |", "|---|---:|---:|---:|---|---|"]
    for row in rows:
        baseline = f"{row.baseline:.3g} {row.unit}" if row.baseline is not None else "—"
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "—"
        lines.append(
            f"| {row.figure} | {row.value:.3g} {row.unit} | {baseline} | {ratio} | {row.goal} | {row.verdict} |"
        )
    return lines


def main() -> int:
    print("\n".join(format_rows(run())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
