"""Unsaved work kept on disk while the app runs, so that a crash, a kill or a power cut does not take it.

Closing the app asks about everything unsaved (the contact view's leave questions). An end that cannot ask (the
process killed, the computer losing power, an unexpected error in Qt's own code) would lose edits, notes and tags
typed but not added, a new contact not yet created, and the notes, tags and stage picks sent but not answered
(which the next start checks against the server), without a word. While anything is unsaved, it is kept in
the profile's folder (``unsaved.json``, readable by its owner only, as the Recent list beside it is); once
nothing is, the file goes. The next start of the profile finds it and offers
to put it back (see MainWindow).

The token is never part of it: only what the rep typed, and which contact it was for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from crmdesk.paths import os_error_text, profile_dir, write_atomically

log = logging.getLogger("crmdesk.services.recovery")

FILE_NAME = "unsaved.json"
FORMAT_VERSION = 1

#: How long after a change the file is written. Not restarted by later changes: typing without a pause is kept
#: once a second, not only after the rep stops.
WRITE_DELAY_MS = 1000

#: How soon a write that failed (a full disk, a scanner holding the file) is tried again.
RETRY_DELAY_MS = 5000


@dataclass(frozen=True, slots=True)
class UnsavedEdits:
    """Edits to a contact's form: the fields changed, with the text typed and the value it was edited from."""

    uid: str
    name: str
    edits: Mapping[str, str]
    base: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class NewContact:
    """The new-contact form, not yet created: its fields, tags, first note and the stage, quality and owner."""

    fields: Mapping[str, str]
    tags: str = ""
    note: str = ""
    header: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SentNote:
    """A note sent and not answered: ``copies_before`` is how many notes of the same text the contact held just
    before it went (None: not known), so that a read can tell whether it is stored, repeated words or not."""

    text: str
    copies_before: int | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """What is not known to be added to a contact: a note and a tag typed in its boxes (``unsure_notes``: the
    typed note may have been added, its answer lost), and what was sent and not answered (notes, tags, and the
    stage, quality or owner picked, ``picks``): the server may hold those, so only a read says what goes back."""

    uid: str
    name: str
    note: str = ""
    tag: str = ""
    unsure_notes: tuple[str, ...] = ()
    sent_notes: tuple[SentNote, ...] = ()
    sent_tags: tuple[str, ...] = ()
    picks: Mapping[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.note.strip() or self.tag.strip() or self.sent_notes or self.sent_tags or self.picks)

    def waits_for_a_read(self) -> bool:
        """Whether part of it can be put back only once the contact is read."""
        return bool(self.sent_notes or self.sent_tags or self.picks)


@dataclass(frozen=True, slots=True)
class UnsavedWork:
    edits: tuple[UnsavedEdits, ...] = ()
    #: The new-contact form, and any restored earlier that waits for New contact (several, after two crashes).
    new_contacts: tuple[NewContact, ...] = ()
    drafts: tuple[Draft, ...] = ()

    def is_empty(self) -> bool:
        return not (self.edits or self.new_contacts or self.drafts)

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "edits": [{"uid": e.uid, "name": e.name, "edits": dict(e.edits), "base": dict(e.base)} for e in self.edits],
            "drafts": [
                {
                    "uid": d.uid,
                    "name": d.name,
                    "note": d.note,
                    "tag": d.tag,
                    "unsureNotes": list(d.unsure_notes),
                    "sentNotes": [{"text": n.text, "copiesBefore": n.copies_before} for n in d.sent_notes],
                    "sentTags": list(d.sent_tags),
                    "picks": dict(d.picks),
                }
                for d in self.drafts
            ],
        }
        data["newContacts"] = [
            {"fields": dict(new.fields), "tags": new.tags, "note": new.note, "header": dict(new.header)}
            for new in self.new_contacts
        ]
        return json.dumps(data, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> UnsavedWork:
        """What a file holds; what is not as written above is left out rather than refused (a damaged file
        still gives back what it can). Raises ValueError for text that is no JSON object at all."""
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        edits = tuple(
            UnsavedEdits(item["uid"], _text(item.get("name")), _texts(item.get("edits")), _texts(item.get("base")))
            for item in _items(raw.get("edits"))
            if _texts(item.get("edits"))
        )
        drafts = tuple(
            draft
            for item in _items(raw.get("drafts"))
            if not (
                draft := Draft(
                    item["uid"],
                    _text(item.get("name")),
                    _text(item.get("note")),
                    _text(item.get("tag")),
                    _text_list(item.get("unsureNotes")),
                    _sent_notes(item.get("sentNotes")),
                    _text_list(item.get("sentTags")),
                    _texts(item.get("picks")),
                )
            ).is_empty()
        )
        new_contacts = []
        forms = raw.get("newContacts", [raw.get("newContact")])  # one form, as the first version wrote it
        for new in forms if isinstance(forms, list) else []:
            if not isinstance(new, dict):
                continue
            candidate = NewContact(
                _texts(new.get("fields")), _text(new.get("tags")), _text(new.get("note")), _texts(new.get("header"))
            )
            if candidate.fields or candidate.tags.strip() or candidate.note.strip():
                new_contacts.append(candidate)
        return cls(edits, tuple(new_contacts), drafts)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _sent_notes(value: object) -> tuple[SentNote, ...]:
    notes = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str) and item["text"].strip():
            before = item.get("copiesBefore")
            known = isinstance(before, int) and not isinstance(before, bool) and before >= 0
            notes.append(SentNote(item["text"], before if known else None))
    return tuple(notes)


def _text_list(value: object) -> tuple[str, ...]:
    return tuple(text for text in value if isinstance(text, str) and text.strip()) if isinstance(value, list) else ()


