"""Typed, immutable results of the Contact API, parsed tolerantly from whatever the server sends.

Field names are the API's own (``firstName``, ``stageName``, ...) so nothing is translated twice.
Parsing accepts missing keys, ``null`` and numbers where strings are expected; anything that cannot
be made sense of raises :class:`BadResponseError` saying what was wrong, never ``KeyError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

from crmdesk.api.errors import BadResponseError
from crmdesk.contract import NoteEntry, full_name, parse_notes, parse_timestamp

#: One entry of the note timeline: ``Note(timestamp, text)``. The timestamp is naive, in the account's zone.
Note = NoteEntry


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool):
        raise BadResponseError(f"The server sent {key}={value!r}, expected text.")
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise BadResponseError(f"The server sent {key} as {type(value).__name__}, expected text.")


def _notes_text(value: Any) -> str:
    """The notes as the contract's one string. A vendor sending a list of entries (strings, or objects with a
    text and a date) gets them joined as the contract joins them, every word kept."""
    if not isinstance(value, list | tuple):
        return _text({"notes": value}, "notes")
    entries = []
    for item in value:
        if isinstance(item, Mapping):
            text = next((_text(item, key) for key in ("text", "note", "content", "body") if key in item), "")
            when = next((_text(item, key) for key in ("date", "created", "createdAt", "timestamp") if key in item), "")
            entries.append(f"{when} {text}".strip())
        else:
            entries.append(_text({"note": item}, "note"))
    return "\n\n".join(entry for entry in entries if entry)


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise BadResponseError(f"The server sent {type(data).__name__} for {what}, expected an object.")
    return data


@dataclass(frozen=True, slots=True)
class ContactSummary:
    """A contact as a several-match lookup lists it."""

    uid: str
    email: str = ""
    phone: str = ""
    firstName: str = ""
    lastName: str = ""

    @property
    def name(self) -> str:
        return full_name(self.firstName, self.lastName)

    @classmethod
    def from_api(cls, data: Any) -> Self:
        data = _mapping(data, "a contact")
        uid = _text(data, "uid")
        if not uid:
            raise BadResponseError("The server sent a contact without a uid.")
        return cls(
            uid=uid,
            email=_text(data, "email"),
            phone=_text(data, "phone"),
            firstName=_text(data, "firstName"),
            lastName=_text(data, "lastName"),
        )


class ContactRef(ContactSummary):
    """What a create returns: the new contact's uid and identity."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Contact:
    """A full contact. ``notes`` is the parsed timeline (oldest first); ``notes_raw`` is the string as sent."""

    uid: str
    email: str = ""
    phone: str = ""
    firstName: str = ""
    lastName: str = ""
    businessName: str = ""
    birthday: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    zipcode: str = ""
    timeZone: str = ""
    value: str = ""
    stageName: str = ""
    qualityName: str = ""
    ownerEmail: str = ""
    snapshot: str = ""
    notes: tuple[Note, ...] = ()
    tags: tuple[str, ...] = ()
    created: datetime | None = None
    lastUpdate: datetime | None = None
    notes_raw: str = field(default="", repr=False)

    @property
    def name(self) -> str:
        return full_name(self.firstName, self.lastName)

    def summary(self) -> ContactSummary:
        return ContactSummary(self.uid, self.email, self.phone, self.firstName, self.lastName)

    @classmethod
    def from_api(cls, data: Any) -> Contact:
        data = _mapping(data, "a contact")
        uid = _text(data, "uid")
        if not uid:
            raise BadResponseError("The server sent a contact without a uid.")
        raw_tags = data.get("tags")
        if raw_tags is None:
            tags: tuple[str, ...] = ()
        elif isinstance(raw_tags, list | tuple):
            tags = tuple(_tag_name(tag) for tag in raw_tags)
        elif isinstance(raw_tags, str):
            tags = tuple(part.strip() for part in raw_tags.split(",") if part.strip())
        else:
            raise BadResponseError(f"The server sent tags as {type(raw_tags).__name__}, expected a list.")
        notes_raw = _notes_text(data.get("notes"))
        return cls(
            uid=uid,
            email=_text(data, "email"),
            phone=_text(data, "phone"),
            firstName=_text(data, "firstName"),
            lastName=_text(data, "lastName"),
            businessName=_text(data, "businessName"),
            birthday=_text(data, "birthday"),
            address=_text(data, "address"),
            city=_text(data, "city"),
            state=_text(data, "state"),
            zipcode=_text(data, "zipcode"),
            timeZone=_text(data, "timeZone"),
            value=_text(data, "value"),
            stageName=_text(data, "stageName"),
            qualityName=_text(data, "qualityName"),
            ownerEmail=_text(data, "ownerEmail"),
            snapshot=_text(data, "snapshot"),
            notes=tuple(parse_notes(notes_raw)),
            tags=tags,
            created=parse_timestamp(_text(data, "created")),
            lastUpdate=parse_timestamp(_text(data, "lastUpdate")),
            notes_raw=notes_raw,
        )


def _tag_name(tag: Any) -> str:
    # Tolerate a vendor that sends tag objects ({"name": ...}) instead of names.
    if isinstance(tag, str):
        return tag
    if isinstance(tag, Mapping):
        for key in ("name", "tagName"):
            if isinstance(tag.get(key), str):
                return str(tag[key])
    raise BadResponseError(f"The server sent a tag the client cannot read: {tag!r:.60}")


@dataclass(frozen=True, slots=True)
class ContactChange:
    """The answer of tag/add, note/add, stage, quality and owner: which contact, and the value set."""

    contactUid: str
    contactEmail: str
    contactPhone: str
    value: str

    @classmethod
    def from_api(cls, data: Any, value_key: str) -> ContactChange:
        data = _mapping(data, "the change")
        return cls(
            contactUid=_text(data, "contactUid") or _text(data, "uid"),
            contactEmail=_text(data, "contactEmail"),
            contactPhone=_text(data, "contactPhone"),
            value=_text(data, value_key),
        )


@dataclass(frozen=True, slots=True)
class OwnerChange:
    """The answer of the owner call; carries the owner's display name."""

    contactUid: str
    contactEmail: str
    contactPhone: str
    owner_email: str
    owner_name: str

    @classmethod
    def from_api(cls, data: Any) -> OwnerChange:
        data = _mapping(data, "the owner change")
        return cls(
            contactUid=_text(data, "contactUid") or _text(data, "uid"),
            contactEmail=_text(data, "contactEmail"),
            contactPhone=_text(data, "contactPhone"),
            owner_email=_text(data, "ownerEmail"),
            owner_name=_text(data, "ownerName"),
        )
