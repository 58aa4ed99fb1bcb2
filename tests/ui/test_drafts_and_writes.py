"""What the rep typed or sent for one contact stays with that contact when they open the next one.

A note or tag typed but not added waits for the rep's return (and is asked about before the window goes); a
note, tag or stage change still on its way finishes, and if it fails, says so and gives the text back to the
contact it was for.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import cast

import httpx
import pytest
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.errors import NotFoundError
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account
from tests.ui.contact_support import FailingTransport, HeldTransport, child
from tests.ui.shell_support import close_window, create_contacts, on_server, open_window, run


def _open(qtbot: QtBot, window: MainWindow, email: str, uid: str) -> None:
    window.request_search(email)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == uid)


def _two(qtbot: QtBot, account: Account) -> tuple[str, str]:
    alice, bob = create_contacts(
        qtbot,
        account,
        {"name": "Alice Alpha", "email": "alice@example.com", "stageName": "New Lead"},
        {"name": "Bob Beta", "email": "bob@example.com", "stageName": "New Lead"},
    )
    return alice.uid, bob.uid


def _alice_with_slow_writes(
    qtbot: QtBot, account: Account, slow: HeldTransport, *, demo: bool = False, **client_options: object
) -> tuple[MainWindow, str, str]:
    """Alice open in a window (of a demo session, with ``demo``) whose ``slow`` requests wait from now on until
    ``slow.release()``."""
    alice, bob = _two(qtbot, account)
    slow.release()
    window = open_window(qtbot, account, demo=demo, client_options={"transport": slow, **client_options})
    window.registry.merge(stages=["New Lead", "Qualified"])
    _open(qtbot, window, "alice@example.com", alice)
    slow.hold()
    return window, alice, bob


def _alice_saving_slowly(qtbot: QtBot, account: Account) -> tuple[MainWindow, str, str, HeldTransport]:
    """Alice open, her last name edited to Alpha-Souza and saved: the save waits until ``slow.release()``."""
    slow = HeldTransport("PUT /api/contact")
    window, alice, bob = _alice_with_slow_writes(qtbot, account, slow)
    cast(QLineEdit, window.contact_view.form.editor("lastName")).setText("Alpha-Souza")
    window.contact_view.save()
    qtbot.waitUntil(lambda: slow.held == 1)
    return window, alice, bob, slow


def _failing_slow_notes() -> HeldTransport:
    """Notes that wait until released, then fail with a 500."""
    return HeldTransport("POST /api/contact/note/add", inner=FailingTransport("POST /api/contact/note/add"))


def _send_note_that_waits(qtbot: QtBot, window: MainWindow, slow: HeldTransport) -> None:
    """Add the note "Called: wants the premium plan" to the open contact; its request waits in ``slow``."""
    view = window.contact_view
    view.notes.input.setPlainText("Called: wants the premium plan")
    view.notes.submit()
    qtbot.waitUntil(lambda: slow.held >= 1)


def _alice_with_a_note_that_will_fail(qtbot: QtBot, account: Account) -> tuple[MainWindow, str, str, HeldTransport]:
    """Alice open, with a note on its way that waits until ``slow.release()`` and then fails (no retries)."""
    slow = _failing_slow_notes()
    window, alice, bob = _alice_with_slow_writes(qtbot, account, slow, max_retries=0)
    _send_note_that_waits(qtbot, window, slow)
    return window, alice, bob, slow


def test_a_note_and_a_tag_typed_for_one_contact_wait_for_it_and_never_follow_to_the_next(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    alice, bob = _two(qtbot, account)
    window = open_window(qtbot, account)
    view = window.contact_view
    _open(qtbot, window, "alice@example.com", alice)
    view.notes.input.setPlainText("Alice wants the premium plan")
    view.tags.input.setText("Premium")

    _open(qtbot, window, "bob@example.com", bob)  # nothing in the form changed: no question
    assert view.notes.input.toPlainText() == "" and view.tags.input.text() == ""
    view.notes.input.setPlainText("Bob calls back on Monday")

    _open(qtbot, window, "alice@example.com", alice)
    assert view.notes.input.toPlainText() == "Alice wants the premium plan"
    assert view.tags.input.text() == "Premium"
    _open(qtbot, window, "bob@example.com", bob)
    assert view.notes.input.toPlainText() == "Bob calls back on Monday" and view.tags.input.text() == ""
    server_bob = on_server(qtbot, account, uid=bob)
    assert server_bob.notes == () and server_bob.tags == ()
    close_window(qtbot, window)


def test_closing_with_a_note_typed_but_not_added_asks_first(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    alice, bob = _two(qtbot, account)
    window = open_window(qtbot, account)
    view = window.contact_view
    _open(qtbot, window, "alice@example.com", alice)
    view.notes.input.setPlainText("Alice wants the premium plan")
    _open(qtbot, window, "bob@example.com", bob)  # the draft is Alice's now, kept out of sight

    window.close()
    box = view.findChild(QMessageBox, "draftsDialog")
    assert box is not None and box.isVisible()
    assert box.text() == "You typed a note for Alice Alpha and did not add it."
    next(button for button in box.buttons() if button.text() == "Go back").click()
    assert window.isVisible()
    _open(qtbot, window, "alice@example.com", alice)
    assert view.notes.input.toPlainText() == "Alice wants the premium plan"

    window.close()
    box = view.findChild(QMessageBox, "draftsDialog")
    assert box is not None and box.isVisible()
    leave = next(button for button in box.buttons() if button.text() == "Leave without adding")
    leave.click()
    qtbot.waitUntil(lambda: not window.isVisible())
    close_window(qtbot, window)


def test_writes_sent_for_a_contact_finish_after_the_rep_opens_the_next(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport(("POST /api/contact/note/add", "POST /api/contact/tag/add", "PUT /api/contact/stage"))
    window, alice, bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    said: list[str] = []
    view.status_message.connect(said.append)
    view.notes.input.setPlainText("Called: wants the premium plan")
    view.notes.submit()
    view.tags.input.setText("Premium")
    view.tags.input.returnPressed.emit()
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
    qtbot.waitUntil(lambda: slow.held == 3)

    _open(qtbot, window, "bob@example.com", bob)  # straight after the call, the next one
    slow.release()
    qtbot.waitUntil(lambda: on_server(qtbot, account, uid=alice).stageName == "Qualified")
    qtbot.waitUntil(lambda: len(on_server(qtbot, account, uid=alice).notes) == 1)
    stored = on_server(qtbot, account, uid=alice)
    assert [note.text for note in stored.notes] == ["Called: wants the premium plan"] and stored.tags == ("Premium",)
    # Each answer says whose it was, and Bob's page is untouched by them.
    qtbot.waitUntil(lambda: len(said) == 3)
    assert sorted(said) == ["Note added to Alice Alpha", "Stage of Alice Alpha set to Qualified",
                            "Tag “Premium” added to Alice Alpha"]  # fmt: skip
    assert view.current_uid() == bob and view.stage_combo.currentData() == "New Lead"
    assert [chip.name for chip in view.tags.chips()] == [] and view.notes.entry_widgets() == []
    assert window._banner is None or not window.banner.isVisible()
    close_window(qtbot, window)


def test_a_note_that_fails_after_the_rep_left_its_contact_is_kept_for_that_contact(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, alice, bob, slow = _alice_with_a_note_that_will_fail(qtbot, account)
    view = window.contact_view
    _open(qtbot, window, "bob@example.com", bob)
    slow.release()

    qtbot.waitUntil(lambda: window._banner is not None and window.banner.isVisible())
    assert window.banner.text().startswith("The note for Alice Alpha was not added: it is back in their note box.")
    assert view.notes.input.toPlainText() == ""  # not on Bob's page
    _open(qtbot, window, "alice@example.com", alice)
    assert view.notes.input.toPlainText() == "Called: wants the premium plan"
    close_window(qtbot, window)


def test_tags_that_fail_after_the_rep_left_their_contact_all_wait_in_its_tag_box(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    route = "POST /api/contact/tag/add"
    failing = FailingTransport(route, times=10)
    slow = HeldTransport(route, inner=failing)
    window, alice, bob = _alice_with_slow_writes(qtbot, account, slow, max_retries=0)
    view = window.contact_view
    view.tags.input.setText("VIP, Fair 2025")
    view.tags.input.returnPressed.emit()
    qtbot.waitUntil(lambda: slow.held == 2)
    _open(qtbot, window, "bob@example.com", bob)
    slow.release()
    qtbot.waitUntil(lambda: failing.failed == 2 and not view.service.writes_in_flight())
    assert view.tags.input.text() == ""  # not on Bob's page
    _open(qtbot, window, "alice@example.com", alice)
    assert {part.strip() for part in view.tags.input.text().split(",")} == {"VIP", "Fair 2025"}
    close_window(qtbot, window)


def test_a_note_that_fails_for_a_contact_deleted_meanwhile_is_not_kept_for_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _alice, _bob, slow = _alice_with_a_note_that_will_fail(qtbot, account)
    view = window.contact_view
    view.confirm_delete()
    box = view.findChild(QMessageBox, "deleteDialog")
    assert box is not None
    next(button for button in box.buttons() if button.text() == "Delete").click()
    qtbot.waitUntil(lambda: view.mode() == "empty")
    slow.release()
    qtbot.waitUntil(lambda: window._banner is not None and window.banner.isVisible())
    assert view.unsent_drafts() == []  # closing will not ask about a note for a contact that is gone
    close_window(qtbot, window)


def test_a_tag_still_on_its_way_stays_on_show_when_a_note_reloads_the_contact(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("POST /api/contact/tag/add")
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    view.tags.input.setText("Hot Lead")
    view.tags.input.returnPressed.emit()
    qtbot.waitUntil(lambda: slow.held == 1)
    view.notes.input.setPlainText("Sent the proposal")
    view.notes.submit()
    qtbot.waitUntil(
        lambda: len(view.notes.entry_widgets()) == 1 and window.statusBar().currentMessage() == "Note added"
    )
    assert [(chip.name, chip.pending) for chip in view.tags.chips()] == [("Hot Lead", True)]

    slow.release()
    qtbot.waitUntil(lambda: [(chip.name, chip.pending) for chip in view.tags.chips()] == [("Hot Lead", False)])
    close_window(qtbot, window)


def _waiting(window: MainWindow) -> str:
    """What the status bar's notice of a close or sign-out waiting for the last writes says ("" when none)."""
    notice = window.findChild(QWidget, "waitingNotice")
    label = window.findChild(QLabel, "waitingText")
    return label.text() if notice is not None and label is not None and notice.isVisible() else ""


