"""The Contact API contract as code: field names, limits, name splitting, validation and the notes format.

This is the only module that the client (`crmdesk.api`) and the bundled server (`crmdesk.server`) share,
so both read every open point of the vendor's reference the same way. It never imports Qt, and it keeps
its heavier imports (email-validator, zoneinfo) inside the functions that need them so importing it stays cheap.

Error messages are written for a person and always start with ``Invalid <field>`` or ``Missing <field>``
so that a client that only sees the server's text can still tell which field was at fault
(see :func:`field_from_message`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

# datetime loads with the first date this module parses, not with the module: the desktop app reads only the
# length limits before its window shows (its registry), and importing datetime there cost ~2.5 ms of start-up.
if TYPE_CHECKING:
    from datetime import datetime

# --- Tokens -------------------------------------------------------------------------------------


def is_bearer_token(token: str) -> bool:
    """Whether ``token`` can travel as ``Authorization: Bearer <token>``: printable ASCII without spaces, which
    an HTTP header carries unchanged. The client sends nothing else; the server issues and accepts nothing else,
    so a token an operator sets can always be used by the app."""
    return bool(token) and all(33 <= ord(ch) <= 126 for ch in token)


# --- Field names --------------------------------------------------------------------------------

#: Keys of a full contact, in the order GET returns them.
CONTACT_FIELDS: Final[tuple[str, ...]] = (
    "uid",
    "email",
    "phone",
    "firstName",
    "lastName",
    "businessName",
    "birthday",
    "address",
    "city",
    "state",
    "zipcode",
    "timeZone",
    "value",
    "stageName",
    "qualityName",
    "ownerEmail",
    "snapshot",
    "notes",
    "tags",
    "created",
    "lastUpdate",
)

#: Keys of a contact summary (create's answer and each entry of a several-match GET).
SUMMARY_FIELDS: Final[tuple[str, ...]] = ("uid", "email", "phone", "firstName", "lastName")

#: Plain string fields a caller may write on create and update (besides name, note and tags).
STRING_FIELDS: Final[tuple[str, ...]] = (
    "firstName",
    "lastName",
    "email",
    "phone",
    "businessName",
    "birthday",
    "address",
    "city",
    "state",
    "zipcode",
    "timeZone",
    "value",
    "stageName",
    "qualityName",
    "ownerEmail",
    "snapshot",
)

CREATE_FIELDS: Final[tuple[str, ...]] = ("name", *STRING_FIELDS, "note", "tags")
UPDATE_FIELDS: Final[tuple[str, ...]] = ("uid", "name", *STRING_FIELDS, "tags")

#: Fields that name something that must already exist in the account (matched case-insensitively).
REFERENCE_FIELDS: Final[tuple[str, ...]] = ("stageName", "qualityName", "ownerEmail")

IDENTIFIER_FIELDS: Final[tuple[str, ...]] = ("uid", "email", "phone")

PLANS: Final[tuple[str, ...]] = ("free", "express", "starter", "pro", "business")
PLANS_WITH_API: Final[frozenset[str]] = frozenset({"starter", "pro", "business"})

# --- Limits -------------------------------------------------------------------------------------

# The contract's limits. ``name`` has none of its own: it is split, and each part has the names' limit. Nor has
# ``phone``: the contract stores it as given (a request's body is still at most MAX_BODY_BYTES).
MAX_LENGTH: Final[Mapping[str, int]] = {
    "firstName": 100,
    "lastName": 100,
    "email": 254,
    "businessName": 200,
    "address": 300,
    "city": 100,
    "state": 100,
    "zipcode": 20,
    "value": 64,
    "snapshot": 5000,
    "note": 10000,
    "tagName": 100,
    "stageName": 100,
    "qualityName": 100,
    "ownerEmail": 254,
    "timeZone": 64,
    "birthday": 10,
}
MAX_TAGS_PER_REQUEST: Final = 100
MAX_BODY_BYTES: Final = 1024 * 1024

UID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
UID_LENGTH: Final = 8
UID_RE: Final = re.compile(r"^[A-Z0-9]{8}$")

# --- Errors -------------------------------------------------------------------------------------


class ContractError(ValueError):
    """A value breaks the contract. ``field`` names the offending API field (or ``None``)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def invalid(field: str, reason: str) -> ContractError:
    return ContractError(field, f"Invalid {field}: {reason}")


