"""What a rep reads in the contact view: dates, money and long values shown properly, and a compact layout."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import cast

import pytest
from PySide6.QtCore import QLocale, QObject, Qt, QTime
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact
from crmdesk.contract import NoteEntry
from crmdesk.services.registry import Registry
from crmdesk.ui.contact_form import FORM_FIELDS
from crmdesk.ui.contact_view import HEADER_FIELDS, ContactView
from crmdesk.ui.formatting import (
    exact_moment,
    format_currency,
    format_moment,
    plain_amount,
    relative_moment,
    user_locale,
)
from crmdesk.ui.settings_dialog import SettingsDialog
from tests.ui.contact_support import (
    RecordingTransport,
    child,
    create_contact,
    make_view,
    read_back,
)

GERMANY = QLocale(QLocale.Language.German, QLocale.Country.Germany)
US = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
UK = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
BRAZIL = QLocale(QLocale.Language.Portuguese, QLocale.Country.Brazil)
LONG_EMAIL = "ana.oliveira.comercial.vendas.regionais.sudeste@padaria-sol-do-sul-e-centro-oeste-e-nordeste.com.br"


@pytest.fixture
def default_locale() -> Iterator[None]:
    """Let a test pick the user's locale and give the next test the one it had."""
    before = QLocale()
    yield
    QLocale.setDefault(before)


@pytest.fixture
def contact(qtbot: QtBot, api: ContactApi) -> Contact:
    return create_contact(
        qtbot,
        api,
        firstName="Ana",
        lastName="Oliveira",
        email=LONG_EMAIL,
        phone="+5511987654321",
        businessName="Padaria Sol do Sul",
        address="Rua Augusta, 1200, conjunto 45, Consolação",
        city="São Paulo",
        timeZone="America/Sao_Paulo",
        value="12000.00",
        snapshot="Three bakeries, wants online ordering by Christmas.",
        stageName="Qualified",
        tags=["Hot Lead", "Website"],
        note="Called, sent prices.",
    )


@pytest.fixture
def view(qtbot: QtBot, api: ContactApi, registry: Registry, contact: Contact, default_locale: None) -> ContactView:
    QLocale.setDefault(US)
    _service, contact_view = make_view(qtbot, api, registry)
    contact_view.show_contact(contact)
    return contact_view


def _local(moment: datetime) -> datetime:
    return moment.astimezone()


# --- Dates ------------------------------------------------------------------------------------------------------


