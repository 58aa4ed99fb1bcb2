"""Unsaved work outlives an end that cannot ask (a crash, a kill, a power cut): the next start offers it back.

Each test leaves a window as the app would be found when it dies: its unsaved work on disk, nothing asked. A
second window on the same profile is the next start.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import ContactRef
from crmdesk.services.recovery import WRITE_DELAY_MS, Draft, UnsavedWork
from crmdesk.services.registry import Registry
from crmdesk.ui.errors import Action, Severity
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account
from tests.ui.contact_support import FailingTransport, HeldTransport
from tests.ui.shell_support import close_window, create_contacts, dark_scheme, on_server, open_window, run
from tests.ui.test_note_answers import NOTE, _NoteTrouble, _send_note


def _opened(qtbot: QtBot, window: MainWindow, uid: str) -> None:
    window.open_uid(uid)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == uid, timeout=15_000)


def _field(window: MainWindow, name: str) -> QLineEdit:
    line = window.contact_view.findChild(QLineEdit, name)
    assert line is not None
    return line


def _type_over(qtbot: QtBot, line: QLineEdit, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)


def _dies(qtbot: QtBot, window: MainWindow) -> Path:
    """The app ends without a word: what is on disk a second after the last keystroke is all that is left (the
    file returned)."""
    assert window.unsaved is not None and window.unsaved.path is not None
    path = window.unsaved.path
    qtbot.waitUntil(path.exists, timeout=5_000)  # written by its own timer, not by a flush from the test
    qtbot.wait(WRITE_DELAY_MS + 300)  # and the last change with it: the app dies a moment after it
    kept = path.read_text(encoding="utf-8")
    window.unsaved.finish()  # a dead process writes nothing more, whatever its requests do now
    assert path.read_text(encoding="utf-8") == kept, "the app had not written down all it held"
    close_window(qtbot, window)  # a close that asks nothing, as a killed process does
    assert path.read_text(encoding="utf-8") == kept
    return path


def _offer(qtbot: QtBot, window: MainWindow) -> QMessageBox:
    def shown() -> list[QMessageBox]:
        return [box for box in window.findChildren(QMessageBox, "leftOverDialog") if box.isVisible()]

    qtbot.waitUntil(lambda: len(shown()) == 1, timeout=10_000)
    return shown()[0]


def _city_typed_over(qtbot: QtBot, account: Account) -> tuple[MainWindow, ContactRef]:
    """A window with Ana Lima open, her city Recife typed over with Olinda and not saved."""
    (edited,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com", "city": "Recife"})
    window = open_window(qtbot, account)
    _opened(qtbot, window, edited.uid)
    _type_over(qtbot, _field(window, "city"), "Olinda")
    return window, edited


def _answer(box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if isinstance(b, QPushButton) and b.text() == text)
    button.click()


def test_edits_notes_and_tags_left_unsaved_by_a_crash_come_back_at_the_next_start(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    edited, other = create_contacts(
        qtbot,
        account,
        {"name": "Ana Lima", "email": "ana@example.com", "city": "Recife"},
        {"name": "Rafael Costa", "email": "rafael@example.com"},
    )
    window = open_window(qtbot, account)
    _opened(qtbot, window, other.uid)
    window.contact_view.notes.input.setPlainText("Call back on Monday")
    _opened(qtbot, window, edited.uid)
    _type_over(qtbot, _field(window, "city"), "Olinda")
    window.contact_view.notes.input.setPlainText("Wants the annual plan")
    window.contact_view.tags.input.setText("Hot Lead")
    assert account.token not in _dies(qtbot, window).read_text(encoding="utf-8")

    again = open_window(qtbot, account)
    box = _offer(qtbot, again)
    assert "changes to Ana Lima" in box.text()
    assert "a note and a tag for Ana Lima" in box.text() and "a note for Rafael Costa" in box.text()
    assert on_server(qtbot, account, uid=edited.uid).city == "Recife"  # nothing went to the server by itself
    _answer(box, "Restore")

    view = again.contact_view
    qtbot.waitUntil(lambda: view.current_uid() == edited.uid, timeout=15_000)
    assert _field(again, "city").text() == "Olinda" and view.has_unsaved_changes()
    assert view.form.changes() == {"city": "Olinda"}
    assert view.notes.input.toPlainText() == "Wants the annual plan" and view.tags.input.text() == "Hot Lead"
    assert view.form_status.text() == "Your unsaved changes are back: check them and save."
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save_button.click()
    assert on_server(qtbot, account, uid=edited.uid).city == "Olinda"

    _opened(qtbot, again, other.uid)
    assert view.notes.input.toPlainText() == "Call back on Monday"
    close_window(qtbot, again)


@pytest.mark.expected_warnings
def test_a_disk_that_cannot_keep_the_unsaved_work_is_told_and_the_notice_goes_once_it_can(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the disk full, edits stopped being kept for a crash with only a line in the log to say so."""
    import errno

    from crmdesk.services import recovery

    real_write = recovery.write_atomically

    def disk_full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recovery, "write_atomically", disk_full)
    window, _ana = _city_typed_over(qtbot, account)
    window.banner.show_message("Not saved. The server failed.", Severity.ERROR, Action.RETRY, "Retry")

    def told() -> QLabel | None:
        label = window.findChild(QLabel, "unsavedNotKept")
        return label if label is not None and label.isVisible() else None

    qtbot.waitUntil(lambda: told() is not None, timeout=10_000)
    label = told()
    assert label is not None and label.text() == "Unsaved work not kept on disk: No space left on device"
    assert "should CRMDesk end unexpectedly, it would be lost" in label.toolTip()
    # Said beside the banner, not over it: the failed save and its Retry stay.
    assert window.banner.text() == "Not saved. The server failed." and window.banner.action() is Action.RETRY
    window.request_search("nobody@example.com")  # another lookup clears the banner, not this
    qtbot.wait(100)
    assert told() is label
    # The desktop turns dark: the red follows (the light scheme's red read 2:1 on the dark window).
    from crmdesk.app import _dark_palette
    from crmdesk.ui.messages import error_colour

    with dark_scheme():
        assert label.palette().color(QPalette.ColorRole.WindowText) == error_colour(_dark_palette())
    monkeypatch.setattr(recovery, "write_atomically", real_write)  # room again
    qtbot.waitUntil(lambda: told() is None, timeout=4 * recovery.RETRY_DELAY_MS)
    assert window.unsaved is not None and window.unsaved.path is not None and window.unsaved.path.exists()
    close_window(qtbot, window)


