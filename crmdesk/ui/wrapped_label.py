"""A word-wrapped QLabel that lays its text out once per width rather than at every question from a layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QWidget

from crmdesk.ui.selectable_label import SelectableLabel

# Widths a label is asked about in a row of layouts: the current one, the one it is about to get, a few more.
_REMEMBERED_WIDTHS = 8

# QLabel's and QFrame's setters that can change a label's height for a width, besides its text. Qt calls none of
# them on its own; what Qt itself changes (font, style, direction) arrives as a change event.
_LAYOUT_SETTERS = (
    "setTextFormat",
    "setTextInteractionFlags",  # SelectableLabel's: a selectable label measures its text through a document
    "setWordWrap",
    "setAlignment",
    "setIndent",
    "setMargin",
    "setContentsMargins",
    "setBuddy",
    "setPixmap",
    "setPicture",
    "setMovie",
    "setFrameShape",
    "setFrameShadow",
    "setFrameStyle",
    "setLineWidth",
    "setMidLineWidth",
    "setFrameRect",
)


class WrappedLabel(SelectableLabel):
    """A word-wrapped label whose height for a width is computed once per text and width, its text selectable.

    Qt's layouts ask a word-wrapped label for its height at a width many times per pass (for the minimum, the
    hint and the geometry, at every level of nested layouts): a note in the timeline was asked 12 times per
    contact shown, and QLabel lays the whole text out for each answer. The answer is kept per text and width,
    and forgotten whenever anything else it depends on changes: a font, style or direction change, or any of
    the setters in ``_LAYOUT_SETTERS``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._heights: dict[tuple[str, int], int] = {}
        self.setWordWrap(True)

    def heightForWidth(self, width: int) -> int:
        key = (self.text(), width)
        height = self._heights.get(key)
        if height is None:
            if len(self._heights) >= _REMEMBERED_WIDTHS:
                self._heights.clear()
            height = self._heights[key] = super().heightForWidth(width)
        return height

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.LayoutDirectionChange):
            self._heights.clear()
        super().changeEvent(event)


def _forgetting_heights(name: str) -> Callable[..., None]:
    qt_setter = getattr(QLabel, name)

    def setter(self: WrappedLabel, *args: Any) -> None:
        self._heights.clear()
        qt_setter(self, *args)

    setter.__name__ = setter.__qualname__ = name
    setter.__doc__ = f"QLabel.{name}, forgetting the heights it may change."
    return setter


for _name in _LAYOUT_SETTERS:
    setattr(WrappedLabel, _name, _forgetting_heights(_name))