def test_moments_read_as_a_medium_date_and_a_short_time_in_the_users_locale(qapp: object) -> None:
    moment = datetime(2025, 8, 4, 12, 10, tzinfo=UTC)
    local = _local(moment)
    assert format_moment(moment, UK) == f"{local.day} Aug 2025, {local:%H:%M}"
    us_time = US.toString(QTime(local.hour, local.minute), QLocale.FormatType.ShortFormat)
    assert us_time.endswith(("AM", "PM")), us_time
    assert format_moment(moment, US) == f"Aug {local.day}, 2025, {us_time}"
    # Date and time are joined as the locale joins them: a Latin comma is English's, not Japanese's or Arabic's.
    assert format_moment(moment, BRAZIL) == f"{local.day} de ago. de 2025 {local:%H:%M}"
    assert format_moment(moment, QLocale("ja_JP")) == f"2025年8月{local.day}日 {local.hour}:{local:%M}"
    assert "," not in format_moment(moment, QLocale("ar_SA"))
    assert format_moment(None, UK) == "—"
    # The tooltip form is exact: full date, seconds and zone.
    assert f"August 2025 {local:%H:%M:%S}" in exact_moment(moment, UK)


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        # 01:50 EDT, then 01:05 after the clocks went back: EST, 06:05 UTC (not 05:05, before the note above).
        ([(1, 50), (1, 5), (1, 20)], [(5, 50), (6, 5), (6, 20)]),
        ([(1, 5), (1, 50)], [(5, 5), (5, 50)]),  # both in the first pass: nothing says otherwise
        ([(0, 30), (2, 30)], [(4, 30), (7, 30)]),  # outside the repeated hour
    ],
    ids=["fold", "first pass", "plain"],
)
def test_notes_in_the_hour_summer_time_repeats_read_in_the_order_they_were_added(
    monkeypatch: pytest.MonkeyPatch, stamps: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    import time
    from zoneinfo import ZoneInfo

    from crmdesk.ui.formatting import account_stamps_to_local

    monkeypatch.setenv("TZ", "UTC")  # this computer's zone: the local times read back as UTC
    time.tzset()
    try:
        local = account_stamps_to_local(
            [datetime(2025, 11, 2, hour, minute) for hour, minute in stamps], ZoneInfo("America/New_York")
        )
    finally:
        monkeypatch.undo()
        time.tzset()
    assert local == [datetime(2025, 11, 2, hour, minute) for hour, minute in expected]


@pytest.mark.parametrize("locale", [UK, US, BRAZIL], ids=["UK", "US", "Brazil"])
def test_the_widest_moment_is_at_least_as_wide_as_any_moment_shown(qapp: object, locale: QLocale) -> None:
    from PySide6.QtGui import QFontMetrics

    from crmdesk.ui.formatting import widest_moment

    metrics = QFontMetrics(QLabel().font())
    widest = metrics.horizontalAdvance(widest_moment(locale, metrics.horizontalAdvance))
    # Every day of a year, at the hour that is widest for the local clock (one-digit and two-digit, AM and PM).
    start = datetime(2025, 1, 1, 0, 59).astimezone()
    moments = [start + timedelta(days=day, hours=hour) for day in range(0, 365, 3) for hour in (0, 9, 10, 12, 21, 23)]
    assert max(metrics.horizontalAdvance(format_moment(moment, locale)) for moment in moments) <= widest


def test_recent_moments_read_relative(qapp: object) -> None:
    moment = datetime(2025, 8, 20, 12, 5, tzinfo=UTC)
    assert relative_moment(moment, UK, now=moment + timedelta(seconds=20)) == "just now"
    assert relative_moment(moment, UK, now=moment - timedelta(minutes=2)) == "just now", "a server clock ahead"
    assert relative_moment(moment, UK, now=moment + timedelta(minutes=1)) == "1 min ago"
    assert relative_moment(moment, UK, now=moment + timedelta(minutes=42)) == "42 min ago"
    assert relative_moment(moment, UK, now=moment + timedelta(hours=2, minutes=59)) == "2 h ago"
    day_later = moment + timedelta(hours=24)
    assert relative_moment(moment, UK, now=day_later) == f"yesterday, {_local(moment):%H:%M}"
    weeks_later = moment + timedelta(days=20)
    assert relative_moment(moment, UK, now=weeks_later) == format_moment(moment, UK)


def test_the_posix_c_locale_falls_back_to_a_readable_one(qapp: object, default_locale: None) -> None:
    # LANG=C.UTF-8 gives Qt the "C" locale: no currency symbol, no grouping, dates as "4 08 2025".
    QLocale.setDefault(QLocale.c())
    assert user_locale().name() == "en_US"
    assert format_currency("12000.00", user_locale(), "USD") == "$12,000.00"
    assert not re.search(r"\d+ \d\d \d{4}", format_moment(datetime(2025, 8, 4, 12, 10, tzinfo=UTC), user_locale()))
    QLocale.setDefault(BRAZIL)
    assert user_locale().name() == "pt_BR", "a real locale is always used as it is"


def test_header_shows_created_as_a_date_and_a_fresh_update_relative_with_the_exact_time_in_a_tooltip(
    view: ContactView, contact: Contact
) -> None:
    created = child(view, QLabel, "created")
    updated = child(view, QLabel, "lastUpdate")
    assert created.text() == format_moment(contact.created, US)
    assert created.toolTip() == exact_moment(contact.created, US)
    # The contact was written a moment ago.
    assert updated.text() == "just now"
    assert contact.lastUpdate is not None and updated.toolTip() == exact_moment(contact.lastUpdate, US)
    assert view.updated_caption.text() == "Updated" and view.updated_caption.isVisible()


# --- Long values and money --------------------------------------------------------------------------------------


def test_long_values_open_at_their_beginning(qtbot: QtBot, view: ContactView, contact: Contact) -> None:
    email = child(view, QLineEdit, "email")
    assert email.text() == LONG_EMAIL
    assert email.width() < email.fontMetrics().horizontalAdvance(LONG_EMAIL), "the test needs a value that is cut"
    for name in ("email", "address", "businessName", "value"):
        assert child(view, QLineEdit, name).cursorPosition() == 0, name
    # Also when switching from one contact to another and after Revert.
    email.setCursorPosition(len(LONG_EMAIL))
    view.show_contact(contact)
    assert email.cursorPosition() == 0
    email.setText(LONG_EMAIL + "x")
    view.revert()
    assert email.text() == LONG_EMAIL and email.cursorPosition() == 0
    # The zone field shows a dozen characters; its tooltip names the zone whole, as it changes.
    assert view.form.time_zone_combo.toolTip() == "America/Sao_Paulo"
    view.form.time_zone_combo.setEditText("America/Argentina/ComodRivadavia")
    assert view.form.time_zone_combo.toolTip() == "America/Argentina/ComodRivadavia"


def test_value_shows_as_currency_until_focused_and_save_sends_the_raw_string(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact, transport: RecordingTransport
) -> None:
    view.registry.set_currency("USD")
    value = view.form.value_edit
    assert value.text() == "$12,000.00"
    view.activateWindow()
    value.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(value.hasFocus)
    assert value.text() == "12000.00", "editing shows the stored number, not the display"
    city = child(view, QLineEdit, "city")
    city.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: not value.hasFocus())
    assert value.text() == "$12,000.00"
    assert not view.has_unsaved_changes(), "formatting the display is not an edit"

    # Saving another field leaves value alone: not sent, and the server keeps its exact string.
    transport.sent.clear()
    city.selectAll()
    qtbot.keyClicks(city, "Campinas")
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save_button.click()
    puts = [sent.body for sent in transport.writes() if sent.method == "PUT"]
    assert puts == [{"uid": contact.uid, "city": "Campinas"}]
    assert read_back(qtbot, api, contact.uid).value == "12000.00"
    assert value.text() == "$12,000.00"

    # An edited value goes out exactly as typed.
    transport.sent.clear()
    value.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(value.hasFocus)
    value.selectAll()
    qtbot.keyClicks(value, "15000.5")
    city.setFocus(Qt.FocusReason.TabFocusReason)
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save_button.click()
    assert [sent.body for sent in transport.writes() if sent.method == "PUT"] == [
        {"uid": contact.uid, "value": "15000.5"}
    ]
    assert value.text() == "$15,000.50"


