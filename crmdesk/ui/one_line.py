"""One-line fields keep one line of visible text, whatever is pasted or dropped into them.

QLineEdit keeps line breaks and tabs from the clipboard: an address pasted from an email signature, or a row
copied from a spreadsheet, would be saved with them and shown run together. Zero-width spaces come along from
web pages unseen, and would make a stored name or email differ from the one on screen.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QLineEdit

# Line breaks, tabs and every other control character (C0, DEL, C1), and Unicode's line and paragraph separators.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Invisible, and meaningless in a name, an address or an email. Zero-width joiners stay: emoji and some scripts
# need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
_CURSOR = "\uffff"


def one_line(text: str) -> str:
    """``text`` as one line: each run of breaks and tabs one space (none at either end), invisible spaces gone."""
    text = _INVISIBLE.sub("", text)
    return _BREAKS.sub(lambda run: "" if run.start() == 0 or run.end() == len(text) else " ", text)


def keep_one_line(edit: QLineEdit) -> None:
    """Make what the user types, pastes or drops into ``edit`` one line. Text set by code is left as it is.

    Connect this before anything else listens to ``edit.textEdited``: the listeners after it get the text as
    edited, so they should read ``edit.text()``.
    """
    # The cleaning is an edit of its own (setText would wipe the field's undo history, and with it the text the
    # paste replaced), so one Ctrl+Z takes back both it and the paste: the step between is never left on show.
    texts = [edit.text(), edit.text()]  # before and after the latest change, whoever made it
    last_fix: tuple[str, str] | None = None  # (as pasted, as cleaned)

    def changed(text: str) -> None:
        texts[:] = [texts[1], text]

    def edited(text: str) -> None:
        nonlocal last_fix
        if last_fix is not None and (texts[0], text) == (last_fix[1], last_fix[0]):
            last_fix = None
            edit.undo()  # Ctrl+Z undid the cleaning: undo the paste too
            return
        cleaned = one_line(text)
        if cleaned == text:
            return
        # Where the cursor was, marked with a noncharacter that the cleaning leaves alone.
        cursor = len(_utf16_prefix(text, edit.cursorPosition()))
        marked = one_line(text[:cursor] + _CURSOR + text[cursor:])
        last_fix = (text, cleaned)
        edit.selectAll()
        edit.insert(cleaned)  # comes back here as an edit, already clean
        edit.setCursorPosition(min(_utf16_length(marked[: marked.index(_CURSOR)]), _utf16_length(cleaned)))

    edit.textChanged.connect(changed)
    edit.textEdited.connect(edited)


def _utf16_prefix(text: str, units: int) -> str:
    """The first ``units`` UTF-16 code units of ``text`` (Qt's cursor positions count those, not characters)."""
    return text.encode("utf-16-le", "surrogatepass")[: 2 * units].decode("utf-16-le", "surrogatepass")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
