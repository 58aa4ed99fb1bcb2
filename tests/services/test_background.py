"""run_in_thread: work off the UI thread, result on it, through an object no window owns."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from crmdesk.services.background import run_in_thread


def test_the_work_runs_in_a_worker_and_its_result_arrives_on_the_ui_thread(qtbot: QtBot) -> None:
    worked_on: list[str] = []
    delivered: list[tuple[object, bool]] = []

    def work() -> int:
        worked_on.append(threading.current_thread().name)
        return 42

    run_in_thread(
        work,
        lambda result: delivered.append((result, threading.current_thread() is threading.main_thread())),
        name="t-worker",
    )
    qtbot.waitUntil(lambda: delivered != [], timeout=5_000)
    assert worked_on == ["t-worker"]
    assert delivered == [(42, True)]


@pytest.mark.expected_warnings
def test_a_failing_job_reports_none_and_the_log_keeps_why(qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    delivered: list[object] = []

    def work() -> int:
        raise OSError("keyring gone")

    run_in_thread(work, delivered.append, name="t-failing")
    qtbot.waitUntil(lambda: delivered != [], timeout=5_000)
    assert delivered == [None]
    (record,) = [r for r in caplog.records if r.name == "crmdesk.services.background"]
    assert record.levelno == logging.WARNING and record.getMessage() == "Background work t-failing failed"
    assert record.exc_info is not None and "keyring gone" in str(record.exc_info[1])


def test_a_widget_deleted_before_the_result_arrives_is_not_touched(qtbot: QtBot) -> None:
    """The result arrives on the UI thread, where widgets are deleted: a callback's check that its widget still
    exists cannot race the deletion (on the worker, it could, and touch a widget being freed)."""
    import weakref

    import shiboken6

    widget = QWidget()
    ref = weakref.ref(widget)
    gate = threading.Event()
    touched: list[str] = []

    def done(_result: object) -> None:
        current = ref()
        if current is not None and shiboken6.isValid(current):
            touched.append(current.objectName())
        touched.append("delivered on the UI thread" if threading.current_thread() is threading.main_thread() else "")

    run_in_thread(lambda: gate.wait(5), done, name="t-slow")
    widget.deleteLater()
    del widget
    qtbot.waitUntil(lambda: ref() is None or not shiboken6.isValid(ref()), timeout=5_000)
    gate.set()
    qtbot.waitUntil(lambda: touched != [], timeout=5_000)
    assert touched == ["delivered on the UI thread"]
