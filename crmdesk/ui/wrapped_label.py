"""A word-wrapped QLabel that lays its text out once per width rather than at every question from a layout."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QWidget

# Widths a label is asked about in a row of layouts: the current one, the one it is about to get, a few more.
_REMEMBERED_WIDTHS = 8


class WrappedLabel(QLabel):
    """A word-wrapped label whose height for a width is computed once per text and width.

    Qt's layouts ask a word-wrapped label for its height at a width many times per pass (for the minimum, the
    hint and the geometry, at every level of nested layouts): a note in the timeline was asked 12 times per
    contact shown, and QLabel lays the whole text out for each answer. The answer depends only on the text, the
    width, the font and style and the margins, so it is kept until one of them changes.
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

    # What else the answer depends on: a change forgets the heights.
    def setContentsMargins(self, *margins: Any) -> None:
        self._heights.clear()
        super().setContentsMargins(*margins)

    def setMargin(self, margin: int) -> None:
        self._heights.clear()
        super().setMargin(margin)

    def setIndent(self, indent: int) -> None:
        self._heights.clear()
        super().setIndent(indent)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.LayoutDirectionChange):
            self._heights.clear()
        super().changeEvent(event)