def test_a_field_changed_elsewhere_since_the_crash_is_marked_and_other_changes_show(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (edited,) = create_contacts(
        qtbot, account, {"name": "Ana Lima", "email": "ana@example.com", "city": "Recife", "state": "PE"}
    )
    window = open_window(qtbot, account)
    _opened(qtbot, window, edited.uid)
    _type_over(qtbot, _field(window, "city"), "Olinda")
    _dies(qtbot, window)

    async def colleague() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.update_contact(edited.uid, city="Natal", state="RN")

    run(qtbot, colleague())
    again = open_window(qtbot, account)
    _answer(_offer(qtbot, again), "Restore")
    view = again.contact_view
    qtbot.waitUntil(lambda: view.current_uid() == edited.uid, timeout=15_000)
    assert _field(again, "city").text() == "Olinda"
    assert view.form.message("city") == "Changed elsewhere to “Natal”; saving keeps yours."
    assert _field(again, "state").text() == "RN" and "state" not in view.form.changes()
    assert view.form_status.text().startswith("Your unsaved changes are back. The marked fields were changed")
    close_window(qtbot, again)


def test_a_new_contact_not_yet_created_comes_back_with_its_tags_note_and_stage(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    Registry.load("work").merge(stages=["Qualified", "Proposal"])
    window = open_window(qtbot, account)
    window.new_contact_action.trigger()
    view = window.contact_view
    _type_over(qtbot, _field(window, "firstName"), "Bruna")
    _type_over(qtbot, _field(window, "email"), "bruna@example.com")
    view.new_tags.setText("Website")
    view.new_note.setPlainText("Asked for a quote")
    stage = view.findChild(QComboBox, "stageName")
    assert stage is not None and stage.count() > 1
    stage.setCurrentIndex(stage.findData("Proposal"))
    picked = stage.currentData()
    assert picked == "Proposal"
    _dies(qtbot, window)

    again = open_window(qtbot, account)
    box = _offer(qtbot, again)
    assert "a new contact (Bruna)" in box.text()
    _answer(box, "Restore")
    view = again.contact_view
    assert view.mode() == "create"
    assert _field(again, "firstName").text() == "Bruna" and _field(again, "email").text() == "bruna@example.com"
    assert view.new_tags.text() == "Website" and view.new_note.toPlainText() == "Asked for a quote"
    restored_stage = view.findChild(QComboBox, "stageName")
    assert restored_stage is not None and restored_stage.currentData() == picked
    close_window(qtbot, again)


def test_discard_drops_it_for_good_and_an_unanswered_offer_is_made_again(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _edited = _city_typed_over(qtbot, account)
    path = _dies(qtbot, window)

    unanswered = open_window(qtbot, account)
    _offer(qtbot, unanswered)
    qtbot.wait(2 * WRITE_DELAY_MS)  # the question waits; the window's own changes meanwhile must not write
    close_window(qtbot, unanswered)  # it ends again before the rep answers
    assert path.exists()

    again = open_window(qtbot, account)
    _answer(_offer(qtbot, again), "Discard")
    qtbot.waitUntil(lambda: not path.exists(), timeout=5_000)
    assert again.contact_view.mode() == "empty" and not again.has_unsaved_changes()
    close_window(qtbot, again)

    third = open_window(qtbot, account)
    third.contact_view  # noqa: B018 - built, as after the first show
    qtbot.wait(200)
    assert not third.findChildren(QMessageBox, "leftOverDialog")
    close_window(qtbot, third)


def test_the_file_goes_once_nothing_is_unsaved(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (edited,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com", "city": "Recife"})
    window = open_window(qtbot, account)
    assert window.unsaved is not None and window.unsaved.path is not None
    path = window.unsaved.path
    _opened(qtbot, window, edited.uid)
    _type_over(qtbot, _field(window, "city"), "Olinda")
    qtbot.waitUntil(path.exists, timeout=5_000)
    assert json.loads(path.read_text(encoding="utf-8"))["edits"][0]["edits"] == {"city": "Olinda"}
    view = window.contact_view
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save_button.click()
    qtbot.waitUntil(lambda: not path.exists(), timeout=5_000)

    view.notes.input.setPlainText("Left a message")
    qtbot.waitUntil(path.exists, timeout=5_000)
    view.notes.input.clear()
    qtbot.waitUntil(lambda: not path.exists(), timeout=5_000)
    close_window(qtbot, window)


def test_edits_to_a_contact_deleted_since_the_crash_are_shown_not_dropped(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, edited = _city_typed_over(qtbot, account)
    path = _dies(qtbot, window)

    async def colleague() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.delete_contact(edited.uid)

    run(qtbot, colleague())
    again = open_window(qtbot, account)
    _answer(_offer(qtbot, again), "Restore")
    qtbot.waitUntil(lambda: again.banner.isVisible(), timeout=15_000)
    assert again.banner.text() == (
        "Ana Lima has been deleted elsewhere, so your unsaved changes to it could not be put back. They were: "
        "City: “Olinda”"
    )
    qtbot.waitUntil(lambda: not path.exists(), timeout=5_000)  # nothing is left to keep
    close_window(qtbot, again)


def test_what_the_rep_discards_at_the_close_is_not_offered_again(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _edited = _city_typed_over(qtbot, account)
    assert window.unsaved is not None and window.unsaved.path is not None
    path = window.unsaved.path
    qtbot.waitUntil(path.exists, timeout=5_000)
    window.close()
    question = next(box for box in window.findChildren(QMessageBox, "unsavedDialog") if box.isVisible())
    question.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    # At once: the window may go before a later write would, and a kept copy would offer the discarded edit.
    assert not path.exists()
    close_window(qtbot, window)


def test_a_note_and_a_tag_on_their_way_at_the_end_go_back_only_if_the_server_lacks_them(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (edited,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com"})
    # The note never reaches the server; the tag does, and only its answer is lost with the app.
    stored_tag = HeldTransport("POST /api/contact/tag/add", late_answer=True)
    lost_note = HeldTransport("POST /api/contact/note/add", inner=stored_tag)
    window = open_window(qtbot, account, client_options={"transport": lost_note, "max_retries": 0})
    _opened(qtbot, window, edited.uid)
    view = window.contact_view
    view.notes.input.setPlainText("Wants the annual plan")
    view.notes.submit()
    view.tags.input.setText("Hot Lead")
    qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: lost_note.held == 1 and stored_tag.held == 1, timeout=10_000)
    assert view.notes.input.toPlainText() == "" and view.tags.input.text() == ""  # both on their way
    path = _dies(qtbot, window)
    stored_tag.release()
    assert on_server(qtbot, account, uid=edited.uid).tags == ("Hot Lead",)

    again = open_window(qtbot, account)
    box = _offer(qtbot, again)
    assert "what was on its way to Ana Lima (checked against the server)" in box.text()
    _answer(box, "Restore")
    view = again.contact_view
    qtbot.waitUntil(lambda: view.current_uid() == edited.uid, timeout=15_000)
    assert view.notes.input.toPlainText() == "Wants the annual plan"
    assert view.tags.input.text() == ""  # stored: adding it again would do nothing
    assert on_server(qtbot, account, uid=edited.uid).notes == ()
    close_window(qtbot, again)
    # Now a note typed and not added, as any other: kept as such, no longer as sent.
    assert UnsavedWork.from_json(path.read_text(encoding="utf-8")).drafts == (
        Draft(edited.uid, "Ana Lima", note="Wants the annual plan"),
    )


def test_a_note_stored_just_before_the_end_is_not_offered_again(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (edited,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com"})
    window = open_window(qtbot, account)
    _opened(qtbot, window, edited.uid)
    view = window.contact_view
    assert window.unsaved is not None and window.unsaved.path is not None
    path = window.unsaved.path
    view.notes.input.setPlainText("Wants the annual plan")
    qtbot.waitUntil(path.exists, timeout=5_000)  # the typed note is kept
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    # The app ends straight after the answer, well within the second a typed change waits to be written.
    qtbot.waitUntil(lambda: not view.service.writes_in_flight(), timeout=5_000)
    assert not path.exists()
    close_window(qtbot, window)


def test_restored_work_waiting_for_its_contact_is_asked_about_before_it_can_go(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _edited = _city_typed_over(qtbot, account)
    path = _dies(qtbot, window)

    # The next start cannot reach the server: the contact cannot be read, so the edit waits for it.
    offline = open_window(qtbot, account, client_options={"transport": FailingTransport("GET /api/contact")})
    _answer(_offer(qtbot, offline), "Restore")
    qtbot.waitUntil(lambda: offline.banner.isVisible(), timeout=15_000)
    assert offline.contact_view.current_uid() is None
    assert offline.has_unsaved_changes()
    offline.sign_out_action.trigger()
    question = next(b for b in offline.contact_view.findChildren(QMessageBox, "draftsDialog") if b.isVisible())
    assert question.windowTitle() == "Work not saved"
    assert (
        question.text() == "Not added or saved yet: the work restored for Ana Lima, which is put back when you open it."
    )
    assert question.informativeText() == "Leave without it, or go back to it?"
    assert {button.text() for button in question.buttons()} == {"Leave without it", "Go back"}
    _answer(question, "Go back")
    qtbot.wait(100)
    assert "Olinda" in path.read_text(encoding="utf-8")
    close_window(qtbot, offline)


def test_after_a_search_start_the_caller_stays_open_and_restored_edits_wait_in_recent(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    edited, caller = create_contacts(
        qtbot,
        account,
        {"name": "Ana Lima", "email": "ana@example.com", "city": "Recife"},
        {"name": "Caller Costa", "email": "caller@example.com"},
    )
    window = open_window(qtbot, account)
    _opened(qtbot, window, edited.uid)
    _type_over(qtbot, _field(window, "city"), "Olinda")
    _dies(qtbot, window)

    again = open_window(qtbot, account)
    again.request_search("caller@example.com")  # what a phone tool's `crmdesk --search` asks at start
    qtbot.waitUntil(lambda: again.contact_view.current_uid() == caller.uid, timeout=15_000)
    _answer(_offer(qtbot, again), "Restore")
    qtbot.wait(300)
    view = again.contact_view
    assert view.current_uid() == caller.uid
    assert again.banner.text() == "Restored work waits for Ana Lima: open them from Recent to see it."
    _opened(qtbot, again, edited.uid)
    assert _field(again, "city").text() == "Olinda" and view.form.changes() == {"city": "Olinda"}
    close_window(qtbot, again)


def test_a_note_whose_answer_was_lost_comes_back_said_as_maybe_added(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    # Stored, its answer lost, and the contact could not be read to look: back in the box, "may have been added".
    window, uid = _send_note(qtbot, account, _NoteTrouble(answer="lost", reads_after="busy"))
    view = window.contact_view
    assert view.notes.input.toPlainText() == NOTE
    unsure = "This note may have been added before: its answer was lost. Check the notes before adding it again."
    assert view.notes._message.text() == unsure
    _dies(qtbot, window)

    again = open_window(qtbot, account)
    _answer(_offer(qtbot, again), "Restore")
    view = again.contact_view
    qtbot.waitUntil(lambda: view.current_uid() == uid, timeout=15_000)  # opened: its box holds restored work
    assert view.notes.input.toPlainText() == NOTE
    assert view.notes._message.text() == unsure  # still said: adding it again would keep it twice
    assert [note.text for note in on_server(qtbot, account, uid=uid).notes] == [NOTE]
    close_window(qtbot, again)


def test_a_repeated_note_lost_in_the_end_is_not_taken_for_the_older_one(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com"})

    async def monday() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.add_note("Left a voicemail", uid=ref.uid)

    run(qtbot, monday())
    lost_note = HeldTransport("POST /api/contact/note/add")
    window = open_window(qtbot, account, client_options={"transport": lost_note, "max_retries": 0})
    _opened(qtbot, window, ref.uid)
    window.contact_view.notes.input.setPlainText("Left a voicemail")  # Tuesday's, the same words
    window.contact_view.notes.submit()
    qtbot.waitUntil(lambda: lost_note.held == 1, timeout=10_000)
    _dies(qtbot, window)

    again = open_window(qtbot, account)
    _answer(_offer(qtbot, again), "Restore")
    view = again.contact_view
    qtbot.waitUntil(lambda: view.current_uid() == ref.uid, timeout=15_000)
    assert view.notes.input.toPlainText() == "Left a voicemail"
    assert view.notes._message.text().startswith("Sent as CRMDesk ended, this did not reach the server.")
    close_window(qtbot, again)


def test_a_stage_picked_and_lost_in_the_end_is_told(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com"})
    Registry.load("work").merge(stages=["New Lead", "Qualified"])
    lost_pick = HeldTransport("PUT /api/contact/stage")
    window = open_window(qtbot, account, client_options={"transport": lost_pick, "max_retries": 0})
    _opened(qtbot, window, ref.uid)
    stage = window.contact_view.findChild(QComboBox, "stageName")
    assert stage is not None
    stage.setCurrentIndex(stage.findData("Qualified"))
    qtbot.waitUntil(lambda: lost_pick.held == 1, timeout=10_000)
    _dies(qtbot, window)

    again = open_window(qtbot, account)
    box = _offer(qtbot, again)
    assert "what was on its way to Ana Lima (checked against the server)" in box.text()
    _answer(box, "Restore")
    view = again.contact_view
    qtbot.waitUntil(lambda: view.current_uid() == ref.uid, timeout=15_000)
    assert view.form_status.text() == "Stage “Qualified” was being set as CRMDesk ended and did not reach the server."
    assert view.stage_combo.currentData() != "Qualified"  # nothing is sent by itself: the rep picks again
    close_window(qtbot, again)


def test_edits_restored_into_the_open_contact_keep_what_the_rep_typed_since(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, edited = _city_typed_over(qtbot, account)
    path = _dies(qtbot, window)
    work = UnsavedWork.from_json(path.read_text(encoding="utf-8"))

    again = open_window(qtbot, account)
    _answer(_offer(qtbot, again), "Discard")
    _opened(qtbot, again, edited.uid)
    _type_over(qtbot, _field(again, "phone"), "+55 81 99999 0000")
    again.contact_view.restore_work(work)  # as when the restored contact's read arrives after the rep typed
    assert again.contact_view.form.changes() == {"city": "Olinda", "phone": "+55 81 99999 0000"}
    close_window(qtbot, again)


def test_a_new_contact_restored_while_a_caller_is_open_waits_for_new_contact(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (caller,) = create_contacts(qtbot, account, {"name": "Caller Costa", "email": "caller@example.com"})
    window = open_window(qtbot, account)
    window.new_contact_action.trigger()
    _type_over(qtbot, _field(window, "firstName"), "Bruna")
    _type_over(qtbot, _field(window, "email"), "bruna@example.com")
    _dies(qtbot, window)

    again = open_window(qtbot, account)
    again.request_search("caller@example.com")
    qtbot.waitUntil(lambda: again.contact_view.current_uid() == caller.uid, timeout=15_000)
    _answer(_offer(qtbot, again), "Restore")
    view = again.contact_view
    assert view.current_uid() == caller.uid  # the caller stays
    assert again.banner.text() == "The restored new contact comes back with New contact (Ctrl+N)."
    # A contact made from a search meanwhile does not push the waiting form out of the file: a second crash
    # keeps both.
    view.start_create({"phone": "+55 81 98888 0000"})
    _type_over(qtbot, _field(again, "firstName"), "Carla")
    _dies(qtbot, again)
    third = open_window(qtbot, account)
    box = _offer(qtbot, third)
    assert "a new contact (Carla)" in box.text() and "a new contact (Bruna)" in box.text()
    _answer(box, "Restore")
    view = third.contact_view
    assert view.mode() == "create" and _field(third, "firstName").text() == "Carla"
    view.revert()  # Cancel: Carla's form goes (asked and discarded), and New contact brings Bruna's
    question = next(b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible())
    question.button(QMessageBox.StandardButton.Discard).click()
    third.new_contact_action.trigger()
    assert view.mode() == "create" and _field(third, "firstName").text() == "Bruna"
    assert _field(third, "email").text() == "bruna@example.com"
    close_window(qtbot, third)


def test_the_maybe_added_warning_goes_with_the_note_it_was_about(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, uid = _send_note(qtbot, account, _NoteTrouble(answer="lost", reads_after="busy"))
    view = window.contact_view
    view.notes.input.selectAll()
    qtbot.keyClicks(view.notes.input, "Asked for a call on Friday")  # another note now: no longer in doubt
    _dies(qtbot, window)

    again = open_window(qtbot, account)
    _answer(_offer(qtbot, again), "Restore")
    view = again.contact_view
    qtbot.waitUntil(lambda: view.current_uid() == uid, timeout=15_000)
    assert view.notes.input.toPlainText() == "Asked for a call on Friday"
    assert view.notes._message.isHidden()
    close_window(qtbot, again)


def test_the_restore_notice_goes_once_the_contact_it_points_to_opens(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, edited = _city_typed_over(qtbot, account)
    _dies(qtbot, window)

    slow_lookup = HeldTransport("GET /api/contact", limit=1)
    again = open_window(qtbot, account, client_options={"transport": slow_lookup})
    again.request_search("ana@example.com")  # a phone tool's start for the same contact, still on its way
    qtbot.waitUntil(lambda: slow_lookup.held == 1, timeout=10_000)
    _answer(_offer(qtbot, again), "Restore")
    assert again.banner.isVisible() and "Ana Lima" in again.banner.text()
    slow_lookup.release()
    qtbot.waitUntil(lambda: again.contact_view.current_uid() == edited.uid, timeout=15_000)
    assert _field(again, "city").text() == "Olinda"
    assert not again.banner.isVisible()  # it pointed to Recent for a contact now on screen
    close_window(qtbot, again)


def test_each_maybe_added_note_keeps_its_warning_while_the_box_holds_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com"})
    window = open_window(qtbot, account)
    _opened(qtbot, window, ref.uid)
    view = window.contact_view
    first, second = "Sent the price list.", "Sent the contract draft."
    # Two notes whose answers were lost, both back in the box, from an earlier run.
    view.restore_work(
        UnsavedWork(drafts=(Draft(ref.uid, "Ana Lima", note=f"{first}\n\n{second}", unsure_notes=(first, second)),))
    )
    assert not view.notes._message.isHidden()
    view.notes.input.setPlainText(second)  # the rep found the first stored, and took it out of the box

    def kept_unsure() -> tuple[str, ...]:
        return next(d.unsure_notes for d in view.unsaved_work().drafts if d.uid == ref.uid)

    assert kept_unsure() == (second,)  # still in doubt: a crash now must not drop the warning
    view.notes.input.setPlainText("Asked for a call on Friday")
    assert kept_unsure() == ()
    close_window(qtbot, window)
