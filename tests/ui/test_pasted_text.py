"""What a rep pastes or drops into the contact page's one-line fields, and the time zone's spelling and lock."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QLocale, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact
from crmdesk.services.registry import Registry
from crmdesk.ui.contact_form import ValueEdit
from crmdesk.ui.contact_view import ContactView
from crmdesk.ui.one_line import one_line
from tests.ui.contact_support import create_contact, line, make_view, read_back, save, type_into


@pytest.fixture
def contact(qtbot: QtBot, api: ContactApi) -> Contact:
    return create_contact(
        qtbot, api, firstName="Maria", lastName="Silva", email="maria@example.com", city="Recife", value="12000"
    )


@pytest.fixture
def view(qtbot: QtBot, api: ContactApi, registry: Registry, contact: Contact) -> ContactView:
    _service, contact_view = make_view(qtbot, api, registry)
    contact_view.show_contact(contact)
    return contact_view


def paste_over(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Select what ``edit`` holds and paste ``text`` over it with Ctrl+V, as a rep does."""
    QGuiApplication.clipboard().setText(text)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


@pytest.mark.parametrize(
    ("pasted", "kept"),
    [
        ("12 Main St\nSuite 4\n", "12 Main St Suite 4"),
        ("12 Main St\r\n\r\nSuite 4", "12 Main St Suite 4"),
        ("\tAcme\tInc\t", "Acme Inc"),
        ("Caf\u00e9\u2028Bar", "Caf\u00e9 Bar"),
        ("maria\u200b@example.com", "maria@example.com"),
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467 family", "\U0001f468\u200d\U0001f469\u200d\U0001f467 family"),
        ("plain text", "plain text"),
    ],
)
def test_one_line_keeps_what_is_visible_on_one_line(pasted: str, kept: str) -> None:
    assert one_line(pasted) == kept


