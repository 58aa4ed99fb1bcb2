"""TaskSlots: supersession, silent cancellation and error routing, on the session's qasync loop."""

from __future__ import annotations

import asyncio

from pytestqt.qtbot import QtBot

from crmdesk.services.tasks import TaskSlots


async def _value_after(delay: float, value: str) -> str:
    await asyncio.sleep(delay)
    return value


async def _fail() -> str:
    await asyncio.sleep(0)
    raise RuntimeError("boom")


def test_new_task_under_same_key_supersedes_the_old_silently(qtbot: QtBot, qasync_loop: object) -> None:
    errors: list[BaseException] = []
    results: list[str] = []
    slots = TaskSlots(errors.append)
    first = slots.start("search", _value_after(0.2, "old"), results.append)
    slots.start("search", _value_after(0.01, "new"), results.append)
    qtbot.waitUntil(lambda: results == ["new"], timeout=2000)
    qtbot.waitUntil(first.done, timeout=2000)
    assert first.cancelled()
    assert errors == []
    assert results == ["new"]


def test_failure_goes_to_default_handler_when_none_given(qtbot: QtBot, qasync_loop: object) -> None:
    errors: list[BaseException] = []
    slots = TaskSlots(errors.append)
    slots.start("save", _fail())
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=2000)
    assert isinstance(errors[0], RuntimeError)
    assert not slots.running("save")


def test_specific_error_handler_wins_and_finally_runs(qtbot: QtBot, qasync_loop: object) -> None:
    default: list[BaseException] = []
    specific: list[BaseException] = []
    finished: list[bool] = []
    slots = TaskSlots(default.append)
    slots.start("save", _fail(), on_error=specific.append, on_finally=lambda: finished.append(True))
    qtbot.waitUntil(lambda: finished == [True], timeout=2000)
    assert default == [] and len(specific) == 1


def test_cancel_all_spares_the_keys_it_is_told_to_keep(qtbot: QtBot, qasync_loop: object) -> None:
    results: list[str] = []
    slots = TaskSlots(lambda error: None)
    load = slots.start("load", _value_after(0.05, "load"), results.append)
    note = slots.start("note:1", _value_after(0.05, "note"), results.append)
    cancelled = slots.cancel_all(keep=lambda key: key.startswith("note:"))
    assert cancelled == [load]
    qtbot.waitUntil(lambda: results == ["note"], timeout=2000)
    assert load.cancelled() and not note.cancelled() and not slots.running("note:1")