def test_money_is_written_the_locales_way_and_what_cannot_be_read_is_left(qapp: object) -> None:
    assert format_currency("12000.00", BRAZIL, "BRL") == BRAZIL.toCurrencyString(12000.0)
    assert "12.000,00" in format_currency("12000.00", BRAZIL, "BRL")
    assert format_currency("1,250.50", US, "USD") == "$1,250.50"
    for unreadable in (
        "about 5k",
        "nan",
        "inf",
        "",
        "1e9",
        "12..5",
        "1,2,3",
        "1.5.5",
        "12,000,50",
        "9" * 400,
        "12345678901234567890",  # more digits than Qt's float formatting keeps: "12,345,678,901,234,567,168"
        "9" * 64,
    ):
        assert format_currency(unreadable, US, "USD") == unreadable == format_currency(unreadable, US)
    assert format_currency("999999999999999", US) == "999,999,999,999,999"  # fifteen digits still read whole
    assert format_currency("1234567890123.45", US, "USD") == "$1,234,567,890,123.45"


def test_an_amount_typed_in_any_locales_style_shows_its_one_reading_and_never_a_wrong_one(qapp: object) -> None:
    # A Brazilian rep types "1.250,50": the same amount, not one and a quarter, in every locale.
    assert format_currency("1.250,50", US, "USD") == "$1,250.50"
    assert "1.250,50" in format_currency("1.250,50", BRAZIL, "BRL")
    assert "1.250,50" in format_currency("1,250.50", BRAZIL, "BRL")
    assert format_currency("1.250.000", US, "USD") == "$1,250,000.00"
    assert format_currency("1,25,000", US, "USD") == "$125,000.00"  # India's lakhs: one way to read it
    assert format_currency("12,5", US, "USD") == "$12.50"
    assert format_currency("-300", US, "USD") == US.toCurrencyString(-300.0)
    # "12.000" is twelve thousand in Brazil and twelve in the US; "1,250" the other way round: shown as typed.
    for ambiguous in ("12.000", "1,250", "999.999"):
        assert (
            format_currency(ambiguous, US, "USD") == ambiguous
            and format_currency(ambiguous, BRAZIL, "BRL") == ambiguous
        )


