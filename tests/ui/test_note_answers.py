"""A note cannot be edited or removed, so one sent twice stays twice. When the answer to a note is lost, or the
contact cannot be read after it, the rep is told what is known: stored, not stored, or not known yet."""

from __future__ import annotations

import httpx
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account
from tests.ui.shell_support import close_window, create_contacts, open_window, run

NOTE = "Promised a 5% discount if they sign this week."


class _NoteTrouble(httpx.AsyncBaseTransport):
    """A real loopback transport with trouble around the first note sent.

    ``answer``: "lost" (the server stores the note; its answer never arrives), "unsent" (the connection drops
    before the server gets it) or "ok". ``reads_after``: what reading a contact answers once the note was sent,
    "ok" or "busy" (429, Retry-After 60).
    """

    def __init__(self, answer: str, reads_after: str) -> None:
        self.answer, self.reads_after = answer, reads_after
        self.inner = httpx.AsyncHTTPTransport()
        self.notes_sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/note/add"):
            self.notes_sent += 1
            if self.notes_sent == 1 and self.answer == "unsent":
                raise httpx.ReadError("connection reset by peer")
            response = await self.inner.handle_async_request(request)
            if self.notes_sent == 1 and self.answer == "lost":
                await response.aread()
                raise httpx.ReadError("connection reset by peer")
            return response
        if request.method == "GET" and self.notes_sent and self.reads_after == "busy":
            await request.aread()
            body = {"success": False, "error": "Too many requests", "code": "RATE_LIMITED"}
            return httpx.Response(429, json=body, headers={"Retry-After": "60"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _stored_copies(qtbot: QtBot, account: Account, uid: str) -> int:
    async def read() -> Contact:
        async with ContactApi(account.base_url, account.token) as api:
            contact = await api.get_contact(uid=uid)
            assert isinstance(contact, Contact)
            return contact

    return sum(1 for note in run(qtbot, read()).notes if note.text == NOTE)


def _send_note(qtbot: QtBot, account: Account, trouble: _NoteTrouble) -> tuple[MainWindow, str]:
    """Alice open in a window whose client has ``trouble``, and the note sent from her note box."""
    (ref,) = create_contacts(qtbot, account, {"name": "Alice Alpha", "email": "alice@example.com"})
    window = open_window(qtbot, account, client_options={"transport": trouble, "max_retries": 0})
    window.request_search("alice@example.com")
    view = window.contact_view
    qtbot.waitUntil(lambda: view.mode() == "view" and view.current_uid() == ref.uid)
    view.notes.input.setPlainText(NOTE)
    with qtbot.waitSignal(view.service.writes_done, timeout=10_000):
        view.notes.submit()
    return window, ref.uid


def _shown_notes(window: MainWindow) -> list[str]:
    return [entry.text_label.text() for entry in window.contact_view.notes.entry_widgets()]


def _banner_buttons(window: MainWindow) -> list[str]:
    return [button.text() for button in window.banner.findChildren(QPushButton) if button.isVisible()]


def test_a_note_stored_whose_contact_cannot_be_read_again_shows_as_added(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, uid = _send_note(qtbot, account, _NoteTrouble(answer="ok", reads_after="busy"))
    view = window.contact_view
    # Stored: it shows in the timeline (its time unread), and it is not offered back for sending again.
    assert _shown_notes(window) == [NOTE] and view.notes.input.toPlainText() == ""
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text().startswith("The note was added to Alice Alpha, but the contact could not be read")
    assert _banner_buttons(window) == ["Retry"]
    assert _stored_copies(qtbot, account, uid) == 1
    close_window(qtbot, window)


def test_a_note_whose_answer_was_lost_is_looked_for_and_found(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    trouble = _NoteTrouble(answer="lost", reads_after="ok")
    window, uid = _send_note(qtbot, account, trouble)
    view = window.contact_view
    assert _shown_notes(window) == [NOTE] and view.notes.input.toPlainText() == ""
    assert not window.banner.isVisible() and trouble.notes_sent == 1
    assert _stored_copies(qtbot, account, uid) == 1
    close_window(qtbot, window)


def test_a_note_whose_answer_was_lost_and_that_is_not_stored_goes_back_to_the_box(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, uid = _send_note(qtbot, account, _NoteTrouble(answer="unsent", reads_after="ok"))
    view = window.contact_view
    assert _shown_notes(window) == [] and view.notes.input.toPlainText() == NOTE
    qtbot.waitUntil(window.banner.isVisible)
    assert "Note not added: it is back in the note box." in window.banner.text()
    assert _stored_copies(qtbot, account, uid) == 0
    close_window(qtbot, window)


def test_a_note_whose_fate_cannot_be_known_says_so_and_asks_for_a_reload_first(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, uid = _send_note(qtbot, account, _NoteTrouble(answer="lost", reads_after="busy"))
    view = window.contact_view
    # Not known: the text waits in the box, with a warning that sending it again may keep it twice.
    assert view.notes.input.toPlainText() == NOTE
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text().startswith("The note may have been added: its answer was lost.")
    assert "reload to see whether it is stored before sending it again" in window.banner.text()
    assert _banner_buttons(window) == ["Retry"]
    assert _stored_copies(qtbot, account, uid) == 1
    close_window(qtbot, window)
