"""The open contact and every change to it: load, save, create, delete, tag, note, stage, quality, owner.

The view calls these methods; each starts one background task under its own key and reports back by
signal, so a slow note never blocks a stage change and a second save supersedes the first. Everything
the server answers is also taught to the profile's :class:`Registry`.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from crmdesk import contract
from crmdesk.api.errors import ApiError, NotFoundError, ValidationError
from crmdesk.api.models import Contact, ContactSummary
from crmdesk.services.registry import Registry
from crmdesk.services.tasks import TaskSlots

if TYPE_CHECKING:
    from crmdesk.api.client import ContactApi

log = logging.getLogger("crmdesk.services.contact")

#: The header fields that have their own endpoint, and the service method names behind them.
DEDICATED_FIELDS = ("stageName", "qualityName", "ownerEmail")
#: A contact's text fields, which a create sends as they are stored.
_TEXT_FIELDS = frozenset(field.name for field in dataclasses.fields(Contact) if field.type in ("str", str)) - {
    "uid",
    "notes_raw",
}


@dataclasses.dataclass
class _NoteFlight:
    overlapped: bool = False


def _copies(contact: Contact, text: str) -> int:
    """How many of the contact's notes read ``text`` (a note's text may come back with its ends trimmed)."""
    return note_copies(contact.notes, text)


def note_copies(notes: Sequence[contract.NoteEntry], text: str) -> int:
    """How many of ``notes`` read ``text``, spaces aside (a server may trim a note or collapse its spaces)."""
    words = text.split()
    return sum(1 for note in notes if note.text.split() == words)


def _merged_notes(
    answer: Sequence[contract.NoteEntry], held: Sequence[contract.NoteEntry], unread: Sequence[contract.NoteEntry]
) -> tuple[contract.NoteEntry, ...]:
    """The notes of two reads of one contact, whichever came first: ``answer`` (a save's or reload's) and ``held``
    (the contact as held now), where the ``unread`` entries of ``held`` are notes this app stored but could not
    read back.

    Notes only ever grow on the server, each read showing them in its order, so of two reads the longer holds the
    other and is taken whole, a colleague's notes and the server's spelling of ours included; of two as long, the
    one held, read after a note was confirmed. The unread notes are added unless the read taken shows them.
    """
    read = [note for note in held if not any(note is entry for entry in unread)]
    ours = [note for note in held if any(note is entry for entry in unread)]
    merged = list(answer) if len(answer) > len(read) else list(read)
    for index, note in enumerate(ours):
        if note_copies(merged, note.text) < note_copies(read, note.text) + note_copies(ours[: index + 1], note.text):
            merged.append(note)
    return tuple(merged)


#: Seconds past the client's deadline that our notes and tags are kept for older reads to be merged with.
_WRITTEN_SLACK = 5.0
#: How long a save whose answer was lost looks at the contact to find out whether it was done, in seconds.
READ_BACK_S = 5.0


@dataclasses.dataclass(frozen=True)
class _Written:
    """Notes and tags of ours that a read answered late may not show (see ContactService._with_written)."""

    until: float  # time.monotonic() past which no read from before them can answer
    notes: tuple[contract.NoteEntry, ...]
    tags: tuple[str, ...]


def _is_write(key: str) -> bool:
    """Task keys of the writes that outlive opening another contact, and that closing the window waits for:
    tags, notes, the dedicated fields and deletions."""
    return key.partition(":")[0] in ("tag", "note", "delete", *DEDICATED_FIELDS)


def _with_tags(tags: Sequence[str], more: Sequence[str]) -> tuple[str, ...]:
    """``tags`` and those of ``more`` it lacks (tags match by case only): the API cannot remove a tag, so every
    tag either read holds is on the contact."""
    known = {tag.casefold() for tag in tags}
    return (*tags, *(tag for tag in more if tag.casefold() not in known))


class ContactService(QObject):
    """Holds the current contact and runs every request about it.

    Signals:
        contact_loaded(Contact): a (re-)read contact arrived (load, reload, or after a note).
        load_failed(exception)
        saved(Contact): the server's version after an update, including ``lastUpdate``.
        save_failed(exception)
        save_conflicted(Contact): nothing was sent: the contact as read just before, where someone else has
            changed a field this save was to change since the rep loaded it.
        contact_refreshed(Contact): the contact as read just before a save the server then refused; it is the
            current contact now.
        duplicates_checked(list[ContactSummary]): contacts already using the email or phone (may be empty).
        created(Contact): the new contact as the server stores it.
        create_failed(exception)
        deleted(str, bool): the uid of the deleted contact, and whether someone had deleted it already (the API
            answered 404: what the rep asked for holds all the same).
        delete_failed(str, exception): the uid that was not deleted, and why.
        tag_added(str, Contact): a tag was confirmed; the contact now lists it.
        tag_failed(str, str, exception): the uid, and the tag that could not be added to it.
        note_added(Contact, str): the note (the text as sent) was stored; the contact was re-read so it carries
            the server's timestamp.
        note_failed(str, str, exception): the uid, and the note text that could not be added to it. With the
            error's ``may_have_happened``, nobody can tell yet: the answer was lost, and the contact read after it
            did not show the note (or could not be read).
        note_unread(str, exception): a note was stored (see ``note_added``, which carried the contact known before
            with the note appended, undated), but reading the contact again failed; the uid, and why.
        read_back_failed(str, exception): a contact was created (see ``created``), but reading it back failed; the
            uid, and why. ``created`` carried the contact as sent.
        field_changed(str, str, str): the uid, and the dedicated field (stageName, qualityName, ownerEmail) that
            was set to a value.
        field_failed(str, str, str, exception): the uid, and the field and value that could not be set.

    Tags, notes and the dedicated fields are writes the rep made: opening another contact lets them finish, and
    their signals carry the uid they were about, which may no longer be the open contact.
        busy_changed(bool): whether any request is running.
        writes_changed(int): how many writes (tags, notes, dedicated fields, deletions) are on their way now.
        writes_done(): the last tag, note or dedicated-field change on its way has finished (or failed).
        note_posted(str): a note to this uid has gone out (after the read before it): it may be stored from now on.
    """

    contact_loaded = Signal(object)
    load_failed = Signal(object)
    saved = Signal(object)
    save_failed = Signal(object)
    save_conflicted = Signal(object)
    contact_refreshed = Signal(object)
    duplicates_checked = Signal(object)
    created = Signal(object)
    create_failed = Signal(object)
    deleted = Signal(str, bool)
    delete_failed = Signal(str, object)
    tag_added = Signal(str, object)
    tag_failed = Signal(str, str, object)
    note_added = Signal(object, str)
    note_failed = Signal(str, str, object)
    note_unread = Signal(str, object)
    read_back_failed = Signal(str, object)
    field_changed = Signal(str, str, str)
    field_failed = Signal(str, str, str, object)
    busy_changed = Signal(bool)
    writes_changed = Signal(int)
    writes_done = Signal()
    note_posted = Signal(str)

    def __init__(self, api_source: Callable[[], ContactApi], registry: Registry, parent: QObject | None = None) -> None:
        """``api_source`` returns the client whenever a request needs it: a session that is still starting has
        none yet, and the window builds this service's view meanwhile."""
        super().__init__(parent)
        self._api_source = api_source
        self.registry = registry
        self._current: Contact | None = None
        self._slots = TaskSlots(self._unexpected_error)
        self._running = 0
        self._writes = 0
        # Notes get a key each: a second note must not cancel the first one still in flight.
        self._note_counter = itertools.count()
        # The notes on their way, per (uid, text): whether another with the same text was sent while each was, in
        # which case a copy found on the server may be the other's.
        self._notes_in_flight: dict[tuple[str, str], list[_NoteFlight]] = {}
        # Notes stored but not read back (the read after them failed), as added to the contact held: undated.
        self._unread_notes: list[contract.NoteEntry] = []
        # The tags, notes and dedicated-field changes the server confirmed, in order, as (uid, what, detail): what
        # is "tags", "notes" or a dedicated field, and detail the tag's name or the note's text. A save's or a
        # reload's answer read before one of them is older than it, for what it changed.
        self._confirmed: list[tuple[str, str, str]] = []
        self._reconciling = 0  # saves and reloads whose answers are still to be applied
        self._read_for_save: Contact | None = None  # the contact as the running save read it before sending
        # Per uid, a future done once the latest note to that contact has been sent (see _note).
        self._note_sending: dict[str, Any] = {}
        # Per uid, the fields of the last save whose answer was lost: the server may hold them, and finding them
        # there is no colleague's change.
        self._maybe_saved: dict[str, dict[str, tuple[str, ...]]] = {}
        # Per uid, what a read that set out before a note or tag of ours was stored, and answered after (a slow
        # link), would not show: the notes as read after our note, and the tags we added; and until when such a
        # read can still answer (the client's deadline).
        self._written: dict[str, _Written] = {}
        # Per uid, the notes and tags on their way, for the contact's page when the rep comes back to it.
        self._notes_sending: dict[str, list[str]] = {}
        # Of those, the notes that have gone out (or been answered), with how many notes of the same text the contact
        # held just before (None: its read failed): what a read after a crash compares with (see posted_notes).
        self._notes_posted: dict[str, list[tuple[str, int | None]]] = {}
        self._tags_sending: dict[str, list[str]] = {}

    @property
    def api(self) -> ContactApi:
        return self._api_source()

    # --- State ------------------------------------------------------------------------------------

    @property
    def current(self) -> Contact | None:
        return self._current

    def set_current(self, contact: Contact | None) -> Contact | None:
        """Make ``contact`` the open one (the view does this when it shows a contact found elsewhere), with the
        notes and tags of ours stored since it was read; the contact held, which the caller should show."""
        if self._current is not None and (contact is None or contact.uid != self._current.uid):
            # Reads about the previous contact must not land on the next one; writes the rep made to it finish.
            self._slots.cancel_all(keep=_is_write)
        if contact is not None:
            contact = self._with_written(contact)
        self._current = contact
        if contact is not None:
            self.registry.learn_contact(contact)
        return contact

    def sending(self, uid: str) -> tuple[list[str], list[str]]:
        """The notes and the tags on their way to ``uid``, in the order they were sent."""
        return list(self._notes_sending.get(uid, ())), list(self._tags_sending.get(uid, ()))

    def posted_notes(self, uid: str) -> list[tuple[str, int | None]]:
        """The notes to ``uid`` that have been sent, answered or not, each with how many notes of its text the
        contact held just before (None: not known); a note on its way and not among them has not left yet."""
        return list(self._notes_posted.get(uid, ()))

    def uids_sending(self) -> list[str]:
        """The contacts with notes or tags on their way."""
        return list(dict.fromkeys([*self._notes_sending, *self._tags_sending]))

    def is_running(self, key: str) -> bool:
        return self._slots.running(key)

    def cancel_all(self) -> None:
        self._slots.cancel_all()

    def writes_in_flight(self) -> int:
        """How many tags, notes and dedicated-field changes are still on their way to the server."""
        return self._writes

    # --- Contact ----------------------------------------------------------------------------------

    def load(self, uid: str) -> None:
        since = len(self._confirmed)
        self._start(
            "load", self.api.get_contact(uid=uid), lambda result: self._loaded(result, since), self.load_failed.emit
        )

    def save(self, uid: str, changes: Mapping[str, str], loaded: Mapping[str, str] | None = None) -> None:
        """Send only ``changes`` (API field → new text; ``""`` clears) and report the server's version.

        With ``loaded`` (field → the text the rep began from), the contact is read first: the Contact API has no
        way to update only what is unchanged, so a field a colleague changed since then would be overwritten
        unseen. If any such field is among ``changes``, nothing is sent and :attr:`save_conflicted` says so.
        """
        # A reload still on its way was read before this save: its answer would put the old values back.
        self._slots.cancel("load")
        since = len(self._confirmed)
        self._read_for_save = None
        sent = dict(changes)
        self._start(
            "save",
            self._update(uid, sent, dict(loaded) if loaded is not None else None),
            lambda result: self._saved(result[0], result[1], since),
            lambda error: self._save_failed(error, since, uid, sent),
        )

    def maybe_saved(self, uid: str) -> dict[str, tuple[str, ...]]:
        """What ``uid``'s saves whose answers were lost sent, per field (the server may hold any of them, the
        latest last), until the contact is next read and shown."""
        return dict(self._maybe_saved.get(uid, {}))

    def shown_as_read(self, uid: str) -> None:
        """A read of ``uid`` is on screen: what a lost save may have stored is in it or not, and a colleague
        writing it later is a colleague's change like any other (see _saved)."""
        self._maybe_saved.pop(uid, None)

    def _keep_maybe_saved(self, uid: str, fields: dict[str, tuple[str, ...]]) -> None:
        if fields:
            self._maybe_saved[uid] = fields
        else:
            self._maybe_saved.pop(uid, None)

    def abandon_create(self) -> None:
        """The new-contact form was left: a duplicate check still running must not go on to create."""
        self._slots.cancel("duplicates")

    def check_duplicates(self, email: str, phone: str, *, also: Iterable[str] = ()) -> None:
        """Look the email and the phone up; :attr:`duplicates_checked` lists whoever already uses them. ``also``:
        more emails or phones to look up (those a create whose answer was lost sent)."""
        self._start(
            "duplicates",
            self._duplicates([email, phone, *also]),
            self.duplicates_checked.emit,
            self.create_failed.emit,
        )

    def create(self, fields: Mapping[str, Any]) -> None:
        """Create with ``fields`` (API names, including ``note`` and ``tags``), then read the whole contact."""
        self._start("create", self._create(dict(fields)), self._created, self.create_failed.emit)

    def delete(self, uid: str) -> None:
        # A write: opening another contact meanwhile, or closing the window, must not call the deletion off.
        self._start(
            f"delete:{uid}", self._delete(uid), self._deleted, lambda error: self.delete_failed.emit(uid, error)
        )

    # --- Tags, notes and the dedicated fields ------------------------------------------------------

    def add_tag(self, tag: str) -> None:
        contact = self._require()
        key = f"tag:{contact.uid}:{tag.casefold()}"
        self._tags_sending.setdefault(contact.uid, []).append(tag)  # one a request: each takes one off as it ends

        def settled() -> None:
            _drop(self._tags_sending, contact.uid, tag)

        self._start(
            key,
            self.api.add_tag(tag, uid=contact.uid),
            lambda change: self._tag_added(contact, tag, change.value or tag),
            lambda error: self.tag_failed.emit(contact.uid, tag, error),
            settled,
        )

    def add_note(self, text: str) -> None:
        contact = self._require()
        self._notes_sending.setdefault(contact.uid, []).append(text)

        def settled() -> None:
            _drop(self._notes_sending, contact.uid, text)
            posted = self._notes_posted.get(contact.uid, [])
            for index, (sent, _before) in enumerate(posted):
                if sent == text:
                    del posted[index]
                    break
            if not posted:
                self._notes_posted.pop(contact.uid, None)

        self._start(
            f"note:{next(self._note_counter)}",
            self._note(contact, text),
            lambda result: self._note_added(result[0], result[1], text),
            lambda error: self.note_failed.emit(contact.uid, text, error),
            settled,
        )

    def set_stage(self, stage: str) -> None:
        contact = self._require()
        self._set_field("stageName", stage, self.api.set_stage(stage, uid=contact.uid))

    def set_quality(self, quality: str) -> None:
        contact = self._require()
        self._set_field("qualityName", quality, self.api.set_quality(quality, uid=contact.uid))

    def set_owner(self, owner_email: str) -> None:
        contact = self._require()

        async def run() -> str:
            change = await self.api.set_owner(owner_email, uid=contact.uid)
            self.registry.learn_owner(change.owner_email or owner_email, change.owner_name)
            return change.owner_email or owner_email

        self._set_field("ownerEmail", owner_email, run())

    # --- Coroutines -------------------------------------------------------------------------------

    async def _update(self, uid: str, changes: dict[str, str], loaded: dict[str, str] | None) -> tuple[Contact, bool]:
        """The contact after the update, and True; or, when someone else changed a field among ``changes``
        since it read ``loaded``, the contact as it is now, and False (nothing sent)."""
        if loaded is not None:
            now = self._read_for_save = await self._read(uid)
            # A lost save's value counts as ours only while the server holds it: absent, that save never landed
            # or was overwritten since, and the value is anybody's again (a colleague's change must be flagged).
            ours: dict[str, tuple[str, ...]] = {}
            for name, values in self._maybe_saved.get(uid, {}).items():
                held = str(getattr(now, name, "") or "")
                if kept := tuple(value for value in values if contract.equivalent(name, held, value)):
                    ours[name] = kept
            self._keep_maybe_saved(uid, ours)
            for name, typed in changes.items():
                theirs = str(getattr(now, name, "") or "")
                if not any(
                    contract.equivalent(name, theirs, known)
                    for known in (loaded.get(name, ""), typed, *ours.get(name, ()))
                ):
                    return now, False
        try:
            return await self.api.update_contact(uid, **changes), True
        except ApiError as error:
            if not error.may_have_happened:
                raise
            # The answer was lost (a connection that broke, a computer that slept through it): had the server done
            # the save, it holds what was sent. Look, rather than leave the rep to guess and send it again; but
            # briefly, as the rep has waited for the save already (a link gone dark would double the wait).
            import asyncio

            try:
                # Not counting a wait the client's own rate limit imposes before the read may go.
                async with asyncio.timeout(READ_BACK_S + self.api.held_for()):
                    stored = await self._read(uid)
            except (ApiError, TimeoutError):  # TimeoutError: the built-in, raised by asyncio.timeout
                raise error from None
            if all(
                contract.equivalent(name, str(getattr(stored, name, "") or ""), typed)
                for name, typed in changes.items()
            ):
                log.info("the answer to a save was lost, but the contact holds what was sent")
                return stored, True
            raise

    async def _duplicates(self, values: Iterable[str]) -> list[ContactSummary]:
        from crmdesk.services import phone as phone_numbers

        lookups: dict[str, tuple[str, str]] = {}  # one per address (in any case) and per set of digits
        for value in (value.strip() for value in values):
            if "@" in value:
                lookups.setdefault(value.casefold(), ("email", value))
            elif value:
                # Stored by another tool as typed, "(512) 555-0142" is found only by those digits (Search tries
                # them too).
                for form in phone_numbers.stored_forms(value):
                    lookups.setdefault(phone_numbers.digits(form), ("phone", form))
        found: dict[str, ContactSummary] = {}
        for kind, value in lookups.values():
            try:
                result = await self.api.get_contact(**{kind: value})
            except NotFoundError:
                continue  # nobody uses it: exactly what we hoped
            matches: Sequence[Contact | ContactSummary] = result if isinstance(result, list) else [result]
            for match in matches:
                summary = match.summary() if isinstance(match, Contact) else match
                found.setdefault(summary.uid, summary)
        return list(found.values())

    async def _create(self, fields: dict[str, Any]) -> tuple[Contact, ApiError | None]:
        """The new contact as stored; if reading it back fails, the contact as sent, with why it was not read."""
        ref = await self.api.create_contact(**fields)
        try:
            contact = await self.api.get_contact(uid=ref.uid)
        except ApiError as error:
            # Created all the same: show it from what was sent; _created reports the failed read (read_back_failed).
            known: dict[str, Any] = {
                name: value for name, value in fields.items() if isinstance(value, str) and name in _TEXT_FIELDS
            }
            known.update(email=ref.email, phone=ref.phone, firstName=ref.firstName, lastName=ref.lastName)
            # Tags as the account spells those it is known to have; the first note, undated (its stamp is unread).
            spelt = {tag.casefold(): tag for tag in self.registry.tags()}
            tags = tuple(spelt.get(str(tag).casefold(), str(tag)) for tag in fields.get("tags", ()))
            note = fields.get("note")
            notes = (contract.NoteEntry(None, note),) if isinstance(note, str) and note.strip() else ()
            return dataclasses.replace(Contact(uid=ref.uid, tags=tags, notes=notes), **known), error
        assert isinstance(contact, Contact), "a lookup by uid answers one contact"
        return contact, None

    async def _note(self, before: Contact, text: str) -> tuple[Contact, ApiError | None]:
        """The contact read again after its note was stored; if that read fails, the contact as known before with
        the note appended (undated), and why it was not read.

        Notes cannot be edited or removed, so a note sent twice stays twice: when the answer to the add is lost,
        the contact is read to see whether the note arrived before anyone is told to send it again.
        """
        uid = before.uid
        flight = _NoteFlight()
        flights = self._notes_in_flight.setdefault((uid, text.strip()), [])
        for other in flights:
            other.overlapped = flight.overlapped = True
        flights.append(flight)
        # The notes as they stand just before this one is sent: if its answer is lost, a copy more than these is
        # this note. The contact as the window holds it will not do: a colleague may have added the same words
        # since it was read (note stamps and lastUpdate cannot tell the two apart without the account's zone).
        # Two notes sent in a row go out in that order, whatever each one's read takes: a note is sent only once
        # the one before it to this contact has been (not answered: a slow answer holds nobody up).
        import asyncio  # here: the app starts without asyncio, and a note is only ever sent once it runs

        previous = self._note_sending.get(uid)
        sending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._note_sending[uid] = sending
        baseline: Contact | None = None
        try:
            try:
                try:
                    baseline = await self._read(uid)
                except ApiError:
                    pass  # the note's own request will say what is wrong; if its answer is lost, nothing can tell
                    # the note from a colleague's copy
                if previous is not None:
                    await asyncio.shield(previous)
                sent = self._server_now()
                copies = _copies(baseline, text) if baseline is not None else None
                self._notes_posted.setdefault(uid, []).append((text, copies))
                self.note_posted.emit(uid)
                await self.api.add_note(text, uid=uid)
            finally:
                # Answered, failed or cancelled: the next note goes. Not before the answer: a request slow on its
                # way (a slow link) would reach the server after the next one, and notes are kept in that order.
                sending.set_result(None)
                if self._note_sending.get(uid) is sending:
                    del self._note_sending[uid]
        except ApiError as error:
            if not error.may_have_happened or baseline is None:
                raise
            # Found, it is stored. Not found, nothing is known still: a gateway's server may store it a moment
            # later, so the error keeps saying it may have happened.
            try:
                contact = await self._read(uid)
            except ApiError:
                raise error from None
            if not flight.overlapped and _copies(contact, text) > _copies(baseline, text):
                log.info("the answer to a note was lost, but the note is stored")
                return contact, None
            raise
        finally:
            flights.remove(flight)
            if not flights:
                del self._notes_in_flight[(uid, text.strip())]
        stored = self._server_now()
        try:
            contact = await self._read(uid)
        except ApiError as error:
            # Stored all the same: the rep must not be told otherwise, or the note is sent again and kept twice.
            note = contract.NoteEntry(None, text)
            return dataclasses.replace(before, notes=(*before.notes, note)), error
        # The server stamped the note in the account's time zone while the request ran: that tells the zone.
        stamps = [note.timestamp for note in contact.notes if note.timestamp and note.text.strip() == text.strip()]
        if stamps:
            self.registry.learn_note_stamp(max(stamps), sent, stored)
        return contact, None

    def _server_now(self) -> datetime:
        """Now by the server's clock: a note's stamp is compared with it to learn the account's zone. This
        computer's, should the server's be past what a datetime holds: learning a zone must never fail a note."""
        try:
            return datetime.fromtimestamp(self.api.server_now(), UTC)
        except (OverflowError, OSError, ValueError):
            return datetime.now(UTC)

    async def _read(self, uid: str) -> Contact:
        contact = await self.api.get_contact(uid=uid)
        assert isinstance(contact, Contact), "a lookup by uid answers one contact"
        return contact

    # --- Handlers ---------------------------------------------------------------------------------

    def _loaded(self, result: Contact | list[ContactSummary], since: int) -> None:
        if not isinstance(result, Contact):
            self.load_failed.emit(NotFoundError("The contact could not be read by its uid."))
            return
        held = self.set_current(self._with_confirmed(result, since))
        assert held is not None
        self.contact_loaded.emit(held)
        self._maybe_saved.pop(result.uid, None)  # see _saved

    def _save_failed(self, error: object, since: int, uid: str, sent: dict[str, str]) -> None:
        """A refused save (a 400) is about the contact as stored: when it was read just before, it becomes the
        current contact, so that the refusal ("provide an email or a phone") is shown against what the server
        holds, a colleague's changes to the other fields included (:attr:`contact_refreshed` says so)."""
        may_have = getattr(error, "may_have_happened", False)
        if may_have:
            # This save's values, beside what earlier lost ones sent that the read before this one still found on
            # the server (see _update): the server holds one of them, or none.
            merged = dict(self._maybe_saved.get(uid, {}))
            for name, value in sent.items():
                merged[name] = (*(known for known in merged.get(name, ()) if known != value), value)
            self._maybe_saved[uid] = merged
        read = self._read_for_save
        shown = read is not None and isinstance(error, ValidationError) and self._is_open(read.uid)
        if shown:
            assert read is not None
            held = self.set_current(self._with_confirmed(read, since))
            self.contact_refreshed.emit(held)
        self.save_failed.emit(error)
        if shown and not may_have:
            # The server's values were read and are shown (their marks judged with the record): they are known.
            self._maybe_saved.pop(uid, None)

    def _saved(self, contact: Contact, sent: bool, since: int) -> None:
        held = self.set_current(self._with_confirmed(contact, since))
        assert held is not None
        contact = held
        if sent:
            self.saved.emit(contact)
        else:
            self.save_conflicted.emit(contact)
        # Once a read of the contact has been shown, a value a lost save may have stored is either there (and the
        # form starts from it) or not: a colleague writing it later is a colleague's change like any other.
        self._maybe_saved.pop(contact.uid, None)

    def _with_confirmed(self, contact: Contact, since: int) -> Contact:
        """``contact`` as a save or a reload read it, with what was confirmed for it since that request set out
        (the ``since``-th entry of ``_confirmed`` on): the server read it before those, so for what each changed
        the contact held now is newer."""
        current = self._current
        meanwhile = [(what, detail) for uid, what, detail in self._confirmed[since:] if uid == contact.uid]
        if meanwhile and current is not None and current.uid == contact.uid:
            # Only what was confirmed is taken from the contact held now; everything else in the answer (a tag
            # removed elsewhere, a colleague's note or stage) stands.
            fields = {what for what, _detail in meanwhile}
            changes: dict[str, Any] = {field: getattr(current, field) for field in DEDICATED_FIELDS if field in fields}
            tags = [detail for what, detail in meanwhile if what == "tags"]
            if tags:
                known = {tag.casefold() for tag in contact.tags}
                changes["tags"] = (*contact.tags, *(tag for tag in tags if tag.casefold() not in known))
            if "notes" in fields:
                # Ours stored but not read back: these entry objects, held at the end of the current contact.
                self._unread_notes = [note for note in self._unread_notes if any(note is n for n in current.notes)]
                notes = _merged_notes(contact.notes, current.notes, self._unread_notes)
                if notes != contact.notes:
                    changes["notes"] = notes
            contact = dataclasses.replace(contact, lastUpdate=_later(contact.lastUpdate, current.lastUpdate), **changes)
        if self._reconciling <= 1:  # only this answer's own request, being applied now, looked back
            self._confirmed.clear()
        return contact

    def _confirm(self, uid: str, what: str, detail: str) -> None:
        """Log a write the server confirmed, for a save or reload in flight to reconcile its answer with.

        Nothing else reads the log, and each request reads it only from where it stood when the request set out:
        with none in flight, there is nothing to keep. Kept regardless, a rep who logs calls, tags and stages all
        day without saving held every note's text.
        """
        if not self._reconciling:
            self._confirmed.clear()
            return
        self._confirmed.append((uid, what, detail))

    def _created(self, result: tuple[Contact, ApiError | None]) -> None:
        contact, unread = result
        self.set_current(contact)
        self.created.emit(contact)
        if unread is not None:  # about this contact, whichever is open by now
            self.read_back_failed.emit(contact.uid, unread)

    async def _delete(self, uid: str) -> tuple[str, bool]:
        try:
            await self.api.delete_contact(uid)
        except NotFoundError:
            return uid, True  # a colleague deleted it first
        return uid, False

    def _deleted(self, result: tuple[str, bool]) -> None:
        uid, already = result
        if self._current is not None and self._current.uid == uid:
            self._current = None
        self._written.pop(uid, None)
        self.deleted.emit(uid, already)

    def _is_open(self, uid: str) -> bool:
        return self._current is not None and self._current.uid == uid

    def _tag_added(self, sent_for: Contact, tag: str, stored: str) -> None:
        self._confirm(sent_for.uid, "tags", stored)
        # The contact may have been left meanwhile (its answer still reports, and teaches the registry).
        contact = self._current if self._current is not None and self._is_open(sent_for.uid) else sent_for
        if not any(existing.casefold() == stored.casefold() for existing in contact.tags):
            contact = dataclasses.replace(contact, tags=(*contact.tags, stored))
        self._remember_written(contact.uid, tag=stored)
        if self._is_open(contact.uid):
            self.set_current(contact)
        else:
            self.registry.learn_contact(contact)
        self.tag_added.emit(tag, contact)

    def _note_added(self, contact: Contact, unread: ApiError | None, text: str) -> None:
        self._confirm(contact.uid, "notes", text)
        if unread is None:
            self._remember_written(contact.uid, notes=contact.notes)
            if self._is_open(contact.uid):
                # The view takes the notes, tags and update time of this read, and nothing else (a save may have
                # answered since it was read): the contact held mirrors what is shown. A read answered late may be
                # older than notes and tags confirmed since: notes only grow and tags are never removed, so the
                # longer notes and every tag of the two stand.
                current = self._current
                assert current is not None
                self._unread_notes = [note for note in self._unread_notes if any(note is n for n in current.notes)]
                contact = dataclasses.replace(
                    current,
                    notes=_merged_notes(contact.notes, current.notes, self._unread_notes),
                    tags=_with_tags(contact.tags, current.tags),
                    lastUpdate=_later(contact.lastUpdate, current.lastUpdate),
                )
                self.set_current(contact)
            else:  # left meanwhile, or nothing open (a new-contact form): the open contact stays as it is
                self.registry.learn_contact(contact)
        elif self._is_open(contact.uid):
            # Not read: only the note is known to be new. Added to the contact held now, not the one it was sent
            # from, so that nothing confirmed meanwhile is undone.
            current = self._current
            assert current is not None
            unread_note = contract.NoteEntry(None, text)
            self._unread_notes.append(unread_note)
            contact = dataclasses.replace(current, notes=(*current.notes, unread_note))
            self.set_current(contact)
        self.note_added.emit(contact, text)
        if unread is not None:
            self.note_unread.emit(contact.uid, unread)

    def _remember_written(self, uid: str, *, notes: Sequence[contract.NoteEntry] = (), tag: str = "") -> None:
        """Keep the notes read after a note of ours was stored, or a tag we added, for reads of the contact that
        set out before and answer after (see :meth:`_with_written`), for as long as such a read can answer."""
        from crmdesk.api.client import DEFAULT_DEADLINE  # loaded by now: a write was just answered

        held = self._written.get(uid)
        if held is not None:
            notes = _merged_notes(notes, held.notes, ())
        tags = _with_tags(held.tags if held is not None else (), (tag,) if tag else ())
        until = time.monotonic() + (self.api.deadline or DEFAULT_DEADLINE) + _WRITTEN_SLACK
        self._written[uid] = _Written(until, tuple(notes), tags)

    def _with_written(self, contact: Contact) -> Contact:
        """``contact`` with the notes and tags of ours stored since it may have been read: the read shown (a
        lookup, a reload, a save's answer) may have set out before a note to it was stored, and answered after.
        Kept until no read from before the write can still answer: notes only grow, so a read that holds as many
        changes nothing and one a colleague's note made longer is taken whole; of the tags, only ours are added
        (another removed in the vendor's web app stays removed)."""
        now = time.monotonic()
        for uid in [uid for uid, held in self._written.items() if held.until < now]:
            del self._written[uid]
        held = self._written.get(contact.uid)
        if held is None:
            return contact
        notes = _merged_notes(contact.notes, held.notes, ())
        tags = _with_tags(contact.tags, held.tags)
        if notes == contact.notes and tags == contact.tags:
            return contact
        return dataclasses.replace(contact, notes=notes, tags=tags)

    def _set_field(self, field: str, value: str, coro: Any) -> None:
        uid = self._require().uid

        def done(result: Any) -> None:
            self._confirm(uid, field, value)
            stored = result if isinstance(result, str) else (getattr(result, "value", "") or value)
            current = self._current
            if current is not None and current.uid == uid:
                self.set_current(dataclasses.replace(current, **{field: stored}))  # type: ignore[arg-type]
            self.field_changed.emit(uid, field, stored)

        # Keyed per contact: a second stage change supersedes the first on the same contact only.
        self._start(f"{field}:{uid}", coro, done, lambda error: self.field_failed.emit(uid, field, value, error))

    # --- Plumbing ---------------------------------------------------------------------------------

    def _require(self) -> Contact:
        if self._current is None:
            raise RuntimeError("No contact is open.")
        return self._current

    def _start(
        self, key: str, coro: Any, on_success: Any, on_error: Any, settled: Callable[[], None] | None = None
    ) -> None:
        """Run ``coro`` as the task ``key``; ``settled`` runs once it has ended, however it ended."""
        # Every task, superseded or not, runs its on_finally exactly once, so counting starts balances.
        self._set_running(self._running + 1)
        write = _is_write(key)
        if write:
            self._writes += 1
            self.writes_changed.emit(self._writes)
        # A save or a load is counted until its answer has been applied (on_finally runs after on_success), not
        # until its task is done: a note confirmed in the same turn, just before that answer, must still be in the
        # log for it.
        reconciling = key in ("save", "load")
        if reconciling:
            self._reconciling += 1

        def finished() -> None:
            if settled is not None:
                settled()
            if reconciling:
                self._reconciling -= 1
            if write:
                self._write_finished()
            else:
                self._finished()

        self._slots.start(key, coro, self._alive(on_success), self._alive(on_error), self._alive(finished))

    def _alive(self, handler: Callable[..., Any]) -> Callable[..., None]:
        """``handler``, for an answer that may come after the window and this service are gone (a window
        replaced while a request was on its way): then there is nobody left to tell."""

        def call(*args: Any) -> None:
            if shiboken6.isValid(self):
                handler(*args)

        return call

    def _write_finished(self) -> None:
        self._writes -= 1
        self._finished()
        self.writes_changed.emit(self._writes)
        if self._writes == 0:
            self.writes_done.emit()

    def _finished(self) -> None:
        self._set_running(max(0, self._running - 1))

    def _set_running(self, count: int) -> None:
        before = self._running > 0
        self._running = count
        if (count > 0) != before:
            self.busy_changed.emit(count > 0)

    def _unexpected_error(self, error: BaseException) -> None:
        # Every start passes its own error handler; reaching here is a bug worth a log line.
        log.error("Unhandled failure in the contact service: %r", error)


def _drop(sending: dict[str, list[str]], uid: str, text: str) -> None:
    """Take one ``text`` off ``uid``'s list of writes on their way."""
    texts = sending.get(uid)
    if texts is not None and text in texts:
        texts.remove(text)
        if not texts:
            del sending[uid]


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return max(first, second)
