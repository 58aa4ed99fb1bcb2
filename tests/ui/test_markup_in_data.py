"""Contact data that looks like markup shows as the characters it is, in tooltips and questions too.

Anyone who can write a contact (a colleague, another tool, the server) can name it ``<img src="…">`` or
``<a href="…">Click to save</a>``. Taken for rich text, the first loads a local file into the window and the
second is a live link inside a question the rep answers.
"""

from __future__ import annotations

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from crmdesk.ui.messages import plain_tooltip
from tests.support.live_server import Account
from tests.ui.shell_support import close_window, create_contacts, open_window

LINK = '<a href="https://evil.example/login">Click to save</a>'
IMAGE = '<img src="/usr/share/pixmaps/debian-logo.png">'


def shown_as(tooltip: str) -> str:
    """What a tooltip reads as: Qt renders one that looks like markup as rich text."""
    if not QtGui.Qt.mightBeRichText(tooltip):
        return tooltip
    document = QTextDocument()
    document.setHtml(tooltip)
    return document.toPlainText().replace("\N{NO-BREAK SPACE}", " ")


@pytest.mark.parametrize("text", [LINK, IMAGE, "Ana <b>VIP</b>\n  two  spaces", "a < b, plain", "Ana Lima"])
def test_a_tooltip_reads_as_the_text_it_was_made_from(qtbot: QtBot, text: str) -> None:
    assert shown_as(plain_tooltip(text)) == text


def test_a_name_written_as_markup_is_shown_as_written_in_recent_and_in_the_unsaved_question(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(qtbot, account, {"firstName": IMAGE, "lastName": LINK, "email": "markup@example.com"})
    window = open_window(qtbot, account)
    window.open_uid(ref.uid)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    qtbot.waitUntil(lambda: window.recent_list.count() == 1, timeout=5_000)
    assert shown_as(window.recent_list.item(0).toolTip()).startswith(f"{IMAGE} {LINK}\n")
    # The header's labels (the name, the uid a server sends) are plain text too.
    for name in ("fullName", "uid"):
        header_label = window.contact_view.findChild(QLabel, name)
        assert header_label is not None and header_label.textFormat() == Qt.TextFormat.PlainText, name

    city = window.contact_view.findChild(QLineEdit, "city")
    assert city is not None
    city.setText("Olinda")
    window.new_contact_action.trigger()
    box = next(b for b in window.contact_view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible())
    label = box.findChild(QLabel, "qt_msgbox_label")
    assert label is not None and label.textFormat() == Qt.TextFormat.PlainText
    assert label.text() == f"Save the changes to {IMAGE} {LINK}?"
    box.button(QMessageBox.StandardButton.Cancel).click()
    close_window(qtbot, window)
