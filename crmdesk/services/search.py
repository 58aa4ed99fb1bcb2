"""Looking contacts up by UID, email or phone, with one search in flight at a time."""

from __future__ import annotations

import logging
import re
import unicodedata
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from crmdesk.api.errors import NotFoundError
from crmdesk.contract import split_extension
from crmdesk.services.pasted import ascii_digits, email_in, without_marks
from crmdesk.services.tasks import TaskSlots

if TYPE_CHECKING:
    from crmdesk.api.models import Contact, ContactSummary
    from crmdesk.services.session import Session

log = logging.getLogger("crmdesk.services.search")

_UID = re.compile(r"^[A-Za-z0-9]{8}$")
_PHONE = re.compile(r"^[0-9+()\-./\s]+$")
# Dashes that pasted numbers carry (hyphen, non-breaking hyphen, figure dash, en and em dash, minus sign).
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212]")
_KEY = "search"
# Country and area codes pasted from cells or lines of their own ("+55", "11" and "98765-4321", which the search
# box parts with commas): one number. A cell before the number holds one code ("+55", "11", "(11)") or a country
# and an area code ("+55 11", "55 11"); "555 0100, 555 0101" is two whole numbers, and no phone.
_CELL_BREAK = re.compile(r"\s*,\s+(?=[(\d])")
_CODE_CELL = re.compile(r"\+?\(?\d{1,4}\)?|\+\d{1,3}\s\(?\d{1,4}\)?")
_CODES_CELL = re.compile(r"\(?(\d{1,3})\)?\s\(?(\d{1,4})\)?")
#: The most digits a country and an area code written without "+" hold together ("55 11", "49 3320"); a local
#: number's two groups ("555 0100") hold more.
_CODES_DIGITS = 6


def _is_code_cell(cell: str) -> bool:
    if _CODE_CELL.fullmatch(cell):
        return True
    codes = _CODES_CELL.fullmatch(cell)
    return codes is not None and len(codes[1]) + len(codes[2]) <= _CODES_DIGITS


class SearchKind(StrEnum):
    UID = "uid"
    EMAIL = "email"
    PHONE = "phone"


def detect_kind(query: str) -> SearchKind | None:
    """What the user typed: '@' means email; 8 letters/digits with a letter among them mean a uid; digits and
    ``+()-`` mean a phone. Eight digits alone read as a (short) phone number: a uid of only digits is rare,
    and the kind menu can force "UID" for it. ``None`` when it is none of these.
    """
    text = without_marks(query).strip()
    if not text:
        return None
    if "@" in text:
        return SearchKind.EMAIL
    if _UID.match(text) and not text.isdigit():
        return SearchKind.UID
    if _reads_as_phone(text):
        return SearchKind.PHONE
    return None


def several(query: str) -> bool:
    """Whether ``query`` is more than one thing to look up, parted by commas or semicolons ("555 0100, 555 0101",
    two lines pasted): the search field takes one at a time."""
    parts = [part for part in re.split(r"[,;]", query) if part.strip()]
    return len(parts) > 1 and all(detect_kind(part) is not None for part in parts)


def effective_kind(query: str, forced: SearchKind | None) -> SearchKind | None:
    """The kind to search ``query`` by: ``forced`` (the kind menu's choice) when the text can be of that kind, else
    what the text reads as. The menu is there for the ambiguous case, eight digits that are a UID; a choice left
    on from then must not turn the next email into a UID that cannot exist."""
    if forced is not None and detect_kind(query) is not None and _fits(without_marks(query).strip(), forced):
        return forced
    return detect_kind(query)


def _fits(text: str, kind: SearchKind) -> bool:
    if kind is SearchKind.UID:
        return bool(_UID.match(text))
    if kind is SearchKind.EMAIL:
        return "@" in text
    return _reads_as_phone(text)


def _reads_as_phone(text: str) -> bool:
    """Digits and ``+()-.`` with a digit among them, and perhaps an extension ("x123", "ext. 123"), which the
    form keeps with a number: the API compares all the digits, so a search for that contact needs it too."""
    number, _extension = split_extension(_plain_phone(text))
    return bool(_PHONE.match(number)) and any(ch.isdigit() for ch in number)


def _plain_email(text: str) -> str:
    """A pasted address as typed ones are written: the one address in 'Ana Lima <ana@example.com>', a mailto:
    link, a quotation or a signature block (:func:`crmdesk.services.pasted.email_in`); text with several is
    searched as it is."""
    return email_in(text) or text.strip()


