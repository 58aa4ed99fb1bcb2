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

    def edited(text: str) -> None:
        cleaned = one_line(text)
        if cleaned == text:
            return
        # Where the cursor was, marked with a noncharacter that the cleaning leaves alone.
        cursor = len(_utf16_prefix(text, edit.cursorPosition()))
        marked = one_line(text[:cursor] + _CURSOR + text[cursor:])
        edit.setText(cleaned)  # Qt fires textChanged, not textEdited, so this does not come back here
        edit.setCursorPosition(min(_utf16_length(marked[: marked.index(_CURSOR)]), _utf16_length(cleaned)))

    edit.textEdited.connect(edited)


def _utf16_prefix(text: str, units: int) -> str:
    """The first ``units`` UTF-16 code units of ``text`` (Qt's cursor positions count those, not characters)."""
    return text.encode("utf-16-le", "surrogatepass")[: 2 * units].decode("utf-16-le", "surrogatepass")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
