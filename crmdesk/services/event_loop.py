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

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")

_attached: asyncio.AbstractEventLoop | None = None


def _import_asyncio_support() -> None:
    import asyncio  # noqa: F401
    import os

    # qasync picks its Qt binding from QT_API when imported. The app runs on PySide6 alone: a QT_API left by
    # matplotlib or Spyder ("pyqt5") made every request fail, and the bundle has no other binding to find.
    # The user's value is put back after: the programs the app starts (a mail program, say) inherit it.
    previous = os.environ.get("QT_API")
    os.environ["QT_API"] = "pyside6"
    try:
        import qasync  # noqa: F401
    finally:
        if previous is None:
            os.environ.pop("QT_API", None)
        else:
            os.environ["QT_API"] = previous


_preloading = False


def preload() -> None:
    """Import asyncio and qasync in a worker thread, then attach the loop on the UI thread."""
    global _preloading
    if _attached is not None or _preloading:
        return
    _preloading = True
    from crmdesk.services.background import run_in_thread

    # An import that fails here fails again in running_loop(), on the UI thread, which reports it.
    run_in_thread(_import_asyncio_support, _attach_after_preload, name="crmdesk-asyncio-preload")


def _attach_after_preload(_result: object) -> None:
    global _preloading
    _preloading = False
    running_loop()


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
    loop, _attached = _attached, None
    if loop is not None:
        loop.stop()  # qasync's bookkeeping for a loop that joined a running exec(): it is not running any more
    elif final is None:
        return
    else:
        # asyncio never joined: an ordinary qasync loop for this last run (an already_running one made after
        # exec() has returned would start a second IOCP poller on Windows and never stop the first).
        _import_asyncio_support()
        import qasync

        loop = qasync.QEventLoop(QCoreApplication.instance())
    try:
        if final is not None:
            loop.run_until_complete(final)  # runs Qt's loop once more, until ``final`` is done
    finally:
        loop.close()
        import asyncio

        asyncio.events._set_running_loop(None)  # as qasync's own run_forever does when it returns
