"""Keyboard focus drawn plainly, in light and dark alike: a ring in the palette's highlight colour."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QRect, Qt
from PySide6.QtGui import QFocusEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QScrollArea, QWidget

from crmdesk.ui.one_line import without_invisible

#: The ring's width; a widget that draws one keeps this much room around what it shows.
RING_WIDTH = 2

_KEYBOARD = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason, Qt.FocusReason.ShortcutFocusReason)
# Focus coming back with the window or after a menu: it came the way it came before.
_RETURNING = (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason)


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
    """A scroll area that shows the ring while it has focus from the keyboard (arrows and Page keys scroll it).

    Its contents and scroll bar cover all but its frame, so the ring takes the frame's place: a frame as wide
    as the ring and a gap, never drawn by QFrame (it would draw a box in the text colour). A click focuses the
    area too, for the keys, but shows no ring, as a click on a button shows none.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameStyle(QFrame.Shape.Box | QFrame.Shadow.Plain)
        self.setLineWidth(2 * RING_WIDTH)
        self._by_keyboard = False

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Paint:
            if self._by_keyboard and self.hasFocus():
                draw_focus_ring(self, self.rect())
            return True
        if kind == QEvent.Type.FocusIn and isinstance(event, QFocusEvent) and event.reason() not in _RETURNING:
            self._by_keyboard = event.reason() in _KEYBOARD
        if kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.update()
        return super().event(event)


class RingedPlainTextEdit(QPlainTextEdit):
    """A multi-line editor that shows the ring over its frame while it has focus, as one-line fields show theirs
    (Fusion draws none for a text editor's frame, so keyboard users lost their place on entering one).

    What is pasted or dropped into it comes without zero-width spaces, as into the one-line fields: a web page's,
    or the breaks a note's label adds to a long word (crmdesk/ui/wrapped_label.py), which a note copied from
    another by X11's selection or a drag would otherwise store inside its URL, unseen.
    """

    def insertFromMimeData(self, source: QMimeData) -> None:
        if not source.hasText():
            super().insertFromMimeData(source)
            return
        cleaned = QMimeData()
        cleaned.setText(without_invisible(source.text()))
        super().insertFromMimeData(cleaned)

    _lines = 0
    _extra = 0

    def set_visible_lines(self, lines: int, extra: int) -> None:
        """Be ``lines`` lines of its font tall (and ``extra`` px for the frame and margins), also after the font
        changes (the rep enlarges the system's text while CRMDesk runs)."""
        self._lines, self._extra = lines, extra
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + extra)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        kind = event.type()
        if kind == QEvent.Type.Paint and self.hasFocus():  # the frame's paint; the text is the viewport's
            draw_focus_ring(self, self.rect())
        elif kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.update()
        elif kind == QEvent.Type.FontChange and self._lines:
            self.setFixedHeight(self.fontMetrics().lineSpacing() * self._lines + self._extra)
        return handled
