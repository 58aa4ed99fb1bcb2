"""The toolbar's search field: UID, email or phone, with a small menu to force the kind."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QMenu, QWidget

from crmdesk.services.search import SearchKind
from crmdesk.ui.icons import icon
from crmdesk.ui.one_line import keep_one_line


class SearchField(QLineEdit):
    """Enter searches; the trailing menu forces UID, email or phone instead of guessing.

    Escape clears the field and stops a lookup on its way; Alt+Down (or F4) opens the menu, as in a combo box.

    Signals:
        search_requested(str, object): the query text and the forced SearchKind (or None to detect it).
        escaped(): Escape was pressed in the field (it is cleared): drop any lookup in flight.
    """

    search_requested = Signal(str, object)
    escaped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        keep_one_line(self, separator=", ")  # a pasted signature's lines stay apart: its address can be found
        self.setObjectName("searchField")
        self.setPlaceholderText(self.tr("UID, email or phone"))
        self.setAccessibleName(self.tr("Search"))
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(260)
        self._lead = self.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self._lead.setToolTip(self.tr("Search"))
        self._lead.triggered.connect(self._submit)

        self._menu = QMenu(self)
        group = QActionGroup(self)
        group.setExclusive(True)
        self._kind_actions: dict[SearchKind | None, QAction] = {}
        for kind, label in (
            (None, self.tr("Detect automatically")),
            (SearchKind.UID, self.tr("Search by UID")),
            (SearchKind.EMAIL, self.tr("Search by email")),
            (SearchKind.PHONE, self.tr("Search by phone")),
        ):
            action = self._menu.addAction(label)
            action.setCheckable(True)
            action.setData(kind.value if kind else "")
            group.addAction(action)
            self._kind_actions[kind] = action
        self._kind_actions[None].setChecked(True)
        group.triggered.connect(self._kind_chosen)
        self._trail = self.addAction(icon("chevron-down"), QLineEdit.ActionPosition.TrailingPosition)
        self._trail.setToolTip(self.tr("Choose what to search by"))
        self._trail.triggered.connect(self._show_menu)
        self.returnPressed.connect(self._submit)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # A light/dark switch: icons tinted for the new text colour (not while the field is being taken down, its
        # actions gone first).
        if event.type() == QEvent.Type.PaletteChange and shiboken6.isValid(self._lead):
            self._lead.setIcon(icon("search"))
            self._trail.setIcon(icon("chevron-down"))

    def kind_menu(self) -> QMenu:
        return self._menu

    def forced_kind(self) -> SearchKind | None:
        for kind, action in self._kind_actions.items():
            if action.isChecked():
                return kind
        return None

    def set_forced_kind(self, kind: SearchKind | None) -> None:
        self._kind_actions[kind].setChecked(True)
        self._kind_chosen(self._kind_actions[kind])

    def _kind_chosen(self, action: QAction) -> None:
        placeholders = {
            "": self.tr("UID, email or phone"),
            SearchKind.UID.value: self.tr("UID (8 letters and digits)"),
            SearchKind.EMAIL.value: self.tr("Email address"),
            SearchKind.PHONE.value: self.tr("Phone number"),
        }
        self.setPlaceholderText(placeholders[str(action.data() or "")])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.clear()
            self.escaped.emit()
            event.accept()
            return
        if key == Qt.Key.Key_F4 or (key == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier):
            self._show_menu()
            event.accept()
            return
        super().keyPressEvent(event)

    def _show_menu(self) -> None:
        self._menu.popup(self.mapToGlobal(QPoint(self.width() - self._menu.sizeHint().width(), self.height())))

    def _submit(self) -> None:
        text = self.text().strip()
        if text:
            self.search_requested.emit(text, self.forced_kind())
