"""In-process UI benchmarks: search latency overhead over raw httpx, and the longest UI-thread stall.

Runs the real main window offscreen at 1280×800 on the qasync loop against the bundled server in its own
process (demo data). Run with ``python -m tests.perf.bench_ui [--json]``; ``python -m tests.perf`` runs it in a
child process beside the start-up benchmark.

- **search overhead**: Enter in the search field until the form shows the contact, minus a raw
  ``httpx.AsyncClient`` GET of the same contact by the same email in the same process and loop; the two
  alternate, and the figure is the median (and p95) of the pairwise differences.
- **stall**: a 1 ms precise ``QTimer`` ticks on the UI thread; the longest gap between two ticks while the
  app does one thing (a search, a save, 200 back-to-back searches; and demo start-up with its server child,
  each run in a fresh process, as a rep starts it, from the first window on screen).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.stall_probe import StallProbe

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
DEMO_TOKEN = "bench-ui-token"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def wait_signal(signal: Any, timeout: float = 15.0) -> Any:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def fire(*args: Any) -> None:
        if not future.done():
            future.set_result(args[0] if args else None)

    signal.connect(fire)
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        signal.disconnect(fire)


async def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.005)


async def bench(base_url: str, runs: int) -> dict[str, float]:
    import httpx
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    import crmdesk
    from crmdesk import heap
    from crmdesk.server import demo_data
    from crmdesk.services.profiles import Profiles
    from crmdesk.services.registry import Registry
    from crmdesk.services.session import Session
    from crmdesk.ui.main_window import MainWindow

    results: dict[str, float] = {}
    probe = StallProbe()
    emails = [
        contact["email"] for contact in demo_data.CONTACTS[:6] if contact["email"] != "contato@almeidamoveis.com.br"
    ]

    session = Session("bench", base_url, DEMO_TOKEN)
    registry = Registry.load("bench")
    window = MainWindow(session, registry, Profiles())
    # The size of the README's screenshots, with the contact's form, tags and notes side by side. Left to its
    # first-run placement, the window would fill offscreen's 800×600 screen, where the notes sit under the form.
    window.resize(1280, 800)
    window.show()
    await asyncio.sleep(0.3)  # let anything deferred past the first show finish before timing
    heap.freeze_startup_objects()  # as the app does once its start-up has settled
    view = window.contact_view
    field = window.search_field
    headers = {"Authorization": f"Bearer {DEMO_TOKEN}", "User-Agent": f"crmdesk/{crmdesk.__version__}"}

    cycle = itertools.cycle(emails)

    def another() -> str:
        """The next demo contact's email, never the open one's: a lookup of the contact already open reads it
        again (as Reload does) rather than opening it, which is not what these rows time."""
        current = view.service.current
        while (email := next(cycle)) == (current.email if current is not None else None):
            pass
        return email

    async def search_by_enter(email: str) -> float:
        field.setText(email)
        # A rep types the query before pressing Enter, and the field has repainted by then: let that repaint
        # happen before timing Enter, as it would, rather than count it as the search's.
        await asyncio.sleep(0)
        opened = wait_signal(view.contact_opened)
        started = time.perf_counter()
        QTest.keyClick(field, Qt.Key.Key_Return)
        contact = await opened
        elapsed = time.perf_counter() - started
        assert contact.email == email, (contact.email, email)
        return elapsed

    async with httpx.AsyncClient(base_url=base_url, headers=headers) as raw:

        async def raw_get(email: str) -> float:
            started = time.perf_counter()
            response = await raw.get("/api/contact", params={"email": email})
            response.raise_for_status()
            response.json()
            return time.perf_counter() - started

        for email in emails:  # warm both paths: connections, first-use caches
            await raw_get(email)
            await search_by_enter(email)

        overheads: list[float] = []
        for index in range(runs):
            email = another()
            if index % 2:
                app_s = await search_by_enter(email)
                raw_s = await raw_get(email)
            else:
                raw_s = await raw_get(email)
                app_s = await search_by_enter(email)
            overheads.append((app_s - raw_s) * 1000)
        results["search overhead median"] = statistics.median(overheads)
        results["search overhead p95"] = percentile(overheads, 0.95)
        results["raw httpx GET median"] = statistics.median(
            [(await raw_get(emails[i % len(emails)])) * 1000 for i in range(runs)]
        )

    stalls: dict[str, list[float]] = {"search": [], "save": [], "searches": []}
    for _repeat in range(3):
        with probe.running():
            await search_by_enter(another())
        stalls["search"].append(probe.longest_ms)

        from PySide6.QtWidgets import QLineEdit

        business = view.findChild(QLineEdit, "businessName")
        assert business is not None
        business.setText(f"Bench {time.time():.3f}")
        with probe.running():
            saved = wait_signal(view.service.saved)
            view.save()
            await saved
        stalls["save"].append(probe.longest_ms)

        with probe.running():
            for _index in range(200):
                await search_by_enter(another())
        stalls["searches"].append(probe.longest_ms)

    for name, values in stalls.items():
        results[f"stall {name}"] = statistics.median(values)

    window.search.shutdown()
    window.close_without_prompt()
    await session.aclose()
    window.deleteLater()
    return results


def bench_demo_start(runs: int) -> float:
    """The median, over ``runs`` fresh processes, of the longest stall while ``crmdesk --demo`` starts."""
    cmd = [sys.executable, "-m", "tests.perf.bench_ui", "--demo-start-once"]
    longest = []
    for _ in range(runs):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit("the demo start-up run failed")
        longest.append(json.loads(done.stdout.strip().splitlines()[-1])["longest"])
    return statistics.median(longest)


def demo_start_once() -> float:
    """One cold ``crmdesk --demo`` start in this fresh process: the longest stall once a window is on screen.

    A rep starting demo mode sees the main window at once, saying that the server is starting, with the contact
    view built while it starts; everything the app imports and builds on the way happens in this process for the first
    time, as it does for them. The probe ticks from before the app starts, and the longest gap is taken from the
    first paint of a window on: before it, nothing is on screen to freeze (that time is the start-up rows'
    business). Until the server is up, the contact view built, and half a second more, which covers what the
    window defers (the HTTP preload, the heap freeze).
    """
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QWidget

    from crmdesk import heap
    from crmdesk.app import AppController, parse_args

    heap.hold_collections()  # as crmdesk.app.main does first thing
    app = _application()
    probe = StallProbe()
    on_screen: list[int] = []  # the number of gaps recorded when the first window paint began

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            painted = event.type() == QEvent.Type.Paint and isinstance(watched, QWidget) and watched.isWindow()
            if painted and not on_screen:
                on_screen.append(len(probe.gaps))
            return False

    watcher = FirstPaint()
    app.installEventFilter(watcher)

    async def main() -> float:
        controller = AppController(parse_args(["--demo"]))
        with probe.running():
            controller.start()
            await until(
                lambda: (
                    controller.window is not None
                    and controller.window.session.is_ready()
                    and controller.window.contact_view_built()
                )
            )
            await asyncio.sleep(0.5)  # whatever the window defers past its first show happens in here
        app.removeEventFilter(watcher)
        if not on_screen or len(probe.gaps) <= on_screen[0] + 1:
            raise SystemExit("no window painted during demo start-up, or the probe never ticked after it")
        # Skip the gap in progress at the first paint: it ends with that paint, before which nothing showed.
        longest = max(probe.gaps[on_screen[0] + 1 :]) * 1000
        window, session, demo = controller.window, controller.session, controller.demo
        assert window is not None and session is not None and demo is not None
        window.closed.disconnect()
        window.close_without_prompt()
        await session.aclose()
        await demo.stop()
        return longest

    import qasync

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(main())


def _application() -> QApplication:
    """The QApplication, with settings and data in the temporary folder that CRMDESK_DATA_DIR names."""
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # closing the first window must not stop the loop
    QCoreApplication.setOrganizationName("crmdesk")
    QCoreApplication.setApplicationName("crmdesk-bench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(os.environ["CRMDESK_DATA_DIR"]) / "settings")
    )
    return app


def _prepare_process() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")  # qasync binds to PySide6 whatever the import order
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def run(runs: int = 40, demo_runs: int = 3) -> dict[str, float]:
    """Every figure: the in-process ones in a fresh data folder and settings (needs a QApplication-free process),
    then demo start-up in processes of its own."""
    _prepare_process()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CRMDESK_DATA_DIR"] = tmp
        import qasync

        from tests.support.live_server import LiveServer

        app = _application()
        server = LiveServer(
            Path(tmp) / "server.sqlite3",
            rate_limit="off",
            demo=True,
            env={"CRMDESK_DEMO_TOKEN": DEMO_TOKEN, "CRMDESK_DATA_DIR": tmp},
        )
        with server, asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            results = runner.run(bench(server.base_url, runs))
    results["stall demo start-up"] = bench_demo_start(demo_runs)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="search pairs for the latency overhead")
    parser.add_argument("--demo-runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--demo-start-once", action="store_true", help=argparse.SUPPRESS)  # bench_demo_start's child
    args = parser.parse_args()
    if args.demo_start_once:
        _prepare_process()
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["CRMDESK_DATA_DIR"] = tmp
            print(json.dumps({"longest": demo_start_once()}))
        return 0
    results = run(args.runs, args.demo_runs)
    if args.json:
        print(json.dumps(results))
    else:
        for name, value in results.items():
            print(f"{name:<28}{value:>9.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
