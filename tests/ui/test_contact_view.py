"""The contact view shows a whole demo contact: every field, tag and note, in the user's locale."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import cast

import pytest
from PySide6.QtCore import QEvent, QLocale, QPoint, QRect, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCalendarWidget,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QWidget,
)
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact
from crmdesk.server import demo_data
from crmdesk.ui.contact_form import FORM_FIELDS
from crmdesk.ui.formatting import user_locale
from tests.support.live_server import Account, LiveServer
from tests.ui.contact_support import (
    child,
    close_api,
    create_contact,
    demo_registry,
    drag_across,
    make_api,
    make_view,
    run,
)


@pytest.fixture
def demo_api(qtbot: QtBot, qasync_loop: object, demo_account: Account) -> Iterator[ContactApi]:
    api = make_api(demo_account.base_url, demo_account.token)
    yield api
    close_api(qtbot, api)


def _richest_demo_contact(qtbot: QtBot, api: ContactApi) -> Contact:
    """The demo contact with the most notes and tags, so the test sees a real timeline."""
    best: Contact | None = None
    for sample in demo_data.CONTACTS:
        contact = run(qtbot, api.get_contact(uid=sample["uid"]))
        assert isinstance(contact, Contact)
        if best is None or (len(contact.notes), len(contact.tags)) > (len(best.notes), len(best.tags)):
            best = contact
    assert best is not None and len(best.notes) >= 2 and best.tags
    return best


def _shown_text(view: object, name: str) -> str:
    from PySide6.QtWidgets import QWidget

    assert isinstance(view, QWidget)
    widget = view.findChild(QWidget, name)
    assert widget is not None, name
    if name == "value":
        assert isinstance(widget, QLineEdit)
        return widget.raw_value()  # type: ignore[attr-defined]
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    assert isinstance(widget, QLabel)
    return widget.text()


def test_every_field_tag_and_note_of_a_demo_contact_is_shown(qtbot: QtBot, demo_api: ContactApi) -> None:
    contact = _richest_demo_contact(qtbot, demo_api)
    service, view = make_view(qtbot, demo_api, demo_registry())
    with qtbot.waitSignal(view.contact_opened) as opened:
        view.show_contact(contact)
    assert opened.args == [contact]

    for name in FORM_FIELDS:
        assert _shown_text(view, name) == getattr(contact, name), name
    assert child(view, QLabel, "fullName").text() == contact.name
    assert child(view, QLabel, "uid").text() == contact.uid
    assert contact.created is not None and contact.lastUpdate is not None
    assert child(view, QLabel, "created").text() not in ("", "—")
    assert child(view, QLabel, "lastUpdate").text() not in ("", "—")
    # Header dropdowns show the stage and quality and the owner by name and email.
    assert view.stage_combo.currentData() == contact.stageName
    assert view.quality_combo.currentData() == contact.qualityName
    owner_name = dict(demo_data.MEMBERS)[contact.ownerEmail]
    assert view.owner_combo.currentText() == f"{owner_name} — {contact.ownerEmail}"
    assert view.owner_combo.currentData() == contact.ownerEmail
    # Value shows as money in the team's currency when not focused; the raw string stays what the server holds.
    value_edit = view.form.value_edit
    assert value_edit.text() == user_locale().toCurrencyString(float(contact.value), "R$", 2)
    # Tags are chips, in the server's order.
    assert view.tags.tag_names() == list(contact.tags)
    # Notes: newest first by default, each with its text as plain text and a locale time.
    shown = view.notes.entry_widgets()
    assert [w.text_label.text() for w in shown] == [n.text for n in reversed(contact.notes)]
    newest = contact.notes[-1]
    assert newest.timestamp is not None
    expected_time = user_locale().toString(
        __import__("PySide6.QtCore", fromlist=["QTime"]).QTime(newest.timestamp.hour, newest.timestamp.minute),
        QLocale.FormatType.ShortFormat,
    )
    assert shown[0].time_label.text() == expected_time
    assert view.notes.day_headers(), "notes are grouped by day"
    # Toggle: oldest first.
    view.notes.order_button.click()
    assert [w.text_label.text() for w in view.notes.entry_widgets()] == [n.text for n in contact.notes]
    # Nothing was edited by showing it.
    assert not view.has_unsaved_changes()
    assert not view.save_button.isEnabled() and not view.revert_button.isEnabled()
    assert view.current_uid() == contact.uid and service.current == contact


def test_the_mouse_selects_a_notes_text_and_the_uid(qtbot: QtBot, demo_api: ContactApi) -> None:
    contact = _richest_demo_contact(qtbot, demo_api)
    _service, view = make_view(qtbot, demo_api, demo_registry())
    view.show_contact(contact)
    qtbot.waitExposed(view)
    note = view.notes.entry_widgets()[0].text_label
    # The notes take their place in the column once the view has laid the contact out.
    qtbot.waitUntil(lambda: view.childAt(note.mapTo(view, QPoint(2, 2))) is note)
    selected = drag_across(note)
    assert selected and note.text().startswith(selected)
    uid = child(view, QLabel, "uid")
    selected = drag_across(uid)
    assert selected and contact.uid.startswith(selected)


def test_empty_state_offers_search_hint_and_new_contact(qtbot: QtBot, demo_api: ContactApi) -> None:
    _service, view = make_view(qtbot, demo_api, demo_registry())
    view.clear()
    assert view.stack.currentWidget() is view.empty_page
    assert "UID, email or phone" in view.empty_hint.text()
    # Only keys that work with no contact open.
    assert [key.text() for key in view.empty_keys] == ["Ctrl+F, Ctrl+L", "Ctrl+N", "F1"]
    with qtbot.waitSignal(view.new_contact_requested):
        view.new_button.click()
    assert view.current_uid() is None


def test_day_labels_are_relative_for_recent_days(qapp: object) -> None:
    from datetime import date, timedelta

    from crmdesk.ui.notes_timeline import day_label

    today = date(2025, 8, 20)  # a Wednesday
    locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    assert day_label(today, today, locale) == "Today"
    assert day_label(today - timedelta(days=1), today, locale) == "Yesterday"
    assert day_label(today - timedelta(days=3), today, locale) == "Sunday"
    assert day_label(today - timedelta(days=30), today, locale) == "Monday, July 21, 2025"


def test_note_widgets_are_reused_between_contacts(qtbot: QtBot) -> None:
    from datetime import datetime

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    timeline.set_notes([NoteEntry(datetime(2025, 1, 2, 9, 30), "one"), NoteEntry(datetime(2025, 1, 3, 8, 0), "two")])
    first = timeline.entry_widgets()
    timeline.set_notes([NoteEntry(datetime(2025, 2, 1, 10, 0), "other")])
    assert timeline.entry_widgets() == first[:1]
    assert first[0].text_label.text() == "other" and first[1].isHidden()


def test_a_long_note_shows_its_beginning_until_the_rep_asks_for_the_whole(qtbot: QtBot) -> None:
    """A pasted email thread is long: a hundred of them laid out in full froze the window at each contact shown."""
    from datetime import datetime

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(360, 600)
    email = "Forwarded message. " + "The customer asked about the delivery dates and the fees again. " * 40
    short = "Called back, wants a quote."
    notes = [NoteEntry(datetime(2025, 1, 2, 9, 30), email), NoteEntry(datetime(2025, 1, 3, 8, 0), short)]
    timeline.set_notes(notes)
    timeline.show()
    long_entry, short_entry = reversed(timeline.entry_widgets())  # newest first
    shown = long_entry.text_label.text()
    assert len(shown) <= 702 and shown.endswith(" …") and email.startswith(shown[:-2].rstrip())
    assert not long_entry.whole_button.isHidden() and short_entry.whole_button.isHidden()
    assert short_entry.text_label.text() == short

    assert long_entry.whole_button.accessibleName() == f"Show the whole note of {long_entry.time_label.text()}"
    timeline.activateWindow()
    qtbot.waitUntil(timeline.isActiveWindow)
    long_entry.whole_button.setFocus()
    qtbot.keyClick(long_entry.whole_button, Qt.Key.Key_Space)  # from the keyboard
    assert long_entry.text_label.text() == email and long_entry.whole_button.isHidden()
    focused = QApplication.focusWidget()
    assert focused is not None and focused.objectName() == "notesScroll"  # not the next note's button
    timeline.set_notes(notes, keep_pending=True)  # the same contact read again: still whole
    assert timeline.entry_widgets()[1].text_label.text() == email
    timeline.set_notes([NoteEntry(datetime(2025, 2, 1, 10, 0), "other")])  # another contact
    timeline.set_notes(notes)  # and back: the note opens at its beginning again
    assert timeline.entry_widgets()[1].text_label.text() == shown

    # The rep's own long note shows whole while it is sent, and once stored.
    own = "Summary of the call. " + "We went through the whole proposal, line by line. " * 30
    timeline.add_pending(own)
    assert timeline.entry_widgets()[0].text_label.text() == own
    timeline.set_notes([*notes, NoteEntry(datetime(2025, 1, 4, 8, 0), own)], keep_pending=True)
    assert timeline.entry_widgets()[0].text_label.text() == own


def test_a_note_that_grows_is_laid_out_at_its_new_height_after_the_timeline_changed_shape(qtbot: QtBot) -> None:
    """After one contact's timeline held more notes than the next one's, a note opened whole kept the height of its
    beginning, its end cut off; the next contact's longer note was cut off too (their layout items were taken
    out, not deleted, so the widgets reused kept answering to the old ones)."""
    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NoteEntryWidget, NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(700, 500)
    timeline.show()
    qtbot.waitExposed(timeline)

    def laid_out_whole(entry: NoteEntryWidget) -> bool:
        label = entry.text_label
        return label.height() == label.heightForWidth(label.width()) > 0

    timeline.set_notes([NoteEntry(None, f"Call {n}: left a message.") for n in range(5)])
    qtbot.waitUntil(lambda: all(laid_out_whole(entry) for entry in timeline.entry_widgets()))
    timeline.set_notes([NoteEntry(None, " ".join(f"Point {n}." for n in range(200)))])  # fewer rows
    (entry,) = timeline.entry_widgets()
    qtbot.waitUntil(lambda: laid_out_whole(entry))
    beginning = entry.text_label.height()
    entry.whole_button.click()
    qtbot.waitUntil(lambda: entry.text_label.height() > 2 * beginning)
    assert laid_out_whole(entry)

    timeline.set_notes([NoteEntry(None, "Short.")])  # the same rows: texts change in place
    qtbot.waitUntil(lambda: laid_out_whole(timeline.entry_widgets()[0]))
    # Refilled three times, the rows still start at the top, under the buttons, not in the middle of the room.
    first = timeline.entry_widgets()[0]
    assert first.y() < first.fontMetrics().height() * 3  # right under its day's heading
    timeline.set_notes([NoteEntry(None, " ".join(f"Word {n}." for n in range(90)))])
    qtbot.waitUntil(lambda: laid_out_whole(timeline.entry_widgets()[0]))  # neither cut nor the whole note's height


def test_a_long_history_shows_its_latest_notes_and_the_rest_on_request(qtbot: QtBot) -> None:
    from datetime import datetime, timedelta

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NOTES_PAGE, NoteEntryWidget, NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    start = datetime(2023, 1, 2, 9, 0)
    history = [NoteEntry(start + timedelta(hours=5 * i), f"Call {i}") for i in range(250)]
    timeline.set_notes(history)
    # Every shown note is a few widgets: hundreds took seconds to open, and as long again for each note added.
    texts = [widget.text_label.text() for widget in timeline.entry_widgets()]
    assert texts == [f"Call {i}" for i in range(249, 249 - NOTES_PAGE, -1)]
    assert len(timeline.findChildren(NoteEntryWidget)) == NOTES_PAGE
    assert timeline.more_button.isVisibleTo(timeline)
    assert timeline.more_button.text() == "Show older notes (150 more)"

    timeline.add_pending("Sent the contract.")
    texts = [widget.text_label.text() for widget in timeline.entry_widgets()]
    assert texts[:2] == ["Sent the contract.", "Call 249"] and len(texts) == NOTES_PAGE + 1

    qtbot.mouseClick(timeline.more_button, Qt.MouseButton.LeftButton)
    assert len(timeline.entry_widgets()) == 2 * NOTES_PAGE + 1
    assert timeline.more_button.text() == "Show older notes (50 more)"
    qtbot.mouseClick(timeline.more_button, Qt.MouseButton.LeftButton)
    assert timeline.entry_widgets()[-1].text_label.text() == "Call 0"
    assert not timeline.more_button.isVisibleTo(timeline) and timeline.hidden_count() == 0

    # Another contact starts again at its latest notes. Oldest first, they are the same latest notes, the button
    # for the older ones above them, and a note added stays in sight once it is stored.
    timeline.set_notes(history[:120])
    assert len(timeline.entry_widgets()) == NOTES_PAGE and timeline.hidden_count() == 20
    # The rows the whole history needed go (thousands of notes left thousands of rows behind); a page's stay.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(timeline.findChildren(NoteEntryWidget)) <= NOTES_PAGE + 10
    timeline.set_newest_first(False)
    texts = [widget.text_label.text() for widget in timeline.entry_widgets()]
    assert texts == [f"Call {i}" for i in range(20, 120)]
    assert timeline.more_button.text() == "Show older notes (20 more)"
    more_parent = timeline.more_button.parentWidget()
    assert more_parent is not None
    layout = more_parent.layout()
    assert layout is not None
    assert layout.indexOf(timeline.more_button) < layout.indexOf(timeline.entry_widgets()[0])
    timeline.add_pending("Left a voicemail.")
    assert timeline.entry_widgets()[-1].text_label.text() == "Left a voicemail."
    stored = NoteEntry(start + timedelta(hours=5 * 120), "Left a voicemail.")
    timeline.confirm("Left a voicemail.")
    timeline.set_notes([*history[:120], stored], keep_pending=True)  # as the contact view does, read again
    texts = [widget.text_label.text() for widget in timeline.entry_widgets()]
    assert texts[-2:] == ["Call 119", "Left a voicemail."] and len(texts) == NOTES_PAGE
    assert timeline.more_button.text() == "Show older notes (21 more)"


def test_a_note_added_is_scrolled_into_sight_in_either_order(qtbot: QtBot) -> None:
    from datetime import datetime, timedelta

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(400, 400)
    timeline.show()
    timeline.set_notes([NoteEntry(datetime(2025, 3, 1, 9) + timedelta(hours=i), f"Call {i}") for i in range(40)])
    scroll = timeline.findChild(QScrollArea, "notesScroll")
    assert scroll is not None
    bar = scroll.verticalScrollBar()
    for newest_first, start in ((False, 0), (True, "end")):
        timeline.set_newest_first(newest_first)
        qtbot.waitUntil(lambda: bar.maximum() > 0)
        bar.setValue(0 if start == 0 else bar.maximum())  # where the rep was reading
        timeline.add_pending(f"Sent the proposal ({newest_first}).")
        qtbot.wait(50)  # the turns in which the scroll area would grow the timeline by the new row
        pending = timeline.entry_widgets()[0 if newest_first else -1]
        assert pending.text_label.text() == f"Sent the proposal ({newest_first})."
        top_left = pending.mapTo(scroll.viewport(), pending.rect().topLeft())
        assert 0 <= top_left.y() and top_left.y() + pending.height() <= scroll.viewport().height(), top_left


def test_older_notes_shown_above_keep_the_note_the_rep_was_reading_in_place(qtbot: QtBot) -> None:
    from datetime import datetime, timedelta

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NOTES_PAGE, NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(400, 500)
    timeline.show()
    timeline.set_notes([NoteEntry(datetime(2024, 3, 1, 9) + timedelta(hours=i), f"Call {i}") for i in range(250)])
    timeline.set_newest_first(False)
    scroll = timeline.findChild(QScrollArea, "notesScroll")
    assert scroll is not None
    bar = scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(0)  # oldest first, "Show older notes" is at the top, above the first note shown

    def where(text: str) -> int:
        (widget,) = [entry for entry in timeline.entry_widgets() if entry.text_label.text() == text]
        return widget.mapTo(scroll.viewport(), widget.rect().topLeft()).y()

    first = f"Call {250 - NOTES_PAGE}"
    before = where(first)
    qtbot.mouseClick(timeline.more_button, Qt.MouseButton.LeftButton)
    qtbot.wait(50)  # the turns in which the scroll area would lay the longer timeline out
    # The older notes come in above, out of sight; the rep goes on reading where they were, and scrolls up for more.
    assert timeline.entry_widgets()[0].text_label.text() == f"Call {250 - 2 * NOTES_PAGE}"
    assert where(first) == before and bar.value() > 0


def test_in_a_large_font_no_note_runs_past_the_timelines_right_edge(qtbot: QtBot) -> None:
    """A low-vision rep's 16 pt font: a long day heading widened every row past the view, and with no
    horizontal scroll bar the notes' text was cut off."""
    from datetime import datetime

    from PySide6.QtGui import QFont

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    large = QFont(timeline.font())
    large.setPointSize(16)
    timeline.setFont(large)
    timeline.setFixedSize(300, 500)  # its column in the window: it cannot grow to fit
    timeline.show()
    timeline.set_notes([NoteEntry(datetime(2025, 8, 20, 9, 30), "Owner loved the samples and asked about credit")])
    scroll = timeline.findChild(QScrollArea, "notesScroll")
    assert scroll is not None and scroll.accessibleName() == "Notes"
    qtbot.waitUntil(lambda: cast(QWidget, scroll.widget()).width() > 0)
    qtbot.wait(50)  # the layout settles
    assert cast(QWidget, scroll.widget()).width() <= scroll.viewport().width()
    (heading,) = [label for label in timeline.findChildren(QLabel, "noteDay") if label.isVisible()]
    # The whole day shows, its year too: on two lines if it must, never cut short at the right.
    assert heading.width() <= scroll.viewport().width()
    needed = heading.fontMetrics().horizontalAdvance(heading.text())
    assert needed > heading.contentsRect().width(), "the test needs a heading too long for one line"
    assert heading.height() >= 2 * heading.fontMetrics().height()


