"""The main window's shell: status line, Recent, remembered layout, shortcuts window, banner actions."""

from __future__ import annotations

import time
from typing import cast

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.errors import NetworkError, ValidationError
from crmdesk.api.models import ContactRef
from crmdesk.services.profiles import Profiles
from crmdesk.services.recent import RecentList
from crmdesk.services.registry import Registry
from crmdesk.services.session import Session
from crmdesk.ui import shortcuts
from crmdesk.ui.banner import ErrorBanner
from crmdesk.ui.contact_view import ContactView
from crmdesk.ui.errors import Severity, describe, strip_field_prefix
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account
from tests.ui.shell_support import close_window, create_contacts, open_window, run


def test_status_bar_names_the_host_and_profile(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account, profile="work")
    assert window.connection_label.text() == f"Server {window.session.host} · profile work"
    assert window.search_field.placeholderText() == "UID, email or phone"
    assert window.findChild(type(window.search_field), "searchField") is window.search_field
    # The contact view is built right after the first show, its modules imported off the UI thread.
    qtbot.waitUntil(window.contact_view_built, timeout=10_000)
    for name in ("resultsList", "recentList", "contactView"):
        assert window.findChild(QObject, name) is not None, name
    # The banner is made with the first message, above the sidebar and the contact view.
    assert window.findChild(QObject, "errorBanner") is None
    window.show_notice("Saved offline")
    banner = window.findChild(QObject, "errorBanner")
    assert banner is window.banner and window.banner.isVisible()
    qtbot.waitUntil(lambda: window.banner.geometry().bottom() < window.splitter.geometry().top())
    assert "Saved offline" in window.banner.text()
    close_window(qtbot, window)


