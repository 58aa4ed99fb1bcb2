"""Actions that overlap: a rep works fast during and after calls, and another contact can come on screen without
the rep's doing (a phone tool's ``--search`` for an incoming call, a slow lookup's late answer). What was under
way for the contact on screen ends with it, and nothing lands on the wrong contact."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
import shiboken6
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.errors import NotFoundError
from crmdesk.api.models import ContactRef
from crmdesk.server import demo_data
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account
from tests.ui.contact_support import FailingTransport, HeldTransport, line, type_into
from tests.ui.shell_support import close_window, create_contacts, on_server, open_window, run

ANA = {"name": "Ana Lima", "email": "ana@example.com", "stageName": "New Lead", "tags": ["VIP"]}
BOB = {"name": "Bob Reis", "email": "bob@example.com", "stageName": "New Lead"}


@pytest.fixture(autouse=True)
def _real_server(qasync_loop: object, private_settings: object) -> None:
    """Every test here drives a window against the bundled server on its qasync loop."""


def _open(qtbot: QtBot, window: MainWindow, query: str, uid: str) -> None:
    window.request_search(query)
    qtbot.waitUntil(lambda: window.contact_view_built() and window.contact_view.current_uid() == uid, timeout=15_000)


def _delete_button(box: QMessageBox) -> QAbstractButton:
    return next(button for button in box.buttons() if button.text() == "Delete")


def _deleting_ana(
    qtbot: QtBot, account: Account, *, with_bob: bool = False, edited: bool = False, failing: bool = False
) -> tuple[MainWindow, HeldTransport, list[ContactRef]]:
    """A window with Ana open (her city edited, if ``edited``), her deletion confirmed and its answer held (an
    error from the server, if ``failing``)."""
    refs = create_contacts(qtbot, account, ANA, *([BOB] if with_bob else []))
    route = "DELETE /api/contact"
    if failing:
        deletion = HeldTransport(route, inner=FailingTransport(route, status=503, times=10))
    else:
        deletion = HeldTransport(route, late_answer=True)
    deletion.release()
    window = open_window(qtbot, account, client_options={"transport": deletion})
    _open(qtbot, window, "ana@example.com", refs[0].uid)
    view = window.contact_view
    if edited:
        type_into(qtbot, line(view, "city"), "Recife")
    deletion.hold()
    view.confirm_delete()
    assert view.dialog is not None
    _delete_button(view.dialog).click()
    qtbot.waitUntil(lambda: deletion.held == 1)
    return window, deletion, refs


def _typing_for_ana(
    qtbot: QtBot, account: Account, box: Callable[[MainWindow], QWidget], typed: str, *, tags: Sequence[str] = ()
) -> tuple[MainWindow, ContactRef, ContactRef]:
    """A window with Ana open, ``typed`` typed into ``box`` (the note or the tag box), the keys there, and Bob
    in the bundled server, not opened."""
    ana, bob = create_contacts(qtbot, account, ANA, BOB)
    window = open_window(qtbot, account)
    if tags:
        window.registry.merge(tags=list(tags))
    _open(qtbot, window, "ana@example.com", ana.uid)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    box(window).setFocus()
    qtbot.keyClicks(box(window), typed)
    return window, ana, bob


def _looking_bob_up_slowly(
    qtbot: QtBot, account: Account, *, edited: bool = False
) -> tuple[MainWindow, HeldTransport, ContactRef, ContactRef]:
    """A window with Ana open (her city edited, if ``edited``) and a lookup of Bob on its way, its answer held."""
    ana, bob = create_contacts(qtbot, account, ANA, BOB)
    slow = HeldTransport("GET /api/contact")
    slow.release()
    window = open_window(qtbot, account, client_options={"transport": slow})
    _open(qtbot, window, "ana@example.com", ana.uid)
    if edited:
        type_into(qtbot, line(window.contact_view, "city"), "Recife")
    slow.hold()
    window.request_search("bob@example.com")
    qtbot.waitUntil(lambda: slow.held == 1)
    return window, slow, ana, bob


def test_keys_typed_into_the_note_box_do_not_go_on_into_the_next_contacts(qtbot: QtBot, account: Account) -> None:
    """Writing up Ana's call, the phone tool opened Bob for an incoming call: the rest of the sentence and its
    Ctrl+Enter added a note to Bob, which the API cannot take back."""
    window, ana, bob = _typing_for_ana(qtbot, account, lambda w: w.contact_view.notes.input, "Called Ana, ")
    view = window.contact_view

    window.request_search("bob@example.com")  # what `crmdesk --search` does in the running window
    qtbot.waitUntil(lambda: view.current_uid() == bob.uid, timeout=10_000)
    focused = QApplication.focusWidget()
    assert focused not in (view.notes.input, view.tags.input)
    assert focused is not None and focused.objectName() == "notesScroll"  # on Bob's notes, which keys scroll
    qtbot.keyClicks(focused, "she wants a quote")
    qtbot.keyClick(focused, "\r")
    assert view.notes.input.toPlainText() == ""
    assert not view.service.writes_in_flight()
    assert on_server(qtbot, account, uid=bob.uid).notes == ()
    assert "kept" in window.statusBar().currentMessage() and "Ana Lima" in window.statusBar().currentMessage()

    _open(qtbot, window, "ana@example.com", ana.uid)
    assert view.notes.input.toPlainText() == "Called Ana, "  # her draft, as typed
    close_window(qtbot, window)


def test_a_dropdown_left_open_closes_when_another_contact_comes_and_its_pick_goes_nowhere(
    qtbot: QtBot, account: Account
) -> None:
    ana, bob = create_contacts(qtbot, account, ANA, BOB)
    window = open_window(qtbot, account)
    window.registry.merge(stages=demo_data.STAGES)
    _open(qtbot, window, "ana@example.com", ana.uid)
    view = window.contact_view
    combo = view.combos["stageName"]
    combo.setFocus()
    combo.showPopup()
    qtbot.waitUntil(combo.view().isVisible)
    window.request_search("bob@example.com")
    qtbot.waitUntil(lambda: view.current_uid() == bob.uid, timeout=10_000)
    qtbot.waitUntil(lambda: not combo.view().isVisible())
    assert QApplication.activePopupWidget() is None
    assert combo.currentText() == "New Lead"
    assert on_server(qtbot, account, uid=bob.uid).stageName == "New Lead"
    assert on_server(qtbot, account, uid=ana.uid).stageName == "New Lead"
    close_window(qtbot, window)


def test_a_delete_question_left_open_is_withdrawn_when_another_contact_comes(qtbot: QtBot, account: Account) -> None:
    """The box still asked "Delete Ana Lima permanently?" over Bob, and Delete then did nothing, without a word."""
    window, slow, ana, bob = _looking_bob_up_slowly(qtbot, account)
    view = window.contact_view
    view.confirm_delete()
    box = view.dialog
    assert box is not None and "Ana Lima" in box.text()
    slow.release()
    qtbot.waitUntil(lambda: view.current_uid() == bob.uid, timeout=10_000)
    qtbot.waitUntil(lambda: not shiboken6.isValid(box) or not box.isVisible())
    assert window.statusBar().currentMessage() == (
        "Ana Lima was not deleted: another contact opened while you were asked."
    )
    assert on_server(qtbot, account, uid=ana.uid).name == "Ana Lima"
    close_window(qtbot, window)


def test_while_a_deletion_is_on_its_way_the_contact_takes_nothing_more(qtbot: QtBot, account: Account) -> None:
    """A second Delete, a save, a note, a tag or a stage sent while the deletion's answer was slow found the
    contact gone, and the app said it had been deleted elsewhere."""
    window, deletion, (ana,) = _deleting_ana(qtbot, account, edited=True)
    view = window.contact_view
    assert window.statusBar().currentMessage() == "Deleting Ana Lima…"
    assert not view.page.isEnabled()  # shown, greyed out: the form, the boxes, the dropdowns and the buttons
    for reach in (view.notes.input, view.tags.input, view.combos["stageName"], view.save_button, view.delete_button):
        assert not reach.isEnabled()
    shown = view.dialog
    assert shown is not None
    view.confirm_delete()  # Ctrl+Delete again
    assert view.dialog is shown and not (shiboken6.isValid(shown) and shown.isVisible())  # no second question
    view.save()  # Ctrl+S
    assert not view.service.is_running("save")

    deletion.release()
    qtbot.waitUntil(lambda: view.mode() == "empty", timeout=10_000)
    qtbot.waitUntil(lambda: not view.service.writes_in_flight())
    assert window.statusBar().currentMessage() == "Deleted Ana Lima"
    assert window.banner.isHidden()
    # The focus went to the search field as the deletion set off, its text selected: the next lookup is typed
    # over the deleted contact's, not after it.
    window.activateWindow()  # the question box had it; offscreen has no window manager to give it back
    qtbot.waitUntil(window.isActiveWindow)
    assert QApplication.focusWidget() is window.search_field
    qtbot.keyClicks(window.search_field, "bob@example.com")
    assert window.search_field.text() == "bob@example.com"
    with pytest.raises(NotFoundError):
        on_server(qtbot, account, uid=ana.uid)
    close_window(qtbot, window)


def test_a_deletion_that_fails_gives_the_contact_back_to_work_on(qtbot: QtBot, account: Account) -> None:
    (ana,) = create_contacts(qtbot, account, ANA)
    refusing = FailingTransport("DELETE /api/contact", status=503, times=10)  # however often it is tried
    slow = HeldTransport("DELETE /api/contact", inner=refusing)
    window = open_window(qtbot, account, client_options={"transport": slow})
    _open(qtbot, window, "ana@example.com", ana.uid)
    view = window.contact_view
    view.confirm_delete()
    assert view.dialog is not None
    _delete_button(view.dialog).click()
    qtbot.waitUntil(lambda: slow.held == 1)
    assert not view.page.isEnabled()
    slow.release()
    qtbot.waitUntil(lambda: refusing.failed >= 1 and not view.service.is_running(f"delete:{ana.uid}"))
    qtbot.waitUntil(view.page.isEnabled)
    assert view.current_uid() == ana.uid and window.banner.isVisible()
    type_into(qtbot, line(view, "city"), "Recife")  # back to work on it
    assert view.save_button.isEnabled()
    close_window(qtbot, window)


def test_new_contact_calls_off_a_lookup_still_on_its_way(qtbot: QtBot, account: Account) -> None:
    """The late answer took the new-contact form over: it asked to discard it, or, with Ana's edits asked about
    at Ctrl+N, its Discard opened Bob instead of the new form."""
    window, slow, _ana, _bob = _looking_bob_up_slowly(qtbot, account, edited=True)
    view = window.contact_view
    window.new_contact_action.trigger()
    assert not window.search.is_busy()
    assert window.results_status.text() == "Search stopped."
    box = view.dialog
    assert box is not None and box.isVisible() and box.objectName() == "unsavedDialog"
    slow.release()
    qtbot.wait(200)  # the held request ends; nothing of it reaches the view
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: view.mode() == "create")
    type_into(qtbot, line(view, "firstName"), "Cid")
    qtbot.wait(200)
    assert view.mode() == "create" and view.dialog is box  # no new question
    close_window(qtbot, window)


def test_settings_ok_keeps_what_was_learned_while_the_dialog_was_open(qtbot: QtBot, account: Account) -> None:
    ana, bob = create_contacts(
        qtbot,
        account,
        {**ANA, "stageName": "Won"},
        {**BOB, "stageName": "Negotiation", "tags": ["Trade Show"]},
    )
    window = open_window(qtbot, account)
    _open(qtbot, window, "ana@example.com", ana.uid)
    window.open_settings()
    dialog = window._settings_dialog
    assert dialog is not None
    dialog.stages.setPlainText("Won\nLost")  # the rep adds a stage by hand
    _open(qtbot, window, "bob@example.com", bob.uid)  # and keeps working meanwhile: Bob's values are learned
    assert "Negotiation" in window.registry.stages()
    # A note added meanwhile showed the account stamping notes at UTC−3 (the zone is learned, not chosen).
    sent = datetime.now(UTC)
    window.registry.learn_note_stamp((sent - timedelta(hours=3)).replace(tzinfo=None), sent, sent)
    assert window.registry.account_time_zone() == "Etc/GMT+3"
    dialog.accept()
    assert window.registry.stages() == ["Won", "Lost", "Negotiation"]
    assert {"VIP", "Trade Show"} <= set(window.registry.tags())
    assert window.registry.account_time_zone() == "Etc/GMT+3"  # the zone field was left as it showed

    window.open_settings()
    dialog.stages.setPlainText("Won")  # a stage taken out by the rep stays out
    dialog.accept()
    assert window.registry.stages() == ["Won"]
    close_window(qtbot, window)


def test_a_second_press_of_add_does_not_say_the_box_is_empty(qtbot: QtBot, account: Account) -> None:
    """Ctrl+Enter or Enter pressed twice added the note or tag, then said in red that it could not be empty."""
    (ana,) = create_contacts(qtbot, account, ANA)
    window = open_window(qtbot, account)
    _open(qtbot, window, "ana@example.com", ana.uid)
    view = window.contact_view
    view.notes.input.setPlainText("Called back")
    view.notes.submit()
    view.notes.submit()
    view.tags.input.setText("Hot Lead")
    view.tags.input.returnPressed.emit()
    view.tags.input.returnPressed.emit()
    qtbot.waitUntil(lambda: not view.service.writes_in_flight(), timeout=10_000)
    stored = on_server(qtbot, account, uid=ana.uid)
    assert [note.text for note in stored.notes] == ["Called back"]
    assert "Hot Lead" in stored.tags
    assert not _message_shown(view.notes) and not _message_shown(view.tags)
    # A press on an empty box later is a question, and is answered.
    view.notes._submitted_at -= 5
    view.notes.submit()
    assert _message_shown(view.notes)
    close_window(qtbot, window)


def _message_shown(part: object) -> bool:
    from PySide6.QtWidgets import QLabel, QWidget

    assert isinstance(part, QWidget)
    label = part.findChild(QLabel, "noteMessage") or part.findChild(QLabel, "tagMessage")
    return label is not None and label.isVisibleTo(part) and bool(label.text())


def test_what_the_rep_types_in_the_search_field_during_a_deletion_is_left_alone(qtbot: QtBot, account: Account) -> None:
    window, deletion, _refs = _deleting_ana(qtbot, account)
    view = window.contact_view
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.search_field.hasFocus() and window.search_field.selectedText() == "ana@example.com"
    qtbot.keyClicks(window.search_field, "bob@exa")
    deletion.release()
    qtbot.waitUntil(lambda: view.mode() == "empty", timeout=10_000)
    qtbot.keyClicks(window.search_field, "mple.com")  # the answer came mid-word: the word goes on
    assert window.search_field.text() == "bob@example.com"
    close_window(qtbot, window)


def test_leaving_a_contact_being_deleted_asks_nothing_about_its_edits(qtbot: QtBot, account: Account) -> None:
    """Save in "Save the changes to Ana Lima?", asked while her deletion was on its way, did nothing: not the
    save (she is going), nor the opening of the contact asked for."""
    window, deletion, (_ana, bob) = _deleting_ana(qtbot, account, with_bob=True, edited=True)
    view = window.contact_view
    assert not window.has_unsaved_changes()
    window.request_search("bob@example.com")
    qtbot.waitUntil(lambda: view.current_uid() == bob.uid, timeout=10_000)  # no question in between
    deletion.release()
    qtbot.waitUntil(lambda: not view.service.writes_in_flight(), timeout=10_000)
    assert view.current_uid() == bob.uid and window.statusBar().currentMessage() == "Deleted Ana Lima"
    close_window(qtbot, window)


def test_tag_suggestions_left_open_close_when_another_contact_comes(qtbot: QtBot, account: Account) -> None:
    """The suggestions list kept passing keys to the tag box: the rest of the word and Enter added "t Lead" to the
    next contact, and the API cannot remove a tag."""
    window, _ana, bob = _typing_for_ana(
        qtbot, account, lambda w: w.contact_view.tags.input, "Ho", tags=["Hot Lead", "Home Office"]
    )
    view = window.contact_view
    completer = view.tags.input.completer()
    assert completer is not None
    suggestions = completer.popup()
    assert suggestions is not None
    qtbot.waitUntil(suggestions.isVisible)
    window.request_search("bob@example.com")
    qtbot.waitUntil(lambda: view.current_uid() == bob.uid, timeout=10_000)
    assert not suggestions.isVisible() and QApplication.activePopupWidget() is None
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClicks(focused, "t Lead")
    qtbot.keyClick(focused, "\r")
    assert not view.service.writes_in_flight()
    assert on_server(qtbot, account, uid=bob.uid).tags == ()
    close_window(qtbot, window)


def _left_for_bob_and_deletion_failed(qtbot: QtBot, account: Account) -> tuple[MainWindow, ContactRef]:
    """Ana edited and deleted, Bob opened while her deletion was on its way, and the deletion then failed."""
    window, deletion, (ana, bob) = _deleting_ana(qtbot, account, with_bob=True, edited=True, failing=True)
    view = window.contact_view
    window.request_search("bob@example.com")
    qtbot.waitUntil(lambda: view.current_uid() == bob.uid, timeout=10_000)
    deletion.release()
    # Until the failure has been handled, not only the request ended: its task is done a turn before that.
    qtbot.waitUntil(lambda: "Ana Lima was not deleted" in window.banner.text(), timeout=10_000)
    return window, ana


def test_edits_left_with_a_contact_being_deleted_come_back_if_the_deletion_fails(
    qtbot: QtBot, account: Account
) -> None:
    """Nothing is asked when leaving a contact on its way out; should it stay after all, its edits were not the
    rep's to lose: they wait for it, as restored work does."""
    window, ana = _left_for_bob_and_deletion_failed(qtbot, account)
    view = window.contact_view
    assert window.banner.isVisible() and "Ana Lima was not deleted" in window.banner.text()
    assert window.statusBar().currentMessage() == (
        "Your unsaved changes to Ana Lima are kept: open them again to see them."
    )
    window.request_search("ana@example.com")
    qtbot.waitUntil(lambda: view.current_uid() == ana.uid, timeout=10_000)
    qtbot.waitUntil(lambda: line(view, "city").text() == "Recife", timeout=10_000)
    assert view.has_unsaved_changes()  # back as an edit, to save or discard
    close_window(qtbot, window)


