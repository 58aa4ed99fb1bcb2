"""A one-line label that ends in "…" when its text does not fit, instead of widening what holds it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QToolTip, QWidget

#: Characters an elided label keeps room for however narrow its layout gets ("4 Au…").
MINIMUM_CHARACTERS = 5


class ElidedLabel(QLabel):
    """A plain-text, one-line QLabel whose minimum width does not depend on its text.

    Its preferred width is still the whole text, so it shows in full wherever there is room. Header texts that
    change from one contact to the next use it: a label whose minimum follows its text makes every layout above
    it (and, in a narrow window, the main splitter) move at each contact. An elided text without a tooltip of
    its own shows in full in its tooltip.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def minimumSizeHint(self) -> QSize:
        margins = self.contentsMargins()
        narrow = self.fontMetrics().averageCharWidth() * MINIMUM_CHARACTERS + margins.left() + margins.right()
        return QSize(narrow, super().minimumSizeHint().height())

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and not self.toolTip() and self.is_elided():
            assert isinstance(event, QHelpEvent)
            QToolTip.showText(event.globalPos(), self.text(), self)
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            rect,
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            text,
            self.foregroundRole(),
        )
        painter.end()
