"""A label whose text the mouse can select, paying for selection only where the pointer goes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QEnterEvent, QMouseEvent
from PySide6.QtWidgets import QLabel, QWidget

_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


class SelectableLabel(QLabel):
    """A QLabel whose text can be selected with the mouse, made selectable when the pointer enters it.

    A QLabel with selectable text keeps it in a QTextDocument and lays that document out again for each new text
    and for each width a layout asks about; a plain label measures its text directly, at the same height (they
    agreed on every note of the demo data at every width from 60 to 900 px). Every note of the timeline and the
    header's uid get a new text with each contact, and the documents cost ~0.6 ms of each contact switch. A
    selection can only start under the pointer, so the label turns selectable when the pointer enters it (or
    presses on it), and plain again when a new text arrives while the pointer is elsewhere and the focus too.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plain_flags = self.textInteractionFlags() & ~_SELECTABLE

    def enterEvent(self, event: QEnterEvent) -> None:
        self._make_selectable()
        super().enterEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        # A press can come without an enter first: the notes scrolled under a pointer that did not move.
        self._make_selectable()
        super().mousePressEvent(event)

    def _make_selectable(self) -> None:
        if not self.textInteractionFlags() & _SELECTABLE:
            self.setTextInteractionFlags(self._plain_flags | _SELECTABLE)

    def setText(self, text: str) -> None:
        if (
            text != self.text()
            and self.textInteractionFlags() & _SELECTABLE
            and not self.underMouse()
            and not self.hasFocus()  # a click gave it focus (selectable text takes it, for Ctrl+C); keep it
        ):
            self.setTextInteractionFlags(self._plain_flags)
        super().setText(text)
