"""The contact view's keyboard shortcuts, pressed as a user would, with the effect checked on screen and server."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.contract import NoteEntry
from crmdesk.ui.contact_view import ContactView
from crmdesk.ui.notes_timeline import NotesTimeline
from crmdesk.ui.tool_button import FlatButton
from tests.ui.contact_support import (
    create_contact,
    demo_registry,
    make_view,
    read_back,
)

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def view(qtbot: QtBot, api: ContactApi) -> ContactView:
    contact_view = make_view(qtbot, api, demo_registry())[1]
    contact_view.show_contact(create_contact(qtbot, api, name="Key Board", email="keys@example.com"))
    contact_view.activateWindow()
    qtbot.waitUntil(contact_view.isActiveWindow, timeout=2000)
    return contact_view


def test_ctrl_s_saves_and_ctrl_r_reverts(qtbot: QtBot, view: ContactView, api: ContactApi) -> None:
    city = view.findChild(QLineEdit, "city")
    assert city is not None
    city.setFocus()
    qtbot.keyClicks(city, "Recife")
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        qtbot.keyClick(city, Qt.Key.Key_S, CTRL)
    uid = view.current_uid()
    assert uid is not None and read_back(qtbot, api, uid).city == "Recife"
    qtbot.keyClicks(city, " Antigo")
    qtbot.keyClick(city, Qt.Key.Key_R, CTRL)
    assert city.text() == "Recife" and not view.has_unsaved_changes()


def test_what_ctrl_r_reverted_can_be_put_back_until_the_next_edit(qtbot: QtBot, view: ContactView) -> None:
    city = view.findChild(QLineEdit, "city")
    business = view.findChild(QLineEdit, "businessName")
    assert city is not None and business is not None
    city.setFocus()
    qtbot.keyClicks(city, "Recife")
    qtbot.keyClicks(business, "Padaria Sol")
    qtbot.keyClick(city, Qt.Key.Key_R, CTRL)  # a browser's reload, to many hands
    assert city.text() == "" and not view.has_unsaved_changes()
    assert view.form_status.text() == "Changes reverted." and view.undo_revert_button.isVisibleTo(view)
    qtbot.mouseClick(view.undo_revert_button, Qt.MouseButton.LeftButton)
    assert (city.text(), business.text()) == ("Recife", "Padaria Sol")
    assert view.form.changes() == {"city": "Recife", "businessName": "Padaria Sol"} and view.save_button.isEnabled()
    assert not view.undo_revert_button.isVisibleTo(view) and view.form_status.text() == ""
    # Reverted again, then edited: Undo would mix old and new edits, so it goes.
    qtbot.keyClick(city, Qt.Key.Key_R, CTRL)
    assert view.undo_revert_button.isVisibleTo(view)
    qtbot.keyClicks(city, "Olinda")
    assert not view.undo_revert_button.isVisibleTo(view) and view.form_status.text() == ""
    assert view.form.changes() == {"city": "Olinda"}


def test_focus_and_copy_shortcuts(qtbot: QtBot, view: ContactView) -> None:
    first = view.findChild(QLineEdit, "firstName")
    assert first is not None
    first.setFocus()
    qtbot.keyClick(first, Qt.Key.Key_J, CTRL)
    qtbot.waitUntil(view.notes.input.hasFocus, timeout=2000)
    qtbot.keyClick(view.notes.input, Qt.Key.Key_T, CTRL)
    qtbot.waitUntil(view.tags.input.hasFocus, timeout=2000)
    qtbot.keyClick(view.tags.input, Qt.Key.Key_C, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == view.current_uid()
    assert view.copy_button.accessibleName() == "Copy UID"


def test_ctrl_delete_asks_before_deleting(qtbot: QtBot, view: ContactView, api: ContactApi) -> None:
    qtbot.keyClick(view.form.editor("city"), Qt.Key.Key_Delete, CTRL)
    qtbot.waitUntil(lambda: view.dialog is not None and view.dialog.isVisible(), timeout=2000)
    assert view.dialog is not None and view.dialog.text() == "Delete Key Board permanently?"
    view.dialog.reject()
    uid = view.current_uid()
    assert uid is not None and read_back(qtbot, api, uid).uid == uid


@pytest.mark.parametrize(("key", "field"), [(Qt.Key.Key_1, "stageName"), (Qt.Key.Key_2, "qualityName"),
                                            (Qt.Key.Key_3, "ownerEmail")])  # fmt: skip
def test_ctrl_digit_opens_the_header_dropdowns(qtbot: QtBot, view: ContactView, key: Qt.Key, field: str) -> None:
    combo = view.combos[field]
    qtbot.keyClick(view.form.editor("city"), key, CTRL)
    qtbot.waitUntil(lambda: combo.view().isVisible(), timeout=2000)
    combo.hidePopup()


@pytest.mark.parametrize("key", [Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3])
def test_ctrl_digit_with_no_contact_open_leaves_the_focus_where_it_is(
    qtbot: QtBot, view: ContactView, key: Qt.Key
) -> None:
    view.clear()
    typing = QLineEdit(view.window())  # the search field, say
    typing.show()
    typing.setFocus()
    qtbot.waitUntil(typing.hasFocus)
    qtbot.keyClick(typing, key, CTRL)
    qtbot.wait(50)
    assert typing.hasFocus(), "the keys typed next would go to a dropdown nobody sees"
    assert not any(combo.view().isVisible() for combo in view.combos.values())


def test_tab_goes_through_the_header_in_the_order_it_reads(view: ContactView) -> None:
    # Copy the UID, reload and delete sit with the title; the stage, quality and owner dropdowns follow them.
    expected = [view.copy_button, view.reload_button, view.delete_button, *view.combos.values()]
    order: list[QWidget] = []
    widget: QWidget = view  # the chain runs through a widget's children after the widget itself
    for _ in range(1000):  # once round the whole focus chain at most
        widget = cast(QWidget, widget.nextInFocusChain())  # the chain is a ring: never None
        if widget is view:
            break
        if widget in expected and widget not in order:
            order.append(widget)
    assert order == expected


def test_tab_reaches_each_field_s_buttons_right_after_the_field(view: ContactView) -> None:
    form = view.form
    email, phone = form.editor("email"), form.editor("phone")
    expected = [email, form.mail_button, phone, form.call_button, form.whatsapp_button, form.editor("businessName")]
    stops: list[QWidget] = []
    widget: QWidget = email
    while len(stops) < len(expected):
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            stops.append(widget)
        widget = cast(QWidget, widget.nextInFocusChain())  # the chain is a ring: never None
    assert stops == expected
    # The notes' buttons go left to right, as they sit: the order toggle, then Add note.
    assert view.notes.order_button.nextInFocusChain() is view.notes.add_button
    # The form's scroll area is no stop of its own: it scrolls to whichever field has focus.
    assert not view.form_scroll.focusPolicy() & Qt.FocusPolicy.TabFocus


def _ring_pixels(widget: QWidget) -> int:
    """How many of the middles of the widget's edges (where a 2 px ring would be, and no icon) are highlight."""
    highlight = widget.palette().color(QPalette.ColorRole.Highlight)
    image = widget.grab().toImage()
    points = [(1, image.height() // 2), (image.width() - 2, image.height() // 2), (image.width() // 2, 1)]
    return sum(1 for x, y in points if image.pixelColor(x, y).name() == highlight.name())


@pytest.mark.parametrize("name", ["copyUid", "notesScroll"])  # an icon button; the notes, scrolled by keys
def test_keyboard_focus_shows_as_a_ring_in_the_highlight_colour(qtbot: QtBot, view: ContactView, name: str) -> None:
    button = view.findChild(QWidget, name)
    assert button is not None and button.focusPolicy() & Qt.FocusPolicy.TabFocus
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    assert _ring_pixels(button) == 0
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(button.hasFocus)
    assert _ring_pixels(button) == 3
    button.clearFocus()
    assert _ring_pixels(button) == 0


def test_a_flat_button_shows_the_ring_after_tab_and_not_after_a_click(qtbot: QtBot) -> None:
    window = QWidget()
    field, button = QLineEdit(window), FlatButton("Show older notes (12)", window)
    layout = QVBoxLayout(window)
    layout.addWidget(field)
    layout.addWidget(button)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(button.hasFocus)
    assert _ring_pixels(button) == 0, "a click shows no ring, as on any button"
    field.setFocus()
    QTest.keyClick(field, Qt.Key.Key_Tab)
    qtbot.waitUntil(button.hasFocus)
    assert _ring_pixels(button) == 3  # Fusion alone draws nothing on a flat button with focus
    field.setFocus()
    assert _ring_pixels(button) == 0


def test_the_windows_flat_buttons_show_the_ring(view: ContactView) -> None:
    for name in ("undoRevertButton", "moreNotes", "wholeNote"):
        assert all(isinstance(button, FlatButton) for button in view.findChildren(QPushButton, name)), name


def test_the_notes_ring_shows_for_the_keyboard_only_and_whole_beside_a_scroll_bar(qtbot: QtBot) -> None:
    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(360, 420)
    timeline.set_notes(
        [NoteEntry(datetime(2026, 3, 2, 9, minute), f"Called about the fees, {minute}") for minute in range(30)]
    )
    timeline.show()
    qtbot.waitExposed(timeline)
    timeline.activateWindow()
    qtbot.waitActive(timeline)
    area = timeline.findChild(QScrollArea, "notesScroll")
    assert area is not None
    qtbot.waitUntil(area.verticalScrollBar().isVisible)  # thirty notes do not fit
    area.setFocus(Qt.FocusReason.MouseFocusReason)  # a click on a note or the scroll bar focuses it for the keys
    qtbot.waitUntil(area.hasFocus)
    assert _ring_pixels(area) == 0
    area.clearFocus()
    area.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(area.hasFocus)
    assert _ring_pixels(area) == 3, "the right edge too: the scroll bar sits inside the ring"


def _alt_keys(view: ContactView) -> dict[str, list[str]]:
    """Each Alt+letter of the labels on screen, with the labels that take it."""
    keys: dict[str, list[str]] = {}
    for label in view.findChildren(QLabel):
        text = label.text()
        if label.buddy() is not None and label.isVisibleTo(view) and "&" in text:
            keys.setdefault(text[text.index("&") + 1].casefold(), []).append(text)
    return keys


def test_each_labelled_field_has_an_alt_key_of_its_own(qtbot: QtBot, view: ContactView) -> None:
    # Two labels on one key make Alt+key alternate between their fields instead of going to one.
    for mode in ("view", "create"):
        if mode == "create":
            view.start_create()
        keys = _alt_keys(view)
        assert len(keys) >= 15, keys  # every field, and the header's dropdowns
        assert {key: labels for key, labels in keys.items() if len(labels) > 1} == {}, mode
    zone = view.form.time_zone_combo
    qtbot.keyClick(view.form.editor("city"), Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(
        lambda: zone.hasFocus() or (zone.lineEdit() is not None and cast(QLineEdit, zone.lineEdit()).hasFocus())
    )


def test_a_tag_box_holding_only_commas_adds_nothing(qtbot: QtBot, view: ContactView, api: ContactApi) -> None:
    # The API cannot remove a tag: a tag named "," would stay on the contact and in the account for good.
    qtbot.keyClicks(view.tags.input, ", ,")
    qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    assert view.tags.tag_names() == [] and not view.tags.pending_tags()
    message = view.tags.findChild(QLabel, "tagMessage")
    assert message is not None and message.isVisible() and message.text() == "A tag name cannot be empty"
    uid = view.current_uid()
    assert uid is not None and read_back(qtbot, api, uid).tags == ()


def _suggested(qtbot: QtBot, view: ContactView, typed: str) -> list[str]:
    box = view.tags.input
    box.setFocus()
    box.clear()
    qtbot.keyClicks(box, typed)
    completer = box.completer()
    assert completer is not None
    model = completer.completionModel()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_the_tag_box_suggests_only_tags_the_contact_does_not_have(
    qtbot: QtBot, view: ContactView, api: ContactApi
) -> None:
    view.registry.merge(tags=["Hot Lead", "Hospital", "Website", "Webinar"])  # the profile's known tags
    view.tags.set_tags(["hot lead"])  # tags match whatever their case
    assert _suggested(qtbot, view, "ho") == ["Hospital"]
    with qtbot.waitSignal(view.service.tag_added, timeout=10_000):
        qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)  # "ho" added: a new tag
    view.tags.input.clear()
    assert _suggested(qtbot, view, "we") == ["Webinar", "Website"]
    assert _suggested(qtbot, view, "h") == ["Hospital"]  # nor the one just added
    view.tags.set_tags(["Website", "Webinar"])  # another contact's two tags, on the same two chips
    assert _suggested(qtbot, view, "ho") == ["ho", "Hospital", "Hot Lead"]
    assert _suggested(qtbot, view, "we") == []


def test_a_tag_chosen_from_the_suggestions_with_enter_is_added_and_the_box_left_empty(
    qtbot: QtBot, view: ContactView, api: ContactApi
) -> None:
    view.tags.set_known_tags(["Website", "Webinar"])
    box = view.tags.input
    box.setFocus()
    qtbot.keyClicks(box, "webs")
    completer = box.completer()
    assert completer is not None
    popup = completer.popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    with qtbot.waitSignal(view.service.tag_added, timeout=10_000):
        qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert view.tags.tag_names() == ["Website"]
    assert box.text() == "" and not popup.isVisible()
    assert view.unsent_drafts() == [], "a tag that was added is no draft"
    uid = view.current_uid()
    assert uid is not None and read_back(qtbot, api, uid).tags == ("Website",)