@pytest.mark.parametrize(
    ("locale", "typed", "stored"),
    [
        (BRAZIL, "25/12/1990", "1990-12-25"),
        (US, "5/4/1990", "1990-05-04"),  # the US order: May 4
        (BRAZIL, "5/4/1990", "1990-04-05"),
        (GERMANY, "25.12.90", "1990-12-25"),  # a two-digit year is the latest before today
        (QLocale("ja_JP"), "1990/12/25", "1990-12-25"),
        (US, "25/12/1990", "1990-12-25"),  # from a European email: the only real date it can be
        (BRAZIL, "1990-4-5", "1990-04-05"),
        (QLocale("ja_JP"), "\uff11\uff19\uff19\uff10\uff0d\uff11\uff12\uff0d\uff12\uff15", "1990-12-25"),
    ],
    ids=["br", "us", "br order", "de short year", "jp", "us unambiguous", "iso short", "full-width"],
)
def test_a_birthday_typed_the_way_the_reps_country_writes_dates_is_stored_as_that_date(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact, locale: QLocale, typed: str, stored: str
) -> None:
    QLocale.setDefault(locale)
    birthday = view.form.birthday_edit.line
    birthday.setFocus()
    birthday.selectAll()
    birthday.insert(typed)  # pasted: QTest types only Latin-1
    assert view.form.message("birthday") == ""
    assert view.form.changes() == {"birthday": stored}
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save()  # Ctrl+S, the cursor still in the field
    assert read_back(qtbot, api, contact.uid).birthday == stored
    assert birthday.text() == stored  # shown as stored: the rep sees which date it was read as


def test_the_birthday_hint_offers_only_a_form_the_field_reads_in_every_locale(
    qtbot: QtBot, default_locale: None
) -> None:
    from crmdesk.services.pasted import ascii_number
    from crmdesk.ui.contact_form import BirthdayEdit
    from crmdesk.ui.formatting import iso_date

    edit = BirthdayEdit()
    qtbot.addWidget(edit)
    offered = []
    for locale in QLocale.matchingLocales(
        QLocale.Language.AnyLanguage, QLocale.Script.AnyScript, QLocale.Country.AnyCountry
    ):
        QLocale.setDefault(locale)
        hint = edit.format_hint()
        example = re.fullmatch(r"Type the date as 1990-12-25(?: or (.+))?\.", hint)
        assert example is not None, hint
        if example.group(1):
            offered.append(locale.name())
            assert iso_date(ascii_number(example.group(1)), locale) == "1990-12-25", (locale.name(), hint)
    assert {"pt_BR", "en_US", "de_DE"} <= set(offered)


def test_a_two_digit_year_is_the_latest_that_is_not_after_today(qapp: object) -> None:
    from datetime import date

    from crmdesk.ui.formatting import iso_date

    today = date(2026, 11, 28)
    assert iso_date("28/11/26", UK, today) == "2026-11-28"
    assert iso_date("1/12/26", UK, today) == "1926-12-01"  # next month: a birthday is past
    assert iso_date("5/4/90", UK, today) == "1990-04-05"


def test_a_birthday_another_tool_stored_in_its_own_way_is_shown_as_stored_and_no_edit(
    view: ContactView, contact: Contact
) -> None:
    # The vendor may hold what its own validation took; reading it must not count as a change to save.
    QLocale.setDefault(BRAZIL)
    view.show_contact(dataclasses.replace(contact, birthday="14/03/1990"))
    assert view.form.birthday_edit.line.text() == "14/03/1990"
    assert view.form.changes() == {} and not view.has_unsaved_changes()