def _plain_phone(text: str) -> str:
    """A pasted number as typed ones are written: a ``tel:`` link's number, any kind of dash a hyphen, and the
    digits of any script (full-width ones from a Japanese input method, Arabic-Indic ones) as ASCII digits, as
    the phone field reads them. The invisible marks a chat app or a web page wraps a number in are dropped."""
    text = without_marks(text).strip()
    *codes, number = _CELL_BREAK.split(text)
    if codes and all(_is_code_cell(cell) for cell in codes):
        text = " ".join((*codes, number))
    if text[:4].lower() == "tel:":
        text = _tel_number(text[4:])
    text = ascii_digits(unicodedata.normalize("NFKC", text))  # NFKC: full-width digits, brackets and hyphens
    return _DASHES.sub("-", text).strip()


def _tel_number(link: str) -> str:
    """The number of a ``tel:`` link (RFC 3966) as the phone field writes one: browsers and desktops hand the
    link over percent-encoded (``tel:%2B55...``), some with ``//``; an ``;ext=`` parameter is kept as the
    field keeps extensions, and other parameters are dropped."""
    from urllib.parse import unquote

    number, *parameters = unquote(link).lstrip("/").split(";")
    extension = next((p.split("=", 1)[1] for p in parameters if p.strip().lower().startswith("ext=")), "").strip()
    return f"{number.strip()} ext. {extension}" if extension else number


def normalise(query: str, kind: SearchKind) -> str:
    text = without_marks(query).strip()
    if kind is SearchKind.PHONE:
        return _plain_phone(text)
    if kind is SearchKind.EMAIL:
        return _plain_email(text)
    return text.upper() if kind is SearchKind.UID else text  # uids are upper-case; users type them any way


class SearchService(QObject):
    """Runs lookups through the session's ContactApi. A new search cancels the one in flight, silently.

    Signals:
        found(object): exactly one Contact matched; it is the argument.
        several_found(list): several matched; a list of ContactSummary.
        not_found(str): nothing matched the query (the text as the user typed it).
        failed(object): the lookup failed with this exception (never a cancellation).
        unrecognised(str): the text is not a UID, email or phone, so nothing was sent.
        busy_changed(bool): a lookup started (True) or ended (False).
    """

    found = Signal(object)
    several_found = Signal(list)
    not_found = Signal(str)
    failed = Signal(object)
    unrecognised = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._slots = TaskSlots(self.failed.emit)
        self._busy = False
        self._shut_down = False

    def is_busy(self) -> bool:
        return self._busy

    def search(self, query: str, kind: SearchKind | None = None, *, phone_region: str = "") -> bool:
        """Start looking ``query`` up; returns False (and emits ``unrecognised``) when its kind is unknown.

        A phone is looked up as the international number it reads as in ``phone_region`` (the one the form
        writes numbers in), then as typed if that finds nothing: the API compares all the digits, so "(512)
        555-0142" finds only a number stored with the same digits, and the app stores "+15125550142".
        """
        kind = effective_kind(query, kind)
        if kind is None:
            self.unrecognised.emit(query)
            return False
        value = normalise(query, kind)
        if kind is SearchKind.PHONE and phone_region:
            from crmdesk.contract import phone_digits
            from crmdesk.services import phone as phone_numbers

            international = phone_numbers.normalise(value, phone_region).e164
            if international is not None and phone_digits(international) != phone_digits(value):
                self._run(self._phone_lookup(international, value), query)
                return True
        self._run(self._session.api.get_contact(**{kind.value: value}), query)
        return True

    async def _phone_lookup(self, international: str, typed: str) -> Contact | list[ContactSummary]:
        api = self._session.api
        try:
            return await api.get_contact(phone=international)
        except NotFoundError:
            return await api.get_contact(phone=typed)  # a number stored as typed elsewhere, without its country

    def open_uid(self, uid: str) -> None:
        """Open one contact by uid (a result row, a Recent entry), superseding any search in flight."""
        self._run(self._session.api.get_contact(uid=uid), uid)

    def cancel(self) -> None:
        self._slots.cancel(_KEY)
        self._set_busy(False)

    def shutdown(self) -> list[Any]:
        """Call off the lookup on its way, for good: its window is going, and says nothing more."""
        self._shut_down = True
        return self._slots.cancel_all()

    def _run(self, coro: Any, query: str) -> None:
        def succeeded(result: Contact | list[ContactSummary]) -> None:
            if isinstance(result, list):
                if len(result) == 1:  # tolerate a vendor that lists a single match
                    self.open_uid(result[0].uid)
                    return
                self.several_found.emit(result)
            else:
                self.found.emit(result)

        def errored(error: BaseException) -> None:
            if isinstance(error, NotFoundError):
                self.not_found.emit(query)
            else:
                log.info("Search failed: %r", error)
                self.failed.emit(error)

        def finished() -> None:
            # A superseded task finishes after its successor started; only the last one clears the flag.
            if not self._slots.running(_KEY):
                self._set_busy(False)

        self._slots.start(_KEY, coro, succeeded, errored, finished)
        self._set_busy(True)

    def _set_busy(self, busy: bool) -> None:
        if self._shut_down:
            return  # a cancelled lookup ends after its window was deleted
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
