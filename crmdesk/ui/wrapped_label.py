"""A word-wrapped QLabel that lays its text out once per width rather than at every question from a layout, and
breaks a word too long for any line."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTextBoundaryFinder
from PySide6.QtGui import (
    QClipboard,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from crmdesk.ui.selectable_label import SelectableLabel

# Widths a label is asked about in a row of layouts: the current one, the one it is about to get, a few more.
_REMEMBERED_WIDTHS = 8

#: Where a line may break that Qt's rules give none: a zero-width space, invisible, and never copied.
_BREAK = "\u200b"
_GRAPHEME, _LINE = QTextBoundaryFinder.BoundaryType.Grapheme, QTextBoundaryFinder.BoundaryType.Line


def breakable(text: str, width: int, font: QFont) -> str:
    """``text`` with a break allowed between the characters of each piece wider than ``width`` px in ``font``.

    A QLabel never breaks a line inside what Qt's line breaking holds together: a reference code, a URL's query
    string ("…&cid=9876543210&lid=…"), a path of numbers, words joined by no-break spaces. Wider than the label,
    such a piece ran past its edge and the rest was simply not shown. Pieces that fit are left whole, to wrap as
    words do; a piece that cannot fit on any line may break between any two of its characters (grapheme clusters:
    an accent stays on its letter).
    """
    if width <= 0 or not text:
        return text
    key = font.key()
    metrics = _METRICS.get(key)
    if metrics is None:
        metrics = _METRICS[key] = QFontMetrics(font)
    # At each contact shown, most notes are passed over by this one search.
    runs = _long_runs(width, metrics)
    if runs.search(text) is None:
        return text
    # Most long runs hold no piece that wide (Qt breaks Chinese or Japanese between any two characters): only the
    # texts that do need breaks go through, and are kept, below.
    if all(_widest(_measured(match.group(0), key)) <= width for match in runs.finditer(text)):
        return text
    return _broken_text(text, width, key)


#: Metrics per font (its key): the few fonts labels use.
_METRICS: dict[str, QFontMetrics] = {}


#: The no-break spaces: whitespace to Python's ``\\s``, but Qt breaks no line at them.
_NO_BREAK_SPACES = "\u00a0\u2007\u202f"
_AFTER_NO_BREAK_SPACE = re.compile(f"(?<=[{_NO_BREAK_SPACES}])")


def _long_runs(width: int, metrics: QFontMetrics) -> re.Pattern[str]:
    """Runs with no space Qt breaks at that are long enough to be ``width`` px wide: twice the average character's
    width is a generous bound."""
    return _runs_of(max(2, width // (2 * max(1, metrics.averageCharWidth()))))


@functools.lru_cache(maxsize=16)
def _runs_of(length: int) -> re.Pattern[str]:
    return re.compile(f"[\\S{_NO_BREAK_SPACES}]{{{length},}}")


@functools.lru_cache(maxsize=128)
def _broken_text(text: str, width: int, font_key: str) -> str:
    """Kept per text, width and font: notes are shown again at the widths they had (switching back and forth
    between contacts), and a window resized back and forth passes the same widths again."""
    return _long_runs(width, _METRICS[font_key]).sub(lambda match: _broken(match.group(0), width, font_key), text)


def _broken(run: str, width: int, font_key: str) -> str:
    wide = [(start, end) for start, end, advance in _measured(run, font_key) if advance > width]
    if not wide:
        return run
    metrics = _METRICS[font_key]
    shown = []
    done = 0
    for start, end in wide:
        shown.append(run[done:start])
        # Words joined by no-break spaces (a pasted text) break after those first, then inside any still too wide.
        words = _AFTER_NO_BREAK_SPACE.split(run[start:end])
        shown.append(
            _BREAK.join(word if metrics.horizontalAdvance(word) <= width else _anywhere(word) for word in words)
        )
        done = end
    shown.append(run[done:])
    return "".join(shown)


#: No label is narrower: a piece this wide or less never needs a break, and is not kept.
_NARROWEST = 64


@functools.lru_cache(maxsize=256)
def _measured(run: str, font_key: str) -> tuple[tuple[int, int, int], ...]:
    """The pieces Qt's line breaking makes of ``run`` that are wider than any label, as (start, end, width): the
    same at every width the label is laid out at (a layout tries several before it settles). Small, even for a
    long run of Chinese, whose pieces are single characters."""
    metrics = _METRICS[font_key]
    cuts = [0, *_boundaries(_LINE, run), len(run)]
    # Only pieces long enough to be that wide (no character is two lines' height wide) are measured: Chinese
    # breaks between any two characters, and measuring each piece, through a fallback font, took ~18 ms a note.
    shortest = _NARROWEST // (2 * max(1, metrics.height())) + 1
    return tuple(
        (start, end, advance)
        for start, end in itertools.pairwise(cuts)
        if end - start >= shortest and (advance := metrics.horizontalAdvance(run[start:end])) > _NARROWEST
    )


def _widest(pieces: tuple[tuple[int, int, int], ...]) -> int:
    return max((advance for _start, _end, advance in pieces), default=0)


def _anywhere(piece: str) -> str:
    if piece.isascii():  # every character its own grapheme (a URL, a code): no need to ask Qt
        cuts = list(range(0, len(piece), _EVERY))[1:]
    else:
        cuts = _boundaries(_GRAPHEME, piece)[_EVERY - 1 :: _EVERY]
    cuts = [0, *cuts, len(piece)]
    return _BREAK.join(piece[start:end] for start, end in itertools.pairwise(cuts))


_EVERY = 4


def _boundaries(kind: QTextBoundaryFinder.BoundaryType, text: str) -> list[int]:
    """The positions inside ``text`` (not its ends) where Qt finds a boundary of ``kind``, as Python indexes."""
    finder = QTextBoundaryFinder(kind, text)
    found = []
    if text.isascii():  # one UTF-16 unit a character: Qt's positions are Python's
        position = finder.toNextBoundary()
        while 0 < position < len(text):
            found.append(position)
            position = finder.toNextBoundary()
        return found
    # Qt counts UTF-16 units: a character beyond the BMP (an emoji) is two of them.
    index_of = dict(
        zip(itertools.accumulate((2 if ord(char) > 0xFFFF else 1 for char in text), initial=0), itertools.count())
    )
    end = len(text.encode("utf-16-le")) // 2
    position = finder.toNextBoundary()
    while 0 < position < end:
        found.append(index_of[position])
        position = finder.toNextBoundary()
    return found


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
        self._source = ""  # the text as given: what the label shows but for its breaks
        self.setWordWrap(True)

    def setText(self, text: str) -> None:
        self._source = text
        self._show_source()

    def source_text(self) -> str:
        """The text as given, without the breaks the label's width made it add."""
        return self._source

    def _show_source(self) -> None:
        margins = self.contentsMargins()
        width = self.width() - margins.left() - margins.right() - 2 * self.margin()
        if not self.testAttribute(Qt.WidgetAttribute.WA_Resized):
            width = 0  # not laid out yet: its width is Qt's default, not the one it will have
        shown = breakable(self._source, width, self.font())
        if shown != self.text() or not self._source:
            super().setText(shown)
        # A screen reader is given the text itself; the label's own, breaks and all, otherwise.
        name = self._source if shown != self._source else ""
        if self.accessibleName() != name:
            self.setAccessibleName(name)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width() and self._source:
            self._show_source()  # a piece that fitted may not any more, or one that did not may now

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
        if event.type() == QEvent.Type.FontChange and self._source:
            self._show_source()  # the pieces' widths changed with the font

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
        super().keyPressEvent(event)  # Ctrl+A selects all, and makes it X11's selection, breaks and all
        if self._broken() and QGuiApplication.clipboard().supportsSelection():
            self._copy(QClipboard.Mode.Selection)

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
