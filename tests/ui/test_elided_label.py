"""ElidedLabel: full text where there is room, "…" and a tooltip where there is not, a fixed minimum width."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
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
