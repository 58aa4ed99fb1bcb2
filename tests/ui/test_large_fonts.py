"""Dialogs with a larger system font (Windows' 150% text size and up, a rep who enlarges text to read it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.contract import NoteEntry
from crmdesk.services.credentials import Credentials
from crmdesk.services.profiles import Profiles
from crmdesk.services.registry import Registry
from crmdesk.ui.main_window import first_sidebar_width
from crmdesk.ui.settings_dialog import SettingsDialog
from crmdesk.ui.shortcuts_dialog import ShortcutsDialog
from crmdesk.ui.sign_in import SignInDialog
from tests.ui.contact_support import create_contact, demo_registry, make_view


@pytest.fixture(params=[13.0, 16.0, 20.0], ids=["13pt", "16pt", "20pt"])
def large_font(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[float]:
    before = QFont(qapp.font())
    font = QFont(before)
    font.setPointSizeF(request.param)
    qapp.setFont(font)
    yield request.param
    qapp.setFont(before)


def test_the_shortcuts_dialog_shows_every_action_whole(qtbot: QtBot, large_font: float) -> None:
    dialog = ShortcutsDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.table
    metrics = table.fontMetrics()
    cut = []
    for row in range(table.rowCount()):
        item = table.item(row, 0)
        assert item is not None
        text = item.text()
        # Its lines at the column's width (less the cell's margins) fit the row's height.
        lines = metrics.boundingRect(0, 0, table.columnWidth(0) - 8, 10_000, Qt.TextFlag.TextWordWrap, text)
        if lines.height() > table.rowHeight(row) or metrics.horizontalAdvance(text.split()[0]) > table.columnWidth(0):
            cut.append(text)
    assert not cut, f"{large_font} pt: the Action column is {table.columnWidth(0)} px"
    # Where the screen has room, every action reads on one line.
    if dialog.width() < dialog.screen().availableGeometry().width() * 0.9 - 1:
        assert all(table.rowHeight(row) == table.rowHeight(0) for row in range(table.rowCount()))


def test_the_settings_dialog_has_room_for_rows_of_its_lists_and_team(
    qtbot: QtBot, qasync_loop: object, private_settings: object, large_font: float
) -> None:
    dialog = SettingsDialog(demo_registry(), None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.stages.viewport().height() >= 3 * dialog.stages.fontMetrics().lineSpacing()
    page = dialog.members.parentWidget()
    assert page is not None
    dialog.tabs.setCurrentWidget(page)
    qtbot.waitUntil(dialog.members.isVisible)
    assert dialog.members.viewport().height() >= 2 * dialog.members.verticalHeader().defaultSectionSize()


def test_sign_in_opened_with_a_reason_shows_its_remember_box_whole(
    qtbot: QtBot, private_settings: object, large_font: float
) -> None:
    dialog = SignInDialog(Credentials(), Profiles(), "work", message="The server refused the token (401).")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.remember.width() >= dialog.remember.sizeHint().width()
    assert dialog.message.isVisible() and dialog.message.height() >= dialog.message.heightForWidth(
        dialog.message.width()
    )


def test_at_the_usual_font_the_shortcuts_dialog_shows_every_row_on_one_line_without_blank_space(
    qtbot: QtBot,
) -> None:
    dialog = ShortcutsDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.table
    one_line = table.verticalHeader().defaultSectionSize()
    assert all(table.rowHeight(row) == one_line for row in range(table.rowCount()))
    assert table.verticalScrollBar().maximum() == 0
    assert table.viewport().height() - table.verticalHeader().length() < one_line


@pytest.mark.parametrize(
    ("points", "window", "sidebar"),
    [
        (9, 1280, 260),  # the usual font: as it always was
        (11, 1280, 260),  # GNOME's 11 pt at 1280 px: wider would stack the contact page's form and notes
        (16, 1280, 260),
        (16, 1536, 420),  # a 1920 px screen's first window: room for an email
        (20, 2048, 528),
        (9, 2048, 260),
    ],
)
def test_a_first_windows_sidebar_widens_for_a_large_font_only_where_the_window_can_spare_it(
    qapp: QApplication, points: int, window: int, sidebar: int
) -> None:
    font = QFont(qapp.font())
    font.setPointSizeF(points)
    average = QFontMetrics(font).averageCharWidth()
    assert first_sidebar_width(average, window) == sidebar
    if sidebar > 260:  # widened: an email of a Recent row fits
        assert sidebar > QFontMetrics(font).horizontalAdvance("mariana.oliveira@padariasol.com.br")


def test_the_contact_page_follows_a_larger_system_font_set_while_it_runs(
    qtbot: QtBot, api: ContactApi, registry: Registry
) -> None:
    """Enlarging the system's text while CRMDesk ran left the contact's name at 14.4 pt under 16 pt body text,
    section titles and note times tiny, the note box a line and a half tall, and a long tag's chip, shortened for
    the old font, past the column's edge."""
    contact = create_contact(
        qtbot, api, name="Maria Silva", email="maria@example.com", tags=["Distribuidora Nordeste " * 4]
    )
    _service, view = make_view(qtbot, api, registry)
    view.show_contact(contact)
    view.notes.set_notes([NoteEntry(None, "Called her")])
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QFont(app.font())
    bigger = QFont(before)
    bigger.setPointSizeF(16)
    try:
        app.setFont(bigger)
        qtbot.waitUntil(lambda: view.form.editor("city").font().pointSizeF() == 16)
        assert view.name_label.font().pointSizeF() == pytest.approx(16 * 1.6)
        sections = [label for label in view.findChildren(QLabel) if label.text() in ("TAGS", "NOTES")]
        assert sections and all(label.font().pointSizeF() == pytest.approx(16 * 0.85) for label in sections)
        times = [entry.time_label for entry in view.notes.entry_widgets()]
        assert times and all(label.font().pointSizeF() == pytest.approx(16 * 0.9) for label in times)
        lines = view.notes.input.fontMetrics().lineSpacing()
        assert view.notes.input.height() >= 3 * lines
        chip = view.tags.chips()[0]
        widest = chip.fontMetrics().horizontalAdvance(chip.text())
        assert widest <= chip.WIDEST_TEXT
    finally:
        app.setFont(before)


def test_a_scaled_font_is_forgotten_with_its_widget(qapp: QApplication) -> None:
    """Note rows come and go by the hundred ("Show older notes", then another contact): each kept its entry."""
    from crmdesk.ui import scaled_font

    labels = [QLabel() for _ in range(50)]
    for label in labels:
        scaled_font.scale_font(label, 0.9)
    ours = [entry for entry in scaled_font._SCALED if any(entry.widget is label for label in labels)]
    assert len(ours) == 50
    for label in labels:
        label.deleteLater()
    del labels
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not any(entry in scaled_font._SCALED for entry in ours)
