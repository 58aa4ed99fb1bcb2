"""What the form shows is what the server holds, and what the rep types stays as typed: values Qt does not hand
back as given open clean and are never rewritten, and a save or reload leaves the field being typed in alone."""

from __future__ import annotations

import json

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from tests.support.live_server import Account
from tests.ui.shell_support import close_window, create_contacts, on_server, open_window
from tests.ui.test_unsaved_work_kept import _dies, _field, _opened, _type_over


def _written_elsewhere(account: Account, **fields: str) -> str:
    """Another client (a script, a Windows tool, a CSV import) writes the contact, as given."""
    answer = httpx.post(
        f"{account.base_url}/api/contact", json=fields, headers={"Authorization": f"Bearer {account.token}"}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["uid"])


@pytest.mark.parametrize(
    "stored",
    [
        {"snapshot": "Wants a demo\r\nCall back Monday"},  # a Windows client's line ends
        {"snapshot": "Wants a demo\rCall back Monday"},
        {"snapshot": "Budget 5\u00a0000\u00a0€ approved"},  # no-break spaces, from a web page
        {"snapshot": "Line one\u2028Line two\u2029Line three"},
        {"firstName": "\ufeffAna"},  # a byte-order mark a CSV import left
        {"city": "\ufeffRecife"},
        # Save writes a phone the rep changed as an international number; untouched, it keeps its stored form.
        {"phone": "\ufeff(650) 253-0000"},
    ],
)
def test_a_value_qt_shows_differently_opens_clean_and_a_save_of_another_field_keeps_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, stored: dict[str, str]
) -> None:
    fields = {"firstName": "Ana", "lastName": "Lima", "email": "ana@example.com", **stored}
    uid = _written_elsewhere(account, **fields)
    (other,) = create_contacts(qtbot, account, {"name": "Rafael Costa", "email": "rafael@example.com"})
    window = open_window(qtbot, account)
    _opened(qtbot, window, uid)
    view = window.contact_view
    assert view.form.changes() == {} and not view.save_button.isEnabled() and not view.has_unsaved_changes()
    window.open_uid(other.uid)  # leaving asks nothing: nothing was typed
    qtbot.waitUntil(lambda: view.current_uid() == other.uid, timeout=15_000)
    assert not [box for box in window.findChildren(QMessageBox, "unsavedDialog") if box.isVisible()]
    _opened(qtbot, window, uid)
    _type_over(qtbot, _field(window, "state"), "PE")
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save_button.click()
    stored_now = on_server(qtbot, account, uid=uid)
    assert stored_now.state == "PE"
    (name, value), *_ = stored.items()
    assert getattr(stored_now, name) == value.strip()  # not rewritten behind the rep's back
    assert not view.has_unsaved_changes()
    close_window(qtbot, window)


def test_a_crash_keeps_nothing_for_a_contact_the_rep_did_not_touch(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    uid = _written_elsewhere(account, firstName="Ana", lastName="Lima", email="ana@example.com", snapshot="a\r\nb")
    window = open_window(qtbot, account)
    _opened(qtbot, window, uid)
    _type_over(qtbot, _field(window, "city"), "Olinda")  # one real edit, so the file is written
    kept = json.loads(_dies(qtbot, window).read_text(encoding="utf-8"))
    assert [edit["edits"] for edit in kept["edits"]] == [{"city": "Olinda"}]  # and not the snapshot


@pytest.mark.parametrize("press", ["save", "reload"])
def test_the_snapshot_being_typed_in_keeps_its_cursor_through_a_save_or_a_reload(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, press: str
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com", "snapshot": "Old"})
    window = open_window(qtbot, account)
    _opened(qtbot, window, ref.uid)
    view = window.contact_view
    snapshot = view.form.snapshot_edit
    snapshot.setFocus()
    snapshot.selectAll()
    qtbot.keyClicks(snapshot, "Call back on Monday")
    key, modifier = (Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    if press == "reload":
        key, modifier = Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier
    answered = view.service.saved if press == "save" else view.service.contact_loaded
    with qtbot.waitSignal(answered, timeout=10_000):
        qtbot.keyClick(snapshot, key, modifier)
    qtbot.keyClicks(snapshot, " at 10")
    assert snapshot.toPlainText() == "Call back on Monday at 10"
    close_window(qtbot, window)


@pytest.mark.parametrize("press", ["reload", "save"])
@pytest.mark.parametrize(("field", "typed"), [("address", "Rua das "), ("snapshot", "Line one\n")])
def test_a_save_or_reload_while_typing_leaves_the_text_as_typed(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, field: str, typed: str, press: str
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Ana Lima", "email": "ana@example.com"})
    window = open_window(qtbot, account)
    _opened(qtbot, window, ref.uid)
    view = window.contact_view
    editor = view.form.editor(field)
    editor.setFocus()
    for index, part in enumerate(typed.split("\n")):
        if index:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        if part:
            qtbot.keyClicks(editor, part)
    if press == "reload":
        with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
            qtbot.keyClick(editor, Qt.Key.Key_F5)  # or a phone tool's lookup of the open contact, on a call
    else:
        with qtbot.waitSignal(view.service.saved, timeout=10_000):
            qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert getattr(on_server(qtbot, account, uid=ref.uid), field) == typed.strip()  # stored trimmed
    qtbot.keyClicks(editor, "Flores")
    text = editor.text() if isinstance(editor, QLineEdit) else view.form.snapshot_edit.toPlainText()
    assert text == typed + "Flores"
    assert view.has_unsaved_changes()  # "Flores" is the rep's, not yet saved
    close_window(qtbot, window)