def test_timers_get_a_turn_between_the_contact_views_build_steps(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The view is built a step per turn after the window shows. qasync runs asyncio's callbacks from Qt timers: a
    # timer overdue when a step ends must run before the next step, or an answer that arrived meanwhile waits
    # behind both, and the UI thread's longest stall is two steps long.
    order: list[tuple[str, float]] = []  # ("step", how long it took) or ("tick", 0)
    build_step = ContactView.build_step

    def step(view: ContactView) -> bool:
        started = time.perf_counter()
        try:
            return build_step(view)
        finally:
            order.append(("step", time.perf_counter() - started))

    monkeypatch.setattr(ContactView, "build_step", step)
    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(1)  # the stall probe's timer: overdue whenever a step took longer than a millisecond
    ticker.timeout.connect(lambda: order.append(("tick", 0.0)))
    ticker.start()
    try:
        window = open_window(qtbot, account)
        qtbot.waitUntil(window.contact_view_built, timeout=10_000)
    finally:
        ticker.stop()
    steps = [index for index, (what, _took) in enumerate(order) if what == "step"]
    assert len(steps) >= 4, order  # the view is built in several steps, or this proves nothing
    # A step of 2 ms or more leaves the ticker overdue: the next thing to run must be the ticker, not a step.
    held_back = [index for index in steps if order[index][1] >= 0.002 and index + 1 in steps]
    assert held_back == [], f"a step ran while a timer was overdue: {order[steps[0] : steps[-1] + 1]}"
    close_window(qtbot, window)


def test_recent_lists_opened_contacts_most_recent_first_and_reopens_them(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    first, second = create_contacts(
        qtbot,
        account,
        {"name": "Alpha One", "email": "alpha@example.com"},
        {"name": "Beta Two", "email": "beta@example.com"},
    )
    window = open_window(qtbot, account)
    for ref in (first, second):
        window.open_uid(ref.uid)

        def opened(ref: ContactRef = ref) -> bool:  # a def, not a lambda: mypy cannot type a lambda's default
            return window.contact_view.current_uid() == ref.uid

        qtbot.waitUntil(opened, timeout=15_000)

    def texts() -> list[str]:
        return [window.recent_list.item(i).text().splitlines()[0] for i in range(window.recent_list.count())]

    qtbot.waitUntil(lambda: texts() == ["Beta Two", "Alpha One"], timeout=2_000)
    # Opened from elsewhere (the search field), no row is marked: a mark that moved at every search cost its
    # repaint ~2 ms.
    assert window.recent_list.currentRow() == -1
    rect = window.recent_list.visualItemRect(window.recent_list.item(1))
    qtbot.mouseClick(window.recent_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == first.uid, timeout=15_000)
    qtbot.waitUntil(lambda: window.recent_list.item(0).text().startswith("Alpha One"), timeout=2_000)
    # The mark (and the keyboard's place) follows the clicked contact to the top, not left on its old row.
    assert window.recent_list.currentRow() == 0
    # Renamed and saved: the entry says so, in its place.
    edit = window.contact_view.form.editor("firstName")
    assert isinstance(edit, QLineEdit)
    edit.setText("Alfa")
    with qtbot.waitSignal(window.contact_view.service.saved, timeout=10_000):
        window.contact_view.save()
    qtbot.waitUntil(lambda: texts() == ["Alfa One", "Beta Two"], timeout=2_000)
    # Persisted per profile, so a new window (or run) shows the same list.
    assert [entry.uid for entry in RecentList("work").entries()] == [first.uid, second.uid]
    window.contact_view.contact_deleted.emit(first.uid)
    assert [entry.uid for entry in RecentList("work").entries()] == [second.uid]
    close_window(qtbot, window)


def _two_in_recent(qtbot: QtBot, account: Account, *fields: dict[str, str]) -> tuple[MainWindow, str, str]:
    """A window that has opened two new contacts (``fields`` each), the second last; both are in Recent."""
    first, second = create_contacts(qtbot, account, *fields)
    window = open_window(qtbot, account)
    for ref in (first, second):
        window.open_uid(ref.uid)

        def opened(ref: ContactRef = ref) -> bool:  # a def, not a lambda: mypy cannot type a lambda's default
            return window.contact_view.current_uid() == ref.uid

        qtbot.waitUntil(opened, timeout=15_000)
    qtbot.waitUntil(lambda: window.recent_list.count() == 2, timeout=2_000)
    return window, first.uid, second.uid


def test_a_recent_contact_deleted_elsewhere_says_so_and_leaves_the_list(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, gone, kept = _two_in_recent(
        qtbot, account, {"name": "Ana Lima", "email": "ana@example.com"}, {"name": "Bo Berg", "email": "bo@x.io"}
    )

    async def delete_elsewhere() -> None:  # a teammate, or another tool
        async with ContactApi(account.base_url, account.token) as api:
            await api.delete_contact(gone)

    run(qtbot, delete_elsewhere())
    window.recent_list.itemActivated.emit(window.recent_list.item(1))
    qtbot.waitUntil(
        lambda: window.results_status.text() == "Ana Lima no longer exists: it was deleted.", timeout=15_000
    )
    qtbot.waitUntil(lambda: window.recent_list.count() == 1, timeout=2_000)
    assert window.recent_list.item(0).text().startswith("Bo Berg") and window.create_from_search.isHidden()
    assert window.contact_view.current_uid() == kept
    close_window(qtbot, window)


def test_a_double_click_on_a_recent_contact_looks_it_up_once(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, first, _second = _two_in_recent(
        qtbot, account, {"name": "Alpha One", "email": "alpha@example.com"}, {"name": "Beta Two", "email": "b@x.io"}
    )
    lookups: list[str] = []
    open_uid = window.search.open_uid

    def counted_open_uid(uid: str) -> None:
        lookups.append(uid)
        open_uid(uid)

    window.search.open_uid = counted_open_uid  # type: ignore[method-assign]
    row = window.recent_list.visualItemRect(window.recent_list.item(1)).center()
    # Through the window, as a mouse's clicks come: press, release, then the second press as a double click.
    QTest.mouseDClick(
        window.windowHandle(), Qt.MouseButton.LeftButton, pos=window.recent_list.viewport().mapTo(window, row)
    )
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == first, timeout=15_000)
    assert lookups == [first]
    close_window(qtbot, window)


def test_the_sidebar_edge_stays_put_from_one_contact_to_the_next(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    short, long = create_contacts(
        qtbot,
        account,
        {"name": "Al Li", "email": "al@example.com"},
        {
            "name": "Maria Aparecida dos Santos Oliveira",
            "email": "maria@example.com",
            "businessName": "Padaria e Confeitaria Sol Nascente Comércio de Alimentos e Bebidas Ltda",
        },
    )
    window = open_window(qtbot, account)
    window.resize(790, 580)  # narrow: the contact view is near its minimum width
    widths: list[int] = []
    for ref in (short, long, short):
        window.open_uid(ref.uid)
        qtbot.waitUntil(lambda ref=ref: window.contact_view.current_uid() == ref.uid, timeout=15_000)  # type: ignore[misc]
        qtbot.wait(200)  # let the layouts settle, a late relayout included
        widths.append(window.splitter.sizes()[0])
    # What a contact's header holds must not push the sidebar aside: its edge would jump with each contact.
    assert widths == [widths[0]] * 3, widths
    close_window(qtbot, window)


def test_the_notes_column_stays_put_whether_or_not_a_contact_has_a_birthday(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    without, with_birthday = create_contacts(
        qtbot,
        account,
        {"name": "Ana Lima", "email": "ana@example.com", "city": "Recife"},
        {"name": "Bia Lima", "email": "bia@example.com", "city": "Recife", "birthday": "1990-05-17"},
    )
    window = open_window(qtbot, account)
    window.resize(1280, 800)  # wide enough for the tags and notes beside the form
    view = window.contact_view
    edges: list[int] = []
    for ref in (without, with_birthday, without):
        window.open_uid(ref.uid)
        qtbot.waitUntil(lambda ref=ref: view.current_uid() == ref.uid, timeout=15_000)  # type: ignore[misc]
        qtbot.wait(200)  # let the layouts settle, a late relayout included
        assert view.splitter.orientation() == Qt.Orientation.Horizontal
        edges.append(view.side.mapTo(window, view.side.rect().topLeft()).x())
    # The birthday field's clear button shows only over a date: its room must not move the column beside the form.
    assert edges == [edges[0]] * 3, edges
    close_window(qtbot, window)


def test_splitter_sizes_and_geometry_are_remembered(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account)
    # The offscreen screen is 800×600, and restoring clamps to the screen, so stay within it.
    window.resize(790, 580)
    window.splitter.setSizes([210, 580])
    sizes = window.splitter.sizes()
    close_window(qtbot, window)
    again = open_window(qtbot, account)
    assert again.splitter.sizes()[0] == sizes[0]
    assert again.size().width() == 790
    close_window(qtbot, again)


def test_results_take_the_height_their_outcome_needs_until_the_rep_drags_the_split(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    almeidas = [
        {"name": f"{first} Almeida", "email": "contato@almeida.example", "phone": f"+551191111000{number}"}
        for number, first in enumerate(("Ana", "Bruno", "Carla"), start=1)
    ]
    create_contacts(qtbot, account, *almeidas, {"name": "Dora Dias", "email": "dora@example.com"})
    # What earlier versions saved at every close, dragged or not: it is not taken for the rep's own split.
    from PySide6.QtWidgets import QSplitter

    earlier = QSplitter(Qt.Orientation.Vertical)
    earlier.addWidget(QLabel("a"))
    earlier.addWidget(QLabel("b"))
    earlier.setSizes([240, 460])
    Profiles().set_state("work", "leftSplitter", earlier.saveState())
    window = open_window(qtbot, account)
    window.resize(1000, 580)
    rows = window.results_list
    window.request_search("contato@almeida.example")
    qtbot.waitUntil(lambda: rows.isVisible() and rows.count() == 3)
    qtbot.waitUntil(lambda: rows.verticalScrollBar().maximum() == 0)  # all three matches show whole
    assert rows.height() < 3 * rows.sizeHintForRow(0) + 40  # and Recent keeps the rest

    window.request_search("dora@example.com")
    qtbot.waitUntil(lambda: window.results_status.text() == "Found Dora Dias.")
    qtbot.waitUntil(lambda: window.left_pane.sizes()[0] < 100)  # one line needs no more

    handle = window.left_pane.handle(1)
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, pos=QPoint(handle.width() // 2, 1))
    QTest.mouseMove(handle, QPoint(handle.width() // 2, 120))
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=QPoint(handle.width() // 2, 120))
    dragged = window.left_pane.sizes()[0]
    assert dragged > 150
    window.request_search("contato@almeida.example")
    qtbot.waitUntil(lambda: rows.isVisible() and rows.count() == 3)
    qtbot.wait(50)
    assert window.left_pane.sizes()[0] == dragged  # the rep's split is theirs
    close_window(qtbot, window)
    again = open_window(qtbot, account)
    again.resize(1000, 580)
    qtbot.waitUntil(lambda: again.left_pane.sizes()[0] == dragged)
    close_window(qtbot, again)


def test_f1_lists_every_shortcut(qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account) -> None:
    window = open_window(qtbot, account)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    # The key itself, pressed in the search field where the cursor starts: it must open the list, once.
    window.search_field.setFocus()
    qtbot.keyClick(window.search_field, Qt.Key.Key_F1)
    dialog = window._shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    assert window.help_menu.actions()[0] is window.help_action and window.help_action.shortcut().toString() == "F1"
    table = dialog.table  # type: ignore[attr-defined]
    rows = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
    assert rows == [(s.description, s.label()) for s in shortcuts.ALL]
    assert QApplication.activeModalWidget() is None
    # Every key text fits its column with room to spare, not up against the frame.
    widest = max(table.fontMetrics().horizontalAdvance(key) for _action, key in rows)
    assert table.columnWidth(1) >= widest + 16
    assert table.horizontalScrollBar().maximum() == 0
    dialog.close()
    close_window(qtbot, window)


def test_ctrl_f_focuses_search_and_ctrl_n_starts_a_new_contact(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account)
    window.focus_search_action.trigger()
    assert window.focusWidget() is window.search_field
    window.new_contact_action.trigger()
    assert window.contact_view.mode() == "create"
    close_window(qtbot, window)


def test_the_empty_windows_new_contact_button_starts_a_new_contact(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The first window's big "New contact" button, under "No contact open", did nothing when clicked."""
    window = open_window(qtbot, account)
    qtbot.waitUntil(window.contact_view_built)
    view = window.contact_view
    assert view.mode() == "empty" and view.new_button.isVisible()
    assert view.empty_examples is None  # sample contacts are the demo's
    qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton)
    assert view.mode() == "create"
    close_window(qtbot, window)


def test_banner_shows_the_servers_reason_without_the_field_prefix(qtbot: QtBot) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    error = ValidationError("x", error="Invalid stageName: Stage 'X' does not exist in your account")
    banner.show_description(describe(error))
    assert banner.text() == "Stage 'X' does not exist in your account"
    assert banner.severity() is Severity.ERROR
    banner.show_description(describe(NetworkError("down"), host="api.example.com"))
    assert "Cannot reach api.example.com" in banner.text()
    assert banner.action_label_text() == "Retry"
    # Tinted from the palette's own window colour, so a dark window gets a dark banner, never a light pastel.
    window_colour = QApplication.palette().color(QPalette.ColorRole.Window)
    tinted = banner.palette().color(QPalette.ColorRole.Window)
    assert tinted != window_colour
    assert abs(tinted.lightness() - window_colour.lightness()) < 60
    banner.dismiss()
    assert banner.isHidden()
    assert strip_field_prefix("Invalid email: The email is not valid") == "The email is not valid"


def _dirty_contact(qtbot: QtBot, account: Account) -> tuple[MainWindow, str]:
    (ref,) = create_contacts(qtbot, account, {"name": "Edit Me", "email": "edit@example.com", "city": "Recife"})
    window = open_window(qtbot, account)
    window.open_uid(ref.uid)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    city = window.contact_view.findChild(QLineEdit, "city")
    assert city is not None
    city.setFocus()
    city.selectAll()
    qtbot.keyClicks(city, "Olinda")
    assert window.contact_view.has_unsaved_changes()
    return window, ref.uid


def _discard_and_close(qtbot: QtBot, window: MainWindow) -> None:
    """Close the window, answering Discard to its question about the edits."""
    window.close()
    _unsaved_box(window).button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    run(qtbot, window.session.aclose())


def _unsaved_box(window: MainWindow) -> QMessageBox:
    boxes = [box for box in window.contact_view.findChildren(QMessageBox, "unsavedDialog") if box.isVisible()]
    assert len(boxes) == 1
    return boxes[0]


def test_searching_for_the_contact_open_with_edits_shows_what_changed_and_keeps_the_edits(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, uid = _dirty_contact(qtbot, account)

    async def colleague() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.add_note("Called back, wants a quote.", uid=uid)
            await api.update_contact(uid, businessName="Edit Me Ltda")

    run(qtbot, colleague())
    view = window.contact_view
    window.request_search("edit@example.com")
    qtbot.waitUntil(
        lambda: [e.text_label.text() for e in view.notes.entry_widgets()] == ["Called back, wants a quote."]
    )
    assert view.form.values()["businessName"] == "Edit Me Ltda"
    assert view.form.values()["city"] == "Olinda" and view.has_unsaved_changes()
    _discard_and_close(qtbot, window)


def test_a_save_that_meets_a_colleagues_rename_shows_the_new_name_in_recent_too(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, uid = _dirty_contact(qtbot, account)

    async def colleague() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.update_contact(uid, firstName="Edited", lastName="Elsewhere", city="Natal")

    run(qtbot, colleague())
    view = window.contact_view
    with qtbot.waitSignal(view.service.save_conflicted, timeout=10_000):
        view.save_button.click()
    assert view.name_label.text() == "Edited Elsewhere"
    assert [entry.name for entry in window.recent.entries()] == ["Edited Elsewhere"]
    _discard_and_close(qtbot, window)


def test_closing_with_unsaved_edits_asks_first_and_cancel_keeps_the_window(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _uid = _dirty_contact(qtbot, account)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    window.close()
    box = _unsaved_box(window)
    assert window.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and window.contact_view.has_unsaved_changes()
    window.close()
    _unsaved_box(window).button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: closed == [True], timeout=5_000)
    assert not window.isVisible()
    run(qtbot, window.session.aclose())


def test_searching_with_unsaved_edits_asks_before_the_contact_found_replaces_them(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, uid = _dirty_contact(qtbot, account)
    (other,) = create_contacts(qtbot, account, {"name": "Someone Else", "email": "else@example.com"})
    window.request_search("else@example.com")
    qtbot.waitUntil(lambda: window.results_status.text() == "Found Someone Else.", timeout=15_000)
    box = _unsaved_box(window)
    assert window.contact_view.current_uid() == uid  # nothing replaced until the user answers
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == other.uid, timeout=15_000)
    close_window(qtbot, window)


def test_ctrl_comma_opens_settings(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account)
    window.settings_action.trigger()
    dialog = window.findChild(QDialog, "settingsDialog")
    assert dialog is not None and dialog.isVisible()
    assert QApplication.activeModalWidget() is None or QApplication.activeModalWidget() is dialog
    dialog.close()
    close_window(qtbot, window)


def test_first_run_window_fits_the_screen_and_a_search_from_elsewhere_shows_its_query(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account)
    screen = window.screen()
    assert screen is not None
    area = screen.availableGeometry()
    assert window.width() <= area.width() and window.height() <= area.height()
    assert window.width() >= min(1280, area.width()) and window.height() >= min(800, area.height())
    window.request_search("nobody@example.com")
    assert window.search_field.text() == "nobody@example.com"
    close_window(qtbot, window)


def test_help_menu_opens_the_shortcuts_window_and_about_names_the_apis_limits(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account)
    help_menu = window.help_button.menu()
    assert [action.text() for action in help_menu.actions()] == ["Keyboard shortcuts", "About CRMDesk"]
    window.help_action.trigger()
    assert window._shortcuts_dialog is not None and window._shortcuts_dialog.isVisible()
    window._shortcuts_dialog.close()
    window.about_action.trigger()
    about = window.findChild(QMessageBox, "aboutDialog")
    assert about is not None and about.isVisible()
    assert "cannot list contacts, remove tags, edit notes" in about.informativeText()
    about.close()
    close_window(qtbot, window)


def test_a_window_half_a_full_hd_screen_wide_shows_the_whole_contact(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(
        qtbot,
        account,
        {
            "name": "Maria Aparecida dos Santos Oliveira",
            "email": "maria.aparecida.oliveira@padariasol.com.br",
            "businessName": "Padaria e Confeitaria Sol Nascente",
            "phone": "+55 11 98765-4321",
            "tags": ["Hot Lead", "Website"],
            "note": "Called about the ordering flow.",
        },
    )
    window = open_window(qtbot, account)

    def settle(width: int, height: int) -> None:
        window.resize(width, height)
        qtbot.waitUntil(lambda: window.width() == width)
        qtbot.wait(100)  # the layouts' follow-up passes

    # Sized before the first contact shows, as a window restored at its last size is: the header's times appear
    # with the contact, and the arrangement must follow them without any resize.
    settle(960, 1000)
    window.open_uid(ref.uid)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    qtbot.wait(100)
    view = window.contact_view
    header, form_scroll = view.header, view.form_scroll

    def check_nothing_is_hidden_or_overlapping() -> None:
        # The header's parts neither overlap nor run past its edge, and the form never scrolls sideways.
        assert header.dropdowns is not None
        parts = [view.times_row, header.dropdowns, view.reload_button, view.delete_button]
        for index, part in enumerate(parts):
            assert header.rect().contains(part.geometry()), part
            for other in parts[index + 1 :]:
                assert not part.geometry().intersects(other.geometry()), (part, other)
        assert form_scroll.horizontalScrollBar().maximum() == 0

    # Half of a 1920×1080 screen (or a 1024-px one): the window fits, the dropdowns move under the title and the
    # tags and notes under the form.
    assert window.minimumSizeHint().width() <= 960
    assert header.is_stacked()
    assert header.dropdowns is not None
    assert header.dropdowns.geometry().top() > view.times_row.geometry().bottom()
    assert view.splitter.orientation() == Qt.Orientation.Vertical
    check_nothing_is_hidden_or_overlapping()
    assert view.tags.isVisible() and view.notes.isVisible() and view.side.height() >= 200

    # Wide again: everything side by side, as at 1280×800 and up.
    settle(1600, 900)
    assert not header.is_stacked()
    assert header.dropdowns.geometry().left() > view.times_row.geometry().right()
    assert view.splitter.orientation() == Qt.Orientation.Horizontal
    form_width, notes_width = view.splitter.sizes()
    assert notes_width >= 280 and form_width > notes_width
    check_nothing_is_hidden_or_overlapping()

    settle(960, 1000)
    assert header.is_stacked() and view.splitter.orientation() == Qt.Orientation.Vertical
    check_nothing_is_hidden_or_overlapping()
    close_window(qtbot, window)


def _ana_open(qtbot: QtBot, account: Account, width: int, height: int, **fields: str) -> MainWindow:
    """A window of that size with Ana Li open (``fields`` added to her contact)."""
    (ref,) = create_contacts(qtbot, account, {"name": "Ana Li", "email": "ana@example.com", **fields})
    window = open_window(qtbot, account)
    window.resize(width, height)
    window.open_uid(ref.uid)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    return window


def test_the_narrowest_window_shows_every_field_whole(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = _ana_open(qtbot, account, 1280, 800, value="1234567.89", birthday="1985-03-14")
    view = window.contact_view
    narrowest = window.minimumSizeHint().width()
    assert narrowest <= 960  # still half of a full-HD screen
    window.resize(narrowest, 900)
    qtbot.waitUntil(lambda: window.width() == narrowest)
    qtbot.wait(100)  # the layouts' follow-up passes
    assert view.splitter.orientation() == Qt.Orientation.Vertical
    assert view.form_scroll.horizontalScrollBar().maximum() == 0  # nothing sideways
    # The right-hand column's dates and amounts show whole rather than as "$1,234,56" or "1985-0…", and nothing
    # is cut off at the window's edge: what a field's width allows is all on screen.
    for name in ("value", "birthday", "lastName", "state"):
        edit = view.findChild(QLineEdit, name)
        assert edit is not None, name
        needed = edit.fontMetrics().horizontalAdvance(edit.text() or edit.placeholderText())
        assert edit.width() >= needed + 8, (name, edit.text(), edit.width(), needed)
        assert edit.visibleRegion().boundingRect().width() == edit.width(), name
    assert view.save_button.visibleRegion().boundingRect().width() == view.save_button.width()
    close_window(qtbot, window)


def test_a_short_stacked_window_shows_the_whole_form_and_scrolls_the_page_to_the_notes(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    # A laptop's window beside the phone app: the notes go under the form.
    window = _ana_open(qtbot, account, 800, 600, note="Called.")
    view = window.contact_view
    qtbot.waitUntil(lambda: view.splitter.orientation() == Qt.Orientation.Vertical)
    qtbot.wait(100)  # the layouts' follow-up passes
    # The form is whole, Save included, rather than a sliver that scrolls on its own...
    assert view.form_scroll.verticalScrollBar().maximum() == 0
    assert view.form_scroll.height() >= view.form_column.sizeHint().height()
    # ...and the page scrolls as one to the tags and notes, which keep room to work in.
    page = view.body_scroll.verticalScrollBar()
    assert page.maximum() > 0
    assert view.side.height() >= 320  # about three notes
    # A note box reached by its shortcut is scrolled into view whole.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    view.focus_note_input()
    note_input = view.notes.input
    qtbot.waitUntil(note_input.hasFocus)

    def note_box_in_view() -> bool:
        top = note_input.mapTo(view.body_scroll.viewport(), note_input.rect().topLeft()).y()
        return 0 <= top and top + note_input.height() <= view.body_scroll.viewport().height()

    qtbot.waitUntil(note_box_in_view)
    # A line that appears in the form (a field's error) keeps it whole: the body is shared out again.
    cast(QLineEdit, view.form.editor("email")).setText("not-an-email")
    qtbot.waitUntil(lambda: bool(view.form.message("email")))
    qtbot.waitUntil(lambda: view.form_scroll.height() >= view.form_column.sizeHint().height())
    assert view.form_scroll.verticalScrollBar().maximum() == 0
    view.revert()
    # A new contact has no tags and notes column: the body is the form, with no blank page under it.
    window.new_contact()
    qtbot.waitUntil(lambda: view.mode() == "create")
    qtbot.wait(50)
    assert view.splitter.minimumHeight() <= view.form_column.sizeHint().height() + 2 * view.splitter.handleWidth()
    close_window(qtbot, window)


def test_a_wide_window_gives_the_notes_the_room_the_form_does_not_need(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = _ana_open(qtbot, account, 1800, 900)
    view = window.contact_view
    qtbot.waitUntil(lambda: view.splitter.orientation() == Qt.Orientation.Horizontal)
    qtbot.wait(100)
    form_width, side_width = view.splitter.sizes()
    # Not three fifths of ~1500 px, which stretched a birthday over ~400 px: the notes get the rest.
    assert form_width <= 760 and side_width > 700
    window.new_contact()  # no notes beside a new contact: the form still stops at 760 px
    qtbot.waitUntil(lambda: view.mode() == "create")
    qtbot.wait(100)  # the layouts' follow-up passes
    assert view.form_scroll.width() <= 760
    assert _left_in_view(view, view.form_scroll) == _left_in_view(view, view.header)
    view.revert()  # Cancel: back to Ana, read again
    qtbot.waitUntil(lambda: view.mode() == "view" and not view.service.is_running("load"))
    # A width the rep drags the handle to is theirs.
    view.splitter.moveSplitter(1000, 1)  # as a drag of the handle does
    window.resize(1810, 900)
    qtbot.waitUntil(lambda: view.splitter.sizes()[0] > 900)
    close_window(qtbot, window)


def _left_in_view(view: QWidget, widget: QWidget) -> int:
    return view.mapFromGlobal(widget.mapToGlobal(QPoint(0, 0))).x()


@pytest.mark.parametrize("width", [1280, 1920])
def test_a_new_contacts_form_starts_under_its_title(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, width: int
) -> None:
    window = open_window(qtbot, account)
    window.resize(width, 800)
    qtbot.waitUntil(lambda: window.width() == width)
    view = window.contact_view
    view.start_create()
    qtbot.keyClicks(view.form.editor("firstName"), "Maria")
    qtbot.wait(100)  # the layouts' follow-up passes
    # Not centred in the width the notes would take beside a contact: where the title and a contact's form start.
    assert _left_in_view(view, view.form_scroll) == _left_in_view(view, view.header)
    assert view.form_scroll.width() <= 760
    # And settled: the arrangement is not redone while nothing changes (it once flipped at every layout pass,
    # a full core for as long as the form was open).
    arranged: list[int] = []
    arrange = view._arrange_body

    def counted_arrange() -> None:
        arranged.append(1)
        arrange()

    view._arrange_body = counted_arrange  # type: ignore[method-assign]
    qtbot.wait(300)
    assert len(arranged) <= 2
    close_window(qtbot, window)


def test_the_header_follows_its_parts_without_a_resize(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Ana Li", "email": "ana@example.com"})
    window = open_window(qtbot, account)
    window.resize(1000, 800)
    qtbot.waitUntil(lambda: window.width() == 1000)
    view = window.contact_view
    # A new contact's title is a name alone, and fits beside the dropdowns; a contact's adds its UID and times.
    view.start_create()
    qtbot.waitUntil(lambda: view.header.width() > 0 and not view.header.is_stacked())
    window.open_uid(ref.uid)
    qtbot.waitUntil(lambda: view.current_uid() == ref.uid, timeout=15_000)
    qtbot.waitUntil(view.header.is_stacked)
    assert view.header.dropdowns is not None
    assert not view.times_row.geometry().intersects(view.header.dropdowns.geometry())
    view.start_create()
    qtbot.waitUntil(lambda: not view.header.is_stacked())
    assert window.width() == 1000, "all of it without a resize"
    close_window(qtbot, window)


def test_the_contact_body_switches_once_across_its_width_and_never_on_height(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Ana Li", "email": "ana@example.com", "note": "Called."})
    window = open_window(qtbot, account)
    window.open_uid(ref.uid)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    splitter = window.contact_view.splitter

    def orientation_at(width: int, height: int = 800) -> Qt.Orientation:
        window.resize(width, height)
        qtbot.waitUntil(lambda: window.width() == width and window.height() == height)
        qtbot.wait(5)
        return splitter.orientation()

    # Widening a pixel at a time across the whole range where the switch can happen: it happens once.
    sweep = [orientation_at(width) for width in range(1060, 1260, 2)]
    changes = [index for index in range(1, len(sweep)) if sweep[index] != sweep[index - 1]]
    assert len(changes) == 1, changes
    switch = 1060 + 2 * changes[0]
    # Just either side of it, a change of height alone never switches.
    for width in (switch - 2, switch, switch + 2):
        seen = {orientation_at(width, height) for height in range(700, 800, 10)}
        assert len(seen) == 1, (width, seen)
    close_window(qtbot, window)


def test_a_session_ready_before_its_contact_view_exists_leaves_no_wait_message(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    # A quick keyring answers before the contact view is made: the placeholder must not go on asking to unlock it.
    session = Session("work", account.base_url, None)
    window = MainWindow(session, Registry.load("work"), Profiles())
    qtbot.addWidget(window, before_close_func=lambda widget: close_window(qtbot, widget))
    waiting = window.findChild(QLabel, "sessionWait")
    assert waiting is not None and "unlock" in waiting.text() and not waiting.isHidden()
    assert window.statusBar().currentMessage() == "Reading the saved token from the system keyring…"
    session.provide_token(account.token)
    assert waiting.isHidden()
    assert window.statusBar().currentMessage() == ""


def test_no_key_is_bound_twice_in_the_window(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    # Two window-wide bindings of one key make it ambiguous: Qt then fires neither (F1 once did nothing).
    from PySide6.QtGui import QAction, QShortcut

    window = open_window(qtbot, account)
    qtbot.waitUntil(window.contact_view_built, timeout=15_000)
    bound: dict[str, int] = {}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            bound[sequence.toString()] = bound.get(sequence.toString(), 0) + 1
    for shortcut in window.findChildren(QShortcut):
        for sequence in shortcut.keys():
            bound[sequence.toString()] = bound.get(sequence.toString(), 0) + 1
    assert {key for key, count in bound.items() if count > 1} == set()
    assert {"F1", "Ctrl+S", "Ctrl+R", "Ctrl+N", "F5"} <= set(bound)
    close_window(qtbot, window)


def test_times_shown_catch_up_when_the_rep_comes_back_to_the_window(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The times' timers pause while the computer sleeps: on waking (the lock screen, then the window again), or
    after the computer's clock was set, "Updated just now", "Today" and the contact's local time stayed for up to a
    minute."""
    from datetime import datetime, timedelta, tzinfo

    import crmdesk.ui.contact_form as form_module
    import crmdesk.ui.formatting as formatting
    import crmdesk.ui.notes_timeline as timeline

    (ref,) = create_contacts(
        qtbot,
        account,
        {"name": "Ana Lima", "email": "ana@example.com", "timeZone": "America/Sao_Paulo", "note": "Called"},
    )
    window = open_window(qtbot, account)
    window.request_search("ana@example.com")
    qtbot.waitUntil(lambda: window.contact_view_built() and window.contact_view.current_uid() == ref.uid)
    view = window.contact_view
    there = view.form.findChild(QLabel, "localTime")
    assert there is not None
    before = (view.updated_label.text(), view.notes.day_headers()[0], there.text())
    assert before[:2] == ("just now", "Today")

    # The computer slept until noon the next day (or 3 PM, if it is noon now), its timers paused with it.
    now = datetime.now().astimezone()
    woke = (now + timedelta(days=1)).replace(hour=15 if now.hour == 12 else 12, minute=0)
    slept = woke - now

    class NextDay(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> NextDay:
            moment = datetime.now(tz) + slept
            return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)

    for module in (form_module, formatting, timeline):
        monkeypatch.setattr(module, "datetime", NextDay)
    other = QWidget()  # the lock screen, or another window, had the focus
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow())
    assert (view.updated_label.text(), view.notes.day_headers()[0], there.text()) == before
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    updated, day, local = view.updated_label.text(), view.notes.day_headers()[0], there.text()
    assert updated.startswith("yesterday") and day == "Yesterday" and local != before[2]
    close_window(qtbot, window)


def test_a_light_dark_switch_while_the_window_is_open_reaches_the_banner_search_and_account_button(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """A desktop that turns dark at sunset: the banner stayed pale pink with black text, and the search field's
    icons and the account button's name stayed black on the dark toolbar."""
    from crmdesk.app import _dark_palette, _light_palette

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    window = open_window(qtbot, account)
    try:
        app.setPalette(_light_palette(app.style().standardPalette()))
        window.banner.show_message("Not saved.", Severity.ERROR)
        app.setPalette(_dark_palette())
        QApplication.processEvents()
        assert window.banner.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5
        assert window.banner.palette().color(QPalette.ColorRole.WindowText).lightnessF() > 0.5
        assert window.account_button.palette().color(QPalette.ColorRole.ButtonText).lightnessF() > 0.5
        lead = window.search_field.actions()[0].icon().pixmap(16, 16).toImage()
        drawn = max((lead.pixelColor(x, y) for x in range(16) for y in range(16)), key=lambda colour: colour.alpha())
        assert drawn.lightnessF() > 0.5, drawn.name()
    finally:
        app.setPalette(before)
        close_window(qtbot, window)