def missing(field: str, reason: str) -> ContractError:
    return ContractError(field, f"Missing {field}: {reason}")


_FIELD_IN_MESSAGE = re.compile(r"^(?:Invalid|Missing) ([A-Za-z]+)\b")


def field_from_message(message: str) -> str | None:
    """The API field a validation message is about, when the message says so."""
    match = _FIELD_IN_MESSAGE.match(message or "")
    return match.group(1) if match else None


# --- Names --------------------------------------------------------------------------------------

_WHITESPACE_RUN = re.compile(r"\s+")


def split_name(name: str) -> tuple[str, str]:
    """Split a full name at the first run of white space: ``"Mary Ann Smith"`` -> ``("Mary", "Ann Smith")``."""
    parts = _WHITESPACE_RUN.split(name.strip(), maxsplit=1)
    first = parts[0]
    last = parts[1] if len(parts) > 1 else ""
    return first, last


def full_name(first: str, last: str) -> str:
    return " ".join(part for part in (first, last) if part)


# --- Single values ------------------------------------------------------------------------------


def phone_digits(phone: str) -> str:
    """The digits of a phone number; lookups compare only these."""
    return "".join(ch for ch in phone if ch.isdigit() and ch.isascii())


#: Fields whose text keeps its line breaks (the rest are one line).
_MULTILINE_FIELDS = frozenset({"snapshot"})


def equivalent(field: str, first: str, second: str) -> bool:
    """Whether two texts of a contact's ``field`` say the same to the API: emails without regard to case (lookups
    ignore it), phones by their digits (lookups compare only those), a value as the number it is ("5000" and
    "5000.0"), anything else with its white space collapsed."""
    if field in _MULTILINE_FIELDS:  # its lines are the rep's: only the ends are white space to ignore
        return first.strip() == second.strip()
    a, b = " ".join(first.split()), " ".join(second.split())
    if a == b:
        return True
    if field == "email":
        return a.casefold() == b.casefold()
    if field == "phone":
        (number_a, extension_a), (number_b, extension_b) = split_extension(a), split_extension(b)
        return bool(phone_digits(number_a)) and (phone_digits(number_a), extension_a) == (
            phone_digits(number_b),
            extension_b,
        )
    if field == "value":
        from decimal import Decimal, InvalidOperation

        try:
            return Decimal(a) == Decimal(b)
        except (InvalidOperation, ValueError):
            return False
    return False


# How an extension is written after a phone number, by people and by phonenumbers: "ext. 123", "x123", "#123",
# ";ext=123"; the letters only as a word of their own ("box 12" has none). No blanks before the mark: the number
# is stripped anyway, and a leading \s* made a search through a long run of blanks take quadratic time (a
# phone of 32,000 spaces froze the window for 22 s when the Call button read it).
_EXTENSION = re.compile(r"(?:;\s*ext=|(?<![a-z])(?:ext\.?|extension|x)|#)\s*(\d+)\s*$", re.IGNORECASE)


def split_extension(text: str) -> tuple[str, str]:
    """``(number, extension)``: "+16502530000 ext. 123" gives ``("+16502530000", "123")``."""
    match = _EXTENSION.search(text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), match.group(1)


def check_length(field: str, value: str) -> None:
    """The field's length limit, and that the text can be stored at all (see :func:`check_text`)."""
    check_text(field, value)
    limit = MAX_LENGTH.get(field)
    if limit is not None and len(value) > limit:
        raise invalid(field, f"at most {limit} characters (got {len(value)})")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(field: str, value: str) -> None:
    """Refuse a lone UTF-16 surrogate (left by a broken copy and paste): it has no UTF-8 form, so it can be
    neither sent as JSON nor stored."""
    if _LONE_SURROGATE.search(value):
        raise invalid(field, "it holds a character that is not valid text (a broken copy and paste?)")


