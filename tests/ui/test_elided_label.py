"""ElidedLabel: full text where there is room, "…" and a tooltip where there is not, a fixed minimum width."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QToolTip
from pytestqt.qtbot import QtBot

from crmdesk.ui.elided_label import ElidedLabel

LONG = "Padaria e Confeitaria Sol Nascente Comércio de Alimentos e Bebidas Ltda"


def test_the_minimum_width_does_not_follow_the_text(qtbot: QtBot) -> None:
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.setText("Sol")
    short_minimum = label.minimumSizeHint().width()
    label.setText(LONG)
    assert label.minimumSizeHint().width() == short_minimum
    assert label.sizeHint().width() > 4 * short_minimum  # where there is room, the whole text fits


def test_a_narrow_label_elides_and_its_tooltip_holds_the_whole_text(qtbot: QtBot) -> None:
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.setText(LONG)
    label.resize(label.sizeHint())
    label.show()
    qtbot.waitExposed(label)
    assert not label.is_elided()
    label.resize(80, label.height())
    assert label.is_elided()
    event = QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), label.mapToGlobal(QPoint(5, 5)))
    QApplication.sendEvent(label, event)
    qtbot.waitUntil(QToolTip.isVisible, timeout=2_000)
    assert QToolTip.text() == LONG
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=2_000)

    label.setToolTip("Registered name")  # a tooltip of its own wins over the full text
    QApplication.sendEvent(label, QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), label.mapToGlobal(QPoint(5, 5))))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2_000)
    assert QToolTip.text() == "Registered name"
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=2_000)

    label.setToolTip("")
    label.resize(label.sizeHint())  # fits again: nothing to add
    assert not label.is_elided()
    QApplication.sendEvent(label, QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), label.mapToGlobal(QPoint(5, 5))))
    qtbot.wait(100)
    assert not QToolTip.isVisible()


@pytest.mark.parametrize(
    "text",
    [
        "Padaria Sol Nascente (ABC) Ltda 2024",
        'חברת אלפא (ABC) בע"מ 2024',  # Hebrew, with Latin letters and digits inside
        "شركة الأفق (ABC) 2024",  # Arabic
    ],
)
def test_a_text_that_fits_looks_exactly_as_a_plain_label_draws_it(qtbot: QtBot, text: str) -> None:
    plain, elided = QLabel(text), ElidedLabel()
    elided.setText(text)
    for label in (plain, elided):
        qtbot.addWidget(label)
        label.setFrameShape(QFrame.Shape.Box)
        label.setMargin(3)
        label.resize(plain.sizeHint().width() + 40, plain.sizeHint().height())
    assert not elided.is_elided()
    assert elided.grab().toImage() == plain.grab().toImage()


def test_a_text_that_stops_fitting_after_a_font_change_is_elided_when_painted(qtbot: QtBot) -> None:
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.setText("Mariana Oliveira")
    label.resize(label.sizeHint().width() + 4, 40)
    fitting = label.grab().toImage()  # painted once: what fits is remembered for this text and width
    big = label.font()
    big.setPointSizeF(big.pointSizeF() * 2)
    label.setFont(big)
    assert label.is_elided()
    ellipsis_only = ElidedLabel()
    qtbot.addWidget(ellipsis_only)
    ellipsis_only.setFont(big)
    ellipsis_only.setText(label.fontMetrics().elidedText(label.text(), Qt.TextElideMode.ElideRight, label.width()))
    ellipsis_only.resize(label.size())
    assert ellipsis_only.text().endswith("…")
    assert label.grab().toImage() == ellipsis_only.grab().toImage() != fitting