def _texts(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {key: text for key, text in value.items() if isinstance(key, str) and isinstance(text, str)}


def _items(value: object) -> list[dict[str, Any]]:
    """The objects of a list that name a contact."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict) and isinstance(item.get("uid"), str) and item["uid"]]


class _Keeper:
    """The file and the work still to be written to it; plain Python, so that it outlives the QObject (whose
    deletion tries once more a write that failed)."""

    def __init__(self, path: Path | None, written: UnsavedWork) -> None:
        self.path = path  # None: the profile's folder could not be made; work is not kept
        self.held = not written.is_empty()
        self.pending: UnsavedWork | None = None  # to be written (kept after a failed write, for the next)
        self.written = written  # what the file holds
        self.failing = False  # the last write failed (said once, not at every try)
        self.reason = ""  # why, for a person ("No space left on device")

    def write(self, *_args: object) -> None:
        work = self.pending
        if self.held or work is None or self.path is None:
            return
        self.pending = None
        if work == self.written:
            return
        try:
            if work.is_empty():
                self.path.unlink(missing_ok=True)
            else:
                write_atomically(self.path, work.to_json())
        except OSError as exc:
            if not self.failing:
                log.warning("Could not keep the unsaved work (tried again every few seconds): %s", os_error_text(exc))
            self.failing = True
            self.reason = os_error_text(exc)
            if self.pending is None:
                self.pending = work
            return
        if self.failing:
            log.info("The unsaved work is kept again")
        self.failing = False
        self.written = work


class UnsavedWorkFile(QObject):
    """One profile's ``unsaved.json``, following what ``source`` says is unsaved.

    Signals:
        keeping_changed(str): writing the file began to fail (why, for a person), or works again ("").

    :meth:`left_over` is what an earlier run left: work that run never settled. Until :meth:`release` (the rep
    restored or discarded it), nothing is written, so a start that ends again before the rep decides keeps it for
    the next. After that, :meth:`changed` is called at every change that may matter (a keystroke, another contact
    opened), and ``source`` is asked for the work unsaved :data:`WRITE_DELAY_MS` later, off the path of what the
    rep is doing; :meth:`flush` asks and writes at once (the window closing), as does the app's quit.
    """

    keeping_changed = Signal(str)

    def __init__(self, profile: str, source: Callable[[], UnsavedWork], parent: QObject | None = None) -> None:
        super().__init__(parent)
        path: Path | None
        try:
            path = profile_dir(profile) / FILE_NAME
        except OSError as exc:
            # The window already says the profile's folder cannot be used (the Recent list fails alike).
            log.warning("Cannot keep unsaved work for profile %s: %s", profile, os_error_text(exc))
            path = None
        self._source: Callable[[], UnsavedWork] | None = source
        self._left_over = _read(path)
        self._keeper = _Keeper(path, self._left_over)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(WRITE_DELAY_MS)
        self._timer.timeout.connect(self.flush)
        self.destroyed.connect(self._keeper.write)  # a write that failed is tried once more
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.flush)

    @property
    def path(self) -> Path | None:
        return self._keeper.path

    def left_over(self) -> UnsavedWork:
        return self._left_over

    def release(self) -> None:
        """The rep has decided about what was left over: from now on the file holds this run's work."""
        self._left_over = UnsavedWork()
        if self._keeper.held:
            self._keeper.held = False
            self.changed()

    def changed(self) -> None:
        """What is unsaved may have changed: the file follows a moment later. Not put off by later changes, so
        that typing without a pause is kept once a second, not only once the rep stops."""
        if not self._keeper.held and self._source is not None and not self._timer.isActive():
            self._timer.start(WRITE_DELAY_MS)

    def flush(self) -> None:
        """Write what is unsaved now (nothing while the left-over is held, or after :meth:`forget`)."""
        self._timer.stop()
        if self._keeper.held or self._source is None:
            return
        failing = self._keeper.failing
        self._keeper.pending = self._source()
        self._keeper.write()
        if self._keeper.failing:
            self._timer.start(RETRY_DELAY_MS)  # no later change may come to try it again
        if self._keeper.failing != failing:  # said when it starts and when it stops, not at every try
            self.keeping_changed.emit(self._keeper.reason if self._keeper.failing else "")

    def finish(self) -> None:
        """The window is being replaced by another of this process: write what is unsaved now, then nothing more
        (the next window reads the file; this one's close must not write over what that one keeps)."""
        self.flush()
        self._stop()

    def discard(self) -> None:
        """The rep discarded this window's work (a window replaced after its token was refused): the file goes,
        unless it still holds an earlier run's work not yet answered; nothing more is written."""
        self._stop()
        if not self._keeper.held:
            self._remove()

    def forget(self) -> None:
        """Remove the file, an earlier run's work with it, and write nothing more (signing out: it names the
        account's customers)."""
        self._stop()
        self._left_over = UnsavedWork()
        self._keeper.held = False
        self._remove()

    def _stop(self) -> None:
        self._timer.stop()
        self._source = None
        self._keeper.pending = None

    def _remove(self) -> None:
        self._keeper.written = UnsavedWork()
        if self._keeper.path is not None:
            try:
                self._keeper.path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("Could not remove the unsaved work: %s", os_error_text(exc))


def _read(path: Path | None) -> UnsavedWork:
    if path is None:
        return UnsavedWork()
    try:
        return UnsavedWork.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return UnsavedWork()
    except (OSError, ValueError, RecursionError) as exc:
        # Set aside rather than overwritten: what it held may still be read by hand.
        log.warning("Unsaved work in %s cannot be read (%s); it is kept beside it as .unreadable", path, exc)
        try:
            path.replace(path.with_name(FILE_NAME + ".unreadable"))
        except OSError:
            pass
        return UnsavedWork()