def test_revert_does_nothing_to_a_contact_being_deleted(qtbot: QtBot, account: Account) -> None:
    window, deletion, _refs = _deleting_ana(qtbot, account, edited=True)
    view = window.contact_view
    view.revert()  # Ctrl+R: the form is greyed out and stays as it is
    assert line(view, "city").text() == "Recife"
    deletion.release()
    close_window(qtbot, window)


@pytest.mark.parametrize("in_recent", [True, False], ids=["in-recent", "gone-from-recent"])
def test_edits_kept_from_a_failed_deletion_are_said_and_dropped_when_the_contact_is_gone(
    qtbot: QtBot, account: Account, in_recent: bool
) -> None:
    """Ana deleted elsewhere meanwhile: her UID typed found nothing, and her kept edits waited for good, offered
    at every close and every next start (also once thirty contacts opened since had pushed her out of Recent)."""
    window, ana = _left_for_bob_and_deletion_failed(qtbot, account)
    view = window.contact_view
    assert view.unsent_drafts()  # kept, to be put back when she opens

    async def colleague() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.delete_contact(ana.uid)

    run(qtbot, colleague())
    if not in_recent:
        window.recent.remove(ana.uid)
    window.request_search(ana.uid)
    qtbot.waitUntil(lambda: "has been deleted elsewhere" in window.banner.text(), timeout=10_000)
    assert window.banner.text() == (
        "Ana Lima has been deleted elsewhere, so your unsaved changes to it could not be put back. They were: "
        "City: “Recife”"
    )
    assert view.unsent_drafts() == []
    close_window(qtbot, window)
