"""A note cannot be edited or removed, so one sent twice stays twice. When the answer to a note is lost, or the
contact cannot be read after it, the rep is told what is known: stored, not stored, or not known yet."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact, ContactRef
from crmdesk.server import store as server_store
from crmdesk.ui.contact_view import ContactView
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account, LiveServer
from tests.ui.contact_support import HeldTransport
from tests.ui.shell_support import close_window, create_contacts, open_window, run

NOTE = "Promised a 5% discount if they sign this week."


class _NoteTrouble(httpx.AsyncBaseTransport):
    """A real loopback transport with trouble around the first note sent.

    ``answer``: "lost" (the server stores the note; its answer never arrives), "unsent" (the connection drops
    once the note is sent, before the server gets it), "refused" (no connection: nothing was sent) or "ok".
    ``reads_after``: what reading a contact answers once the note was sent, "ok" or "busy" (429, Retry-After 60).
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
            if self.notes_sent == 1 and self.answer == "refused":
                raise httpx.ConnectError("connection refused")
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
    window, ref = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    view.notes.input.setPlainText(NOTE)
    with qtbot.waitSignal(view.service.writes_done, timeout=10_000):
        view.notes.submit()
    return window, ref.uid


def _open_alice(
    qtbot: QtBot, account: Account, transport: httpx.AsyncBaseTransport, fields: dict[str, str] | None = None
) -> tuple[MainWindow, ContactRef]:
    """Alice Alpha (and ``fields``) created, and open in a window whose client goes through ``transport``."""
    (alice,) = create_contacts(qtbot, account, {"name": "Alice Alpha", "email": "alice@example.com", **(fields or {})})
    window = open_window(qtbot, account, client_options={"transport": transport, "max_retries": 0})
    window.request_search("alice@example.com")
    view = window.contact_view
    qtbot.waitUntil(lambda: view.mode() == "view" and view.current_uid() == alice.uid)
    return window, alice


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


