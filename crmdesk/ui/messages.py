"""Inline messages: the contract's wording made plain, and errors in a red that reads in light and dark."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel

from crmdesk.contract import ContractError


def error_colour(palette: QPalette) -> QColor:
    """A red that reads on the palette's window colour, light or dark."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor("#ff8a80") if dark else QColor("#b3261e")


def user_message(error: ContractError | str) -> str:
    """The contract's "Invalid email: not valid…" without the field prefix, which the label already says."""
    text = error.message if isinstance(error, ContractError) else error
    for prefix in ("Invalid ", "Missing "):
        if text.startswith(prefix) and ": " in text:
            text = text.split(": ", 1)[1]
            break
    email = "not a valid email address ("
    if text.startswith(email) and text.endswith(")"):
        # email-validator's reason is a sentence of its own: "…address: there must be something after the @-sign."
        reason = text[len(email) : -1]
        text = f"{email[:-2]}: {reason[:1].lower()}{reason[1:]}"
    return text[:1].upper() + text[1:]


def show_inline_error(label: QLabel, text: str) -> None:
    """Show ``text`` (empty hides it) in ``label`` in the error red of the label's palette."""
    if not text and label.isHidden():
        return  # nothing shown, nothing to hide (a contact switch asks this of every message line)
    if text:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, error_colour(palette))
        label.setPalette(palette)
    label.setText(text)
    label.setVisible(bool(text))
