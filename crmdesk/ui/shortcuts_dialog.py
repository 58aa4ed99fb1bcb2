"""Help → Keyboard Shortcuts: every entry of crmdesk.ui.shortcuts.ALL in one small window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crmdesk.ui import shortcuts


class ShortcutsDialog(QDialog):
    """A read-only table of actions and their keys; non-modal so it can stay open while working."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        table = QTableWidget(len(shortcuts.ALL), 2, self)
        table.setObjectName("shortcutsTable")
        table.setHorizontalHeaderLabels([self.tr("Action"), self.tr("Keys")])
        rows = table.verticalHeader()
        rows.hide()
        rows.setDefaultSectionSize(table.fontMetrics().height() + 10)  # one line's row, with air
        rows.setMinimumSectionSize(rows.defaultSectionSize())
        # An action wraps rather than being cut where the screen has no room for the dialog to widen to it.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setWordWrap(True)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        for row, shortcut in enumerate(shortcuts.ALL):
            table.setItem(row, 0, QTableWidgetItem(shortcuts.translated_description(shortcut)))
            keys = QTableWidgetItem(shortcut.label())
            keys.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, 1, keys)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # The keys' own width and a margin: fitted to its contents, the column's text ran into the frame.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, table.sizeHintForColumn(1) + 2 * table.fontMetrics().averageCharWidth() + 8)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        # Tall enough for every row and wide enough for every action, so the whole list reads at a glance: sizes
        # come from the text, so a larger system font (Windows' 150% text size) widens the dialog rather than
        # cutting each action short, and only a screen too small for it makes it scroll.
        room = self.screen().availableGeometry()
        # One line a row (rows are measured to their contents only once shown, at the dialog's width).
        rows_height = table.rowCount() * rows.defaultSectionSize() + header.height() + 2 * table.frameWidth()
        # The screen's height less the Close row, the margins and a title bar: a small screen scrolls the table.
        margins = layout.contentsMargins()
        around = buttons.sizeHint().height() + layout.spacing() + margins.top() + margins.bottom() + 48
        tallest = max(rows.defaultSectionSize() * 4, room.height() - around)
        table.setMinimumHeight(min(rows_height, tallest))
        scroll_bar = table.verticalScrollBar().sizeHint().width() if rows_height > tallest else 0
        action_width = table.sizeHintForColumn(0) + 2 * table.fontMetrics().averageCharWidth()
        table_width = action_width + header.sectionSize(1) + 2 * table.frameWidth() + scroll_bar
        width = max(520, table_width + margins.left() + margins.right())
        self.resize(min(width, room.width() * 9 // 10), self.sizeHint().height())
