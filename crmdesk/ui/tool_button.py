"""A tool button that shows keyboard focus plainly, in light and dark alike."""

from __future__ import annotations

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QToolButton

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
