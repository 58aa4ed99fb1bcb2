"""SelectableLabel: the mouse selects its text as in any selectable QLabel, and a new text costs no document."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from crmdesk.ui.selectable_label import SelectableLabel
from crmdesk.ui.wrapped_label import WrappedLabel
from tests.ui.contact_support import drag_across

TEXT = "Called back about the invoice; sending prices on Monday."
OTHER = "Demo done. Owner loved the ordering flow and asked about card fees for the second store."


def _shown(qtbot: QtBot, label: SelectableLabel) -> QWidget:
    window = QWidget()
    layout = QVBoxLayout(window)
    layout.addWidget(label)
    layout.addStretch()
    qtbot.addWidget(window)
    window.resize(420, 200)
    window.show()
    qtbot.waitExposed(window)
    return window


def _selectable(label: SelectableLabel) -> bool:
    return bool(label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse)


def test_the_mouse_selects_part_of_the_text(qtbot: QtBot) -> None:
    label = SelectableLabel()
    label.setText(TEXT)
    assert not _selectable(label), "no document until the pointer comes"
    window = _shown(qtbot, label)
    selected = drag_across(label)
    assert selected and TEXT.startswith(selected) and len(selected) < len(TEXT)
    window.close()


def test_a_new_text_is_plain_until_the_pointer_comes_back_and_then_selects_again(qtbot: QtBot) -> None:
    label = SelectableLabel()
    label.setText(TEXT)
    window = _shown(qtbot, label)
    QTest.mouseMove(label, QPoint(4, 4))
    assert _selectable(label)
    label.setText(OTHER)  # still under the pointer: a selection may be on its way, so it stays selectable
    assert _selectable(label)

    # Off the label, into the window's empty space. Moved through the window: QTest's widget overload, given
    # another widget than last time, reports a fresh enter into the window and no leave from the label.
    QTest.mouseMove(window.windowHandle(), QPoint(4, window.height() - 4))
    assert not label.underMouse()
    label.setText(TEXT)
    assert not _selectable(label), "a new text, the pointer elsewhere: no document to lay out"
    selected = drag_across(label)
    assert selected and TEXT.startswith(selected)


def test_becoming_selectable_moves_nothing(qtbot: QtBot) -> None:
    label = WrappedLabel()
    label.setText(OTHER)
    window = _shown(qtbot, label)
    window.resize(260, 200)  # narrow enough that the text wraps onto several lines
    qtbot.waitUntil(lambda: label.width() < 260)
    before = label.geometry()
    assert before.height() > 2 * label.fontMetrics().height()
    label.heightForWidth(label.width())
    QTest.mouseMove(label, QPoint(4, 4))
    assert _selectable(label)
    qtbot.wait(20)
    assert label.geometry() == before
    label._heights.clear()  # ask Qt itself again, now through the selectable label's document
    assert label.heightForWidth(before.width()) == before.height()


def test_a_label_holding_the_focus_keeps_its_selectable_text(qtbot: QtBot) -> None:
    label = SelectableLabel()
    label.setText(TEXT)
    window = _shown(qtbot, label)
    window.activateWindow()
    qtbot.waitActive(window)
    assert drag_across(label)
    assert label.hasFocus(), "selectable text takes the focus on a click, so that Ctrl+C copies it"
    QTest.mouseMove(window.windowHandle(), QPoint(4, window.height() - 4))
    label.setText(OTHER)
    assert _selectable(label)


def test_a_press_that_no_enter_came_before_still_selects_and_ctrl_c_copies(qtbot: QtBot) -> None:
    """The notes scrolled, or another contact's came, under a pointer that did not move: no enter reaches the
    note now under it before the rep presses and drags."""
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(420, 200)
    field = QLineEdit(window)  # where the focus was, as the note box often has it
    field.setGeometry(10, 10, 200, 24)
    label = SelectableLabel(window)
    label.setText(TEXT)
    label.setGeometry(10, 120, 400, 20)
    window.show()
    qtbot.waitActive(window)
    field.setFocus()
    handle = window.windowHandle()
    start, end = QPoint(14, 70), QPoint(150, 70)
    QTest.mouseMove(handle, start)  # in the empty space above the label
    label.move(10, 60)  # ...which the label then takes, under the still pointer
    assert not label.underMouse() and not _selectable(label)

    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(handle, end)
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    selected = label.selectedText()
    assert selected and TEXT.startswith(selected)
    QGuiApplication.clipboard().setText("before")
    focused = QApplication.focusWidget()
    assert focused is label, "Ctrl+C copies from the widget with the focus"
    QTest.keyClick(focused, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == selected


def test_once_selectable_it_offers_what_a_selectable_label_offers(qtbot: QtBot) -> None:
    plain = QLabel()
    plain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label = SelectableLabel()
    label.setText(TEXT)
    window = _shown(qtbot, label)
    QTest.mouseMove(label, QPoint(4, 4))
    assert window.isVisible()
    # The same flags, so the same context menu ("Copy", "Select All"; no disabled "Copy Link Location").
    assert label.textInteractionFlags() == plain.textInteractionFlags()
    assert label.focusPolicy() == plain.focusPolicy()


@pytest.mark.parametrize(
    "text",
    ["Quote sent:\nItem\tQty\tUnit\tTotal\nBread\t12\t1.50\t18.00\nSoda\t6\t2.00\t12.00", "שלחנו הצעת מחיר ללקוח " * 4],
)
def test_text_a_document_lays_out_apart_is_selectable_from_the_start_and_moves_nothing(qtbot: QtBot, text: str) -> None:
    label = WrappedLabel()
    label.setText(text)  # not shown yet, so not under the pointer
    assert _selectable(label)
    window = _shown(qtbot, label)
    window.resize(250, 400)
    qtbot.waitUntil(lambda: label.width() < 250 and label.height() > 2 * label.fontMetrics().height())
    qtbot.wait(20)
    before = label.geometry()
    QTest.mouseMove(label, QPoint(4, 4))
    qtbot.wait(20)
    assert label.geometry() == before
