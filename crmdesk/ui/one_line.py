"""One-line fields keep one line of visible text, whatever is pasted or dropped into them.

QLineEdit keeps line breaks and tabs from the clipboard: an address pasted from an email signature, or a row
copied from a spreadsheet, would be saved with them and shown run together. Zero-width spaces come along from
web pages unseen, and would make a stored name or email differ from the one on screen.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QContextMenuEvent, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit, QWidget

# Line breaks, tabs and every other control character (C0, DEL, C1), and Unicode's line and paragraph separators.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Invisible, and meaningless in a name, an address or an email. Zero-width joiners stay: emoji and some scripts
# need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
_CURSOR = "\uffff"


def without_invisible(text: str) -> str:
    """``text`` without zero-width spaces, word joiners and byte-order marks (see ``_INVISIBLE``)."""
    return _INVISIBLE.sub("", text)


def one_line(text: str, separator: str = " ") -> str:
    """``text`` as one line: each run of breaks and tabs ``separator`` (none at either end), invisible spaces
    gone."""
    text = without_invisible(text)
    return _BREAKS.sub(lambda run: "" if run.start() == 0 or run.end() == len(text) else separator, text)


def keep_one_line(edit: QLineEdit, host: QWidget | None = None, *, separator: str = " ") -> None:
    """Make what the user types, pastes or drops into ``edit`` one line. Text set by code is left as it is.

    ``host`` is the widget that takes the keyboard and the context menu for ``edit``, if not ``edit`` itself: an
    editable QComboBox keeps the focus and hands its line edit those events directly, past any event filter.
    ``separator`` stands for each run of line breaks and tabs: a space, or ", " in a box of comma-separated items,
    where a column or a row copied from a spreadsheet is a list. Connect this before anything else listens to
    ``edit.textEdited``: the listeners after it get the text as edited, so they should read ``edit.text()``.
    """
    _OneLine(edit, host, separator)


class _OneLine(QObject):
    """Pastes (Ctrl+V and the context menu's Paste) go in cleaned, as one edit that Ctrl+Z and redo treat like any
    other. Whatever else brings a line break (a drop, a middle-click paste, a paste while a completer's list is
    open) is cleaned after the fact, at the cost of the field's undo history: setText clears it."""

    def __init__(self, edit: QLineEdit, host: QWidget | None, separator: str) -> None:
        super().__init__(edit)
        self._edit = edit
        self._separator = separator
        edit.installEventFilter(self)
        if host is not None:
            host.installEventFilter(self)
        edit.textEdited.connect(self._edited)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (
            kind == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Paste)
        ):
            return self._paste()
        if kind == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            menu = self._edit.createStandardContextMenu()
            if menu is None:
                return False
            paste = menu.findChild(QAction, "edit-paste")
            if paste is not None:
                paste.triggered.disconnect()
                paste.triggered.connect(self._menu_paste)
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(event.globalPos())
            return True
        return False

    def _menu_paste(self) -> None:
        if self._edit.isReadOnly():
            return  # locked (a save on its way) while the menu was open; QLineEdit.paste() would not check
        if not self._paste():
            self._edit.paste()

    def _paste(self) -> bool:
        """Paste the clipboard's text as one line; False (Qt pastes as usual) when it needs no cleaning."""
        copied = QGuiApplication.clipboard().text()
        text = without_invisible(copied)
        edit = self._edit
        if (text == copied and not _BREAKS.search(text)) or edit.isReadOnly():
            return False
        # A break at either end of what is pasted becomes a separator only where it would part it from a word in
        # the field: "Jose do\n" pasted before "Rio" reads "Jose do Rio", "Acme\n" pasted at the end, "Acme".
        whole = edit.text()
        if edit.hasSelectedText():
            start, end = edit.selectionStart(), edit.selectionEnd()
        else:
            start = end = edit.cursorPosition()
        before, after = _utf16_prefix(whole, start), whole[len(_utf16_prefix(whole, end)) :]
        separator = self._separator
        lead = separator if text and _BREAKS.match(text) and _parted(before.rstrip(), separator, -1) else ""
        trail = separator if text and _BREAKS.match(text[-1]) and _parted(after.lstrip(), separator, 0) else ""
        if lead.isspace() and before[-1:].isspace():
            lead = ""
        if trail.isspace() and after[:1].isspace():
            trail = ""
        core = one_line(text, separator)
        cleaned = lead + core + trail if core else (lead or trail)  # only breaks: one separator at most
        # Qt makes a paste a step of its own to undo, and moving the cursor is the public way to end a step.
        if not edit.hasSelectedText():
            _end_undo_step(edit)
        edit.insert(cleaned)  # replaces the selection, as a paste does
        _end_undo_step(edit)
        return True

    def _edited(self, text: str) -> None:
        cleaned = one_line(text, self._separator)
        if cleaned == text:
            return
        edit = self._edit
        # Where the cursor was, marked with a noncharacter that the cleaning leaves alone.
        cursor = len(_utf16_prefix(text, edit.cursorPosition()))
        marked = one_line(text[:cursor] + _CURSOR + text[cursor:], self._separator)
        edit.setText(cleaned)  # Qt fires textChanged, not textEdited, so this does not come back here
        edit.setCursorPosition(min(_utf16_length(marked[: marked.index(_CURSOR)]), _utf16_length(cleaned)))


def _parted(neighbour: str, separator: str, side: int) -> bool:
    """Whether text pasted next to ``neighbour`` (the field's text on that side, its spaces trimmed) needs
    ``separator`` to stay apart from it: a word there, and no separator already (", " in "Hot Lead, |")."""
    if not neighbour:
        return False
    mark = separator.strip()
    return not mark or neighbour[side] != mark


def _end_undo_step(edit: QLineEdit) -> None:
    """Close the edit's current undo step, as a paste in Qt does: a cursor move does that, so move and come back."""
    if edit.cursorPosition() > 0:
        edit.cursorBackward(False, 1)
        edit.cursorForward(False, 1)
    elif edit.text():
        edit.cursorForward(False, 1)
        edit.cursorBackward(False, 1)


def _utf16_prefix(text: str, units: int) -> str:
    """The first ``units`` UTF-16 code units of ``text`` (Qt's cursor positions count those, not characters)."""
    return text.encode("utf-16-le", "surrogatepass")[: 2 * units].decode("utf-16-le", "surrogatepass")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