@pytest.mark.parametrize("name", [("Ana", "Lima"), ("ليلى", "حداد")], ids=["latin", "arabic"])
def test_the_headers_name_starts_at_the_left_of_a_left_to_right_window_in_any_script(
    qtbot: QtBot, demo_api: ContactApi, name: tuple[str, str]
) -> None:
    from dataclasses import replace

    from PySide6.QtGui import QColor

    _service, view = make_view(qtbot, demo_api, demo_registry("name-script"))
    contact = run(qtbot, demo_api.get_contact(uid=demo_data.CONTACTS[0]["uid"]))
    assert isinstance(contact, Contact)
    view.resize(1000, 700)
    view.show_contact(replace(contact, firstName=name[0], lastName=name[1]))
    title = view.findChild(QLabel, "fullName")
    assert title is not None
    qtbot.waitUntil(lambda: title.width() > 300)
    image = title.grab().toImage()
    background = QColor(image.pixelColor(image.width() - 1, 0))
    inked = [x for x in range(image.width()) for y in range(image.height()) if image.pixelColor(x, y) != background]
    assert inked and min(inked) < title.width() // 4, (min(inked), title.width())


def test_a_name_too_long_for_the_header_ends_in_an_ellipsis(qtbot: QtBot, demo_api: ContactApi) -> None:
    from dataclasses import replace

    from crmdesk.ui.elided_label import ElidedLabel

    _service, view = make_view(qtbot, demo_api, demo_registry("long-name"))
    contact = run(qtbot, demo_api.get_contact(uid=demo_data.CONTACTS[0]["uid"]))
    assert isinstance(contact, Contact)
    view.show_contact(contact)
    title = view.findChild(QLabel, "fullName")
    assert isinstance(title, ElidedLabel)
    qtbot.waitUntil(lambda: title.width() > 0)
    assert not title.is_elided()
    long_name = "Maria Eduarda de Albuquerque Cavalcanti Oliveira dos Santos Figueiredo e Vasconcelos"
    view.show_contact(replace(contact, firstName="Maria Eduarda", lastName=long_name[14:]))
    qtbot.waitUntil(lambda: title.text() == long_name)
    assert title.is_elided() and title.width() < title.fontMetrics().horizontalAdvance(long_name)