@pytest.mark.parametrize("computer", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_a_note_whose_answer_was_lost_is_looked_for_and_found(
    qtbot: QtBot,
    qasync_loop: object,
    private_settings: object,
    account: Account,
    monkeypatch: pytest.MonkeyPatch,
    computer: str,
) -> None:
    # The account stamps notes in UTC, which the app does not know yet; this computer may be in any zone.
    monkeypatch.setenv("TZ", computer)
    time.tzset()
    try:
        trouble = _NoteTrouble(answer="lost", reads_after="ok")
        window, uid = _send_note(qtbot, account, trouble)
        view = window.contact_view
        assert _shown_notes(window) == [NOTE] and view.notes.input.toPlainText() == ""
        assert not window.banner.isVisible() and trouble.notes_sent == 1
        assert _stored_copies(qtbot, account, uid) == 1
        close_window(qtbot, window)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_note_never_sent_goes_back_to_the_box_as_not_added(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, uid = _send_note(qtbot, account, _NoteTrouble(answer="refused", reads_after="ok"))
    view = window.contact_view
    assert _shown_notes(window) == [] and view.notes.input.toPlainText() == NOTE
    qtbot.waitUntil(window.banner.isVisible)
    assert "Note not added: it is back in the note box." in window.banner.text()
    assert _stored_copies(qtbot, account, uid) == 0
    close_window(qtbot, window)


def test_a_note_sent_whose_answer_was_lost_and_that_is_not_found_is_not_called_not_added(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """Not among the contact's notes just after is no proof: a server behind a gateway may store it a moment
    later. The rep is told it may have been added, and to look before sending it again."""
    window, uid = _send_note(qtbot, account, _NoteTrouble(answer="unsent", reads_after="ok"))
    view = window.contact_view
    assert _shown_notes(window) == [] and view.notes.input.toPlainText() == NOTE
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text().startswith("The note may have been added: its answer was lost.")
    assert _stored_copies(qtbot, account, uid) == 0
    close_window(qtbot, window)


def _colleagues_copy(live_server: LiveServer, uid: str, minutes_ago: int, *, changed_minutes_ago: int) -> None:
    """A colleague's note of the same words ``minutes_ago``, and the contact last changed ``changed_minutes_ago``
    (by that note, or by anything since), written behind the API's back so its times can be in the past."""
    now = server_store.utc_now()
    with live_server.store.engine.begin() as connection:
        contacts = server_store.contacts
        contact_id = connection.execute(sa.select(contacts.c.id).where(contacts.c.uid == uid)).scalar_one()
        written = (now - timedelta(minutes=minutes_ago)).isoformat()
        connection.execute(server_store.notes.insert().values(contact_id=contact_id, created_at=written, text=NOTE))
        changed = (now - timedelta(minutes=changed_minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        connection.execute(contacts.update().where(contacts.c.id == contact_id).values(last_update=changed))


def _told_it_may_have_been_added(qtbot: QtBot, window: MainWindow) -> None:
    view = window.contact_view
    view.notes.input.setPlainText(NOTE)
    with qtbot.waitSignal(view.service.writes_done, timeout=10_000):
        view.notes.submit()
    assert view.notes.input.toPlainText() == NOTE  # not "Note added", with the box emptied
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text().startswith("The note may have been added: its answer was lost.")


@pytest.mark.parametrize(
    ("zone", "computer", "changed_minutes_ago"),
    [
        # Neither the note stamps nor lastUpdate tell the colleague's copy from this note in all of these: the
        # account's zone unknown or learned before a change of summer time, this computer in another zone, a
        # colleague's other edit just now. The notes read just before this one was sent do.
        ("", "UTC", 7),
        ("UTC", "UTC", 0),
        ("", "America/Sao_Paulo", 120),
        ("", "America/Sao_Paulo", 0),
        ("Etc/GMT+1", "UTC", 45),
    ],
)
def test_a_colleagues_note_of_the_same_words_is_no_proof_that_a_lost_one_arrived(
    qtbot: QtBot,
    qasync_loop: object,
    private_settings: object,
    account: Account,
    live_server: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
    zone: str,
    computer: str,
    changed_minutes_ago: int,
) -> None:
    """The window read Alice before a colleague added these very words; this rep's note is then lost on its way.
    The contact read after it holds one copy more than the window knew: the colleague's."""
    monkeypatch.setenv("TZ", computer)
    time.tzset()
    try:
        window, alice = _open_alice(qtbot, account, _NoteTrouble(answer="unsent", reads_after="ok"))
        if zone:
            window.contact_view.registry.set_account_time_zone(zone)
        _colleagues_copy(
            live_server, alice.uid, minutes_ago=max(7, changed_minutes_ago), changed_minutes_ago=changed_minutes_ago
        )
        _told_it_may_have_been_added(qtbot, window)
        assert _stored_copies(qtbot, account, alice.uid) == 1  # the colleague's alone
        close_window(qtbot, window)
    finally:
        monkeypatch.undo()
        time.tzset()


class _FirstReadTrouble(httpx.AsyncBaseTransport):
    """Once ``armed``: the first read of a contact fails with a 503 (``fail``) or answers half a second late, and
    (``drop_note``) the first note's connection drops before the server has it."""

    def __init__(self, *, fail: bool, drop_note: bool) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.fail, self.drop_note = fail, drop_note
        self.armed = False
        self.reads = self.notes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.armed and request.method == "GET":
            self.reads += 1
            if self.reads == 1 and self.fail:
                body = {"success": False, "error": "Service unavailable", "code": "SERVER_ERROR"}
                return httpx.Response(503, json=body)
            if self.reads == 1:
                await asyncio.sleep(0.5)
        if self.armed and request.method == "POST" and request.url.path.endswith("/note/add"):
            self.notes += 1
            if self.notes == 1 and self.drop_note:
                await request.aread()
                raise httpx.ReadError("connection reset by peer")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_lost_note_whose_read_before_failed_is_not_taken_for_a_colleagues_copy(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, live_server: LiveServer
) -> None:
    trouble = _FirstReadTrouble(fail=True, drop_note=True)
    window, alice = _open_alice(qtbot, account, trouble)
    _colleagues_copy(live_server, alice.uid, minutes_ago=7, changed_minutes_ago=7)
    trouble.armed = True
    _told_it_may_have_been_added(qtbot, window)  # a flaky server: nothing to tell the two copies apart by
    assert _stored_copies(qtbot, account, alice.uid) == 1  # the colleague's alone
    close_window(qtbot, window)


def test_two_notes_sent_in_a_row_are_stored_in_that_order_whatever_their_reads_take(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    trouble = _FirstReadTrouble(fail=False, drop_note=False)
    window, alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    trouble.armed = True
    for text in ("First: called, no answer.", "Second: called back, agreed to a demo."):
        view.notes.input.setPlainText(text)
        view.notes.submit()
    qtbot.waitUntil(lambda: view.service.writes_in_flight() == 0, timeout=10_000)

    async def stored() -> list[str]:
        async with ContactApi(account.base_url, account.token) as api:
            contact = await api.get_contact(uid=alice.uid)
            assert isinstance(contact, Contact)
            return [note.text for note in contact.notes]

    assert run(qtbot, stored()) == ["First: called, no answer.", "Second: called back, agreed to a demo."]
    close_window(qtbot, window)


class _UpdateTimeFixed(_NoteTrouble):
    """A vendor that does not move a contact's lastUpdate when a note is added: every read says 2024."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.method != "GET":
            return response
        body = json.loads(await response.aread())
        if isinstance(body.get("data"), dict):
            body["data"]["lastUpdate"] = "2024-01-01T00:00:00Z"
        return httpx.Response(response.status_code, json=body)


def test_a_lost_note_is_found_where_the_vendor_leaves_the_update_time_alone(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    trouble = _UpdateTimeFixed(answer="lost", reads_after="ok")
    window, alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    view.notes.input.setPlainText(NOTE)
    with qtbot.waitSignal(view.service.writes_done, timeout=10_000):
        view.notes.submit()
    assert _shown_notes(window) == [NOTE] and view.notes.input.toPlainText() == ""
    assert not window.banner.isVisible() and _stored_copies(qtbot, account, alice.uid) == 1
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


class _HeldThenLost(httpx.AsyncBaseTransport):
    """Each note waits for ``release``; the first is then stored and its answer lost, and every read after that
    is refused (429, with no Retry-After to wait out), so nobody can tell whether it arrived."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.release = asyncio.Event()
        self.arrived = 0
        self.lost = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/note/add"):
            self.arrived += 1
            await self.release.wait()
            response = await self.inner.handle_async_request(request)
            if not self.lost:
                self.lost = True
                await response.aread()
                raise httpx.ReadError("connection reset by peer")
            return response
        if request.method == "GET" and self.lost:
            await request.aread()
            body = {"success": False, "error": "Too many requests", "code": "RATE_LIMITED"}
            return httpx.Response(429, json=body)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_note_of_unknown_fate_for_a_contact_left_is_not_called_not_added(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    alice, bob = create_contacts(
        qtbot,
        account,
        {"name": "Alice Alpha", "email": "alice@example.com"},
        {"name": "Bob Beta", "email": "bob@example.com"},
    )
    trouble = _HeldThenLost()
    window = open_window(qtbot, account, client_options={"transport": trouble, "max_retries": 0})
    view = window.contact_view
    window.request_search("alice@example.com")
    qtbot.waitUntil(lambda: view.mode() == "view" and view.current_uid() == alice.uid)
    view.notes.input.setPlainText(NOTE)
    view.notes.submit()
    qtbot.waitUntil(lambda: trouble.arrived == 1)
    window.request_search("bob@example.com")  # the rep moves on while the note is on its way
    qtbot.waitUntil(lambda: view.mode() == "view" and view.current_uid() == bob.uid)
    with qtbot.waitSignal(view.service.writes_done, timeout=10_000):
        trouble.release.set()
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text().startswith("The note for Alice Alpha may have been added: its answer was lost.")
    assert _banner_buttons(window) == ["Retry"]  # opens Alice to look
    assert _stored_copies(qtbot, account, alice.uid) == 1
    close_window(qtbot, window)


class _FirstDroppedAfterSecond(httpx.AsyncBaseTransport):
    """Two notes: the first is sent once the test says ``go`` and its connection drops on the way (sent, never
    stored); the read that looks for it on the server comes back only once the second note is stored."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.go = asyncio.Event()
        self.second_stored = asyncio.Event()
        self.notes = 0
        self.reads_while_first_waits = 0  # the second note's read of the contact before it is sent
        self._dropped = False
        self._looked = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/note/add"):
            self.notes += 1
            if self.notes == 1:
                await self.go.wait()
                self._dropped = True
                raise httpx.ReadError("connection reset by peer")
            response = await self.inner.handle_async_request(request)
            self.second_stored.set()
            return response
        if request.method == "GET" and self.notes == 1 and not self._dropped:
            self.reads_while_first_waits += 1
        elif request.method == "GET" and self._dropped and not self._looked:
            self._looked = True
            await self.second_stored.wait()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_copy_found_after_two_identical_notes_is_no_proof_that_the_lost_one_arrived(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """Two "Promised a 5% discount…" notes on their way at once, the first lost on the way: the copy found when
    looking for it is the second's (sent once the first's request had failed), so it proves nothing, and the first
    must not be reported as added."""
    trouble = _FirstDroppedAfterSecond()
    window, alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    view.notes.input.setPlainText(NOTE)
    view.notes.submit()
    qtbot.waitUntil(lambda: trouble.notes == 1)
    said: list[str] = []
    view.error_raised.connect(lambda _error, _action, context: said.append(context))
    view.notes.input.setPlainText(NOTE)  # the same words again, for the next call
    with qtbot.waitSignal(view.service.writes_done, timeout=10_000):
        view.notes.submit()
        qtbot.waitUntil(lambda: trouble.reads_while_first_waits == 1)
        trouble.go.set()
    assert _stored_copies(qtbot, account, alice.uid) == 1
    assert view.notes.input.toPlainText() == NOTE and _shown_notes(window) == [NOTE]
    assert any(context.startswith("The note may have been added: its answer was lost.") for context in said), said
    close_window(qtbot, window)


class _UnreadableStageAnswer(httpx.AsyncBaseTransport):
    """A stage change or a tag reaches the server and is stored; its 200 answer holds data the client cannot
    read."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith(("/stage", "/tag/add")):
            await response.aread()
            return httpx.Response(200, json={"success": True, "message": "Done", "data": ["ok"]})
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_stage_change_the_server_may_have_stored_is_read_again_rather_than_called_not_changed(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _ref = _open_alice(qtbot, account, _UnreadableStageAnswer(), {"stageName": "New Lead"})
    view = window.contact_view
    view.registry.merge(stages=["New Lead", "Qualified"])
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
    qtbot.waitUntil(window.banner.isVisible, timeout=10_000)
    assert window.banner.text().startswith("Stage may have been set to Qualified: the answer was lost.")
    assert _banner_buttons(window) == ["Retry"]  # reads the contact again
    window.banner.findChildren(QPushButton)[0].click()
    qtbot.waitUntil(lambda: view.stage_combo.currentData() == "Qualified", timeout=10_000)  # as the server holds
    close_window(qtbot, window)


def test_a_change_whose_answer_was_lost_for_a_contact_left_is_not_called_not_done(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    alice, bob = create_contacts(
        qtbot,
        account,
        {"name": "Alice Alpha", "email": "alice@example.com", "stageName": "New Lead"},
        {"name": "Bob Beta", "email": "bob@example.com"},
    )
    held = HeldTransport(["PUT /api/contact/stage", "POST /api/contact/tag/add"], inner=_UnreadableStageAnswer())
    window = open_window(qtbot, account, client_options={"transport": held, "max_retries": 0})
    view = window.contact_view
    view.registry.merge(stages=["New Lead", "Qualified"])
    window.request_search("alice@example.com")
    qtbot.waitUntil(lambda: view.mode() == "view" and view.current_uid() == alice.uid)
    view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
    view.tags.input.setText("Hot Lead")
    view.tags.input.returnPressed.emit()
    qtbot.waitUntil(lambda: held.held == 2)
    window.request_search("bob@example.com")  # the rep moves on while both are on their way
    qtbot.waitUntil(lambda: view.mode() == "view" and view.current_uid() == bob.uid)
    said: list[str] = []
    view.error_raised.connect(lambda _error, _action, context: said.append(context))
    with qtbot.waitSignal(view.service.writes_done, timeout=10_000):
        held.release()
    assert "Stage of Alice Alpha may have been set to Qualified: the answer was lost." in said, said
    assert any(context.startswith("Tag “Hot Lead” may have been added to Alice Alpha") for context in said), said
    close_window(qtbot, window)


class _ReloadReadFirst(httpx.AsyncBaseTransport):
    """The note waits for ``note_gate``. The first read after ``armed`` is read by the server at once, before the
    note is stored, and its answer waits for ``read_gate``."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.note_gate, self.read_gate = asyncio.Event(), asyncio.Event()
        self.note_arrived = self.armed = self.read_held = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/note/add"):
            self.note_arrived = True
            await self.note_gate.wait()
        elif request.method == "GET" and self.armed and not self.read_held:
            self.read_held = True
            response = await self.inner.handle_async_request(request)
            await response.aread()
            await self.read_gate.wait()
            return response
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_reload_read_before_a_note_was_stored_keeps_the_note_on_show(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The server read the reload before it stored the note, and the reload answered after the note did: the note
    vanished from the timeline, though stored, and a rep who sent it again kept it twice."""
    trouble = _ReloadReadFirst()
    window, alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    view.notes.input.setPlainText(NOTE)
    view.notes.submit()
    qtbot.waitUntil(lambda: trouble.note_arrived)
    trouble.armed = True
    view.reload()  # Ctrl+R
    qtbot.waitUntil(lambda: trouble.read_held)
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        trouble.note_gate.set()
    assert _shown_notes(window) == [NOTE]
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        trouble.read_gate.set()  # the reload's answer, read before the note was stored
    assert _shown_notes(window) == [NOTE] and _stored_copies(qtbot, account, alice.uid) == 1
    close_window(qtbot, window)


class _ReloadReadNow(httpx.AsyncBaseTransport):
    """Once ``armed``: the first read (the reload) is read by the server at once and its answer waits for ``gate``.

    ``later_reads_busy``: every read after it is refused (429). ``hold_first_note``: the first note is stored at
    once and its answer waits for ``note_gate``. ``rewrite``: every read's notes string is rewritten, as a vendor
    laying its notes out another way would send them.
    """

    def __init__(
        self,
        *,
        later_reads_busy: bool = False,
        hold_first_note: bool = False,
        rewrite: Callable[[str], str] | None = None,
    ) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.later_reads_busy, self.hold_first_note, self.rewrite = later_reads_busy, hold_first_note, rewrite
        self.armed = self.note_held = False
        self.held = 0
        self.notes_sent = 0
        self.gate, self.note_gate = asyncio.Event(), asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._answer(request)
        if self.rewrite is None or request.method != "GET":
            return response
        body = json.loads(await response.aread())
        data = body.get("data")
        if isinstance(data, dict) and isinstance(data.get("notes"), str):
            data["notes"] = self.rewrite(data["notes"])
        return httpx.Response(response.status_code, json=body)

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        note = request.method == "POST" and request.url.path.endswith("/note/add")
        self.notes_sent += note
        if note and self.hold_first_note and not self.note_held:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            self.note_held = True
            await self.note_gate.wait()
            return response
        if request.method == "GET" and self.armed:
            if not self.held:
                self.held = 1
                response = await self.inner.handle_async_request(request)
                await response.aread()
                await self.gate.wait()
                return response
            if self.later_reads_busy:
                await request.aread()
                return httpx.Response(429, json={"success": False, "error": "Too many", "code": "RATE_LIMITED"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _reload_read_now(qtbot: QtBot, view: ContactView, trouble: _ReloadReadNow) -> None:
    """Reload the open contact through ``trouble``: the server reads it now, and its answer waits for the gate."""
    trouble.armed = True
    view.reload()
    qtbot.waitUntil(lambda: trouble.held == 1)


def _collapse_spaces(notes: str) -> str:
    return re.sub(r" {2,}", " ", notes)


def test_a_reload_keeps_only_the_tag_confirmed_meanwhile_not_one_removed_elsewhere(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, live_server: LiveServer
) -> None:
    """A tag confirmed while a reload was on its way is kept; the reload's answer is the truth for every other
    tag, one removed in the vendor's web app included (the API itself cannot remove tags)."""
    trouble = _ReloadReadNow()
    window, alice = _open_alice(qtbot, account, trouble, {"tags": ["Old Tag"]})  # type: ignore[dict-item]
    view = window.contact_view
    with live_server.store.engine.begin() as connection:  # the colleague's removal, behind the API's back
        contact_id = connection.execute(
            sa.select(server_store.contacts.c.id).where(server_store.contacts.c.uid == alice.uid)
        ).scalar_one()
        links = server_store.contact_tags
        connection.execute(links.delete().where(links.c.contact_id == contact_id))
    _reload_read_now(qtbot, view, trouble)
    view.tags.input.setText("Hot Lead")
    with qtbot.waitSignal(view.service.tag_added, timeout=10_000):
        view.tags.input.returnPressed.emit()
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        trouble.gate.set()
    assert view.tags.tag_names() == ["Hot Lead"]
    close_window(qtbot, window)


def test_a_reload_shows_a_colleagues_note_it_read_beside_ours_confirmed_meanwhile(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    trouble = _ReloadReadNow(later_reads_busy=True)
    window, alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view

    async def colleague() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.add_note("Colleague: wants a quote", uid=alice.uid)

    run(qtbot, colleague())
    _reload_read_now(qtbot, view, trouble)  # read with the colleague's note; its answer waits
    view.notes.input.setPlainText(NOTE)
    with qtbot.waitSignal(view.service.note_unread, timeout=10_000):  # stored; the read after it refused
        view.notes.submit()
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        trouble.gate.set()
    assert sorted(_shown_notes(window)) == sorted(["Colleague: wants a quote", NOTE])
    close_window(qtbot, window)


def _colleague_adds_note(qtbot: QtBot, account: Account, uid: str, text: str) -> None:
    async def add() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.add_note(text, uid=uid)

    run(qtbot, add())


def test_an_older_reload_answering_last_keeps_the_notes_a_later_read_showed(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """Notes only grow: the read after our note showed a colleague's note too, and the older reload's answer
    (without either) must not take it away."""
    trouble = _ReloadReadNow()
    window, alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    _reload_read_now(qtbot, view, trouble)  # read now, before either note; its answer waits
    _colleague_adds_note(qtbot, account, alice.uid, "Colleague: wants a quote")
    view.notes.input.setPlainText(NOTE)
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    assert sorted(_shown_notes(window)) == sorted(["Colleague: wants a quote", NOTE])
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        trouble.gate.set()
    assert sorted(_shown_notes(window)) == sorted(["Colleague: wants a quote", NOTE])
    close_window(qtbot, window)


def test_a_note_the_server_spells_its_own_way_survives_an_older_reload(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    trouble = _ReloadReadNow(rewrite=_collapse_spaces)
    window, _alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    _reload_read_now(qtbot, view, trouble)
    view.notes.input.setPlainText("Call back  Monday:  pricing sheet")
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        trouble.gate.set()
    assert _shown_notes(window) == ["Call back Monday: pricing sheet"]  # once, as the server keeps it
    close_window(qtbot, window)


def test_a_second_note_waits_for_the_first_ones_answer_and_a_reload_keeps_the_servers_order(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """Sent before the first's answer, a second note could reach the server first on a slow link (the first's
    request still on its way), and notes are kept in the order they arrive, for good."""
    trouble = _ReloadReadNow(hold_first_note=True)
    window, _alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    _reload_read_now(qtbot, view, trouble)
    view.notes.input.setPlainText("First: called")
    view.notes.submit()
    qtbot.waitUntil(lambda: trouble.note_held)  # stored first; its answer waits
    view.notes.input.setPlainText("Second: sent the quote")
    view.notes.submit()
    qtbot.wait(300)
    assert trouble.notes_sent == 1  # the second waits for the first's answer
    with qtbot.waitSignals([view.service.note_added, view.service.note_added], timeout=10_000):
        trouble.note_gate.set()
    assert trouble.notes_sent == 2
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        trouble.gate.set()
    assert _shown_notes(window) == ["Second: sent the quote", "First: called"]  # newest first
    close_window(qtbot, window)


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda notes: notes.replace("\n\n", "\n"),  # entries joined by one line break: all one entry
        lambda notes: re.sub(r"(?m)^(\d{4})-(\d{2})-(\d{2}) ", r"\3/\2/\1 ", notes),  # dates the app cannot read
    ],
    ids=["one line break", "other dates"],
)
def test_notes_a_vendor_lays_out_unreadably_are_neither_lost_nor_doubled_by_an_older_reload(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, rewrite: Callable[[str], str]
) -> None:
    trouble = _ReloadReadNow(rewrite=rewrite)
    window, alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    _colleague_adds_note(qtbot, account, alice.uid, "Colleague: wants a quote")
    _reload_read_now(qtbot, view, trouble)
    view.notes.input.setPlainText("Sent the quote")
    with qtbot.waitSignal(view.service.note_added, timeout=10_000):
        view.notes.submit()
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        trouble.gate.set()
    shown = "\n".join(_shown_notes(window))
    assert shown.count("Colleague: wants a quote") == 1 and shown.count("Sent the quote") == 1, shown
    close_window(qtbot, window)


def test_a_note_not_read_back_shows_once_when_a_reload_shows_it_spelt_the_servers_way(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    trouble = _ReloadReadNow(later_reads_busy=True, hold_first_note=True, rewrite=_collapse_spaces)
    window, _alice = _open_alice(qtbot, account, trouble)
    view = window.contact_view
    view.notes.input.setPlainText("Call back  Monday:  pricing sheet")
    view.notes.submit()
    qtbot.waitUntil(lambda: trouble.note_held)  # stored; its answer waits
    _reload_read_now(
        qtbot, view, trouble
    )  # read after the note was stored: it shows the server's spelling; its answer waits
    with qtbot.waitSignal(view.service.note_unread, timeout=10_000):  # the read after the note is refused
        trouble.note_gate.set()
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        trouble.gate.set()
    assert _shown_notes(window) == ["Call back Monday: pricing sheet"]
    close_window(qtbot, window)
