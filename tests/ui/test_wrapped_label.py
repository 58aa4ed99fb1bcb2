"""WrappedLabel answers a layout's height-for-width questions exactly as QLabel does, from a cache it keeps honest."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel
from pytestqt.qtbot import QtBot

from crmdesk.ui.wrapped_label import WrappedLabel

SHORT = "Sent the proposal."
LONG = "Demo done. Owner loved the ordering flow; asked about card fees and the delivery radius for the second store."
WIDTHS = (80, 200, 480)  # fewer than the widths a label remembers, so nothing is forgotten early


def _pair(qtbot: QtBot) -> tuple[WrappedLabel, QLabel]:
    wrapped, plain = WrappedLabel(), QLabel()
    plain.setWordWrap(True)
    plain.setTextFormat(Qt.TextFormat.PlainText)  # as a WrappedLabel is made
    for label in (wrapped, plain):
        qtbot.addWidget(label)
    return wrapped, plain


def _heights(label: QLabel) -> list[int]:
    return [label.heightForWidth(width) for width in WIDTHS]


def test_heights_match_a_plain_word_wrapped_label_through_every_change(qtbot: QtBot) -> None:
    wrapped, plain = _pair(qtbot)
    assert wrapped.wordWrap()
    for label in (wrapped, plain):
        label.setText(LONG)
    assert len(set(_heights(plain))) > 2, "the text must wrap differently across the widths to test anything"

    big = QFont(plain.font())
    big.setPointSizeF(big.pointSizeF() * 2)
    changes: list[tuple[str, Callable[[QLabel], None]]] = [
        ("shorter text", lambda label: label.setText(SHORT)),
        ("long text again", lambda label: label.setText(LONG)),
        ("cleared", lambda label: label.clear()),
        ("text after clear", lambda label: label.setText(LONG)),
        ("bigger font", lambda label: label.setFont(big)),
        ("margins", lambda label: label.setContentsMargins(30, 0, 30, 0)),
        ("margin", lambda label: label.setMargin(12)),
        ("indent", lambda label: label.setIndent(40)),
        ("alignment, with the indent", lambda label: label.setAlignment(Qt.AlignmentFlag.AlignHCenter)),
        # A WrappedLabel starts as plain text (it shows notes, written by anyone); rich text only if asked.
        ("markup, as written", lambda label: label.setText("<b>Called:</b> " + LONG)),
        ("markup, shown as rich text", lambda label: label.setTextFormat(Qt.TextFormat.RichText)),
        ("markup, shown as plain text", lambda label: label.setTextFormat(Qt.TextFormat.PlainText)),
        ("a frame", lambda label: label.setFrameShape(QFrame.Shape.Box)),
        ("a thicker frame", lambda label: label.setLineWidth(6)),
        ("no frame, by frame style", lambda label: label.setFrameStyle(QFrame.Shape.NoFrame | QFrame.Shadow.Plain)),
        ("no word wrap", lambda label: label.setWordWrap(False)),
    ]
    for change, apply in changes:
        before = _heights(wrapped)  # now cached
        for label in (wrapped, plain):
            apply(label)
        expected = _heights(plain)
        assert expected != before, f"{change}: changes nothing to test"
        assert _heights(wrapped) == expected, change
        assert _heights(wrapped) == expected, change + " (asked again, from the cache)"


def test_a_layout_pass_lays_the_text_out_once_per_width(qtbot: QtBot) -> None:
    computed: list[int] = []

    class CountingLabel(QLabel):
        def heightForWidth(self, width: int) -> int:  # QLabel's own layout of the text
            computed.append(width)
            return super().heightForWidth(width)

    class Counted(WrappedLabel, CountingLabel):  # WrappedLabel's super() is now CountingLabel
        pass

    label = Counted()
    qtbot.addWidget(label)
    label.setText(LONG)
    heights = {label.heightForWidth(240) for _ in range(12)}  # what one contact switch asked of a note's label
    assert len(heights) == 1 and computed == [240]
    label.heightForWidth(480)
    label.setText(SHORT)
    label.heightForWidth(240)
    assert computed == [240, 480, 240]
