"""The file of unsaved work: what it keeps, what a damaged one gives back, and that a failed write is tried again."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from crmdesk.paths import profile_dir
from crmdesk.services import recovery
from crmdesk.services.recovery import FILE_NAME, Draft, NewContact, UnsavedEdits, UnsavedWork, UnsavedWorkFile

WORK = UnsavedWork(
    edits=(UnsavedEdits("AAAA1111", "Ana Lima", {"city": "Olinda"}, {"city": "Recife"}),),
    new_contacts=(NewContact({"firstName": "Bruna"}, "Website", "Asked for a quote", {"stageName": "Proposal"}),),
    drafts=(Draft("BBBB2222", "Rafael Costa", note="Call back on Monday"),),
)


def nothing() -> UnsavedWork:
    return UnsavedWork()


def test_work_kept_is_read_back_by_the_next_run_as_it_was(qtbot: QtBot) -> None:
    now = [WORK]
    first = UnsavedWorkFile("kept", lambda: now[0])
    assert first.left_over().is_empty()
    first.changed()
    assert first.path is not None and not first.path.exists()  # not on the way to what the rep is doing
    qtbot.waitUntil(first.path.exists, timeout=10 * recovery.WRITE_DELAY_MS)
    assert UnsavedWorkFile("kept", nothing).left_over() == WORK

    now[0] = UnsavedWork()  # all of it saved since
    first.changed()
    qtbot.waitUntil(lambda: first.path is not None and not first.path.exists(), timeout=10 * recovery.WRITE_DELAY_MS)


def test_what_an_earlier_run_left_is_not_written_over_until_released(qtbot: QtBot) -> None:
    UnsavedWorkFile("held", lambda: WORK).flush()
    later = UnsavedWorkFile("held", nothing)
    assert later.left_over() == WORK
    later.changed()
    later.flush()
    assert later.path is not None and UnsavedWork.from_json(later.path.read_text(encoding="utf-8")) == WORK
    later.release()
    assert later.left_over().is_empty()
    qtbot.waitUntil(lambda: later.path is not None and not later.path.exists(), timeout=10 * recovery.WRITE_DELAY_MS)


def test_what_a_damaged_file_still_holds_is_given_back_and_the_rest_left_out(qtbot: QtBot) -> None:
    path = profile_dir("damaged") / FILE_NAME
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "edits": [
                    {"uid": "AAAA1111", "name": "Ana Lima", "edits": {"city": "Olinda", "phone": 5}, "base": None},
                    {"uid": "", "edits": {"city": "Natal"}},  # no contact to put it back into
                    {"uid": "CCCC3333", "edits": {}},  # nothing to put back
                    "not an entry",
                ],
                "drafts": [{"uid": "BBBB2222", "note": "Call back"}, {"uid": "DDDD4444", "note": "  "}],
                "newContacts": [{"fields": [], "tags": 7, "note": ""}, "not a form"],
            }
        ),
        encoding="utf-8",
    )
    assert UnsavedWorkFile("damaged", nothing).left_over() == UnsavedWork(
        edits=(UnsavedEdits("AAAA1111", "Ana Lima", {"city": "Olinda"}, {}),),
        drafts=(Draft("BBBB2222", "", note="Call back"),),
    )


@pytest.mark.expected_warnings
def test_an_unreadable_file_is_set_aside_not_overwritten(qtbot: QtBot) -> None:
    path = profile_dir("unreadable") / FILE_NAME
    path.write_bytes(b'{"edits": [{"uid": "AAAA1111", "edits": {"city": "Olin')  # cut short by a full disk
    unsaved = UnsavedWorkFile("unreadable", lambda: WORK)
    assert unsaved.left_over().is_empty()
    unsaved.flush()
    assert path.with_name(FILE_NAME + ".unreadable").read_bytes().endswith(b'"Olin')
    assert UnsavedWork.from_json(path.read_text(encoding="utf-8")) == WORK


@pytest.mark.expected_warnings
def test_a_write_that_fails_is_tried_again_a_few_seconds_later(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    unsaved = UnsavedWorkFile("full", lambda: WORK)
    assert unsaved.path is not None

    def disk_full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(recovery, "write_atomically", disk_full)
        unsaved.flush()
    assert not unsaved.path.exists()
    # Tried again by itself: the rep may have stopped typing, and no later change would come to write it.
    qtbot.waitUntil(unsaved.path.exists, timeout=3 * recovery.RETRY_DELAY_MS)
    assert UnsavedWork.from_json(unsaved.path.read_text(encoding="utf-8")) == WORK


def test_forget_removes_the_file_and_what_was_left_over_and_writes_nothing_more(qtbot: QtBot) -> None:
    UnsavedWorkFile("signed-out", lambda: WORK).flush()
    second = UnsavedWorkFile("signed-out", lambda: WORK)
    assert second.left_over() == WORK
    second.forget()
    assert second.left_over().is_empty() and second.path is not None and not second.path.exists()
    second.changed()
    second.flush()
    assert not second.path.exists()
    assert UnsavedWorkFile("signed-out", nothing).left_over().is_empty()