def _times(timeline: object) -> list[str]:
    from crmdesk.ui.notes_timeline import NotesTimeline

    assert isinstance(timeline, NotesTimeline)
    # Qt's en-US times may use a narrow no-break space before AM/PM.
    return [widget.time_label.text().replace("\u202f", " ") for widget in timeline.entry_widgets()]


def test_note_times_written_in_the_accounts_zone_show_in_this_computers(qtbot: QtBot, utc_computer: None) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    # Written at 23:30 in São Paulo: 02:30 the next day in UTC.
    timeline.set_notes([NoteEntry(datetime(2025, 8, 20, 23, 30), "late call")])
    assert timeline.day_headers() == ["Wednesday, August 20, 2025"] and _times(timeline) == ["11:30 PM"]
    timeline.set_account_zone(ZoneInfo("America/Sao_Paulo"))
    assert timeline.day_headers() == ["Thursday, August 21, 2025"] and _times(timeline) == ["2:30 AM"]
    timeline.set_account_zone(None)  # unknown again: taken as written
    assert _times(timeline) == ["11:30 PM"]


def test_a_note_dated_at_the_calendars_end_is_shown_as_written(qtbot: QtBot, utc_computer: None) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.notes_timeline import NotesTimeline

    timeline = NotesTimeline()
    qtbot.addWidget(timeline)
    timeline.set_account_zone(ZoneInfo("Asia/Tokyo"))
    # A vendor's note whose text holds a line like "0001-01-01 00:30 …" parses as an entry of its own.
    timeline.set_notes([NoteEntry(datetime(1, 1, 1, 0, 30), "odd"), NoteEntry(datetime(2025, 8, 20, 9, 0), "ok")])
    assert [widget.text_label.text() for widget in timeline.entry_widgets()] == ["ok", "odd"]
    assert timeline.day_headers()[-1] == "Monday, January 1, 0001"


