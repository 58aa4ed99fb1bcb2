"""Create (with the duplicate guard), delete, tags, notes and the unsaved-edits prompt, against the live server."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.errors import NotFoundError
from crmdesk.api.models import Contact
from crmdesk.contract import NoteEntry
from crmdesk.ui.contact_view import ContactView
from tests.ui.contact_support import child, create_contact, demo_registry, line, make_view, read_back, run, type_into


@pytest.fixture
def view(qtbot: QtBot, api: ContactApi) -> ContactView:
    return make_view(qtbot, api, demo_registry())[1]


@pytest.fixture
def contact(qtbot: QtBot, api: ContactApi) -> Contact:
    return create_contact(qtbot, api, name="Maria Silva", email="maria@example.com", phone="+5511987654321")


def dialog(qtbot: QtBot, view: ContactView, name: str) -> QMessageBox:
    qtbot.waitUntil(lambda: view.dialog is not None and view.dialog.isVisible(), timeout=5000)
    box = view.dialog
    assert isinstance(box, QMessageBox) and box.objectName() == name
    assert not box.isModal() or box.windowModality() != Qt.WindowModality.ApplicationModal
    return box


def click(box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
    button.click()


def fill_new(view: ContactView, **values: str) -> None:
    view.start_create()
    view.form.fill(values)


# --- Create and the duplicate guard ----------------------------------------------------------------


def test_create_with_tags_note_stage_quality_and_owner(qtbot: QtBot, view: ContactView, api: ContactApi) -> None:
    fill_new(view, firstName="Ana", lastName="Lima", email="ana.lima@example.com", city="Natal")
    view.new_tags.setText("Hot Lead, Website")
    view.new_note.setPlainText("Met at the fair.")
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Contacted"))
    view.quality_combo.setCurrentIndex(view.quality_combo.findData("High"))
    view.owner_combo.setCurrentIndex(view.owner_combo.findData("ana@yourcompany.com"))
    assert view.has_unsaved_changes() and view.save_button.text() == "Create"
    with qtbot.waitSignal(view.contact_created, timeout=10_000) as created:
        view.save_button.click()
    new = created.args[0]
    assert isinstance(new, Contact)
    server = read_back(qtbot, api, new.uid)
    assert (server.firstName, server.lastName, server.email, server.city) == (
        "Ana",
        "Lima",
        "ana.lima@example.com",
        "Natal",
    )
    assert set(server.tags) == {"Hot Lead", "Website"}
    assert [note.text for note in server.notes] == ["Met at the fair."]
    assert (server.stageName, server.qualityName, server.ownerEmail) == ("Contacted", "High", "ana@yourcompany.com")
    # The new contact is open, showing what the server holds.
    assert view.mode() == "view" and view.current_uid() == new.uid
    assert view.tags.tag_names() == list(server.tags)
    assert [w.text_label.text() for w in view.notes.entry_widgets()] == ["Met at the fair."]
    assert not view.has_unsaved_changes()


def test_duplicate_guard_open_existing(qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact) -> None:
    fill_new(view, name="", firstName="Maria", email="MARIA@example.com")
    view.save_button.click()
    box = dialog(qtbot, view, "duplicateDialog")
    assert contact.uid in box.text()
    with qtbot.waitSignal(view.open_requested) as requested:
        click(box, "Open existing")
    assert requested.args == [contact.uid]
    assert view.mode() == "empty"
    assert len(run(qtbot, _all_with_email(api, "maria@example.com"))) == 1, "nothing was created"


def test_opening_the_existing_contact_keeps_the_first_note_and_tags_typed_for_it(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    fill_new(view, name="", firstName="Maria", email="MARIA@example.com")
    view.new_note.setPlainText("Met at the fair.")
    view.new_tags.setText("Fair 2025, Hot Lead")
    view.save_button.click()
    box = dialog(qtbot, view, "duplicateDialog")
    with qtbot.waitSignal(view.open_requested):
        click(box, "Open existing")
    view.show_contact(read_back(qtbot, api, contact.uid))  # what the window does with open_requested
    assert view.notes.input.toPlainText() == "Met at the fair."
    assert view.tags.input.text() == "Fair 2025, Hot Lead"
    # One Enter adds both, as separate tags (commas separate tags here too, as in the new-contact form).
    view.tags.input.returnPressed.emit()
    qtbot.waitUntil(lambda: set(read_back(qtbot, api, contact.uid).tags) == {"Fair 2025", "Hot Lead"})


def test_the_duplicate_check_reads_a_phone_as_leaving_the_field_would(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    # The existing contact's +5511987654321, typed in local format and created with the cursor still in the field.
    view.registry.set_phone_region("BR")
    fill_new(view, firstName="Maria", lastName="S.")
    phone = line(view, "phone")
    phone.setFocus()
    qtbot.keyClicks(phone, "(11) 98765-4321")
    qtbot.keyClick(phone, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    box = dialog(qtbot, view, "duplicateDialog")
    assert contact.uid in box.text()
    assert phone.text() == "+5511987654321"


def test_duplicate_guard_create_anyway(qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact) -> None:
    fill_new(view, firstName="Maria", lastName="S.", phone="+55 11 98765-4321")
    view.save_button.click()
    box = dialog(qtbot, view, "duplicateDialog")
    with qtbot.waitSignal(view.contact_created, timeout=10_000) as created:
        click(box, "Create anyway")
    new = created.args[0]
    assert new.uid != contact.uid and view.current_uid() == new.uid
    assert read_back(qtbot, api, new.uid).lastName == "S."


async def _all_with_email(api: ContactApi, email: str) -> list[str]:
    found = await api.get_contact(email=email)
    return [found.uid] if isinstance(found, Contact) else [item.uid for item in found]


# --- Delete ------------------------------------------------------------------------------------------


def test_delete_asks_naming_the_contact_then_clears(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.show_contact(contact)
    view.delete_button.click()
    box = dialog(qtbot, view, "deleteDialog")
    assert box.text() == "Delete Maria Silva permanently?"
    delete = next(button for button in box.buttons() if button.text() == "Delete")
    assert not delete.icon().isNull(), "the harmful button carries the delete icon, whatever the desktop's theme"
    with qtbot.waitSignal(view.contact_deleted, timeout=10_000) as deleted:
        click(box, "Delete")
    assert deleted.args == [contact.uid]
    assert view.mode() == "empty" and view.current_uid() is None
    with pytest.raises(NotFoundError):
        run(qtbot, api.get_contact(uid=contact.uid))


def test_deleting_a_contact_a_colleague_deleted_first_ends_as_deleted_and_says_so(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.show_contact(contact)
    run(qtbot, api.delete_contact(contact.uid))  # a colleague, while this rep reads the contact
    errors: list[object] = []
    view.error_raised.connect(lambda error, *_: errors.append(error))
    statuses: list[str] = []
    view.status_message.connect(statuses.append)
    view.confirm_delete()
    with qtbot.waitSignal(view.contact_deleted, timeout=10_000) as deleted:  # it leaves Recent and the results
        click(dialog(qtbot, view, "deleteDialog"), "Delete")
    assert deleted.args == [contact.uid]
    assert view.mode() == "empty" and view.current_uid() is None
    assert statuses[-1] == "Maria Silva had already been deleted elsewhere."
    assert errors == []  # not "Not deleted", with the contact still open


def test_delete_cancelled_keeps_the_contact(qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact) -> None:
    view.show_contact(contact)
    view.confirm_delete()
    click(dialog(qtbot, view, "deleteDialog"), "Cancel")
    assert view.current_uid() == contact.uid
    assert read_back(qtbot, api, contact.uid).uid == contact.uid


# --- Tags and notes ----------------------------------------------------------------------------------


def test_tag_added_with_enter_is_pending_then_confirmed(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.show_contact(contact)
    view.focus_tag_input()
    qtbot.keyClicks(view.tags.input, "Hot Lead")
    with qtbot.waitSignal(view.service.tag_added, timeout=10_000):
        qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
        assert view.tags.pending_tags() == ["Hot Lead"], "the chip appears at once"
    assert view.tags.tag_names() == ["Hot Lead"] and view.tags.pending_tags() == []
    assert read_back(qtbot, api, contact.uid).tags == ("Hot Lead",)
    assert "Hot Lead" in view.registry.tags()
    for widget in (view.tags.input, *view.tags.chips()):
        assert "cannot be removed" in widget.toolTip()


def test_tags_typed_at_once_are_announced_together_once_they_are_in(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.show_contact(contact)
    said: list[str] = []
    view.status_message.connect(said.append)
    qtbot.keyClicks(view.tags.input, "VIP, Hot Lead, Fair 2025")
    qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.tags.pending_tags(), timeout=10_000)
    assert view.tags.tag_names() == ["VIP", "Hot Lead", "Fair 2025"]
    # The status line (read out by screen readers) ends naming all three, not the last alone.
    assert said[-1] == "Tags “VIP”, “Hot Lead” and “Fair 2025” added"
    qtbot.keyClicks(view.tags.input, "Website")  # a tag added later is a message of its own
    qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: said[-1] == "Tag “Website” added", timeout=10_000)


def test_tags_announced_before_the_rep_left_are_not_announced_again_on_return(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    other = create_contact(qtbot, api, name="Bo Berg", email="bo@example.com")
    view.show_contact(contact)
    said: list[str] = []
    view.status_message.connect(said.append)
    # "VIP, Later" sent together: VIP is in, Later still on its way when the rep opens Bo.
    view.tags.add_pending("VIP")
    view.tags.add_pending("Later")
    view.service.tag_added.emit("VIP", contact)  # as the service reports an answer
    assert said[-1] == "Tag “VIP” added"
    view.show_contact(other)
    view.show_contact(contact)  # back, and a new tag: its own message, without VIP again
    view.tags.add_pending("Website")
    view.service.tag_added.emit("Website", contact)
    assert said[-1] == "Tag “Website” added"


def test_tag_that_fails_goes_and_its_text_stays(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.show_contact(contact)
    run(qtbot, api.delete_contact(contact.uid))
    qtbot.keyClicks(view.tags.input, "Website")
    with qtbot.waitSignal(view.deleted_elsewhere, timeout=10_000) as refused:  # the tag failed: she is gone
        qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    assert refused.args[0] == contact.uid
    assert view.tags.tag_names() == [] and view.tags.input.text() == "Website"

    # Several that fail all come back, whatever the box holds by then.
    view.tags.input.clear()
    qtbot.keyClicks(view.tags.input, "Blog, Fair")
    qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    qtbot.keyClicks(view.tags.input, "Ne")  # the rep types on meanwhile
    qtbot.waitUntil(lambda: not view.tags.pending_tags(), timeout=10_000)
    assert {part.strip() for part in view.tags.input.text().split(",")} == {"Ne", "Blog", "Fair"}
    assert view.tags.input.text().startswith("Ne") and view.tags.input.cursorPosition() == 2


def test_note_added_with_ctrl_enter_carries_the_servers_timestamp(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.show_contact(contact)
    view.focus_note_input()
    qtbot.keyClicks(view.notes.input, "Called; sending prices.")
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        qtbot.keyClick(view.notes.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        first = view.notes.entry_widgets()[0]
        assert first.text_label.text() == "Called; sending prices." and first.time_label.text() == "Sending…"
    assert view.notes.input.toPlainText() == ""
    server = read_back(qtbot, api, contact.uid)
    assert [note.text for note in server.notes] == ["Called; sending prices."]
    shown = view.notes.entry_widgets()
    assert len(shown) == 1 and shown[0].entry == server.notes[0]
    assert server.notes[0].timestamp is not None and shown[0].time_label.text() != "Sending…"


def test_a_note_that_would_read_back_as_two_is_not_sent_and_says_why(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    # The API returns a contact's notes as one string, in which a dated line after a blank line starts a note.
    view.show_contact(contact)
    text = "Forwarded from the call log:\n\n2025-08-14 10:46 customer asked for prices"
    view.notes.input.setPlainText(text)
    view.notes.submit()
    assert child(view.notes, QLabel, "noteMessage").text() == (
        "A line starting with a date and time after a blank line would read back as a separate note; "
        "remove the blank line before it"
    )
    assert view.notes.input.toPlainText() == text and view.notes.entry_widgets() == []
    qtbot.wait(200)
    assert read_back(qtbot, api, contact.uid).notes == ()
    # Without the blank line it is one note, and reads back as one.
    view.notes.input.setPlainText(text.replace("\n\n", "\n"))
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    assert [note.text for note in read_back(qtbot, api, contact.uid).notes] == [text.replace("\n\n", "\n")]
    # The same check holds for a new contact's first note.
    view.start_create()
    view.form.fill({"firstName": "Rui", "email": "rui@example.com"})
    view.new_note.setPlainText(text)
    view.save()
    assert view.create_message.text().startswith("A line starting with a date and time after a blank line")


def test_a_stored_note_leaves_sending_even_when_it_reads_back_otherwise(
    qtbot: QtBot, view: ContactView, contact: Contact
) -> None:
    # A vendor may store a note a little differently (spacing, line ends): the request succeeded, so the
    # entry must not stay "Sending…" for want of an exact match.
    view.show_contact(contact)
    view.notes.add_pending("Called  back")
    stored = dataclasses.replace(contact, notes=(NoteEntry(datetime(2025, 8, 14, 10, 46), "Called back"),))
    view.service.note_added.emit(stored, "Called  back")
    assert [entry.time_label.text() for entry in view.notes.entry_widgets()] != ["Sending…"]
    assert [entry.text_label.text() for entry in view.notes.entry_widgets()] == ["Called back"]


def test_note_that_fails_keeps_the_typed_text(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.show_contact(contact)
    run(qtbot, api.delete_contact(contact.uid))
    qtbot.keyClicks(view.notes.input, "Important words")
    with qtbot.waitSignal(view.deleted_elsewhere, timeout=10_000):  # the note failed: she is gone
        qtbot.keyClick(view.notes.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert view.notes.input.toPlainText() == "Important words"
    assert view.notes.entry_widgets() == []


def test_note_text_is_plain_text_never_html(qtbot: QtBot, view: ContactView, api: ContactApi) -> None:
    risky = create_contact(qtbot, api, name="Html Test", email="h@example.com", note="<b>bold</b> & <i>x</i>")
    view.show_contact(risky)
    label = view.notes.entry_widgets()[0].text_label
    assert label.textFormat() == Qt.TextFormat.PlainText and label.text() == "<b>bold</b> & <i>x</i>"


# --- Unsaved edits -----------------------------------------------------------------------------------


def _edit_city(qtbot: QtBot, view: ContactView, contact: Contact, city: str) -> None:
    view.show_contact(contact)
    edit = line(view, "city")
    edit.setFocus()
    qtbot.keyClicks(edit, city)


def test_resolve_unsaved_calls_at_once_when_clean(view: ContactView, contact: Contact) -> None:
    view.show_contact(contact)
    calls: list[str] = []
    view.resolve_unsaved(lambda: calls.append("go"))
    assert calls == ["go"] and view.dialog is None


def test_resolve_unsaved_save_then_continue(qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact) -> None:
    _edit_city(qtbot, view, contact, "Olinda")
    calls: list[str] = []
    view.resolve_unsaved(lambda: calls.append("go"))
    box = dialog(qtbot, view, "unsavedDialog")
    assert calls == []
    box.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: calls == ["go"], timeout=10_000)
    assert read_back(qtbot, api, contact.uid).city == "Olinda"


def test_resolve_unsaved_discard_then_continue(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    _edit_city(qtbot, view, contact, "Olinda")
    calls: list[str] = []
    view.resolve_unsaved(lambda: calls.append("go"))
    dialog(qtbot, view, "unsavedDialog").button(QMessageBox.StandardButton.Discard).click()
    assert calls == ["go"] and not view.has_unsaved_changes()
    assert read_back(qtbot, api, contact.uid).city == ""


def test_resolve_unsaved_cancel_stays_with_the_edits(qtbot: QtBot, view: ContactView, contact: Contact) -> None:
    _edit_city(qtbot, view, contact, "Olinda")
    calls: list[str] = []
    view.resolve_unsaved(lambda: calls.append("go"))
    dialog(qtbot, view, "unsavedDialog").button(QMessageBox.StandardButton.Cancel).click()
    assert calls == [] and line(view, "city").text() == "Olinda" and view.has_unsaved_changes()


def test_resolve_unsaved_failed_save_does_not_continue(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    _edit_city(qtbot, view, contact, "Olinda")
    run(qtbot, api.delete_contact(contact.uid))
    calls: list[str] = []
    view.resolve_unsaved(lambda: calls.append("go"))
    with qtbot.waitSignal(view.deleted_elsewhere, timeout=10_000):  # the save failed: deleted meanwhile
        dialog(qtbot, view, "unsavedDialog").button(QMessageBox.StandardButton.Save).click()
    assert calls == [] and line(view, "city").text() == "Olinda"


def test_the_unsaved_question_offers_save_only_for_what_can_be_saved(
    qtbot: QtBot, view: ContactView, contact: Contact
) -> None:
    view.show_contact(contact)
    type_into(qtbot, line(view, "firstName"), "Mariana Renamed")  # the question names who is being edited
    view.resolve_unsaved(lambda: None)
    box = dialog(qtbot, view, "unsavedDialog")
    assert box.text() == f"Save the changes to {contact.name}?"
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Save)
    box.button(QMessageBox.StandardButton.Cancel).click()

    type_into(qtbot, line(view, "email"), "not-an-email")
    view.resolve_unsaved(lambda: None)
    box = dialog(qtbot, view, "unsavedDialog")
    assert box.button(QMessageBox.StandardButton.Save) is None
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert "cannot be saved yet" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()

    view.start_create({"email": "draft@example.com"})  # no name yet: nothing to create
    view.resolve_unsaved(lambda: None)
    box = dialog(qtbot, view, "unsavedDialog")
    assert box.text() == "Discard this new contact?" and box.button(QMessageBox.StandardButton.Save) is None
    box.button(QMessageBox.StandardButton.Cancel).click()
    type_into(qtbot, line(view, "firstName"), "Bruna")
    view.resolve_unsaved(lambda: None)
    box = dialog(qtbot, view, "unsavedDialog")
    assert box.text() == "Create this contact before leaving?"
    assert box.button(QMessageBox.StandardButton.Save).text() == "Create"
    box.button(QMessageBox.StandardButton.Cancel).click()


def test_the_new_contact_form_says_what_it_needs_until_it_has_it(qtbot: QtBot, view: ContactView) -> None:
    needs = "A new contact needs a first or last name, and an email or a phone."
    view.start_create()
    assert view.create_message.isVisible() and view.create_message.text() == needs
    type_into(qtbot, line(view, "lastName"), "Souza")
    assert view.create_message.text() == needs  # still no email or phone
    type_into(qtbot, line(view, "phone"), "+55 11 98765 4321")
    assert not view.create_message.isVisible() and view.save_button.isEnabled()
    type_into(qtbot, line(view, "phone"), "")
    assert view.create_message.text() == needs and not view.save_button.isEnabled()


def test_resolve_unsaved_in_create_mode_counts_the_draft(qtbot: QtBot, view: ContactView) -> None:
    view.start_create({"email": "draft@example.com"})
    assert view.has_unsaved_changes()
    calls: list[str] = []
    view.resolve_unsaved(lambda: calls.append("go"))
    dialog(qtbot, view, "unsavedDialog").button(QMessageBox.StandardButton.Discard).click()
    assert calls == ["go"] and view.mode() == "empty"


def test_cancel_leaves_the_new_contact_form_for_the_contact_shown_before(
    qtbot: QtBot, view: ContactView, contact: Contact
) -> None:
    view.show_contact(contact)
    assert view.revert_button.text() == "Revert"
    view.start_create()
    assert view.revert_button.isVisible() and view.revert_button.isEnabled()
    assert view.revert_button.text() == "Cancel"
    view.revert_button.click()  # nothing typed: no question
    assert view.dialog is None or not view.dialog.isVisible()
    assert view.mode() == "view" and view.current_uid() == contact.uid

    view.start_create({"email": "draft@example.com"})
    line(view, "firstName").setText("Draft")
    view.revert_button.click()
    box = dialog(qtbot, view, "unsavedDialog")
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert view.mode() == "create" and line(view, "firstName").text() == "Draft"  # kept what was typed
    view.revert_button.click()
    dialog(qtbot, view, "unsavedDialog").button(QMessageBox.StandardButton.Discard).click()
    assert view.mode() == "view" and view.current_uid() == contact.uid


def test_cancel_shows_what_the_server_stored_while_the_form_was_open(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.show_contact(contact)
    view.start_create()
    run(qtbot, api.add_note("Added from the phone meanwhile.", uid=contact.uid))
    view.revert_button.click()
    qtbot.waitUntil(
        lambda: "Added from the phone meanwhile." in [w.text_label.text() for w in view.notes.entry_widgets()],
        timeout=10_000,
    )
    assert view.mode() == "view" and view.current_uid() == contact.uid


def test_cancel_on_a_new_contact_form_opened_from_nothing_goes_back_to_the_empty_view(
    qtbot: QtBot, view: ContactView
) -> None:
    view.start_create()
    assert view.save_button.toolTip() == "Ctrl+S"  # nothing is marked yet, so nothing to fix is claimed
    view.revert_button.click()
    assert view.mode() == "empty" and view.current_uid() is None
