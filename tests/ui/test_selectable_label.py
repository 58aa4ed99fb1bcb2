"""SelectableLabel: the mouse selects its text as in any selectable QLabel, and a new text costs no document."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMenu, QSizePolicy, QVBoxLayout, QWidget
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


CODE = "ReferenceCode-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz0123456789thatshould"
LONG_WORD = f"Tracking number for the samples: {CODE}example.com. Call back Monday."


def _note_label() -> WrappedLabel:
    """A label as the notes have it: as wide as its column gives, whatever its words (see NoteEntryWidget)."""
    label = WrappedLabel()
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def test_a_word_too_long_for_the_line_breaks_rather_than_running_off_the_edge(qtbot: QtBot) -> None:
    label = _note_label()
    label.setText(LONG_WORD)
    window = _shown(qtbot, label)
    assert label.fontMetrics().horizontalAdvance(CODE) > label.width()  # a word no line of this label holds
    assert label.minimumSizeHint().width() <= label.width()  # its widest unbreakable piece now fits
    one_line = label.fontMetrics().height()
    assert label.heightForWidth(label.width()) >= 3 * one_line  # the word's rest is on lines below, not cut off
    # Words that fit a line still wrap whole, and a URL still breaks at its slashes only.
    label.setText("see https://example.com/a/very/long/path/that/goes/on/and/on?with=query&and=more")
    assert label.text() == "see https://example.com/a/very/long/path/that/goes/on/and/on?with=query&and=more"
    window.close()


def test_what_is_copied_from_a_broken_word_is_the_text_as_written(qtbot: QtBot) -> None:
    label = _note_label()
    label.setText(LONG_WORD)
    window = _shown(qtbot, label)
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    if clipboard.supportsSelection():  # X11: a mouse selection is pasted with the middle button
        clipboard.clear(clipboard.Mode.Selection)
    # The pointer comes, a press makes the text selectable, and a drag down three lines selects into the code.
    line = label.fontMetrics().height()
    start, end = QPoint(2, line // 2), QPoint(label.width() - 2, 2 * line + line // 2)
    QTest.mouseMove(label, start)
    QTest.mousePress(label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(label, end)
    QTest.mouseRelease(label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert "\u200b" in label.selectedText()  # part of the broken code is in it
    if clipboard.supportsSelection():
        selection = clipboard.text(clipboard.Mode.Selection)
        assert len(selection) > len("Tracking number for the samples: Ref") and LONG_WORD.startswith(selection)
    label.setSelection(0, len(label.text()))
    QTest.keyClick(label, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == LONG_WORD
    if clipboard.supportsSelection():
        clipboard.clear(clipboard.Mode.Selection)
        QTest.keyClick(label, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # Qt's select-all makes it X11's
        assert clipboard.text(clipboard.Mode.Selection) == LONG_WORD
    window.close()


def test_the_context_menu_of_a_broken_word_copies_the_text_as_written(qtbot: QtBot) -> None:
    label = _note_label()
    label.setText(LONG_WORD)
    window = _shown(qtbot, label)
    QTest.mouseMove(label, QPoint(4, 4))
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    menus_before = set(QApplication.topLevelWidgets())
    QApplication.sendEvent(
        label, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(4, 4), label.mapToGlobal(QPoint(4, 4)))
    )
    (menu,) = [widget for widget in QApplication.topLevelWidgets() if widget not in menus_before and widget.isVisible()]
    assert isinstance(menu, QMenu)
    actions = {action.text().replace("&", ""): action for action in menu.actions() if action.text()}
    assert set(actions) == {"Copy", "Select All"} and not actions["Copy"].isEnabled()  # nothing selected yet
    actions["Select All"].trigger()
    assert label.selectedText().replace("\u200b", "") == LONG_WORD
    menu.close()
    QApplication.sendEvent(
        label, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(4, 4), label.mapToGlobal(QPoint(4, 4)))
    )
    (menu,) = [widget for widget in QApplication.topLevelWidgets() if isinstance(widget, QMenu) and widget.isVisible()]
    copy = next(action for action in menu.actions() if action.text().replace("&", "") == "Copy")
    assert copy.isEnabled()
    copy.trigger()
    assert clipboard.text() == LONG_WORD
    menu.close()
    window.close()


QUERY_URL = "https://click.example.com/track?uid=abc123def456&cid=9876543210&lid=1122334455&sig=aabbccddeeff00112233"


@pytest.mark.parametrize(
    "text",
    [
        f"Clicked {QUERY_URL} twice",  # Qt breaks a URL at its slashes, but never at & or before a digit
        "Ελληνικάγράμματαχωρίςκενάπουσυνεχίζουνκαισυνεχίζουνκαισυνεχίζουνπολύμακριάακόμα τέλος",
        "Path /2025/11/29/000123456789012345678901234567890123456789/0000987654321098765432109876543210 kept",
        # Pasted with no-break spaces between its words, at which Qt breaks no line: it breaks after them.
        "O\u00a0cliente\u00a0pediu\u00a0o\u00a0manual\u00a0e\u00a0que\u00a0enviemos\u00a0a\u00a0proposta\u00a0revisada"
        "\u00a0até\u00a0sexta\u00a0com\u00a0os\u00a0valores\u00a0novos",
    ],
)
def test_every_piece_qt_cannot_break_fits_the_label(qtbot: QtBot, text: str) -> None:
    label = _note_label()
    label.setText(text)
    window = _shown(qtbot, label)
    assert label.minimumSizeHint().width() <= label.width()  # its widest unbreakable piece fits
    assert label.source_text() == text and label.text().replace("\u200b", "") == text
    assert label.accessibleName() == text  # a screen reader is given the text, not its breaks
    for whole in ("Clicked", "https://click.example.com/", "τέλος", "Path ", " kept", "proposta", "revisada"):
        assert whole not in text or whole in label.text()  # what Qt can break, or what fits, is left whole
    window.close()


def test_a_piece_that_fits_is_left_whole_and_breaks_only_once_the_label_is_too_narrow(qtbot: QtBot) -> None:
    text = "Wrote from jonathan.richardson@example.com today"
    label = _note_label()
    label.setText(text)
    window = _shown(qtbot, label)
    assert label.text() == text and label.accessibleName() == ""  # fits: it wraps as a word does, untouched
    email_width = label.fontMetrics().horizontalAdvance("jonathan.richardson@example.com")
    window.resize(email_width * 2 // 3, 200)  # narrower than the email
    qtbot.waitUntil(lambda: label.width() < email_width)
    assert "\u200b" in label.text() and label.minimumSizeHint().width() <= label.width()
    window.resize(420, 200)
    qtbot.waitUntil(lambda: label.width() > email_width)
    assert label.text() == text  # wide again: whole again
    window.close()


def test_a_long_run_that_qt_breaks_anyway_is_left_alone_and_not_kept(qtbot: QtBot) -> None:
    from crmdesk.ui import wrapped_label

    chinese = "客户要求我们在周五之前发送修订后的提案并附上新的价格表" * 30  # no spaces: Qt breaks between characters
    kept = wrapped_label._broken_text.cache_info().currsize
    assert wrapped_label.breakable(chinese, 300, QApplication.font()) is chinese
    assert wrapped_label._broken_text.cache_info().currsize == kept  # a note that needs nothing costs no memory


def test_text_pasted_into_a_note_box_comes_without_the_labels_breaks(qtbot: QtBot) -> None:
    from crmdesk.ui.notes_timeline import NoteInput

    box = NoteInput()
    qtbot.addWidget(box)
    broken = QUERY_URL.replace("&", "\u200b&")  # as a note label's selection holds it
    QGuiApplication.clipboard().setText(f"Resend {broken}")
    box.paste()  # Ctrl+V, the middle button and a drop all come in through insertFromMimeData
    assert box.toPlainText() == f"Resend {QUERY_URL}"