def validate_email(value: str, field: str = "email") -> str:
    """Return the trimmed address, or raise :class:`ContractError` if it is not a valid email address."""
    value = value.strip()
    check_length(field, value)
    from email_validator import EmailNotValidError
    from email_validator import validate_email as _validate

    try:
        # Syntax only, as the contract asks: a quoted local part ("john doe"@example.com) is valid syntax.
        _validate(value, check_deliverability=False, allow_quoted_local=True)
    except EmailNotValidError as exc:
        raise invalid(field, f"not a valid email address ({exc})") from None
    return value


def validate_phone(value: str, field: str = "phone") -> str:
    value = value.strip()
    check_length(field, value)
    if not phone_digits(value):
        raise invalid(field, "a phone number needs at least one digit")
    return value


_BIRTHDAY_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # ASCII: \d takes any script's digits


def validate_birthday(value: str, field: str = "birthday") -> str:
    value = value.strip()
    if not _BIRTHDAY_RE.match(value):
        raise invalid(field, "use the format YYYY-MM-DD")
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{value} is not a real date") from None
    return value


# Files of a zone database that load as zones but name none: the machine's own setting (which would mean the
# server's zone to the server and the rep's to the app), the POSIX default rules, tzdata's placeholder for "not
# set", and the "posix/" and "right/" copies of every zone (the latter counting leap seconds, 27 s off).
_NOT_ZONES = frozenset({"localtime", "posixrules", "factory"})


def is_time_zone(name: str) -> bool:
    if not name or name != name.strip() or len(name) > MAX_LENGTH["timeZone"]:
        return False
    if name.casefold() in _NOT_ZONES or name.casefold().startswith(("posix/", "right/")):
        return False
    import zoneinfo  # ~5 ms of the app's cold start if imported with this module; only a time zone needs it

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError, UnicodeError):
        return False
    return True


@functools.cache
def available_time_zones() -> list[str]:
    """Every IANA zone name, sorted. Slow the first time (it scans tzdata), so it is only called lazily."""
    import zoneinfo

    return sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC")


def canonical_time_zone(name: str) -> str | None:
    """The zone ``name`` names in any case, spelled as tzdata spells it ("europe/paris": "Europe/Paris"), or None.

    Zone files are found case-sensitively on Linux and case-insensitively on Windows and macOS, so a zone typed in
    another case is refused on one and stored as typed on the other; the app writes tzdata's spelling instead.
    """
    return _zones_by_folded_name().get(name.strip().casefold())


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in available_time_zones()}


def validate_time_zone(value: str, field: str = "timeZone") -> str:
    value = value.strip()
    if not is_time_zone(value):
        raise invalid(field, f"{value!r} is not an IANA time zone such as America/Sao_Paulo")
    return value


def validate_uid(value: str, field: str = "uid") -> str:
    value = value.strip()
    if not UID_RE.match(value):
        raise invalid(field, "a uid is 8 characters from A-Z and 0-9")
    return value


def validate_tag(value: Any, field: str = "tagName") -> str:
    if not isinstance(value, str):
        raise invalid(field, "a tag name must be a string")
    value = value.strip()
    if not value:
        raise missing(field, "a tag name cannot be empty")
    check_text(field, value)
    # The limit is the tag name's, also when the tag arrives in a create or update's ``tags`` array.
    limit = MAX_LENGTH["tagName"]
    if len(value) > limit:
        raise invalid(field, f"a tag name has at most {limit} characters (got {len(value)})")
    return value


def validate_note(value: Any, field: str = "note") -> str:
    if not isinstance(value, str):
        raise invalid(field, "a note must be a string")
    value = value.strip()
    if not value:
        raise missing(field, "a note cannot be empty")
    check_length(field, value)
    return value


_VALIDATORS = {
    "email": validate_email,
    "ownerEmail": validate_email,
    "phone": validate_phone,
    "birthday": validate_birthday,
    "timeZone": validate_time_zone,
}


def validate_field(field: str, value: str) -> str:
    """Validate and normalise one non-empty string field (trimmed)."""
    validator = _VALIDATORS.get(field)
    if validator is not None:
        return validator(value, field)
    value = value.strip()
    check_length(field, value)
    return value