def _leave_now_button(window: MainWindow) -> QPushButton:
    """The waiting notice's "Close now" (or "Sign out now") button."""
    button = window.findChild(QPushButton, "leaveNow")
    assert button is not None
    return button


def _closed_while_a_note_waits(qtbot: QtBot, account: Account) -> tuple[MainWindow, str, HeldTransport]:
    """Alice's window, closed straight after a note's request set out (held until ``release``): still open,
    waiting for the note. Returns the window, Alice's uid and the transport holding the note."""
    slow = HeldTransport("POST /api/contact/note/add")
    window, alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    _send_note_that_waits(qtbot, window, slow)
    window.close()
    assert window.isVisible() and _waiting(window) == "Closing once the last change reaches the server… (1 left)"
    return window, alice, slow


def test_closing_while_a_note_is_on_its_way_waits_for_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, alice, slow = _closed_while_a_note_waits(qtbot, account)
    slow.release()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert [note.text for note in on_server(qtbot, account, uid=alice).notes] == ["Called: wants the premium plan"]
    close_window(qtbot, window)


def test_a_later_start_while_the_close_waits_for_a_note_keeps_the_window_open(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    # The rep quit during a note's request, and a phone tool started CRMDesk again for a call: the window that was
    # only waiting to close takes the search, and must stay (it used to close a moment later, search and all).
    window, alice, slow = _closed_while_a_note_waits(qtbot, account)
    window.keep_open()  # what the app does with a later start's request (AppController.answer_later_start)
    assert _waiting(window) == ""
    slow.release()
    qtbot.waitUntil(lambda: [note.text for note in on_server(qtbot, account, uid=alice).notes] != [])
    qtbot.wait(200)
    assert window.isVisible()
    close_window(qtbot, window)


def test_closing_again_while_waiting_keeps_waiting_and_later_closes_still_ask(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, alice, slow = _closed_while_a_note_waits(qtbot, account)
    window.close()  # impatient: a second close used to close from inside the first, which Qt ignores
    assert window.isVisible()
    assert _waiting(window) == "Closing once the last change reaches the server… (1 left)"
    slow.release()
    qtbot.waitUntil(lambda: not window.isVisible())  # it closed once the note was in
    assert [note.text for note in on_server(qtbot, account, uid=alice).notes] == ["Called: wants the premium plan"]
    close_window(qtbot, window)


def test_a_close_asked_while_a_sign_out_waits_does_not_replace_the_sign_out(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("POST /api/contact/note/add")
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    _send_note_that_waits(qtbot, window, slow)
    signed_out: list[bool] = []
    window.sign_out_requested.connect(lambda: signed_out.append(True))
    window.sign_out()
    window.close()  # quitting without the sign-out would leave the token stored
    assert _waiting(window) == "Signing out once the last change reaches the server… (1 left)"
    window.keep_open()  # a later start's request goes to the next window instead
    assert window.signing_out()
    slow.release()
    qtbot.waitUntil(lambda: signed_out == [True])
    close_window(qtbot, window)


def test_a_close_asked_while_a_sign_out_waits_for_a_save_does_not_replace_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _alice, _bob, slow = _alice_saving_slowly(qtbot, account)
    signed_out: list[bool] = []
    window.sign_out_requested.connect(lambda: signed_out.append(True))
    window.sign_out()
    window.close()
    slow.release()
    qtbot.waitUntil(lambda: signed_out == [True])
    close_window(qtbot, window)


def test_of_the_ways_of_leaving_asked_during_a_save_the_weightiest_and_latest_is_taken(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("PUT /api/contact")
    window, _alice, bob = _alice_with_slow_writes(qtbot, account, slow)
    [carol] = create_contacts(qtbot, account, {"name": "Carol Gamma", "email": "carol@example.com"})
    view = window.contact_view

    def save_slowly() -> None:
        cast(QLineEdit, view.form.editor("lastName")).setText(view.form.values()["lastName"] + "-Souza")
        view.save()
        qtbot.waitUntil(lambda: slow.held == 1)

    # The contact searched last opens, not the one before it.
    save_slowly()
    for email in ("bob@example.com", "carol@example.com"):
        window.request_search(email)
        qtbot.waitUntil(lambda: not window.search.is_busy())
    slow.release()
    qtbot.waitUntil(lambda: view.current_uid() == carol.uid)
    # A sign-out asked after opening another contact is not dropped for it.
    slow.hold()
    save_slowly()
    signed_out: list[bool] = []
    window.sign_out_requested.connect(lambda: signed_out.append(True))
    window.open_uid(bob)
    window.sign_out()
    slow.release()
    qtbot.waitUntil(lambda: signed_out == [True])
    close_window(qtbot, window)


def test_closing_while_a_save_is_on_its_way_waits_for_it_instead_of_asking(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, alice, _bob, slow = _alice_saving_slowly(qtbot, account)
    view = window.contact_view
    window.close()
    # "Save the changes?" with Discard would offer to drop what is already on its way.
    assert not view.findChildren(QMessageBox, "unsavedDialog") and window.isVisible()
    slow.release()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert on_server(qtbot, account, uid=alice).lastName == "Alpha-Souza"
    close_window(qtbot, window)


def test_a_note_that_fails_while_the_window_waits_to_close_is_asked_about(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _alice, _bob, slow = _alice_with_a_note_that_will_fail(qtbot, account)
    view = window.contact_view
    window.close()
    cast(QLineEdit, view.form.editor("lastName")).setText("Alpha-Souza")  # the window still works while it waits
    slow.release()

    # The note is back in its box and the name is unsaved: leaving asks, as it would have without the wait.
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox, "unsavedDialog")))
    assert window.isVisible() and view.notes.input.toPlainText() == "Called: wants the premium plan"
    child(view, QMessageBox, "unsavedDialog").button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and view.has_unsaved_changes()
    close_window(qtbot, window)


# --- A slow link: answers that come late, requests that take a while on their way ---------------------------------


def _delete_held(qtbot: QtBot, window: MainWindow, slow: HeldTransport) -> None:
    """Delete the open contact, as the rep does (Delete, then the dialog's Delete); its request waits in ``slow``."""
    view = window.contact_view
    view.confirm_delete()
    box = view.findChild(QMessageBox, "deleteDialog")
    assert box is not None
    next(button for button in box.buttons() if button.text() == "Delete").click()
    qtbot.waitUntil(lambda: slow.held == 1)


def _closed_while_a_failing_deletion_waits(qtbot: QtBot, account: Account) -> tuple[MainWindow, str, HeldTransport]:
    """Alice deleted, the deletion held in the transport returned (it fails once released), and the window closed
    meanwhile: it waits. Returns the window, Alice's uid and the transport."""
    route = "DELETE /api/contact"
    slow = HeldTransport(route, inner=FailingTransport(route, times=10))
    window, alice, _bob = _alice_with_slow_writes(qtbot, account, slow, max_retries=0)
    _delete_held(qtbot, window, slow)
    window.close()
    return window, alice, slow


def _shown_notes(window: MainWindow) -> list[str]:
    return [entry.text_label.text() for entry in window.contact_view.notes.entry_widgets()]


def test_a_notes_read_answered_late_does_not_hide_notes_and_tags_confirmed_since(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The read after the first note is served at once and answered late (a slow link); the second note and a
    tag are stored and confirmed meanwhile. That read took the notes and tags wholesale: both vanished from the
    page, and a rep would add them again, for good (notes cannot be removed)."""
    slow = HeldTransport("GET /api/contact", late_answer=True, after=1, limit=1)  # the read after the first note
    window, alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    view.notes.input.setPlainText("First call: no answer")
    view.notes.submit()
    qtbot.waitUntil(lambda: slow.held == 1)
    view.notes.input.setPlainText("Called back: wants a demo")
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    view.tags.input.setText("Hot Lead")
    with qtbot.waitSignal(view.service.tag_added, timeout=10_000):
        view.tags.input.returnPressed.emit()
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        slow.release()  # the first note's read, which holds only the first note and no tag
    assert _shown_notes(window) == ["Called back: wants a demo", "First call: no answer"]  # newest first
    assert [(chip.name, chip.pending) for chip in view.tags.chips()] == [("Hot Lead", False)]
    held = view.service.current
    assert held is not None and len(held.notes) == 2 and held.tags == ("Hot Lead",)
    stored = on_server(qtbot, account, uid=alice)
    assert len(stored.notes) == 2 and stored.tags == ("Hot Lead",)
    close_window(qtbot, window)


def test_coming_back_to_a_contact_shows_its_note_on_its_way_and_then_stored_even_from_an_older_read(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The rep adds a note to Alice, opens Bob, and goes back to Alice. The read that shows Alice again was served
    before the note was stored and answered after: Alice showed no note, on its way or stored, and the rep typed
    it again."""
    note_on_its_way = HeldTransport("POST /api/contact/note/add")
    late_read = HeldTransport("GET /api/contact", inner=note_on_its_way, late_answer=True, limit=1)
    alice, bob = _two(qtbot, account)
    note_on_its_way.release()
    late_read.release()
    window = open_window(qtbot, account, client_options={"transport": late_read})
    _open(qtbot, window, "alice@example.com", alice)
    note_on_its_way.hold()
    view = window.contact_view
    view.notes.input.setPlainText("Called: wants the premium plan")
    view.notes.submit()
    qtbot.waitUntil(lambda: note_on_its_way.held == 1)
    _open(qtbot, window, "bob@example.com", bob)

    _open(qtbot, window, "alice@example.com", alice)  # back while the note is on its way
    assert [(entry.text_label.text(), entry.time_label.text()) for entry in view.notes.entry_widgets()] == [
        ("Called: wants the premium plan", "Sending…")
    ]
    _open(qtbot, window, "bob@example.com", bob)
    late_read.hold()
    window.request_search("alice@example.com")  # served now, before the note is stored; answered late
    qtbot.waitUntil(lambda: late_read.held == 1)
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        note_on_its_way.release()
    late_read.release()
    qtbot.waitUntil(lambda: view.current_uid() == alice)
    assert _shown_notes(window) == ["Called: wants the premium plan"]
    assert all(entry.time_label.text() != "Sending…" for entry in view.notes.entry_widgets())
    close_window(qtbot, window)


def test_a_deletion_on_its_way_is_neither_called_off_by_opening_another_contact_nor_by_closing(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("DELETE /api/contact")
    window, alice, bob = _alice_with_slow_writes(qtbot, account, slow)
    _delete_held(qtbot, window, slow)
    _open(qtbot, window, "bob@example.com", bob)  # the rep moves on at once
    window.close()  # and quits: the window waits for the deletion, as for a note
    assert window.isVisible()
    slow.release()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)

    async def gone() -> bool:
        async with ContactApi(account.base_url, account.token) as api:
            try:
                await api.get_contact(uid=alice)
            except NotFoundError:
                return True
            return False

    assert run(qtbot, gone())
    close_window(qtbot, window)


def test_a_stage_on_its_way_stays_picked_when_a_save_answers_first(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """A save's answer, read before the stage change was stored, put the old stage back in the dropdown for the
    seconds the change took: it looked as if the change had failed, and a re-pick would cancel it."""
    slow = HeldTransport("PUT /api/contact/stage")
    window, alice, bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
    qtbot.waitUntil(lambda: slow.held == 1)
    cast(QLineEdit, view.form.editor("city")).setText("Olinda")
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save()
    assert view.stage_combo.currentData() == "Qualified"
    _open(qtbot, window, "bob@example.com", bob)
    assert view.stage_combo.currentData() == "New Lead"  # Bob's own stage, not Alice's change on its way
    _open(qtbot, window, "alice@example.com", alice)
    assert view.stage_combo.currentData() == "Qualified"
    with qtbot.waitSignal(view.service.field_changed, timeout=10_000):
        slow.release()
    assert view.stage_combo.currentData() == "Qualified"
    assert on_server(qtbot, account, uid=alice).stageName == "Qualified"
    close_window(qtbot, window)


def test_the_wait_to_close_stays_said_with_what_is_left_until_it_is_over(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """Each answer's own status message (5 s) and a retry's countdown replaced "Closing once…": on a slow link the
    window looked as if the close had been ignored, for as long as it waited."""
    slow = HeldTransport(("POST /api/contact/note/add", "POST /api/contact/tag/add"))
    window, alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    _send_note_that_waits(qtbot, window, slow)
    view.tags.input.setText("Hot Lead")
    view.tags.input.returnPressed.emit()
    qtbot.waitUntil(lambda: slow.held == 2)
    window.close()
    assert _waiting(window) == "Closing once the last change reaches the server… (2 left)"
    view.status_message.emit("Stage set to Qualified")  # any other message meanwhile
    assert _waiting(window) == "Closing once the last change reaches the server… (2 left)"
    button = _leave_now_button(window)
    assert button.isVisible() and button.text() == "Close now"
    slow.release()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert len(on_server(qtbot, account, uid=alice).notes) == 1
    close_window(qtbot, window)


def test_close_now_asks_first_and_keep_waiting_keeps_waiting(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _alice, slow = _closed_while_a_note_waits(qtbot, account)
    button = _leave_now_button(window)
    for answer, closed in (("Keep waiting", False), ("Close now", True)):
        button.click()
        box = next(box for box in window.findChildren(QMessageBox, "leaveNowDialog") if box.isVisible())
        assert box.text().startswith("1 change(s) have not reached the server yet.")
        next(choice for choice in box.buttons() if choice.text() == answer).click()
        qtbot.waitUntil(partial(lambda shown: window.isVisible() == shown, not closed))
    # The rep chose to go: the window closed with the note still on its way (the app then stops it).
    assert window.contact_view.service.writes_in_flight() == 1
    slow.release()
    qtbot.waitUntil(lambda: window.contact_view.service.writes_in_flight() == 0)  # its connection closed with it
    close_window(qtbot, window)


def test_typing_into_a_field_locked_for_a_slow_save_is_told_not_swallowed(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The fields stay locked while a save is on its way (nothing typed meanwhile can be lost), but they look and
    take focus as ever: on a slow link a rep typed a whole address that never appeared, without a word."""
    window, _alice, _bob, slow = _alice_saving_slowly(qtbot, account)
    view = window.contact_view
    address = cast(QLineEdit, view.form.editor("address"))
    qtbot.keyClicks(address, "Rua das Flores 12")
    assert address.text() == ""
    assert view.form_status.text() == "Saving… the fields take typing again once it is saved."
    slow.release()
    qtbot.waitUntil(lambda: view.form_status.text() == "Saved", timeout=10_000)
    qtbot.keyClicks(address, "Rua das Flores 12")  # unlocked: typing is taken, and the lock is not mentioned
    assert address.text() == "Rua das Flores 12" and "Saving" not in view.form_status.text()
    close_window(qtbot, window)


def _note_held_and_late_read(
    qtbot: QtBot, account: Account
) -> tuple[MainWindow, str, str, HeldTransport, HeldTransport]:
    """Alice open in a window whose notes wait in the first transport returned and whose next read, once that
    one holds, is served at once and answered late."""
    note_on_its_way = HeldTransport("POST /api/contact/note/add")
    late_read = HeldTransport("GET /api/contact", inner=note_on_its_way, late_answer=True, limit=1)
    alice, bob = _two(qtbot, account)
    note_on_its_way.release()
    late_read.release()
    window = open_window(qtbot, account, client_options={"transport": late_read})
    _open(qtbot, window, "alice@example.com", alice)
    note_on_its_way.hold()
    return window, alice, bob, note_on_its_way, late_read


def _voicemail_twice(qtbot: QtBot, account: Account) -> tuple[MainWindow, str, str, HeldTransport]:
    """Alice open, yesterday's "Left voicemail" stored, and today's, in the same words, on its way (held in the
    transport returned)."""
    window, alice, bob, note_on_its_way, _late_read = _note_held_and_late_read(qtbot, account)
    view = window.contact_view
    note_on_its_way.release()
    view.notes.input.setPlainText("Left voicemail")
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()  # yesterday's
    note_on_its_way.hold()
    view.notes.input.setPlainText("Left voicemail")
    view.notes.submit()  # today's, on its way
    qtbot.waitUntil(lambda: note_on_its_way.held == 1)
    return window, alice, bob, note_on_its_way


def _voicemail_stored(qtbot: QtBot, window: MainWindow, note_on_its_way: HeldTransport) -> None:
    """Today's note gets through: both show, neither as on its way; then the window closes."""
    view = window.contact_view
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        note_on_its_way.release()
    assert len(_shown_notes(window)) == 2 and "Sending…" not in [
        e.time_label.text() for e in view.notes.entry_widgets()
    ]
    close_window(qtbot, window)


def test_a_lookup_of_the_open_contact_answered_late_does_not_hide_its_note_just_added(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """A phone tool's --search for a call-back, or the rep searching the contact already open, while a note is on
    its way: served before the note was stored and answered after, the lookup showed the contact without it."""
    window, alice, _bob, note_on_its_way, late_read = _note_held_and_late_read(qtbot, account)
    view = window.contact_view
    view.notes.input.setPlainText("Called: wants the premium plan")
    view.notes.submit()
    qtbot.waitUntil(lambda: note_on_its_way.held == 1)
    late_read.hold()
    window.request_search("alice@example.com")
    qtbot.waitUntil(lambda: late_read.held == 1)
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        note_on_its_way.release()
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):  # the open contact is read again
        late_read.release()
    assert view.current_uid() == alice and _shown_notes(window) == ["Called: wants the premium plan"]
    close_window(qtbot, window)


def test_a_note_on_its_way_shows_on_return_even_beside_an_older_note_with_the_same_words(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, alice, bob, note_on_its_way = _voicemail_twice(qtbot, account)
    view = window.contact_view
    _open(qtbot, window, "bob@example.com", bob)
    _open(qtbot, window, "alice@example.com", alice)
    times = [entry.time_label.text() for entry in view.notes.entry_widgets()]
    assert len(times) == 2 and times[0] == "Sending…"  # newest first: today's, then yesterday's
    _voicemail_stored(qtbot, window, note_on_its_way)


def _close_now_with_an_edit(qtbot: QtBot, account: Account) -> tuple[MainWindow, HeldTransport]:
    """A close waiting for a note (held in the transport returned), an edit typed meanwhile, then "Close now" and
    its confirmation: the ordinary questions about the edit come next."""
    window, _alice, slow = _closed_while_a_note_waits(qtbot, account)
    cast(QLineEdit, window.contact_view.form.editor("lastName")).setText("Alpha-Souza")
    button = _leave_now_button(window)
    button.click()
    box = next(box for box in window.findChildren(QMessageBox, "leaveNowDialog") if box.isVisible())
    next(choice for choice in box.buttons() if choice.text() == "Close now").click()
    return window, slow


def test_close_now_asks_about_edits_and_drafts_typed_while_waiting(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The window stays usable while it waits: an edit or a note typed meanwhile went with "Close now" unasked."""
    window, slow = _close_now_with_an_edit(qtbot, account)
    view = window.contact_view
    qtbot.waitUntil(lambda: view.findChild(QMessageBox, "unsavedDialog") is not None)
    unsaved = view.findChild(QMessageBox, "unsavedDialog")
    assert unsaved is not None and unsaved.isVisible() and window.isVisible()
    unsaved.reject()  # Cancel: the rep goes back to the edit; the window keeps waiting
    qtbot.wait(50)
    assert window.isVisible() and _waiting(window).startswith("Closing once")
    slow.release()
    qtbot.waitUntil(lambda: view.service.writes_in_flight() == 0)
    close_window(qtbot, window)


def test_a_close_waiting_for_a_deletion_that_fails_stays_with_the_failure_said(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, alice, slow = _closed_while_a_failing_deletion_waits(qtbot, account)
    slow.release()
    qtbot.waitUntil(lambda: window._banner is not None and window.banner.isVisible())
    qtbot.wait(100)
    assert window.isVisible() and "not deleted" in window.banner.text().lower()
    assert on_server(qtbot, account, uid=alice).uid == alice
    close_window(qtbot, window)


def test_leaving_a_new_contact_form_does_not_go_back_to_a_contact_just_deleted(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("DELETE /api/contact")
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    _delete_held(qtbot, window, slow)
    window.new_contact()
    with qtbot.waitSignal(view.service.deleted, timeout=10_000):
        slow.release()
    view.revert()  # leave the empty new-contact form
    assert view.mode() == "empty" and view.current_uid() is None
    close_window(qtbot, window)


def test_picking_the_stored_stage_back_while_the_first_pick_is_on_its_way_is_sent(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("PUT /api/contact/stage", limit=1)
    window, alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
    qtbot.waitUntil(lambda: slow.held == 1)
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("New Lead"))  # a slip: back to what it was
    slow.release()
    qtbot.waitUntil(lambda: view.service.writes_in_flight() == 0, timeout=10_000)
    qtbot.wait(100)
    assert view.stage_combo.currentData() == "New Lead"
    assert on_server(qtbot, account, uid=alice).stageName == "New Lead"
    close_window(qtbot, window)


def test_a_deletion_answered_after_the_rep_moved_on_leaves_the_open_contacts_results_line(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("DELETE /api/contact")
    window, _alice, bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    said: list[str] = []
    view.status_message.connect(said.append)
    _delete_held(qtbot, window, slow)
    _open(qtbot, window, "bob@example.com", bob)
    with qtbot.waitSignal(view.service.deleted, timeout=10_000):
        slow.release()
    assert view.current_uid() == bob and window.results_status.text() == "Found Bob Beta."
    assert "Deleted Alice Alpha" in said  # by name, not by its uid
    close_window(qtbot, window)


def test_leaving_the_demo_while_a_note_waits_says_leave_not_sign_out(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("POST /api/contact/note/add")
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow, demo=True)
    _send_note_that_waits(qtbot, window, slow)
    window.sign_out()
    assert _waiting(window) == "Leaving the demo once the last change reaches the server… (1 left)"
    button = _leave_now_button(window)
    assert button.text() == "Leave now"
    slow.release()
    qtbot.waitUntil(lambda: window.contact_view.service.writes_in_flight() == 0)
    close_window(qtbot, window)


def test_writes_ending_while_close_nows_question_is_open_ask_it_once_and_the_answer_decides(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, slow = _close_now_with_an_edit(qtbot, account)
    view = window.contact_view
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "unsavedDialog")))
    slow.release()  # the note gets through while the Save question is open
    qtbot.waitUntil(lambda: view.service.writes_in_flight() == 0)
    qtbot.wait(100)
    questions = [b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()]
    assert len(questions) == 1  # not a second copy of it
    questions[0].button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible())  # the answer decided
    close_window(qtbot, window)


class _FirstPickStoredSecondFails(httpx.AsyncBaseTransport):
    """Stage changes: the first reaches the server and its answer waits for ``gate``; the second fails (500)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.gate = asyncio.Event()
        self.seen = 0
        self.stored = False  # the first has been answered by the server (only its answer to the app waits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if f"{request.method} {request.url.path}" != "PUT /api/contact/stage":
            return await self.inner.handle_async_request(request)
        self.seen += 1
        if self.seen == 1:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            self.stored = True
            await self.gate.wait()
            return response
        await request.aread()
        return httpx.Response(500, json={"success": False, "error": "Internal error", "code": "SERVER_ERROR"})

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_pick_back_that_fails_after_the_first_pick_was_stored_shows_what_the_server_holds(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    trouble = _FirstPickStoredSecondFails()
    alice, _bob = _two(qtbot, account)
    window = open_window(qtbot, account, client_options={"transport": trouble, "max_retries": 0})
    window.registry.merge(stages=["New Lead", "Qualified"])
    _open(qtbot, window, "alice@example.com", alice)
    view = window.contact_view
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
    # Stored, not just set off: picked back before the server had it, the first would never be sent at all.
    qtbot.waitUntil(lambda: trouble.stored)
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("New Lead"))  # cancels the first: it was stored
    qtbot.waitUntil(lambda: window._banner is not None and window.banner.isVisible())
    assert on_server(qtbot, account, uid=alice).stageName == "Qualified"
    qtbot.waitUntil(lambda: view.stage_combo.currentData() == "Qualified", timeout=10_000)  # read again: the truth
    trouble.gate.set()
    close_window(qtbot, window)


def test_a_sign_out_waiting_for_a_stage_that_fails_still_signs_out(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """A rep walking away from a shared computer must not be left signed in: the banner says what failed."""
    route = "PUT /api/contact/stage"
    slow = HeldTransport(route, inner=FailingTransport(route, times=10))
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow, max_retries=0)
    view = window.contact_view
    signed_out: list[bool] = []
    window.sign_out_requested.connect(lambda: signed_out.append(True))
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
    qtbot.waitUntil(lambda: slow.held == 1)
    window.sign_out()
    slow.release()
    qtbot.waitUntil(lambda: signed_out == [True], timeout=10_000)
    close_window(qtbot, window)


def test_a_close_after_a_later_start_kept_the_window_is_judged_by_failures_since_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    route = "PUT /api/contact/stage"
    slow = HeldTransport("POST /api/contact/note/add", inner=FailingTransport(route, times=10))
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow, max_retries=0)
    view = window.contact_view
    _send_note_that_waits(qtbot, window, slow)
    window.close()
    window.keep_open()  # a later start wants the window after all
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
    qtbot.waitUntil(lambda: window._banner is not None and window.banner.isVisible())  # the stage failed
    window.close()  # the rep, having seen it, closes again while the note is still on its way
    slow.release()
    qtbot.waitUntil(lambda: not window.isVisible())
    close_window(qtbot, window)


def test_a_note_on_its_way_stays_so_through_a_reload_beside_an_older_note_with_the_same_words(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _alice, _bob, note_on_its_way = _voicemail_twice(qtbot, account)
    view = window.contact_view
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        view.reload()  # F5
    times = [entry.time_label.text() for entry in view.notes.entry_widgets()]
    assert len(times) == 2 and "Sending…" in times  # it vanished, and a rep would send it again, for good
    _voicemail_stored(qtbot, window, note_on_its_way)


def test_a_wait_to_close_is_spoken_and_so_is_a_close_called_off(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, screen_reader: list[tuple[str, bool]]
) -> None:
    """A screen reader's rep pressed Ctrl+Q while a note was on its way, and heard nothing: the quit looked ignored."""
    window, _alice, slow = _closed_while_a_failing_deletion_waits(qtbot, account)
    assert ("Closing once the last change reaches the server… (1 left)", False) in screen_reader
    button = _leave_now_button(window)
    assert button.accessibleDescription().startswith("Closing once")
    slow.release()
    qtbot.waitUntil(lambda: ("Not closed: a change did not reach the server.", True) in screen_reader)
    close_window(qtbot, window)


def _sign_out_now_with_an_edit(qtbot: QtBot, account: Account) -> tuple[MainWindow, HeldTransport, list[bool]]:
    """A sign-out waiting for a note (held in the transport returned), an edit typed meanwhile, then "Sign out now"
    and its confirmation: the Save question is open. The list records each sign-out requested."""
    slow = HeldTransport("POST /api/contact/note/add")
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    _send_note_that_waits(qtbot, window, slow)
    signed_out: list[bool] = []
    window.sign_out_requested.connect(lambda: signed_out.append(True))
    window.sign_out()
    cast(QLineEdit, view.form.editor("lastName")).setText("Alpha-Souza")
    button = _leave_now_button(window)
    button.click()
    box = next(box for box in window.findChildren(QMessageBox, "leaveNowDialog") if box.isVisible())
    next(choice for choice in box.buttons() if choice.text() == "Sign out now").click()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "unsavedDialog")))
    return window, slow, signed_out


def test_sign_out_now_cancelled_leaves_the_sign_out_waiting_and_asked_again_when_the_writes_are_in(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """Cancelled, "Sign out now" left the sign-out promised by the notice and never done: the token stayed."""
    window, slow, signed_out = _sign_out_now_with_an_edit(qtbot, account)
    view = window.contact_view
    next(b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()).reject()  # Cancel
    assert _waiting(window).startswith("Signing out once")
    slow.release()  # the note is in: the sign-out it waited for goes on, asking about the edit again
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "unsavedDialog")))
    next(b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()).button(
        QMessageBox.StandardButton.Discard
    ).click()
    qtbot.waitUntil(lambda: signed_out == [True])
    close_window(qtbot, window)


def test_a_close_waiting_for_a_save_says_so_until_the_save_is_in(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, screen_reader: list[tuple[str, bool]]
) -> None:
    """ "Saving the changes first…" was a status message: the next answer's own replaced it within seconds."""
    window, alice, _bob, slow = _alice_saving_slowly(qtbot, account)
    view = window.contact_view
    window.close()
    notice = window.findChild(QWidget, "waitingNotice")
    label = window.findChild(QLabel, "waitingText")
    assert notice is not None and label is not None and notice.isVisible()
    assert label.text() == "Saving the changes first…" and ("Saving the changes first…", False) in screen_reader
    view.status_message.emit("Tag “VIP” added to Bob Beta")  # any other message meanwhile
    assert notice.isVisible() and label.text() == "Saving the changes first…"
    button = _leave_now_button(window)
    assert not button.isVisible()  # nothing to leave without: the save decides
    slow.release()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert on_server(qtbot, account, uid=alice).lastName == "Alpha-Souza"
    close_window(qtbot, window)


def test_a_cancelled_sign_out_now_leaves_no_sign_out_behind_for_a_later_close(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The note came in while "Sign out now"'s Save question was open, and the rep answered Cancel: a later quit,
    with another note on its way, then signed out, removing the token, as the first sign-out's leftover."""
    window, slow, signed_out = _sign_out_now_with_an_edit(qtbot, account)
    view = window.contact_view
    slow.release()
    qtbot.waitUntil(lambda: view.service.writes_in_flight() == 0)
    next(b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()).reject()  # Cancel
    assert not window.signing_out() and _waiting(window) == ""
    slow.hold()
    _send_note_that_waits(qtbot, window, slow)
    view.revert()
    window.close()
    assert _waiting(window) == "Closing once the last change reaches the server… (1 left)"
    slow.release()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert signed_out == []
    close_window(qtbot, window)


def test_a_second_close_while_the_first_waits_asks_its_question_once_when_the_writes_are_in(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _alice, slow = _closed_while_a_note_waits(qtbot, account)
    view = window.contact_view
    cast(QLineEdit, view.form.editor("lastName")).setText("Alpha-Souza")
    window.close()  # impatient: the edit is asked about now
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "unsavedDialog")))
    slow.release()
    qtbot.waitUntil(lambda: view.service.writes_in_flight() == 0)
    qtbot.wait(100)
    questions = [b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()]
    assert len(questions) == 1
    questions[0].button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    close_window(qtbot, window)


def test_a_sign_out_replacing_a_waiting_close_is_spoken(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, screen_reader: list[tuple[str, bool]]
) -> None:
    window, _alice, slow = _closed_while_a_note_waits(qtbot, account)
    window.sign_out()
    assert screen_reader[-1] == ("Signing out once the last change reaches the server… (1 left)", False)
    slow.release()
    qtbot.waitUntil(lambda: window.contact_view.service.writes_in_flight() == 0)
    close_window(qtbot, window)


def test_a_waiting_sign_out_is_not_traded_for_a_close_whose_question_is_open_when_the_writes_are_in(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """Signed out while a note was on its way, then Ctrl+Q with an edit: the sign-out was forgotten when the note
    came in, and Discard only quit, leaving the token stored on a shared computer."""
    slow = HeldTransport("POST /api/contact/note/add")
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    _send_note_that_waits(qtbot, window, slow)
    signed_out: list[bool] = []
    window.sign_out_requested.connect(lambda: signed_out.append(True))
    window.sign_out()
    cast(QLineEdit, view.form.editor("lastName")).setText("Alpha-Souza")
    window.close()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "unsavedDialog")))
    slow.release()
    qtbot.waitUntil(lambda: view.service.writes_in_flight() == 0)
    qtbot.wait(50)
    questions = [b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()]
    assert len(questions) == 1  # it now carries the sign-out (not yet under way: Cancel may still call it off)
    assert not window.signing_out()
    questions[0].button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: signed_out == [True])
    close_window(qtbot, window)


def test_a_later_start_calls_off_a_close_waiting_for_a_save_and_a_waiting_sign_out_is_known(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _alice, _bob, slow = _alice_saving_slowly(qtbot, account)
    window.close()
    assert _waiting(window) == "Saving the changes first…"
    window.keep_open()  # a phone tool's start for an incoming call
    slow.release()
    qtbot.waitUntil(lambda: window.contact_view.form_status.text() == "Saved", timeout=10_000)
    qtbot.wait(100)
    assert window.isVisible() and _waiting(window) == ""
    # A sign-out parked on a save is a sign-out: the later start's search goes to the next window.
    slow.hold()
    cast(QLineEdit, window.contact_view.form.editor("city")).setText("Olinda")
    window.contact_view.save()
    qtbot.waitUntil(lambda: slow.held == 2)
    window.sign_out()
    assert window.signing_out()
    slow.release()
    qtbot.waitUntil(
        lambda: window.contact_view.service.writes_in_flight() == 0 and not window.contact_view.form.is_busy()
    )
    close_window(qtbot, window)


def test_a_close_waiting_for_a_save_keeps_saying_so_when_the_writes_end_first(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The notice vanished when the note came in, though the close still waited for the save."""
    note = HeldTransport("POST /api/contact/note/add")
    save = HeldTransport("PUT /api/contact", inner=note)
    alice, _bob = _two(qtbot, account)
    note.release()
    save.release()
    window = open_window(qtbot, account, client_options={"transport": save})
    _open(qtbot, window, "alice@example.com", alice)
    view = window.contact_view
    note.hold()
    _send_note_that_waits(qtbot, window, note)
    save.hold()
    cast(QLineEdit, view.form.editor("lastName")).setText("Alpha-Souza")
    view.save()
    qtbot.waitUntil(lambda: save.held == 1)
    window.close()
    note.release()
    qtbot.waitUntil(lambda: view.service.writes_in_flight() == 0)
    assert window.isVisible() and _waiting(window) == "Saving the changes first…"
    save.release()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    close_window(qtbot, window)


def test_close_nows_question_goes_when_the_wait_it_asked_about_is_over(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _alice, slow = _closed_while_a_failing_deletion_waits(qtbot, account)
    button = _leave_now_button(window)
    button.click()
    assert any(box.isVisible() for box in window.findChildren(QMessageBox, "leaveNowDialog"))
    slow.release()  # the deletion fails: "Not closed"
    qtbot.waitUntil(lambda: not any(box.isVisible() for box in window.findChildren(QMessageBox, "leaveNowDialog")))
    assert window.isVisible()
    close_window(qtbot, window)


@pytest.mark.parametrize(("demo", "said"), [(False, "Not signed out"), (True, "Still in the demo")])
def test_a_sign_out_riding_on_a_save_that_fails_says_it_did_not_happen(
    demo: bool, said: str, qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """A rep walking away from a shared computer believed they had signed out: the save their answer started
    failed, and nothing said the sign-out was off."""
    route = "PUT /api/contact"
    slow = HeldTransport(route, inner=FailingTransport(route, times=10))
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow, demo=demo, max_retries=0)
    view = window.contact_view
    signed_out: list[bool] = []
    window.sign_out_requested.connect(lambda: signed_out.append(True))
    cast(QLineEdit, view.form.editor("lastName")).setText("Alpha-Souza")
    window.sign_out()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "unsavedDialog")))
    next(b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()).button(
        QMessageBox.StandardButton.Save
    ).click()
    qtbot.waitUntil(lambda: slow.held == 1)
    assert window.signing_out()  # under way: only the save stands between
    slow.release()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(said), timeout=10_000)
    assert signed_out == [] and not window.signing_out()
    close_window(qtbot, window)


def test_a_later_start_leaves_a_closes_question_only_saving_or_discarding(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("NONE /")
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    cast(QLineEdit, view.form.editor("lastName")).setText("Alpha-Souza")
    window.close()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "unsavedDialog")))
    window.keep_open()  # a phone tool's start for an incoming call
    next(b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()).button(
        QMessageBox.StandardButton.Save
    ).click()
    qtbot.waitUntil(lambda: view.form_status.text() == "Saved", timeout=10_000)
    qtbot.wait(100)
    assert window.isVisible()
    close_window(qtbot, window)


def test_a_later_start_closes_a_closes_question_about_drafts_rather_than_give_them_up_for_nothing(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("NONE /")
    window, _alice, _bob = _alice_with_slow_writes(qtbot, account, slow)
    view = window.contact_view
    view.notes.input.setPlainText("Call back on Monday")  # typed, not added
    window.close()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "draftsDialog")))
    window.keep_open()  # a phone tool's start for an incoming call
    qtbot.waitUntil(lambda: not any(b.isVisible() for b in view.findChildren(QMessageBox, "draftsDialog")))
    assert window.isVisible() and view.notes.input.toPlainText() == "Call back on Monday"
    close_window(qtbot, window)
