"""Work in a worker thread whose result comes back on the UI thread: the app's preloads and its keyring read.

The result travels through a small QObject owned by the application, never through the caller's widgets: a
worker that emitted on a window closed meanwhile crashed the app at exit, and a worker holding the last
reference to a window would destroy it off the UI thread. The caller's ``on_done`` runs on the UI thread,
and checks itself whether what it would touch still exists (``shiboken6.isValid``).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

log = logging.getLogger("crmdesk.services.background")


class _Relay(QObject):
    """Lives on the UI thread under the application; the worker's signal is queued to it."""

    finished = Signal(object)

    def __init__(self, on_done: Callable[[Any], None]) -> None:
        super().__init__(QCoreApplication.instance())
        self._on_done = on_done
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def _deliver(self, result: object) -> None:
        self.deleteLater()
        self._on_done(result)


def run_in_thread(
    work: Callable[[], Any], on_done: Callable[[Any], None] | None = None, *, name: str, daemon: bool = False
) -> None:
    """Run ``work()`` in a new thread, then ``on_done(result)``, if given, on the UI thread (needs a QApplication).

    ``work`` handles the errors it expects; one that escapes is logged as a warning, with its traceback, and the
    result is ``None``. Threads are not daemons
    unless asked: the interpreter then waits for them at exit instead of finalising under them, which crashed
    the app while one was still creating PySide types. Only work that may block indefinitely (the keyring, which
    can wait for the user to unlock it) is a daemon, and it reports nothing once the interpreter is finalising.
    """
    relay = _Relay(on_done) if on_done is not None else None

    def run() -> None:
        try:
            result = work()
        except Exception:
            log.warning("Background work %s failed", name, exc_info=True)
            result = None
        if relay is None or sys.is_finalizing():
            return
        try:
            relay.finished.emit(result)
        except RuntimeError:  # the application, and the relay with it, is gone
            pass

    threading.Thread(target=run, name=name, daemon=daemon).start()