def test_a_birthday_that_is_no_date_says_how_to_type_one_in_the_reps_way(
    qtbot: QtBot, view: ContactView, locale: QLocale = BRAZIL
) -> None:
    QLocale.setDefault(locale)
    birthday = view.form.birthday_edit.line
    birthday.setFocus()
    birthday.selectAll()
    birthday.insert("31/02/1990")  # no reading of it is a real date
    assert view.form.message("birthday") == "Type the date as 1990-12-25 or 25/12/1990."
    assert not view.save_button.isEnabled()
    QLocale.setDefault(QLocale("ja_JP"))  # writes dates year first, as the API does
    birthday.insert("x")
    assert view.form.message("birthday") == "Type the date as 1990-12-25."


# Locales whose numbers no other locale writes alike, left out: Ge'ez groups digits with "ወ", N'Ko with the Arabic
# comma, and Toki Pona in pairs ("1 23 45 67").
_OWN_NUMERALS = ("gez", "nqo", "tok")


def test_every_locale_reads_the_value_it_shows_as_the_same_amount(qapp: object) -> None:
    """What the Value field shows, typed back or pasted (Arabic digits and separators, "ر.س." with its direction
    marks, "Afl. 12.500,00"), is the amount shown, in every locale Qt knows, with and without the team's currency."""
    misread = []
    for locale in QLocale.matchingLocales(
        QLocale.Language.AnyLanguage, QLocale.Script.AnyScript, QLocale.Country.AnyCountry
    ):
        if locale.name().startswith(_OWN_NUMERALS):
            continue
        own = locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode)
        for currency in {own, ""}:
            for amount in ("12500", "1234567.5", "0.75"):
                shown = format_currency(amount, locale, currency)
                read = plain_amount(shown, locale, currency)
                if read is None or float(read) != float(amount):
                    misread.append((locale.name(), currency, shown, read))
    assert misread == []


# --- Layout -----------------------------------------------------------------------------------------------------


def _bottom(widget: QWidget, view: ContactView) -> int:
    return widget.mapTo(view, widget.rect().bottomLeft()).y()


def test_the_form_is_compact_and_a_whole_contact_fits_in_a_1280x800_window(
    qtbot: QtBot, view: ContactView, contact: Contact
) -> None:
    # The content area of a 1280×800 main window, after the left pane, toolbar and status bar.
    view.resize(1000, 720)
    qtbot.waitUntil(lambda: view.form.snapshot_edit.height() > 0)
    snapshot = view.form.snapshot_edit
    line = snapshot.fontMetrics().lineSpacing()
    assert 5 * line <= snapshot.height() <= 7 * line + 20, "a few lines, not all the spare height"
    # Revert and Save right under the form, not at the bottom of the column.
    gap = view.save_button.mapTo(view, view.save_button.rect().topLeft()).y() - _bottom(snapshot, view)
    assert 0 <= gap <= 40
    # Nothing of the contact needs scrolling, and the notes use the right column's full height.
    assert view.form_scroll.verticalScrollBar().maximum() == 0
    assert _bottom(view.notes, view) >= view.height() - 20
    assert _bottom(view.save_button, view) < view.height()

    # A long snapshot grows the editor up to a cap, then scrolls inside it.
    snapshot.setPlainText("\n".join(f"line {n}" for n in range(30)))
    qtbot.waitUntil(lambda: snapshot.height() > 7 * line)
    assert snapshot.height() <= 10 * line + 20
    assert snapshot.verticalScrollBar().maximum() > 0
    assert view.form_scroll.verticalScrollBar().maximum() == 0


