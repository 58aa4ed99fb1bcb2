"""Inline messages: the contract's wording made plain, errors in a red that reads in light and dark, and text
shown as written where Qt would take it for markup."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QMessageBox

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


# Contact data is written by colleagues, other tools and the server: a name or tag such as <img src="…"> or
# <a href="…">Click to save</a> must show as those characters. Labels are set to plain text where they are made;
# tooltips and message boxes take anything that looks like markup for rich text, which loads local images and
# makes live links.


def plain_tooltip(text: str) -> str:
    """``text`` for setToolTip, shown character for character: text Qt would take for markup is escaped into rich
    text that reads as written (spaces and lines kept); any other is left as it is."""
    if not QtGui.Qt.mightBeRichText(text):
        return text
    return QtGui.Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpacePre)


def plain_box(box: QMessageBox) -> QMessageBox:
    """``box`` showing its text and informative text as written, never as markup (and so never as a link)."""
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box
