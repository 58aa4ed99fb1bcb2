"""Every way of leaving a contact with unsaved edits asks Save, Discard or Cancel first, and Save reaches the server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import ContactRef
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account
from tests.ui.contact_support import HeldTransport
from tests.ui.shell_support import close_window, create_contacts, open_window, run


def _unsaved_box(window: MainWindow) -> QMessageBox:
    boxes = [box for box in window.contact_view.findChildren(QMessageBox, "unsavedDialog") if box.isVisible()]
    assert len(boxes) == 1, "expected exactly one Save / Discard / Cancel question"
    return boxes[0]


def _open_recent(window: MainWindow, uid: str) -> None:
    for row in range(window.recent_list.count()):
        item = window.recent_list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == uid:
            window.recent_list.itemActivated.emit(item)
            return
    raise AssertionError(f"{uid} is not in the Recent list")


def _city_on_server(qtbot: QtBot, account: Account, uid: str) -> str:
    async def read() -> str:
        async with ContactApi(account.base_url, account.token) as api:
            contact = await api.get_contact(uid=uid)
            assert not isinstance(contact, list)
            return contact.city

    return run(qtbot, read())


def _city_edited(qtbot: QtBot, account: Account) -> tuple[MainWindow, ContactRef, ContactRef, QLineEdit, list[bool]]:
    """A window with two contacts in Recent, the first open with its city typed over (Recife → Olinda); the
    list fills in when the window asks to sign out."""
    edited, other = create_contacts(
        qtbot,
        account,
        {"name": "Edit Me", "email": "edit@example.com", "city": "Recife"},
        {"name": "Someone Else", "email": "else@example.com"},
    )
    window = open_window(qtbot, account)
    signed_out: list[bool] = []
    window.sign_out_requested.connect(lambda: signed_out.append(True))
    for uid in (other.uid, edited.uid):  # both land in Recent, the edited one open
        window.open_uid(uid)

        def opened(uid: str = uid) -> bool:  # a def, not a lambda: mypy cannot type a lambda's default
            return window.contact_view.current_uid() == uid

        qtbot.waitUntil(opened, timeout=15_000)
    city = window.contact_view.findChild(QLineEdit, "city")
    assert city is not None
    city.setFocus()
    city.selectAll()
    qtbot.keyClicks(city, "Olinda")
    return window, edited, other, city, signed_out


PATHS: dict[str, Callable[[MainWindow, str], None]] = {
    "open a recent contact": _open_recent,
    "new contact (Ctrl+N)": lambda window, _other: window.new_contact_action.trigger(),
    "sign out": lambda window, _other: window.sign_out_action.trigger(),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_leaving_unsaved_edits_asks_and_save_then_goes_on(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, path: str
) -> None:
    window, edited, other, city, signed_out = _city_edited(qtbot, account)

    PATHS[path](window, other.uid)
    _unsaved_box(window).button(QMessageBox.StandardButton.Cancel).click()
    assert window.contact_view.current_uid() == edited.uid
    assert city.text() == "Olinda" and window.contact_view.has_unsaved_changes()
    assert signed_out == []

    PATHS[path](window, other.uid)
    _unsaved_box(window).button(QMessageBox.StandardButton.Save).click()
    if path == "open a recent contact":
        qtbot.waitUntil(lambda: window.contact_view.current_uid() == other.uid, timeout=15_000)
    elif path == "sign out":
        qtbot.waitUntil(lambda: signed_out == [True], timeout=15_000)
    else:
        qtbot.waitUntil(lambda: window.contact_view.mode() == "create", timeout=15_000)
    assert _city_on_server(qtbot, account, edited.uid) == "Olinda"
    close_window(qtbot, window)


@pytest.mark.parametrize("path", list(PATHS))
def test_save_on_leaving_that_meets_a_colleagues_change_stays_to_show_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, path: str
) -> None:
    window, edited, other, city, signed_out = _city_edited(qtbot, account)

    async def colleague() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.update_contact(edited.uid, city="Natal")

    run(qtbot, colleague())
    view = window.contact_view
    PATHS[path](window, other.uid)
    with qtbot.waitSignal(view.service.save_conflicted, timeout=10_000):
        _unsaved_box(window).button(QMessageBox.StandardButton.Save).click()
    qtbot.wait(100)  # anything the save would have let go on would go on now
    assert view.mode() == "view" and view.current_uid() == edited.uid and signed_out == []
    assert city.text() == "Olinda" and view.form.message("city") == "Changed elsewhere to “Natal”; saving keeps yours."
    assert _city_on_server(qtbot, account, edited.uid) == "Natal"
    # Saving again, minutes later maybe, saves and stays: leaving was given up when the save was refused.
    with qtbot.waitSignal(view.service.saved, timeout=10_000):
        view.save_button.click()
    qtbot.wait(100)
    assert view.mode() == "view" and view.current_uid() == edited.uid and signed_out == []
    assert _city_on_server(qtbot, account, edited.uid) == "Olinda"
    close_window(qtbot, window)


def test_edits_made_while_a_slow_search_runs_are_asked_about_when_it_answers(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    edited, other = create_contacts(
        qtbot,
        account,
        {"name": "Alice Alpha", "email": "alice@example.com", "city": "Recife"},
        {"name": "Bob Beta", "email": "bob@example.com"},
    )
    slow = HeldTransport("GET /api/contact")
    slow.release()
    window = open_window(qtbot, account, client_options={"transport": slow})
    window.request_search("alice@example.com")
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == edited.uid)
    slow.hold()
    window.request_search("bob@example.com")  # nothing is unsaved yet: the lookup goes out at once
    qtbot.waitUntil(lambda: slow.held == 1)
    city = window.contact_view.findChild(QLineEdit, "city")
    assert city is not None
    city.setFocus()
    city.selectAll()
    qtbot.keyClicks(city, "Olinda")  # the rep goes on working on Alice while the server is slow
    slow.release()

    qtbot.waitUntil(lambda: bool(window.contact_view.findChildren(QMessageBox, "unsavedDialog")))
    box = _unsaved_box(window)
    assert window.contact_view.current_uid() == edited.uid and city.text() == "Olinda"
    box.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == other.uid)
    assert _city_on_server(qtbot, account, edited.uid) == "Olinda"
    close_window(qtbot, window)


def test_a_search_asks_about_unsaved_edits_only_when_a_contact_comes_to_replace_them(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    edited, _bob = create_contacts(
        qtbot,
        account,
        {"name": "Alice Alpha", "email": "alice@example.com", "city": "Recife"},
        {"name": "Bob Beta", "email": "bob@example.com"},
    )
    window = open_window(qtbot, account)
    window.request_search("alice@example.com")
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == edited.uid, timeout=15_000)
    city = window.contact_view.findChild(QLineEdit, "city")
    assert city is not None
    city.setFocus()
    city.selectAll()
    qtbot.keyClicks(city, "Olinda")

    def asked() -> bool:
        return any(box.isVisible() for box in window.contact_view.findChildren(QMessageBox, "unsavedDialog"))

    # Nothing found, or the contact already open: nothing would replace the edits, so nothing is asked.
    for query, said in (("nobody@example.com", "No contact matches"), ("ALICE@example.com", "Found Alice Alpha")):
        window.request_search(query)
        qtbot.waitUntil(lambda said=said: window.results_status.text().startswith(said), timeout=15_000)  # type: ignore[misc]
        assert not asked() and city.text() == "Olinda" and window.contact_view.current_uid() == edited.uid
    # Another contact found: now it is asked, and Cancel keeps Alice and the edits.
    window.request_search("bob@example.com")
    qtbot.waitUntil(asked, timeout=15_000)
    _unsaved_box(window).button(QMessageBox.StandardButton.Cancel).click()
    assert window.contact_view.current_uid() == edited.uid and city.text() == "Olinda"
    close_window(qtbot, window)