def test_many_tags_take_the_height_the_notes_leave_unused_and_only_that(
    qtbot: QtBot, api: ContactApi, view: ContactView, contact: Contact
) -> None:
    """Sixty-six tags had four rows and a scroll bar while half the column stood empty under three notes."""
    view.resize(1000, 720)
    tags = [f"Trade fair 2024 follow-up {n:02d}" for n in range(66)]
    scroll = child(view.tags, QScrollArea, "tagScroll")
    notes = child(view.notes, QScrollArea, "notesScroll")
    frame = 2 * scroll.frameWidth()
    # Four rows of tags, and the rep adds a fifth row's tag: the box grows to show it rather than scroll.
    view.show_contact(dataclasses.replace(contact, tags=tuple(tags[:4])))
    row = view.tags.chips()[0].height()
    qtbot.waitUntil(lambda: view.tags.chips()[-1].y() >= 3 * (row + 6))  # four rows, one chip each
    qtbot.wait(50)
    assert scroll.verticalScrollBar().maximum() == 0
    view.tags.add_pending("Brand new tag")
    qtbot.waitUntil(lambda: scroll.height() - frame >= 5 * row)
    assert scroll.verticalScrollBar().maximum() == 0

    few_notes = dataclasses.replace(contact, tags=tuple(tags))
    view.show_contact(few_notes)
    qtbot.waitUntil(lambda: scroll.height() > frame + 8 * row)  # well past four rows
    qtbot.wait(50)  # settled: nothing more to share out
    assert notes.verticalScrollBar().maximum() == 0  # the note still shows without scrolling
    assert scroll.verticalScrollBar().maximum() > 0  # sixty-six tags do not all fit, so the rest scrolls
    # The chips stop at a whole row (a row cut by the edge looks broken); what is left under the notes is less than
    # another row.
    assert (scroll.viewport().height() + 6) % (row + 6) == 0, (scroll.viewport().height(), row)
    assert view.notes.spare_height() < row + 6 + 20  # the column is used, up to a row and its gap

    # Notes added to the same contact take their room back from the tags.
    before = scroll.height()
    view.notes.set_notes([NoteEntry(None, f"Call {n}: left a message.") for n in range(5)], keep_pending=True)
    qtbot.waitUntil(lambda: scroll.height() < before - 3 * row)
    qtbot.wait(50)
    assert notes.verticalScrollBar().maximum() == 0
    assert (scroll.viewport().height() + 6) % (row + 6) == 0

    # A long note opened whole takes its room back too.
    long_note = NoteEntry(None, " ".join(f"Point {n}." for n in range(200)))  # twice LONG_NOTE_CHARS
    view.resize(1600, 800)  # a wide column: the note's beginning and all of it fit beside the tags' rows
    view.notes.set_notes([long_note], keep_pending=True)
    qtbot.wait(100)
    assert scroll.verticalScrollBar().maximum() > 0 and 0 <= view.notes.spare_height() < row + 6 + 20
    before = scroll.height()
    whole = view.notes.findChild(QAbstractButton, "wholeNote")
    assert whole is not None and whole.isVisible()
    whole.click()
    qtbot.waitUntil(lambda: scroll.height() < before - row)
    qtbot.wait(50)
    assert notes.verticalScrollBar().maximum() == 0

    # No notes at all: the notes keep their least height, and the chips stop at a whole row above it, whatever
    # the window's height (the chips were given room the notes could not give up, and squeezed into a cut row).
    view.show_contact(dataclasses.replace(few_notes, uid="NONOTES", notes=()))
    for height in range(560, 800, 23):
        view.resize(1000, height)
        # Settled (the chips are fitted in a turn after the layout's; under load that turn comes late): whole rows.
        qtbot.waitUntil(
            lambda: scroll.height() == scroll.sizeHint().height() and (scroll.viewport().height() + 6) % (row + 6) == 0,
            timeout=3_000,
        )

    view.resize(1000, 720)
    # A contact with many notes too: the notes keep the column, the tags their four rows.
    many_notes = dataclasses.replace(
        few_notes, uid="MANYNOTE", notes=tuple(NoteEntry(None, f"Call {n}: left a message.") for n in range(40))
    )
    view.show_contact(many_notes)
    qtbot.waitUntil(lambda: scroll.height() - frame <= 4 * row + 3 * 6 + 4)
    assert scroll.height() - frame >= 4 * row


def test_the_apis_limits_are_said_where_the_rep_meets_them(view: ContactView) -> None:
    """Only About said what the API cannot do: a new account's dropdowns held nothing but "No stage" without a
    word why, and nothing said a note, once added, is there for good."""
    for field, what in (("stageName", "Stages"), ("qualityName", "Qualities"), ("ownerEmail", "Team members")):
        tip = view.combos[field].toolTip()
        assert f"{what} seen on contacts, and those added in Settings (Ctrl+,)" in tip
        assert "The Contact API has no way to list them." in tip
    assert "Ctrl+1" in view.combos["stageName"].toolTip()
    for widget in (view.notes.input, view.notes.add_button):
        assert "cannot be changed or removed: the Contact API allows neither" in widget.toolTip()
    assert "Tags cannot be removed" in view.tags.input.toolTip()


