"""Buttons that show keyboard focus plainly, in light and dark alike: icon buttons and flat push buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QPushButton, QToolButton, QWidget

from crmdesk.ui.focus_ring import draw_focus_ring


class ToolButton(QToolButton):
    """A QToolButton with a ring in the highlight colour while it has keyboard focus.

    Fusion marks a focused auto-raise tool button only with a faint fill: about 1.2 : 1 against the dark window,
    so a keyboard user tabbing through the header's and the form's icon buttons could not see where they were.
    Tool buttons take focus by Tab only, so the ring never shows after a mouse click.
    """

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.hasFocus():
            draw_focus_ring(self, self.rect())


class FlatButton(QPushButton):
    """A flat QPushButton (an action that reads as a link: "Show older notes", "Undo") with the ring while it has
    keyboard focus.

    Fusion draws no focus frame at all on a flat push button: a keyboard user tabbing onto one saw nothing change.
    The ring shows when ordinary buttons show theirs, after the keyboard moved focus in the window, not after a
    click.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setFlat(True)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.hasFocus() and self.window().testAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange):
            draw_focus_ring(self, self.rect())