# --- Whole requests -----------------------------------------------------------------------------

Mode = Literal["create", "update"]


@dataclass(frozen=True, slots=True)
class ContactInput:
    """A validated create or update request.

    ``fields`` holds the string fields to write: on update a value of ``""`` means "clear it".
    ``tags`` are the tags to add (trimmed, de-duplicated case-insensitively, in order).
    """

    fields: dict[str, str]
    tags: tuple[str, ...] = ()
    note: str | None = None
    uid: str | None = None


@dataclass(frozen=True, slots=True)
class JsonNumber:
    """A number in a request body, kept as written: ``value`` accepts a JSON number and stores "its string",
    which is its literal (``1.10``, ``1E5``, ``-0``), not what a float makes of it ("1.1", "100000.0", "0", and
    "inf" for ``1e400``). A JSON decoder gives these with ``parse_int=JsonNumber, parse_float=JsonNumber``."""

    text: str


def _as_text(field: str, value: Any) -> str:
    if field == "value" and isinstance(value, JsonNumber):
        return value.text
    if field == "value" and isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    return value


def validate_tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        raise invalid("tags", "must be an array of tag names")
    if not isinstance(value, list | tuple):
        raise invalid("tags", "must be an array of tag names")
    if len(value) > MAX_TAGS_PER_REQUEST:
        raise invalid("tags", f"at most {MAX_TAGS_PER_REQUEST} tags in one request (got {len(value)})")
    seen: dict[str, str] = {}
    for item in value:
        tag = validate_tag(item, "tags")
        seen.setdefault(tag.casefold(), tag)
    return tuple(seen.values())


def validate_contact_input(body: Mapping[str, Any], mode: Mode) -> ContactInput:
    """Validate a create or update body the way the contract reads it.

    Unknown keys are ignored. On create, ``null`` means absent; on update ``""`` and ``null`` clear a
    field. This checks the shape of each value; whether a name and an email or phone remain after an
    update can only be judged against the stored contact, see :func:`check_identity`.
    """
    allowed = CREATE_FIELDS if mode == "create" else UPDATE_FIELDS
    uid: str | None = None
    if mode == "update":
        raw_uid = body.get("uid")
        if raw_uid is None or raw_uid == "":
            raise missing("uid", "the uid of the contact to update is required")
        if not isinstance(raw_uid, str):
            raise invalid("uid", "must be a string")
        uid = raw_uid.strip()

    fields: dict[str, str] = {}
    for field in allowed:
        if field in ("uid", "name", "note", "tags") or field not in body:
            continue
        raw = body[field]
        if raw is None:
            if mode == "update":
                fields[field] = ""
            continue
        text = _as_text(field, raw).strip()
        if text == "":
            if mode == "update":
                fields[field] = ""
            continue
        fields[field] = validate_field(field, text)

    raw_name = body.get("name")
    if raw_name is not None:
        if not isinstance(raw_name, str):
            raise invalid("name", "must be a string")
        if raw_name.strip():
            check_text("name", raw_name)
            first, last = split_name(raw_name)
            # An explicit firstName or lastName wins over the split of name.
            if not _is_filled(body.get("firstName")):
                fields["firstName"] = first
            if not _is_filled(body.get("lastName")):
                fields["lastName"] = last
            check_length("firstName", fields["firstName"])
            check_length("lastName", fields["lastName"])

    note: str | None = None
    if mode == "create" and body.get("note") is not None:
        raw_note = body["note"]
        if not isinstance(raw_note, str):
            raise invalid("note", "must be a string")
        if raw_note.strip():
            note = validate_note(raw_note)

    tags = validate_tags(body.get("tags"))

    if mode == "create":
        check_identity(fields)
    return ContactInput(fields=fields, tags=tags, note=note, uid=uid)


def _is_filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_identity(fields: Mapping[str, Any]) -> None:
    """A contact needs a name and at least one of email and phone."""
    if not (fields.get("firstName") or fields.get("lastName")):
        raise missing("name", "provide name, firstName or lastName")
    if not (fields.get("email") or fields.get("phone")):
        raise missing("email", "provide an email or a phone")