def test_pasted_line_breaks_and_tabs_become_spaces_in_the_field_and_on_the_server(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    paste_over(qtbot, line(view, "address"), "12 Main St\nSuite 4\n")
    paste_over(qtbot, line(view, "businessName"), "Acme\tImports\tLtd")
    # What the field shows is what is saved.
    assert line(view, "address").text() == "12 Main St Suite 4"
    assert line(view, "businessName").text() == "Acme Imports Ltd"
    assert view.form.changes() == {"address": "12 Main St Suite 4", "businessName": "Acme Imports Ltd"}
    save(qtbot, view)
    stored = read_back(qtbot, api, contact.uid)
    assert (stored.address, stored.businessName) == ("12 Main St Suite 4", "Acme Imports Ltd")


def test_a_zero_width_space_copied_from_a_web_page_does_not_make_the_email_invalid(
    qtbot: QtBot, view: ContactView
) -> None:
    paste_over(qtbot, line(view, "email"), "maria.silva\u200b@example.com")
    assert line(view, "email").text() == "maria.silva@example.com"
    assert view.form.message("email") == "" and view.save_button.isEnabled()


def test_the_cursor_stays_after_what_was_pasted(qtbot: QtBot, view: ContactView) -> None:
    city = line(view, "city")
    type_into(qtbot, city, "Sao Rio")
    city.setCursorPosition(4)  # after "Sao "
    QGuiApplication.clipboard().setText("Jose\ndo\n")
    qtbot.keyClick(city, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert city.text() == "Sao Jose do Rio"
    qtbot.keyClicks(city, "X")
    assert city.text() == "Sao Jose do XRio"


def test_text_stored_with_a_tab_is_shown_as_stored_and_not_taken_for_an_edit(
    qtbot: QtBot, api: ContactApi, view: ContactView
) -> None:
    # Written by another tool through the API: the form shows it and does not count it as a change.
    stored = create_contact(qtbot, api, name="Rui Costa", phone="+5511900003333", city="Porto\tAlegre")
    view.show_contact(stored)
    assert line(view, "city").text() == "Porto\tAlegre"
    assert not view.has_unsaved_changes()


def test_a_pasted_value_and_tag_are_one_line_too(qtbot: QtBot, view: ContactView) -> None:
    value = view.findChild(ValueEdit, "value")
    assert value is not None
    paste_over(qtbot, value, "15000\n")
    assert value.raw_value() == "15000" and view.form.changes() == {"value": "15000"}
    paste_over(qtbot, view.tags.input, "Hot Lead\n")
    assert view.tags.input.text() == "Hot Lead"


def test_text_dropped_on_the_unfocused_value_goes_into_the_amount_not_its_currency_display(
    qtbot: QtBot, view: ContactView
) -> None:
    value = view.findChild(ValueEdit, "value")
    assert value is not None
    view.form.editor("city").setFocus()
    assert not value.hasFocus() and value.text() != "12000"  # the currency display
    mime = QMimeData()
    mime.setText("5")
    end = QPoint(value.rect().right() - 4, value.rect().center().y())
    # A drag over the field and a drop at its right end, as Qt delivers them.
    for event in (
        QDragEnterEvent(end, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
        QDragMoveEvent(end, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
        QDropEvent(QPointF(end), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                   Qt.KeyboardModifier.NoModifier),
    ):  # fmt: skip
        QApplication.sendEvent(value, event)
    assert value.raw_value() == "120005"
    assert view.form.changes() == {"value": "120005"}
    assert value.text() == value.formatted()  # shown as currency again, the cursor being elsewhere


def test_a_time_zone_typed_in_another_case_is_accepted_and_saved_as_tzdata_spells_it(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    combo = view.form.time_zone_combo
    zone_line = combo.lineEdit()
    assert zone_line is not None
    zone_line.setFocus()
    zone_line.selectAll()
    qtbot.keyClicks(zone_line, "europe/paris")
    assert view.form.message("timeZone") == ""  # not red while it is still in the field
    assert view.save_button.isEnabled()
    assert view.form.local_time.text().endswith("there")
    save(qtbot, view)  # Save straight from the field (a shortcut does this)
    assert read_back(qtbot, api, contact.uid).timeZone == "Europe/Paris"
    assert combo.currentText() == "Europe/Paris" and not view.has_unsaved_changes()


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posix/Europe/Paris"])
def test_a_zone_file_that_names_no_zone_gives_the_contact_no_local_time(
    view: ContactView, contact: Contact, zone: str
) -> None:
    # The server refuses these; another tool may have stored one. "localtime" showed this computer's clock as the
    # contact's, "Factory" UTC.
    view.show_contact(dataclasses.replace(contact, timeZone=zone))
    assert view.form.local_time.text() == ""


def test_saving_from_the_time_zone_field_keeps_the_cursor_there_and_locks_the_zone(
    qtbot: QtBot, view: ContactView
) -> None:
    combo = view.form.time_zone_combo
    zone_line = combo.lineEdit()
    assert zone_line is not None
    view.window().show()
    view.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view.window())
    zone_line.setFocus()
    zone_line.selectAll()
    qtbot.keyClicks(zone_line, "Europe/Lisbon")
    completer = combo.completer()
    assert completer is not None
    completions = completer.popup()
    assert completions is not None
    completions.hide()  # the rep has read the suggestions; Down now steps through the zone list
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save()
        assert combo.hasFocus() or zone_line.hasFocus()
        qtbot.keyClick(zone_line, Qt.Key.Key_Down)  # would step to the next zone in the list
        qtbot.keyClicks(zone_line, "x")
        assert combo.currentText() == "Europe/Lisbon"
    assert combo.hasFocus() or zone_line.hasFocus()
    assert combo.currentText() == "Europe/Lisbon" and not view.has_unsaved_changes()


def test_ctrl_z_takes_back_a_cleaned_paste_in_one_step(qtbot: QtBot, view: ContactView) -> None:
    address = line(view, "address")
    type_into(qtbot, address, "Rua Augusta 1500")
    paste_over(qtbot, address, "Av. Paulista 900\nSao Paulo")
    assert address.text() == "Av. Paulista 900 Sao Paulo"
    qtbot.keyClick(address, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert address.text() == "Rua Augusta 1500", "the typed text the paste replaced comes back"
    assert view.form.changes() == {"address": "Rua Augusta 1500"}


def test_undo_and_redo_step_through_a_cleaned_paste_as_through_any_paste(qtbot: QtBot, view: ContactView) -> None:
    address = line(view, "address")
    ctrl = Qt.KeyboardModifier.ControlModifier
    type_into(qtbot, address, "Rua Augusta 1500")
    paste_over(qtbot, address, "Av. Paulista 900\nSao Paulo")
    qtbot.keyClicks(address, " SP")
    undone = []
    for _ in range(2):
        qtbot.keyClick(address, Qt.Key.Key_Z, ctrl)
        undone.append(address.text())
    assert undone == ["Av. Paulista 900 Sao Paulo", "Rua Augusta 1500"]
    redone = []
    for _ in range(2):
        qtbot.keyClick(address, Qt.Key.Key_Z, ctrl | Qt.KeyboardModifier.ShiftModifier)
        redone.append(address.text())
    assert redone == ["Av. Paulista 900 Sao Paulo", "Av. Paulista 900 Sao Paulo SP"]


def test_the_same_text_pasted_again_is_pasted_again(qtbot: QtBot, view: ContactView) -> None:
    # A spreadsheet cell ends in a line break; the rep pastes it into one contact, then into the next.
    value = view.findChild(ValueEdit, "value")
    assert value is not None
    paste_over(qtbot, value, "15000\n")
    assert value.raw_value() == "15000"
    type_into(qtbot, value, "3000")
    paste_over(qtbot, value, "15000\n")
    assert value.raw_value() == "15000" and view.form.changes() == {"value": "15000"}
    address = line(view, "address")
    paste_over(qtbot, address, "Av. Paulista 900\nSao Paulo")
    qtbot.keyClicks(address, "x")
    qtbot.keyClick(address, Qt.Key.Key_Backspace)
    qtbot.keyClicks(address, ",")
    paste_over(qtbot, address, "Av. Paulista 900\nSao Paulo")
    assert address.text() == "Av. Paulista 900 Sao Paulo"


def test_a_paste_that_only_loses_a_zero_width_space_can_be_undone(qtbot: QtBot, view: ContactView) -> None:
    email = line(view, "email")
    paste_over(qtbot, email, "maria.silva\u200b@example.com")
    assert email.text() == "maria.silva@example.com"
    qtbot.keyClick(email, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert email.text() == "maria@example.com"


def test_a_zone_pasted_into_the_time_zone_field_can_be_undone(qtbot: QtBot, view: ContactView) -> None:
    # The combo keeps the focus and hands its line edit the keys directly.
    combo = view.form.time_zone_combo
    zone_line = combo.lineEdit()
    assert zone_line is not None
    combo.setEditText("Europe/Lisbon")
    combo.setFocus()
    zone_line.selectAll()
    QGuiApplication.clipboard().setText("America/Sao_Paulo\n")
    qtbot.keyClick(combo, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert zone_line.text() == "America/Sao_Paulo"
    qtbot.keyClick(combo, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert zone_line.text() == "Europe/Lisbon"


def test_a_line_break_pasted_inside_a_word_is_one_space(qtbot: QtBot, view: ContactView) -> None:
    city = line(view, "city")
    type_into(qtbot, city, "SaoPaulo")
    city.setCursorPosition(3)
    QGuiApplication.clipboard().setText("\r\n")
    qtbot.keyClick(city, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert city.text() == "Sao Paulo"


def test_the_context_menus_paste_does_nothing_in_a_field_locked_while_it_was_open(
    qtbot: QtBot, view: ContactView
) -> None:
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QMenu

    city = line(view, "city")
    QGuiApplication.clipboard().setText("Olinda\n")
    at = city.rect().center()
    QApplication.sendEvent(city, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, city.mapToGlobal(at)))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    paste = next(action for action in menu.actions() if action.objectName() == "edit-paste")
    city.setReadOnly(True)  # as the form locks its fields for a save
    paste.trigger()
    menu.close()
    assert city.text() == "Recife"
    city.setReadOnly(False)
    QApplication.sendEvent(city, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, city.mapToGlobal(at)))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    city.selectAll()
    next(action for action in menu.actions() if action.objectName() == "edit-paste").trigger()
    menu.close()
    assert city.text() == "Olinda"


# --- Pasted from elsewhere: lists of tags, addresses with their surroundings, other scripts' digits ------------


def test_tags_pasted_one_per_line_or_as_a_spreadsheet_row_are_added_as_separate_tags(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    """The API cannot remove a tag: a column pasted as one tag "Website Referral Q1 2024" stayed for good."""
    paste_over(qtbot, view.tags.input, "Website\nReferral\nQ1 2024\n")
    assert view.tags.input.text() == "Website, Referral, Q1 2024"
    qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.tags.pending_tags(), timeout=10_000)
    paste_over(qtbot, view.tags.input, "Fair 2025\tVIP")
    qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.tags.pending_tags(), timeout=10_000)
    assert sorted(read_back(qtbot, api, contact.uid).tags) == ["Fair 2025", "Q1 2024", "Referral", "VIP", "Website"]


def test_a_list_pasted_after_a_tag_typed_in_the_box_is_parted_from_it_by_one_comma(
    qtbot: QtBot, view: ContactView
) -> None:
    box = view.tags.input
    for typed, pasted, shown in (
        ("Website", "\nReferral", "Website, Referral"),
        ("Website, ", "Referral\nVIP", "Website, Referral, VIP"),
        ("Website,", "\nReferral\n", "Website,Referral"),
    ):
        box.setText(typed)
        box.setFocus()
        box.end(False)
        QGuiApplication.clipboard().setText(pasted)
        qtbot.keyClick(box, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert box.text() == shown, (typed, pasted)


def test_a_tag_pasted_with_a_non_breaking_space_is_the_tag_the_contact_has(
    qtbot: QtBot, api: ContactApi, registry: Registry
) -> None:
    tagged = create_contact(qtbot, api, name="Rui Costa", email="rui@example.com", tags=["Hot Lead"])
    _service, view = make_view(qtbot, api, registry)
    view.show_contact(tagged)
    paste_over(qtbot, view.tags.input, "Hot\u00a0Lead, Trade\u202fShow")  # as copied from a web page
    qtbot.keyClick(view.tags.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.tags.pending_tags(), timeout=10_000)
    assert sorted(read_back(qtbot, api, tagged.uid).tags) == ["Hot Lead", "Trade Show"]


def test_a_new_contacts_tags_pasted_one_per_line_are_separate_tags(
    qtbot: QtBot, view: ContactView, api: ContactApi
) -> None:
    view.start_create()
    view.form.fill({"firstName": "Ana", "email": "ana.lima@example.com"})
    paste_over(qtbot, view.new_tags, "Website\nReferral")
    assert view.new_tags.text() == "Website, Referral"
    with qtbot.waitSignal(view.contact_created, timeout=10_000) as created:
        view.save_button.click()
    assert sorted(read_back(qtbot, api, created.args[0].uid).tags) == ["Referral", "Website"]


@pytest.mark.parametrize(
    "pasted",
    [
        "Maria Silva <maria.silva@example.com>",
        "mailto:maria.silva@example.com?subject=Proposal",
        "\u201cmaria.silva@example.com\u201d",
        "\u200emaria.silva@example.com",  # a direction mark that cannot be seen, nor found to delete
        "maria.sil\u00adva@example.com",  # a soft hyphen
    ],
)
def test_an_email_pasted_with_what_surrounded_it_keeps_only_the_address(
    pasted: str, qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    email = line(view, "email")
    paste_over(qtbot, email, pasted)
    line(view, "city").setFocus()  # leaving the field
    assert email.text() == "maria.silva@example.com"
    assert view.form.message("email") == "" and view.save_button.isEnabled()
    save(qtbot, view)
    assert read_back(qtbot, api, contact.uid).email == "maria.silva@example.com"


def test_a_pasted_email_whose_address_is_malformed_stays_as_pasted_with_its_message(
    qtbot: QtBot, view: ContactView
) -> None:
    email = line(view, "email")
    paste_over(qtbot, email, "Maria <maria@exa mple.com>")
    line(view, "city").setFocus()
    assert email.text() == "Maria <maria@exa mple.com>"  # nothing the rep pasted vanishes behind a guess
    assert view.form.message("email") and not view.save_button.isEnabled()


def test_a_phone_pasted_in_another_scripts_digits_or_wrapped_by_a_chat_app_is_written_in_ascii(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    view.form.phone_region = "BR"
    phone = line(view, "phone")
    paste_over(qtbot, phone, "\u202a+55 11 98765-4321\u202c")  # as WhatsApp copies a number
    line(view, "city").setFocus()
    assert phone.text() == "+5511987654321"
    # A Saudi mobile in Arabic-Indic digits without its country code: no valid number in Brazil, so the field says
    # so, but with its digits the API reads (it counted none: "A phone number needs at least one digit").
    paste_over(qtbot, phone, "\u0660\u0665\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667")
    line(view, "city").setFocus()
    assert phone.text() == "0501234567"
    assert view.form.message("phone").startswith("Not a valid phone number for BR")
    save(qtbot, view)
    assert read_back(qtbot, api, contact.uid).phone == "0501234567"


def test_a_birthday_pasted_in_full_width_digits_is_written_in_ascii(qtbot: QtBot, view: ContactView) -> None:
    birthday = view.form.birthday_edit.line
    paste_over(qtbot, birthday, "\uff11\uff19\uff18\uff15-\uff10\uff11-\uff11\uff15")
    line(view, "city").setFocus()
    assert birthday.text() == "1985-01-15"
    assert view.form.message("birthday") == ""


def _paste_value(qtbot: QtBot, view: ContactView, currency: str, pasted: str) -> ValueEdit:
    """Paste ``pasted`` into Value, in a team whose currency is ``currency``, and leave the field."""
    value = view.findChild(ValueEdit, "value")
    assert value is not None
    value.set_currency(currency)
    paste_over(qtbot, value, pasted)
    line(view, "city").setFocus()
    return value


@pytest.mark.parametrize(
    ("currency", "pasted", "sent"),
    [
        ("", "\uff11\uff12\uff13\uff14", "1234"),  # full-width digits, as from a Japanese PDF
        ("", "\u0661\u0662\u0663\u0664", "1234"),  # Arabic-Indic digits
        ("USD", "US$ 1,234.56", "1234.56"),  # how Brazil writes dollars
        ("JPY", "\uffe51,234", "1234"),  # the full-width yen sign
    ],
)
def test_a_pasted_amount_in_other_digits_or_another_spelling_of_the_currency_is_sent_as_a_plain_number(
    currency: str, pasted: str, sent: str, qtbot: QtBot, view: ContactView
) -> None:
    _paste_value(qtbot, view, currency, pasted)
    assert view.form.changes() == {"value": sent}
    assert view.form.message("value") == ""


@pytest.mark.parametrize(
    ("currency", "pasted"),
    [
        ("", "$1,234.56"),  # no team currency: "$" may be any of a dozen
        ("BRL", "$1,234.56"),  # another currency than the team's
        ("BRL", "R$ 1.234,56 (\u00e0 vista)"),
    ],
)
def test_a_pasted_value_that_is_no_amount_is_kept_as_written_and_the_field_says_so(
    currency: str, pasted: str, qtbot: QtBot, view: ContactView
) -> None:
    """The API keeps any text as the value; saved without a word, it silently stopped being a number."""
    value = _paste_value(qtbot, view, currency, pasted)
    assert view.form.changes() == {"value": pasted}
    message = view.form.message("value")
    assert message.startswith("Not read as an amount") and "saved as written" in message
    assert (f" in {currency}:" in message) == bool(currency)
    assert view.save_button.isEnabled()  # a hint: the API takes it
    # Written as an amount, the hint goes.
    paste_over(qtbot, value, "1234.56")
    line(view, "city").setFocus()
    assert view.form.message("value") == "" and view.form.changes() == {"value": "1234.56"}


@pytest.mark.parametrize("typed", ["maria silva@example.com", "maria,silva@example.com"])
def test_a_mistyped_email_is_never_rewritten_into_another_valid_address(
    typed: str, qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    """A space or comma for the dot: taking the part after it as "the address" gave silva@example.com, somebody
    else's, and Ctrl+S saved it."""
    email = line(view, "email")
    type_into(qtbot, email, typed)
    line(view, "city").setFocus()
    assert email.text() == typed and view.form.message("email")
    email.setFocus()
    qtbot.keyClick(email, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(200)
    assert read_back(qtbot, api, contact.uid).email == "maria@example.com"


def test_an_address_kept_from_a_paste_can_be_taken_back_with_ctrl_z(qtbot: QtBot, view: ContactView) -> None:
    email = line(view, "email")
    paste_over(qtbot, email, "Maria Silva <maria.silva@example.com>")
    line(view, "city").setFocus()
    assert email.text() == "maria.silva@example.com"
    email.setFocus()
    qtbot.keyClick(email, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert email.text() == "Maria Silva <maria.silva@example.com>"


@pytest.mark.parametrize(
    ("rep", "currency", "pasted", "sent"),
    [
        ("en_US", "USD", "US$ 12.500", "12500"),  # a Brazilian quote's twelve thousand five hundred dollars, not 12.5
        ("en_US", "USD", "US$ 13,000", "13000"),  # the same spelling the US way: no dollar has three decimals
        ("pt_BR", "USD", "US$ 12,500", "12500"),  # a US quote to a Brazilian rep: not twelve and a half
        ("en_US", "TND", "DT 12.500", None),  # a dinar has three decimals: 12.5 in Tunisia, 12,500 elsewhere
        ("de_DE", "JPY", "\uffe51,234", "1234"),  # 1,234 yen, not 1.234 (a yen has no fraction)
        ("en_CA", "CAD", "$12,500", "12500"),  # Canada's own "$" for its dollar (Qt's usual one is "CA$")
        ("zh_CN", "CNY", "\u00a512,500", "12500"),  # China's "¥" for its yuan
        ("de_DE", "USD", "$12,500", "12500"),  # the usual "$" to a German rep: a dollar has two decimals
        ("en_US", "EUR", "\u20ac12.500", "12500"),  # a European quote's euros to a US rep
        ("de_DE", "EUR", "12,500 \u20ac", "12500"),  # the rep's own spelling: still no three-decimal euro
        ("de_DE", "EUR", "12,50 \u20ac", "12.50"),
        ("de_DE", "USD", "12,500", "12.5"),  # no mark: the rep's own locale reads it
        ("ar_SA", "SAR", "\u0661\u0662\u066c\u0665\u0660\u0660\u066b\u0660\u0660 \u0631.\u0633.", "12500.00"),
        ("ar_SA", "", "\u200f\u0661\u0662\u066c\u0665\u0660\u0660", "12500"),  # as Qt writes it there
        ("ja_JP", "JPY", "\uff11\uff12\uff0c\uff15\uff10\uff10", "12500"),  # a Japanese input method's
    ],
)
def test_an_amount_in_another_countrys_spelling_is_never_misread(
    rep: str, currency: str, pasted: str, sent: str | None, qtbot: QtBot, view: ContactView
) -> None:
    """What reads two ways is kept as written, with the hint; what reads one way for the currency is taken."""
    before = QLocale()
    QLocale.setDefault(QLocale(rep))
    try:
        value = view.findChild(ValueEdit, "value")
        assert value is not None
        value.set_currency(currency)
        paste_over(qtbot, value, pasted)
        line(view, "city").setFocus()
        assert view.form.changes() == {"value": sent or pasted}
        assert view.form.message("value").startswith("Not read as an amount") == (sent is None)
    finally:
        QLocale.setDefault(before)


def test_saving_from_inside_value_says_a_text_is_no_amount_with_the_save(
    qtbot: QtBot, view: ContactView, api: ContactApi, contact: Contact
) -> None:
    value = view.findChild(ValueEdit, "value")
    assert value is not None
    paste_over(qtbot, value, "about 15k")
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save()  # Ctrl+S, the cursor still in Value
        assert view.form.message("value").startswith("Not read as an amount")  # as the save sets out
    assert read_back(qtbot, api, contact.uid).value == "about 15k"


def test_the_values_hint_is_spoken_when_it_appears(
    qtbot: QtBot, view: ContactView, screen_reader: list[tuple[str, bool]]
) -> None:
    """The focus has moved on when the hint appears: a screen reader's rep saved free text without knowing."""
    _paste_value(qtbot, view, "", "about 15k")
    assert [text for text, _urgent in screen_reader if text.startswith("Not read as an amount")] == [
        view.form.message("value")
    ]