def test_the_view_shows_notes_in_local_time_once_the_accounts_zone_is_known(
    qtbot: QtBot, demo_api: ContactApi, utc_computer: None
) -> None:
    registry = demo_registry("zone-view")
    _service, view = make_view(qtbot, demo_api, registry)
    contact = run(qtbot, demo_api.get_contact(uid=demo_data.CONTACTS[0]["uid"]))
    assert isinstance(contact, Contact)
    view.show_contact(contact)
    # The demo server stamps notes in São Paulo time; its sample notes were taken at 12:15, 14:30 and 17:05 UTC.
    assert sorted(_times(view.notes)) == ["11:30 AM", "2:05 PM", "9:15 AM"]
    registry.set_account_time_zone(demo_data.TIME_ZONE)
    assert sorted(_times(view.notes)) == ["12:15 PM", "2:30 PM", "5:05 PM"]


def test_adding_a_note_teaches_the_view_the_accounts_zone(
    qtbot: QtBot, qasync_loop: object, live_server: LiveServer, utc_computer: None
) -> None:
    from datetime import UTC, datetime, timedelta

    from PySide6.QtCore import QTime

    account = live_server.add_account(time_zone="America/Sao_Paulo")
    api = make_api(account.base_url, account.token)
    registry = demo_registry("learn-view")
    assert registry.account_time_zone() == ""  # nobody has said where the account is
    _service, view = make_view(qtbot, api, registry)
    view.show_contact(create_contact(qtbot, api, name="Rita Lobo", email="rita@example.com"))
    before = datetime.now(UTC)
    view.notes.input.setPlainText("Called back about the invoice.")
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    after = datetime.now(UTC)
    # The server stamped the note in São Paulo time; the view now knows the offset and shows the note at the
    # moment it was added, in this computer's (UTC) time, rather than three hours earlier.
    assert registry.account_time_zone() == "Etc/GMT+3"
    locale = user_locale()
    moments = {before.replace(second=0, microsecond=0) + timedelta(minutes=m) for m in range(-1, 2)}
    moments = {moment for moment in moments if moment <= after}
    expected = {locale.toString(QTime(m.hour, m.minute), QLocale.FormatType.ShortFormat) for m in moments}
    newest = view.notes.entry_widgets()[0]
    assert newest.text_label.text() == "Called back about the invoice."
    assert newest.time_label.text() in expected, (newest.time_label.text(), expected)
    assert view.notes.day_headers()[0] == "Today"
    close_api(qtbot, api)


