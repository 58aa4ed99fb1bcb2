"""Answers that arrive after the rep has moved on: none of them may take over the form or undo newer work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.errors import NotFoundError
from crmdesk.api.models import Contact
from crmdesk.contract import NoteEntry
from crmdesk.services.contact import ContactService
from crmdesk.ui.contact_view import ContactView
from tests.support.live_server import Account
from tests.ui.contact_support import (
    HeldTransport,
    close_api,
    create_contact,
    demo_registry,
    line,
    make_api,
    make_view,
    read_back,
    type_into,
)
from tests.ui.shell_support import close_window, create_contacts, open_window, run


def _lookup(qtbot: QtBot, account: Account, email: str) -> Contact | None:
    async def go() -> Contact | None:
        async with ContactApi(account.base_url, account.token) as api:
            try:
                found = await api.get_contact(email=email)
            except NotFoundError:
                return None
            assert isinstance(found, Contact)
            return found

    return run(qtbot, go())


@contextmanager
def _maria_saved_slowly(
    qtbot: QtBot, account: Account, before_save: Callable[[ContactApi, Contact], object] = lambda api, contact: None
) -> Iterator[tuple[ContactApi, HeldTransport, ContactService, ContactView, Contact]]:
    """Maria open with City edited to Natal and saved: the server has stored it, its answer is held."""
    late = HeldTransport("PUT /api/contact", late_answer=True)
    late.release()
    api = make_api(account.base_url, account.token, transport=late)
    try:
        contact = create_contact(qtbot, api, name="Maria Silva", email="maria@example.com", stageName="New Lead")
        service, view = make_view(qtbot, api, demo_registry())
        view.show_contact(contact)
        before_save(api, contact)
        late.hold()
        type_into(qtbot, line(view, "city"), "Natal")
        view.save()
        qtbot.waitUntil(lambda: late.held == 1)
        yield api, late, service, view, contact
    finally:
        close_api(qtbot, api)


def test_a_search_while_a_create_is_on_its_way_waits_for_it_instead_of_offering_to_discard_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (bob,) = create_contacts(qtbot, account, {"name": "Bob Beta", "email": "bob@example.com"})
    slow = HeldTransport("POST /api/contact")
    slow.release()
    window = open_window(qtbot, account, client_options={"transport": slow})
    view = window.contact_view
    qtbot.waitUntil(window.contact_view_built)
    slow.hold()
    window.new_contact()
    view.form.fill({"firstName": "Carla", "lastName": "Dias", "email": "carla@example.com"})
    view.save()
    qtbot.waitUntil(lambda: slow.held == 1, timeout=5_000)

    window.request_search("bob@example.com")  # found at once; the form still waits for the create
    qtbot.wait(300)
    assert view.dialog is None or not view.dialog.isVisible()  # "Discard" would be a lie: the create is sent
    assert view.mode() == "create"

    slow.release()
    qtbot.waitUntil(lambda: view.current_uid() == bob.uid, timeout=5_000)
    carla = _lookup(qtbot, account, "carla@example.com")
    assert carla is not None
    assert [entry.uid for entry in window.recent.entries()][:2] == [bob.uid, carla.uid]
    # Bob is the rep's to edit now: nothing arriving later replaces him.
    type_into(qtbot, line(view, "city"), "Recife")
    qtbot.wait(300)
    assert view.current_uid() == bob.uid and view.form.changes() == {"city": "Recife"}
    view.form.revert()
    close_window(qtbot, window)


def test_a_duplicate_check_for_a_discarded_form_does_not_create_the_next_one(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    slow = HeldTransport("GET /api/contact")
    slow.release()
    window = open_window(qtbot, account, client_options={"transport": slow})
    view = window.contact_view
    qtbot.waitUntil(window.contact_view_built)
    window.new_contact()
    view.form.fill({"firstName": "Carla", "lastName": "Dias", "email": "carla@example.com"})
    slow.hold()
    view.save()  # the duplicate check's lookup waits
    qtbot.waitUntil(lambda: slow.held == 1, timeout=5_000)
    left: list[bool] = []
    view.resolve_unsaved(lambda: left.append(True))
    qtbot.waitUntil(lambda: view.dialog is not None and view.dialog.isVisible())
    assert isinstance(view.dialog, QMessageBox)
    view.dialog.button(QMessageBox.StandardButton.Discard).click()
    assert left == [True] and view.mode() == "empty"
    # The rep starts another new contact; the discarded form's check must not answer for this one.
    window.new_contact()
    view.form.fill({"firstName": "Dora", "email": "dora@example.com"})
    slow.release()
    qtbot.wait(500)
    assert _lookup(qtbot, account, "carla@example.com") is None
    assert _lookup(qtbot, account, "dora@example.com") is None
    assert view.mode() == "create" and not view.form.is_busy()
    view.form.revert()
    close_window(qtbot, window)


def test_reload_while_a_save_is_on_its_way_keeps_the_form_locked(
    qtbot: QtBot, qasync_loop: object, account: Account
) -> None:
    slow = HeldTransport("PUT /api/contact")
    slow.release()
    api = make_api(account.base_url, account.token, transport=slow)
    try:
        contact = create_contact(qtbot, api, name="Maria Silva", email="maria@example.com")
        _service, view = make_view(qtbot, api, demo_registry())
        view.show_contact(contact)
        slow.hold()
        type_into(qtbot, line(view, "city"), "Natal")
        view.save()
        qtbot.waitUntil(lambda: slow.held == 1)
        with qtbot.waitSignal(view.status_message) as said:
            view.reload()  # F5
        assert "once the save is done" in said.args[0]
        qtbot.wait(300)  # a reload's answer would have come by now
        assert view.form.is_busy()  # nothing can be typed that the save's answer would then wipe
        slow.release()
        qtbot.waitUntil(lambda: view.form_status.text() == "Saved", timeout=5_000)
        assert not view.form.is_busy()
        assert read_back(qtbot, api, contact.uid).city == "Natal"
    finally:
        close_api(qtbot, api)


def test_a_slow_save_answer_does_not_undo_a_stage_and_a_note_confirmed_meanwhile(
    qtbot: QtBot, qasync_loop: object, account: Account
) -> None:
    with _maria_saved_slowly(qtbot, account) as (api, late, service, view, contact):
        with qtbot.waitSignal(service.field_changed, timeout=5_000):
            view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified"))
        view.notes.input.setPlainText("Called, sending prices")
        with qtbot.waitSignal(service.note_added, timeout=5_000):
            view.notes.submit()
        late.release()
        qtbot.waitUntil(lambda: view.form_status.text() == "Saved", timeout=5_000)
        assert view.stage_combo.currentData() == "Qualified"
        assert [entry.text_label.text() for entry in view.notes.entry_widgets()] == ["Called, sending prices"]
        assert service.current is not None and service.current.city == "Natal"
        server = read_back(qtbot, api, contact.uid)
        assert (server.stageName, server.city, [note.text for note in server.notes]) == (
            "Qualified",
            "Natal",
            ["Called, sending prices"],
        )


@contextmanager
def _maria_read_late(
    qtbot: QtBot, account: Account, *, after: int
) -> Iterator[tuple[HeldTransport, ContactApi, ContactService, ContactView, Contact]]:
    """Maria Silva of Recife shown in a view whose reads of a contact, from now on, reach the server at once but
    are answered late: the first held is the ``after``-th one on, later ones pass."""
    slow = HeldTransport("GET /api/contact", late_answer=True, limit=1, after=after)
    slow.release()
    api = make_api(account.base_url, account.token, transport=slow)
    try:
        contact = create_contact(qtbot, api, name="Maria Silva", email="maria@example.com", city="Recife")
        service, view = make_view(qtbot, api, demo_registry())
        view.show_contact(contact)
        slow.hold()
        yield slow, api, service, view, contact
    finally:
        close_api(qtbot, api)


def test_a_reload_answering_after_a_save_does_not_put_the_old_values_back(
    qtbot: QtBot, qasync_loop: object, account: Account
) -> None:
    # The reload is read at once and answered late; the save's own read of the contact is not held.
    with _maria_read_late(qtbot, account, after=0) as (slow, api, service, view, contact):
        view.reload()  # F5, and the answer is slow
        qtbot.waitUntil(lambda: slow.held == 1)
        type_into(qtbot, line(view, "city"), "Natal")
        with qtbot.waitSignal(service.saved, timeout=5_000):
            view.save()  # the save answers first
        slow.release()  # then the reload's answer, read before the save, arrives
        qtbot.wait(300)
        assert line(view, "city").text() == "Natal"
        assert service.current is not None and service.current.city == "Natal"
        assert read_back(qtbot, api, contact.uid).city == "Natal"


def test_a_notes_read_answering_after_a_save_does_not_put_the_old_values_back(
    qtbot: QtBot, qasync_loop: object, account: Account
) -> None:
    # The contact read after a note (not the read before it) is read at once and answered late; the save goes
    # through meanwhile.
    with _maria_read_late(qtbot, account, after=1) as (slow, _api, service, view, _contact):
        view.notes.input.setPlainText("Called: moving to Natal.")
        view.notes.submit()
        qtbot.waitUntil(lambda: slow.held == 1, timeout=5_000)
        type_into(qtbot, line(view, "city"), "Natal")
        with qtbot.waitSignal(service.saved, timeout=5_000):
            view.save()
        with qtbot.waitSignal(service.note_added, timeout=5_000):
            slow.release()  # the note's read, from before the save, arrives
        current = service.current
        assert current is not None and [note.text for note in current.notes] == ["Called: moving to Natal."]
        assert current.city == "Natal"  # as the form shows it, and as saved
        assert line(view, "city").text() == "Natal" and not view.has_unsaved_changes()


def test_a_slow_save_answer_keeps_a_colleagues_changes_and_adds_the_tag_confirmed_meanwhile(
    qtbot: QtBot, qasync_loop: object, account: Account
) -> None:
    def colleague(api: ContactApi, contact: Contact) -> None:
        # A colleague moves her on and writes a note: this view has not read either.
        run(qtbot, api.set_stage("Qualified", uid=contact.uid))
        run(qtbot, api.add_note("Colleague: called her", uid=contact.uid))

    with _maria_saved_slowly(qtbot, account, colleague) as (_api, late, service, view, _contact):
        view.tags.input.setText("VIP")
        with qtbot.waitSignal(service.tag_added, timeout=5_000):
            view.tags.input.returnPressed.emit()
        late.release()
        qtbot.waitUntil(lambda: view.form_status.text() == "Saved", timeout=5_000)
        # The save's answer is newer than what the view had for the stage and the notes; the tag is newer still.
        assert view.stage_combo.currentData() == "Qualified"
        assert [entry.text_label.text() for entry in view.notes.entry_widgets()] == ["Colleague: called her"]
        assert view.tags.tag_names() == ["VIP"]


def test_writes_confirmed_while_nothing_looks_back_are_not_kept(
    qtbot: QtBot, qasync_loop: object, api: ContactApi
) -> None:
    # A rep who logs calls all day without saving: each confirmed note, tag and stage was kept (with the note's
    # text) for a save or reload to reconcile with, though none was on its way.
    contact = create_contact(qtbot, api, name="Maria Silva", email="maria@example.com")
    service, view = make_view(qtbot, api, demo_registry())
    view.show_contact(contact)
    for call in range(5):
        view.notes.input.setPlainText(f"Call {call}: " + "notes " * 150)
        with qtbot.waitSignal(service.note_added, timeout=5_000):
            view.notes.submit()
        with qtbot.waitSignal(service.field_changed, timeout=5_000):
            view.stage_combo.setCurrentIndex(view.stage_combo.findData("Qualified" if call % 2 else "Negotiation"))
    assert service._confirmed == []
    assert [note.text.split(":")[0] for note in read_back(qtbot, api, contact.uid).notes] == [
        f"Call {call}" for call in range(5)
    ]


class _HeldApi:
    """The client's three calls, each answered when the test says: the one ordering real sockets cannot force."""

    deadline = 60.0  # as ContactApi's: how long a call may take, retries included

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.saved, self.noted, self.read = loop.create_future(), loop.create_future(), loop.create_future()

    async def update_contact(self, uid: str, **changes: str) -> Contact:
        return await self.saved

    async def add_note(self, text: str, uid: str) -> None:
        return await self.noted

    async def get_contact(self, uid: str) -> Contact:
        return await self.read

    def server_now(self) -> float:
        import time

        return time.time()  # as ContactApi's before any answer has told the server's clock


def test_a_note_confirmed_in_the_turn_a_save_answers_stays(
    qtbot: QtBot, qasync_loop: asyncio.AbstractEventLoop
) -> None:
    # The save's task is done before its answer is applied. A note confirmed in that same turn, just before, was
    # dropped from the log as if nothing looked back, and the save's answer (read before the note) took it away.
    api = _HeldApi(qasync_loop)
    service = ContactService(lambda: api, demo_registry())  # type: ignore[arg-type, return-value]
    service.set_current(Contact(uid="MARIA001", firstName="Maria", city="Recife"))
    service.save("MARIA001", {"city": "Natal"})
    service.add_note("Called her")
    qtbot.wait(50)
    api.noted.set_result(None)
    qtbot.wait(50)
    note = NoteEntry(None, "Called her")
    api.read.set_result(Contact(uid="MARIA001", firstName="Maria", city="Natal", notes=(note,)))
    api.saved.set_result(Contact(uid="MARIA001", firstName="Maria", city="Natal"))
    qtbot.waitUntil(lambda: not service.is_running("save") and service.writes_in_flight() == 0)
    qtbot.wait(50)
    assert service.current is not None and [n.text for n in service.current.notes] == ["Called her"]
    assert service.current.city == "Natal"