# --- Names for tests, style sheets and screen readers -----------------------------------------------------------


def _assert_accessible(root: QWidget) -> None:
    buddies = {label.buddy() for label in root.findChildren(QLabel) if label.buddy() is not None}
    inputs = [
        widget
        for widget in root.findChildren(QWidget)
        if isinstance(widget, QLineEdit | QPlainTextEdit) or widget.inherits("QComboBox")
    ]
    for widget in inputs:
        if (
            isinstance(widget, QLineEdit)
            and widget.parent() is not None
            and cast(QObject, widget.parent()).inherits("QComboBox")
        ):
            continue  # an editable combo's own line edit; the combo has the label
        if widget.isHidden() or not widget.isVisibleTo(root):
            continue
        assert widget in buddies or widget.accessibleName(), f"{widget.objectName()} has no label"
    for button in root.findChildren(QAbstractButton):
        if button.isVisibleTo(root) and not button.text().replace("&", "").strip():
            assert button.accessibleName(), f"icon-only button {button.objectName()} has no accessible name"


def test_every_api_field_is_named_labelled_and_every_icon_button_is_named(view: ContactView) -> None:
    for name in (*FORM_FIELDS, *HEADER_FIELDS, "tags", "notes", "uid", "created", "lastUpdate"):
        assert view.findChild(QWidget, name) is not None, name
    labels = view.findChildren(QLabel)
    for name in (*FORM_FIELDS, *HEADER_FIELDS):
        widget = view.findChild(QWidget, name)
        assert any(label.buddy() is widget for label in labels), f"{name} has no label buddy"
    _assert_accessible(view)
    # Create mode shows its own rows (tags, first note); they are labelled too.
    view.start_create()
    _assert_accessible(view)


def test_settings_dialog_names_its_editors(qtbot: QtBot, registry: Registry) -> None:
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.show()
    for name in ("stagesEdit", "qualitiesEdit", "tagsEdit", "membersTable"):
        assert child(dialog, QWidget, name).accessibleName(), name
    _assert_accessible(dialog)


def test_clearing_every_field_of_a_contact_says_why_save_is_off(view: ContactView) -> None:
    # Found by the hypothesis test: an all-blank form was treated like a fresh create form and said nothing.
    view.form.fill(dict.fromkeys(FORM_FIELDS, ""))
    assert view.has_unsaved_changes() and not view.save_button.isEnabled()
    assert view.form.message("firstName") == "A contact needs a first or a last name."
    # A fresh create form is still not scolded before anything is typed.
    view.start_create()
    assert not any(view.form.message(name) for name in FORM_FIELDS)


def test_one_deal_reads_as_the_same_amount_to_reps_in_every_country(qapp: object) -> None:
    """The API keeps a bare number. Each rep's own currency made one BRL deal "12.000,00 €" in Germany, "$12,000.00"
    in the US and "￥12,000" in Japan: three amounts, one of them thirty times too small."""
    germany, japan = QLocale(QLocale.Language.German, QLocale.Country.Germany), QLocale(QLocale.Language.Japanese)
    assert format_currency("12000", germany, "BRL") == "12.000,00\xa0R$"
    assert format_currency("12000", US, "BRL") == "R$12,000.00"
    assert "R$" in format_currency("12000", japan, "BRL") and "12,000.00" in format_currency("12000", japan, "BRL")
    # No currency chosen: a number in the rep's own style, and no symbol that would be a guess.
    assert format_currency("12000", germany) == "12.000" and format_currency("12000.5", US) == "12,000.50"
    # A currency without cents keeps a fraction that was stored, rather than rounding it away.
    assert format_currency("12000", US, "JPY") == "¥12,000" and format_currency("12000.5", US, "JPY") == "¥12,000.5"


def test_the_value_says_which_currency_it_is_in_or_that_none_was_chosen(
    qtbot: QtBot, view: ContactView, registry: Registry
) -> None:
    value = view.form.value_edit
    registry.set_currency("")
    assert value.text() == "12,000.00" and "does not say the currency" in value.toolTip()
    registry.set_currency("brl")  # Settings, or a teammate's registry file
    assert value.text() == "R$12,000.00" and "BRL" in value.toolTip()


