"""Keyboard focus drawn plainly, in light and dark alike: a ring in the palette's highlight colour."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QScrollArea, QWidget

#: The ring's width; a widget that draws one keeps this much room around what it shows.
RING_WIDTH = 2


def draw_focus_ring(widget: QWidget, rect: QRect) -> None:
    """Draw the ring just inside ``rect`` of ``widget``, during its paint event."""
    painter = QPainter(widget)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(widget.palette().color(QPalette.ColorRole.Highlight), RING_WIDTH))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = RING_WIDTH // 2
    painter.drawRoundedRect(rect.adjusted(half, half, -half, -half), 3, 3)
    painter.end()


class FocusRingScrollArea(QScrollArea):
    """A frameless scroll area that shows the ring while it has keyboard focus (arrows and Page keys scroll it).

    Its contents cover the whole viewport, so the viewport keeps a margin for the ring and a gap as wide.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        margin = 2 * RING_WIDTH
        self.setViewportMargins(margin, margin, margin, margin)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        kind = event.type()
        if kind == QEvent.Type.Paint and self.hasFocus():
            draw_focus_ring(self, self.rect())
        elif kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.update()
        return handled
