"""Test set-up shared by every suite: headless Qt, strict logging, and the bundled server on loopback."""

from __future__ import annotations

import os
from typing import TextIO

import pytest

# Qt reads these when the first QGuiApplication is created and qasync when it is imported.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

pytest_plugins = ["tests.support.qt_fixtures", "tests.support.server_fixtures"]


@pytest.hookimpl(trylast=True)  # after pytest's own faulthandler plugin, which points it at stderr
def pytest_configure(config: pytest.Config) -> None:
    """With ``CRMDESK_CRASH_LOG`` set, a crash (SIGSEGV, or SIGABRT from Qt's qFatal) dumps every thread's Python
    stack to that file instead of stderr.

    pytest's faulthandler writes to stderr, where CI's log interleaved it with the progress lines, and the top of
    the dump, the test that was running, was lost. ``.ci/run`` sets it, and prints the file when the tests fail.
    """
    import faulthandler

    path = os.environ.get("CRMDESK_CRASH_LOG")
    if not path:
        return
    global _crash_log
    _crash_log = open(path, "w", encoding="utf-8")  # kept open for the whole run: faulthandler writes to its fd
    faulthandler.enable(file=_crash_log, all_threads=True)


_crash_log: TextIO | None = None


@pytest.hookimpl(tryfirst=True)  # before pytest's faulthandler plugin puts stderr back
def pytest_unconfigure(config: pytest.Config) -> None:
    import faulthandler

    global _crash_log
    if _crash_log is not None:
        faulthandler.disable()
        _crash_log.close()
        _crash_log = None