@pytest.mark.parametrize(
    ("locale", "typed", "sent"),
    [
        (QLocale(QLocale.Language.German, QLocale.Country.Germany), "12.000", "12000"),
        (QLocale(QLocale.Language.German, QLocale.Country.Germany), "R$ 12.000,50", "12000.50"),
        (QLocale(QLocale.Language.French, QLocale.Country.France), "12\u202f000,50", "12000.50"),
        (QLocale(QLocale.Language.English, QLocale.Country.India), "1,20,000", "120000"),
        (US, "1,250", "1250"),
        (US, "about 5k", "about 5k"),  # no amount: sent as typed, never a guess
        (GERMANY, "12,500", "12.5"),  # twelve and a half; "12.500" would read as thousands in Germany
        (GERMANY, "0,125", "0.1250"),
        (GERMANY, "2,5 Mio €", "2,5 Mio €"),  # more than a number: kept whole
        (US, "USD 5000", "USD 5000"),  # another currency than the team's (BRL): kept whole
    ],
    ids=[
        "de thousands",
        "de money",
        "fr",
        "in lakhs",
        "us",
        "not an amount",
        "de three places",
        "de fraction",
        "words",
        "other currency",
    ],
)
def test_an_amount_typed_in_the_reps_own_style_is_sent_as_the_number_they_meant(
    qtbot: QtBot,
    view: ContactView,
    api: ContactApi,
    contact: Contact,
    transport: RecordingTransport,
    locale: QLocale,
    typed: str,
    sent: str,
) -> None:
    """ "12.000" is twelve thousand to a German rep. It used to be stored as typed, and a US colleague then read
    twelve; now what a rep types is read in their locale and stored as a plain number."""
    QLocale.setDefault(locale)
    assert view.registry.currency() == "BRL"
    value = view.form.value_edit
    view.activateWindow()
    value.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(value.hasFocus)
    value.selectAll()
    value.insert(typed)  # pasted: QTest types only Latin-1
    city = child(view, QLineEdit, "city")
    city.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: not value.hasFocus())
    assert view.form.changes() == {"value": sent}
    if sent != typed:  # read as an amount: shown as the same amount, in the rep's style
        assert value.text() == format_currency(sent, locale, "BRL") and "R$" in value.text()
    transport.sent.clear()
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save_button.click()
    assert [request.body for request in transport.writes() if request.method == "PUT"] == [
        {"uid": contact.uid, "value": sent}
    ]
    assert read_back(qtbot, api, contact.uid).value == sent


def test_a_stored_value_left_alone_is_not_rewritten(qtbot: QtBot, view: ContactView, contact: Contact) -> None:
    """A value someone stored as "12.000,50" stays so until a rep edits it: reading it is no edit."""
    from dataclasses import replace

    view.show_contact(replace(contact, value="12.000,50"))
    value = view.form.value_edit
    view.activateWindow()
    value.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(value.hasFocus)
    child(view, QLineEdit, "city").setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: not value.hasFocus())
    assert value.raw_value() == "12.000,50" and "value" not in view.form.changes()


def test_a_contact_left_open_past_midnight_renames_its_note_days(
    view: ContactView, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The heading said "Today" all the next morning: only the header's "Updated…" followed the clock.
    import crmdesk.ui.notes_timeline as timeline

    assert view.notes.day_headers()[0] == "Today"

    class Tomorrow(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Tomorrow:
            moment = datetime.now(tz) + timedelta(days=1)
            return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)

    monkeypatch.setattr(timeline, "datetime", Tomorrow)
    assert view._relative_clock.isActive()
    view._relative_clock.timeout.emit()  # the view's once-a-minute refresh
    assert view.notes.day_headers()[0] == "Yesterday"


def test_the_minute_clock_runs_for_a_contact_whose_update_time_is_unknown(view: ContactView, contact: Contact) -> None:
    # Its "Updated" shows nothing to refresh, but its notes' day headings still need the clock past midnight.
    view.show_contact(dataclasses.replace(contact, lastUpdate=None))
    assert view._relative_clock.isActive()
