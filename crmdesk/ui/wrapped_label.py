"""A word-wrapped QLabel that lays its text out once per width rather than at every question from a layout, and
breaks a word too long for any line."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtGui import QClipboard, QContextMenuEvent, QGuiApplication, QKeyEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from crmdesk.ui.selectable_label import SelectableLabel

# Widths a label is asked about in a row of layouts: the current one, the one it is about to get, a few more.
_REMEMBERED_WIDTHS = 8

#: Where a line may break that Unicode's rules give none: a zero-width space, invisible, and never copied.
_BREAK = "\u200b"
# 25 or more characters of the scripts written with spaces (below U+0250) with nowhere Qt would break them: no
# space, slash, hyphen, "?" or "&" (a URL breaks at its slashes already). A QLabel never breaks inside a word, so a
# reference code or a token glued to a word ran past the label's edge and was cut off, unreadable; 25 characters
# fit on one line of any column the window gives a label. Scripts written without spaces (CJK, Thai) are left to
# Qt's own line breaking.
_UNBROKEN = re.compile("[^\\s/?&\\-\u0250-\U0010ffff]{25,}")


def breakable(text: str) -> str:
    """``text`` with a break allowed between any two characters of a run too long for a line (see ``_UNBROKEN``)."""
    if _UNBROKEN.search(text) is None:
        return text
    return _UNBROKEN.sub(lambda match: _BREAK.join(match.group(0)), text)


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

    A word too long for any line breaks anywhere (see :func:`breakable`); the breaks it needs are zero-width spaces
    in the label's text, taken out of whatever is copied from it (Ctrl+C, the context menu, X11's selection).

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

    def setText(self, text: str) -> None:
        super().setText(breakable(text))

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

    # --- copying without the breaks ---------------------------------------------------------------------------

    def _broken(self) -> bool:
        return _BREAK in self.text() and self.hasSelectedText()

    def _copy(self, mode: QClipboard.Mode = QClipboard.Mode.Clipboard) -> None:
        QGuiApplication.clipboard().setText(self.selectedText().replace(_BREAK, ""), mode)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._broken() and event.matches(QKeySequence.StandardKey.Copy):
            self._copy()
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)  # a selection made with the mouse becomes X11's, breaks and all
        if self._broken() and QGuiApplication.clipboard().supportsSelection():
            self._copy(QClipboard.Mode.Selection)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if _BREAK not in self.text():
            super().contextMenuEvent(event)
            return
        # QLabel's own menu copies through its document: the same two entries, copying the text without its breaks.
        menu = QMenu(self)
        copy = menu.addAction(self.tr("&Copy"), self._copy)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setEnabled(self.hasSelectedText())
        menu.addSeparator()
        menu.addAction(self.tr("Select All"), lambda: self.setSelection(0, len(self.text())))
        menu.popup(event.globalPos())
        menu.aboutToHide.connect(menu.deleteLater)
        event.accept()


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