def validate_identifier(params: Mapping[str, Any]) -> tuple[str, str]:
    """Pick the identifier of a request: uid wins, then email, then phone. Returns ``(kind, value)``."""
    for kind in IDENTIFIER_FIELDS:
        raw = params.get(kind)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise invalid(kind, "must be a string")
        value = raw.strip()
        if value:
            check_length(kind, value)  # a longer value can match no stored contact (and may not fit in a URL)
            if kind == "phone" and not phone_digits(value):
                raise invalid("phone", "a phone number needs at least one digit")
            return kind, value
    raise missing("uid", "provide uid, email or phone")


# --- Notes --------------------------------------------------------------------------------------

# Seconds after the minutes are read and dropped: the contract writes none, a vendor might.
_NOTE_HEAD = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2})(?::\d{2})?(?: (.*))?$", re.DOTALL)
_ENTRY_SEPARATOR: Final = "\n\n"


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """One entry of a contact's note history. ``timestamp`` is naive, in the account's time zone.

    Only text that precedes the first timestamped line of a history (which the contract never
    produces, but a vendor might) has no timestamp.
    """

    timestamp: datetime | None
    text: str

    def render(self) -> str:
        if self.timestamp is None:
            return self.text
        stamp = self.timestamp
        # Spelt out because strftime's %Y does not pad years before 1000 on glibc, and the parser needs four digits.
        head = f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d} {stamp.hour:02d}:{stamp.minute:02d}"
        return f"{head} {self.text}" if self.text else head


def _parse_head(line: str) -> tuple[datetime, str] | None:
    match = _NOTE_HEAD.match(line)
    if not match:
        return None
    head = match.group(1)
    from datetime import datetime

    try:
        # Built from the matched digits rather than strptime, which costs more than the rest of a
        # contact's parsing together; the regex has already fixed every digit's position.
        stamp = datetime(int(head[0:4]), int(head[5:7]), int(head[8:10]), int(head[11:13]), int(head[14:16]))
    except ValueError:
        return None
    return stamp, match.group(2) or ""


def parse_notes(raw: str | None) -> list[NoteEntry]:
    """Parse a notes string, oldest first, as the contract lays it out.

    A new entry begins only where a line starting with a timestamp is at the very start or follows a
    blank line; any other line (blank ones included) belongs to the entry before it.
    """
    if not raw:
        return []
    raw = raw.replace("\r\n", "\n")  # a vendor on Windows line ends would otherwise run every entry together
    entries: list[NoteEntry] = []
    stamp: datetime | None = None
    lines: list[str] = []
    started = False
    previous_blank = True
    for line in raw.split("\n"):
        head = _parse_head(line) if previous_blank else None
        if head is not None:
            text = "\n".join(lines[:-1])  # the blank line before this head separates entries
            # Blank lines before the first stamp are no entry of their own.
            if started and (stamp is not None or text.strip()):
                entries.append(NoteEntry(stamp, text))
            stamp, first = head
            lines = [first]
        else:
            lines.append(line)
        started = True
        previous_blank = line == ""
    if started:
        entries.append(NoteEntry(stamp, "\n".join(lines)))
    return entries


def check_note_reads_back(text: str, field: str = "note") -> str:
    """``text`` if a contact's notes, read back, show it as the one note it is; else raise :class:`ContractError`.

    The server stores any note, but the notes come back as one string in which a line starting with a
    timestamp after a blank line begins a new entry: such a line inside a note would split it in two.
    """
    from datetime import datetime

    if len(parse_notes(NoteEntry(datetime(2000, 1, 1), text).render())) > 1:
        raise invalid(
            field,
            "a line starting with a date and time after a blank line would read back as a separate note; "
            "remove the blank line before it",
        )
    return text


def render_notes(entries: Iterable[NoteEntry]) -> str:
    """The inverse of :func:`parse_notes`: entries joined by a blank line."""
    return _ENTRY_SEPARATOR.join(entry.render() for entry in entries)


def format_timestamp(moment: datetime) -> str:
    """``created`` / ``lastUpdate`` form: ISO 8601 in UTC with a ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp as the API sends it; ``None`` when empty or unparseable."""
    if not text:
        return None
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
