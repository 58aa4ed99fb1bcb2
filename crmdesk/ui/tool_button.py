"""A tool button that shows keyboard focus plainly, in light and dark alike."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QToolButton


class ToolButton(QToolButton):
    """A QToolButton with a ring in the highlight colour while it has keyboard focus.

    Fusion marks a focused auto-raise tool button only with a faint fill: about 1.2 : 1 against the dark window,
    so a keyboard user tabbing through the header's and the form's icon buttons could not see where they were.
    Tool buttons take focus by Tab only, so the ring never shows after a mouse click.
    """

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.hasFocus():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 3, 3)
        painter.end()
