"""asyncio inside Qt's event loop, joined once the first window is up.

Qt's event loop (``QApplication.exec``) runs the app from start to end, and asyncio joins it through
qasync with ``already_running=True``. Importing asyncio (which always imports ``ssl``) and qasync costs
about 50 ms, more than anything else left between process start and the first window, so the app does
not do it on the way there: :func:`preload` imports both in a worker thread once the UI thread is
painting, then attaches the loop on the UI thread. Whatever needs the loop sooner calls
:func:`running_loop`, which attaches it at once (waiting on the import lock at worst), so no task is
ever started on a loop that does not run.

Tests create their own ``already_running`` loop first; :func:`running_loop` then returns that one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("crmdesk.services.event_loop")

T = TypeVar("T")

_attached: asyncio.AbstractEventLoop | None = None


def _import_asyncio_support() -> None:
    import asyncio  # noqa: F401
    import os

    os.environ.setdefault("QT_API", "pyside6")  # qasync probes other Qt bindings first otherwise
    import qasync  # noqa: F401


class _Preloader(QObject):
    """Lives on the UI thread; the worker's signal is queued back to it there."""

    imported = Signal()

    def __init__(self) -> None:
        super().__init__(QCoreApplication.instance())
        self.imported.connect(self._attach, Qt.ConnectionType.QueuedConnection)

    def work(self) -> None:  # in the worker thread
        try:
            _import_asyncio_support()
        except Exception:  # running_loop() imports them again on the UI thread and raises whatever is wrong
            log.debug("Preloading asyncio and qasync failed", exc_info=True)
        try:
            self.imported.emit()
        except RuntimeError:  # the app quit meanwhile and took this object with it
            pass

    def _attach(self) -> None:
        global _preloader
        _preloader = None
        self.deleteLater()
        running_loop()


_preloader: _Preloader | None = None


def preload() -> None:
    """Import asyncio and qasync in a worker thread, then attach the loop on the UI thread."""
    global _preloader
    if _attached is not None or _preloader is not None:
        return
    _preloader = _Preloader()
    # Not a daemon: the interpreter waits for it at exit (see MainWindow._build_view_soon).
    threading.Thread(target=_preloader.work, name="crmdesk-asyncio-preload", daemon=False).start()


def running_loop() -> asyncio.AbstractEventLoop:
    """The asyncio loop that runs inside Qt's; attached on first use. UI thread only."""
    global _attached
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    _import_asyncio_support()
    import qasync

    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("the asyncio loop joins Qt's event loop: create the QApplication first")
    loop: asyncio.AbstractEventLoop = qasync.QEventLoop(app, already_running=True)
    _attached = loop
    return loop


def start(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run ``coro`` as a task on the app's loop."""
    return running_loop().create_task(coro)


def close(final: Coroutine[Any, Any, Any] | None = None) -> None:
    """After ``QApplication.exec()`` has returned: run ``final`` (if any) to its end, then close the loop.

    An app that quit before asyncio ever joined, with nothing left to run, does not import it on the way out.
    """
    global _attached
    if _attached is None and final is None:
        return
    loop = _attached or running_loop()
    _attached = None
    loop.stop()  # qasync's bookkeeping for a loop that joined a running exec(): it is not running any more
    try:
        if final is not None:
            loop.run_until_complete(final)  # runs Qt's loop once more, until ``final`` is done
    finally:
        loop.close()
        import asyncio

        asyncio.events._set_running_loop(None)  # as qasync's own run_forever does when it returns