@pytest.mark.parametrize("clock_off_by", [-3 * 3600, 3 * 3600], ids=["computer 3 h slow", "computer 3 h fast"])
def test_a_computer_clock_hours_off_teaches_no_wrong_zone(
    clock_off_by: int,
    qtbot: QtBot,
    qasync_loop: object,
    live_server: LiveServer,
    utc_computer: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Just after waking, or on a computer whose clock was never set: a note added then taught the account a zone
    hours off, kept in the registry, and every note time on every contact followed it."""
    import time as real_time
    from datetime import datetime, timedelta, tzinfo

    import crmdesk.api.client as client_module

    account = live_server.add_account(time_zone="America/Sao_Paulo")
    api = make_api(account.base_url, account.token)
    registry = demo_registry(f"clock-{clock_off_by}")
    _service, view = make_view(qtbot, api, registry)
    view.show_contact(create_contact(qtbot, api, name="Rita Lobo", email="rita@example.com"))

    class Clock:  # this computer's clock, off by hours; the server's (in this process too) is right
        @staticmethod
        def time() -> float:
            return real_time.time() + clock_off_by

        monotonic = staticmethod(real_time.monotonic)
        perf_counter = staticmethod(real_time.perf_counter)

    monkeypatch.setattr(client_module, "time", Clock)

    class OffDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> OffDatetime:
            moment = datetime.now(tz) + timedelta(seconds=clock_off_by)
            return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)

    import crmdesk.services.contact as contact_module

    monkeypatch.setattr(contact_module, "datetime", OffDatetime)
    view.notes.input.setPlainText("Called back about the invoice.")
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    assert registry.account_time_zone() == "Etc/GMT+3"  # São Paulo's offset, by the server's clock
    close_api(qtbot, api)


def test_a_note_answered_with_a_nonsense_date_is_still_added(
    qtbot: QtBot, qasync_loop: object, live_server: LiveServer, utc_computer: None
) -> None:
    """The server's clock is read from each answer's Date: one no clock can show (a broken proxy's) failed the note
    after it was stored, and the rep, told to send it again, would have kept it twice."""
    import httpx

    class NonsenseDate(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            if request.url.path == "/api/contact/note/add":
                response.headers["Date"] = "Fri, 31 Dec 9999 23:59:59 -2359"
            return response

        async def aclose(self) -> None:
            await self.inner.aclose()

    account = live_server.add_account(time_zone="America/Sao_Paulo")
    api = make_api(account.base_url, account.token, transport=NonsenseDate())
    registry = demo_registry("nonsense-date")
    _service, view = make_view(qtbot, api, registry)
    view.show_contact(create_contact(qtbot, api, name="Rita Lobo", email="rita@example.com"))
    view.notes.input.setPlainText("Called back about the invoice.")
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    assert view.notes.input.toPlainText() == ""
    assert registry.account_time_zone() == "Etc/GMT+3"
    close_api(qtbot, api)


def test_the_time_zone_list_opens_at_the_zone_in_the_field_and_shows_whole_names(qtbot: QtBot) -> None:
    from crmdesk.ui.contact_form import TimeZoneCombo

    combo = TimeZoneCombo()
    qtbot.addWidget(combo)
    combo.show()
    combo.setEditText("America/Sao_Paulo")
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    assert view.currentIndex().data() == "America/Sao_Paulo"  # not Africa/Abidjan, the list's first
    assert view.viewport().width() >= view.sizeHintForColumn(0)  # "America/Argentina/ComodRivadavia" whole
    assert combo.currentText() == "America/Sao_Paulo"
    combo.hidePopup()


def test_the_birthday_calendar_follows_the_palette(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt, QTimer

    from crmdesk.ui.contact_form import BirthdayEdit

    edit = BirthdayEdit()
    qtbot.addWidget(edit)
    edit.show()
    QTimer.singleShot(100, lambda: edit._menu.close())
    edit.button.showMenu()
    calendar = edit.calendar
    assert calendar is not None
    text = calendar.palette().color(QPalette.ColorRole.Text)
    for day in (Qt.DayOfWeek.Saturday, Qt.DayOfWeek.Sunday):  # Qt's default is pure red, harsh on dark fields
        assert calendar.weekdayTextFormat(day).foreground().color() == text


def test_the_birthday_calendars_month_arrows_point_the_way_they_go_right_to_left(qtbot: QtBot) -> None:
    """Right to left, the previous month is the button at the right: both arrows used to point left."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QToolButton

    from crmdesk.ui.contact_form import BirthdayEdit

    def arrows(edit: BirthdayEdit) -> list[bytes]:
        calendar = edit.calendar
        assert calendar is not None
        shown = []
        for name in ("qt_calendar_prevmonth", "qt_calendar_nextmonth"):
            button = calendar.findChild(QToolButton, name)
            assert button is not None
            image = button.icon().pixmap(16, 16).toImage()
            shown.append(bytes(image.constBits()))
        return shown

    opened = []
    for direction in (Qt.LayoutDirection.LeftToRight, Qt.LayoutDirection.RightToLeft):
        QGuiApplication.setLayoutDirection(direction)
        try:
            edit = BirthdayEdit()
            qtbot.addWidget(edit)
            edit.show()
            QTimer.singleShot(100, lambda edit=edit: edit._menu.close())
            edit.button.showMenu()
            opened.append(arrows(edit))
        finally:
            QGuiApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    (left_to_right_back, left_to_right_forward), (right_to_left_back, right_to_left_forward) = opened
    assert left_to_right_back != left_to_right_forward
    assert (right_to_left_back, right_to_left_forward) == (left_to_right_forward, left_to_right_back)


def test_the_birthday_calendar_opens_on_the_field_date_and_fills_the_field(qtbot: QtBot) -> None:
    from PySide6.QtCore import QDate, Qt, QTimer
    from PySide6.QtWidgets import QTableView

    from crmdesk.ui.contact_form import BirthdayEdit

    edit = BirthdayEdit()
    qtbot.addWidget(edit)
    edit.show()
    assert edit.calendar is None, "made when first opened, not with every form"
    edit.line.setText("1985-03-14")
    seen: list[tuple[bool, QDate]] = []

    def pick() -> None:
        calendar = edit.calendar
        assert calendar is not None
        seen.append((calendar.isVisible(), calendar.selectedDate()))
        calendar.clicked.emit(QDate(1985, 3, 20))  # what a click on the 20th sends; it closes the menu

    QTimer.singleShot(100, pick)
    edit.button.showMenu()  # returns once the menu has closed
    assert seen == [(True, QDate(1985, 3, 14))]
    assert edit.line.text() == "1985-03-20"
    # Opened again: the same calendar, on the new date.
    calendar = cast(QCalendarWidget, edit.calendar)  # made by the first opening (mypy still thinks None)

    def pick_again() -> None:
        assert edit.calendar is calendar
        seen.append((calendar.isVisible(), calendar.selectedDate()))
        calendar.clicked.emit(QDate(1985, 3, 21))

    QTimer.singleShot(100, pick_again)
    edit.button.showMenu()
    assert seen[1:] == [(True, QDate(1985, 3, 20))]
    assert edit.line.text() == "1985-03-21"

    def by_keyboard() -> None:  # arrows to the next day, Enter to take it (the calendar's grid has the keys)
        QTimer.singleShot(500, edit._menu.close)  # Enter should have closed it: never hang the suite
        grid = calendar.findChild(QTableView)
        assert grid is not None
        qtbot.keyClick(grid, Qt.Key.Key_Right)
        qtbot.keyClick(grid, Qt.Key.Key_Return)

    QTimer.singleShot(100, by_keyboard)
    edit.button.showMenu()
    assert edit.line.text() == "1985-03-22"


def test_a_contact_with_hundreds_of_tags_lays_its_chips_out_once_and_keeps_few_spares(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tags only pile up (the API cannot remove one). Each chip shown laid out every chip before it: 1,000 tags
    took 1.6 s to open, every time; and a visit to such a contact kept 999 hidden chips for the session."""
    from crmdesk.ui.tag_chips import SPARE_CHIPS, TagChip, TagChips

    chips = TagChips()
    qtbot.addWidget(chips)
    chips.resize(400, 300)
    chips.show()
    qtbot.waitExposed(chips)
    passes: list[int] = []
    lay_out = chips._flow._do_layout

    def counted(rect: QRect, *, test_only: bool) -> int:
        passes.append(1)
        return lay_out(rect, test_only=test_only)

    monkeypatch.setattr(chips._flow, "_do_layout", counted)
    tags = [f"Campaign {number:03d}" for number in range(300)]
    chips.set_tags(tags)
    qtbot.waitUntil(lambda: chips.chips()[-1].geometry().bottom() > chips.chips()[0].geometry().bottom())
    assert len(passes) < 100  # one per chip before (300); now a few, for the scroll area's size questions
    placed = [chip.geometry() for chip in chips.chips()]
    assert all(chip.isVisible() for chip in chips.chips())
    assert not any(one.intersects(other) for one, other in itertools.pairwise(placed))
    assert max(rect.right() for rect in placed) < chips._chip_area.width()
    chips.set_tags(["One tag"])
    qtbot.waitUntil(lambda: len(chips._chip_area.findChildren(TagChip)) == 1 + SPARE_CHIPS)
    assert chips.tag_names() == ["One tag"]


def test_the_contact_stays_in_place_while_a_request_is_on_its_way(qtbot: QtBot, demo_api: ContactApi) -> None:
    """The thin progress bar above it took its 3 px only while shown: the whole contact jumped down and back
    with each save, note, tag or stage change."""
    _service, view = make_view(qtbot, demo_api, demo_registry())
    view.show_contact(_richest_demo_contact(qtbot, demo_api))
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    before = view.stack.mapTo(view, view.stack.rect().topLeft())
    view.set_loading(True)
    qtbot.waitUntil(view.progress.isVisible)
    QApplication.processEvents()
    assert view.stack.mapTo(view, view.stack.rect().topLeft()) == before
    view.set_loading(False)
