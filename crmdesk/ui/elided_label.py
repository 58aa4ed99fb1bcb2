"""A one-line label that ends in "…" when its text does not fit, instead of widening what holds it."""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QStyle, QToolTip, QWidget

from crmdesk.ui.messages import plain_tooltip

#: Characters an elided label keeps room for however narrow its layout gets ("4 Au…").
MINIMUM_CHARACTERS = 5


def is_right_to_left(text: str) -> bool:
    """Whether ``text`` reads right to left: its first strongly directional character is Hebrew or Arabic script."""
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


class ElidedLabel(QLabel):
    """A plain-text, one-line QLabel whose minimum width does not depend on its text.

    Its preferred width is still the whole text, so it shows in full wherever there is room. Header texts that
    change from one contact to the next use it: a label whose minimum follows its text makes every layout above
    it (and, in a narrow window, the main splitter) move at each contact. An elided text without a tooltip of
    its own shows in full in its tooltip. Like QLabel, it lays a right-to-left text out from the right; it
    honours ``margin()`` and the frame, not ``indent()``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        # (text, width, what fits in it) for the current font: painting asks at every repaint.
        self._fitted: tuple[str, int, str] | None = None

    def minimumSizeHint(self) -> QSize:
        around = self.width() - self._text_rect().width()  # the frame, the contents margins and margin()
        narrow = self.fontMetrics().averageCharWidth() * MINIMUM_CHARACTERS + around
        return QSize(narrow, super().minimumSizeHint().height())

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self._text_rect().width()

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.FontChange:
            self._fitted = None
        elif kind == QEvent.Type.ToolTip and not self.toolTip() and self.is_elided():
            assert isinstance(event, QHelpEvent)
            QToolTip.showText(event.globalPos(), plain_tooltip(self.text()), self)
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self._text_rect()
        text = self.text()
        fitted = self._fitted
        if fitted is None or fitted[0] != text or fitted[1] != rect.width():
            elided = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
            fitted = self._fitted = (text, rect.width(), elided)
        elided = fitted[2]
        if elided == text:
            # It fits: QLabel draws it (a third of the time of drawing it here), exactly as a plain label would.
            super().paintEvent(event)
            return
        painter = QPainter(self)
        self.drawFrame(painter)
        right_to_left = is_right_to_left(text)
        direction = Qt.LayoutDirection.RightToLeft if right_to_left else Qt.LayoutDirection.LeftToRight
        forced = Qt.TextFlag.TextForceRightToLeft if right_to_left else Qt.TextFlag.TextForceLeftToRight
        flags = QStyle.visualAlignment(direction, self.alignment()).value | forced.value
        self.style().drawItemText(painter, rect, flags, self.palette(), self.isEnabled(), elided, self.foregroundRole())
        painter.end()

    def _text_rect(self) -> QRect:
        margin = self.margin()
        return self.contentsRect().adjusted(margin, margin, -margin, -margin)
