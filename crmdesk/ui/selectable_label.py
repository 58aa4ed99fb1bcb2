"""A label whose text the mouse can select, paying for selection only where the pointer goes."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QEnterEvent, QMouseEvent
from PySide6.QtWidgets import QLabel, QWidget

_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse
# The blocks of right-to-left scripts (Hebrew to Arabic Extended, their presentation forms, and the historic ones
# beyond the BMP): a regular expression finds one in a note in microseconds, at every contact switch.
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff]")


def _laid_out_alike(text: str) -> bool:
    """Whether a plain QLabel lays ``text`` out as a selectable one does, so that turning selectable moves nothing.

    A plain label puts tab stops at eight "x" widths, a selectable one's document every 80 px; and wrapped
    right-to-left lines sit a few pixels apart in the two. Other text measured the same in every case tried.
    """
    return "\t" not in text and _RIGHT_TO_LEFT.search(text) is None


class SelectableLabel(QLabel):
    """A QLabel whose text can be selected with the mouse, made selectable when the pointer comes to it.

    A QLabel with selectable text keeps it in a QTextDocument and lays that document out again for each new text
    and for each width a layout asks about; a plain label measures its text directly, at the same height (they
    agreed on every note of the demo data at every width from 60 to 900 px). Every note of the timeline and the
    header's uid get a new text with each contact, and the documents cost ~0.6 ms of each contact switch. A
    selection can only start under the pointer, so the label turns selectable when the pointer enters it or
    presses on it, and plain again when a new text arrives while the pointer and the focus are elsewhere. Text
    the two lay out differently (see ``_laid_out_alike``) is selectable from the start, so nothing moves.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # It shows data (a note, a uid from the server): never markup. QLabel's own setter: a subclass's override
        # (WrappedLabel's, clearing its measurements) has not set itself up yet.
        QLabel.setTextFormat(self, Qt.TextFormat.PlainText)
        self._plain_flags = self.textInteractionFlags()

    def enterEvent(self, event: QEnterEvent) -> None:
        self._make_selectable()
        super().enterEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        # A press can come with no enter first: the notes scrolled, or another contact's note came, under a pointer
        # that did not move. Qt has already given the press's focus to an ancestor (the label took none), and
        # Ctrl+C copies only from the label that has it.
        if self._make_selectable():
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)

    def _make_selectable(self) -> bool:
        """Make the text selectable as a selectable QLabel's is; True if it was not."""
        if self.textInteractionFlags() == _SELECTABLE:
            return False
        self.setTextInteractionFlags(_SELECTABLE)
        self.updateGeometry()  # in case the document measures the text apart from the plain label
        return True

    def setText(self, text: str) -> None:
        if not _laid_out_alike(text):
            self._make_selectable()
        elif (
            text != self.text()
            and self.textInteractionFlags() == _SELECTABLE
            and not self.underMouse()
            and not self.hasFocus()  # a click gave it focus (selectable text takes it, for Ctrl+C); keep it
        ):
            self.setTextInteractionFlags(self._plain_flags)
        super().setText(text)
