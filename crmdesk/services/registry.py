"""The profile's registry of known stages, qualities, team members and tags, which feeds the dropdowns.

The Contact API cannot list an account's stages, qualities or members, so each profile remembers every
value it has seen (learned from contacts and owner answers), plus what the user typed in Settings or
imported from a teammate's JSON file. The registry is a hint for the UI, never the truth: the server
still decides whether a value exists in the account.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from crmdesk import paths

if TYPE_CHECKING:
    from datetime import datetime, timedelta, tzinfo

    from crmdesk.api.models import Contact
from crmdesk.contract import MAX_LENGTH, canonical_time_zone, is_time_zone

log = logging.getLogger("crmdesk.services.registry")

FORMAT_VERSION = 1
FILE_NAME = "registry.json"
#: While saving fails, how often an unchanged registry tries again (a change always tries at once).
SAVE_RETRY_S = 30.0
#: How far this computer's clock may be from the server's for a note's stamp still to tell the account's zone.
CLOCK_SKEW_MINUTES = 5


class RegistryFormatError(ValueError):
    """A registry file that is not the JSON this app writes; the message says what is wrong."""


def _unique(values: Iterable[str]) -> list[str]:
    # Names match case-insensitively on the server, so "hot lead" and "Hot Lead" are one entry here too.
    seen: dict[str, str] = {}
    for value in values:
        text = value.strip()
        if text:
            seen.setdefault(text.casefold(), text)
    return list(seen.values())


class Registry(QObject):
    """Known values of one profile, persisted as JSON.

    Signals:
        changed(): any list, the phone region or the account's time zone changed (after it was saved).
        save_failed(str): the file could not be written (why, for a person); the values apply until the app quits.
    """

    changed = Signal()
    save_failed = Signal(str)

    def __init__(self, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = path
        self._stages: list[str] = []
        self._qualities: list[str] = []
        self._members: dict[str, str] = {}
        self._tags: list[str] = []
        self._phone_region = ""
        self._account_time_zone = ""
        self._currency = ""
        #: Where the profile's file went when it could not be read (kept for the rep), or None.
        self.set_aside: Path | None = None
        #: Why the profile's folder could not be made (nothing is saved this session), or None.
        self.unwritable: str | None = None
        self._failing: str | None = None  # why the last save failed, until one succeeds
        self._failed_at = 0.0

    @classmethod
    def load(cls, profile: str, parent: QObject | None = None) -> Registry:
        """The registry of ``profile``; an unreadable file is logged and replaced by an empty registry."""
        try:
            path = paths.profile_dir(profile) / FILE_NAME
        except OSError as exc:
            # A read-only or full disk, or a path too long: the app still starts, and says nothing will be kept.
            log.warning("Cannot use the folder of profile %s: %s", profile, exc)
            registry = cls(None, parent)
            registry.unwritable = paths.os_error_text(exc)
            return registry
        registry = cls(path, parent)
        if path.exists():
            try:
                # The profile's own file, read before the window shows: its zone was checked when it was written,
                # and checking it again would load the time-zone database on the way to the first paint.
                text = path.read_text(encoding="utf-8")
                # Read, not written back: what the file says is what it holds (rewriting it cost every start a
                # write before the window showed).
                registry._apply(_parse(text, str(path), own=True), replace=True, save=False)
            except (OSError, UnicodeDecodeError, RegistryFormatError) as exc:
                # Kept aside, not overwritten by the first value learned: it may hold a team's hand-made lists.
                aside = _free_name(path.with_name(f"{FILE_NAME}.unreadable"))
                try:
                    path.replace(aside)
                except OSError:
                    registry._path = None  # it could not be moved: this session learns without saving over it
                    aside = path
                registry.set_aside = aside
                log.warning("Ignoring the unreadable registry %s (kept as %s): %s", path, aside, exc)
        return registry

    # --- Reading ----------------------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        return self._path

    def unsaved_reason(self) -> str | None:
        """Why what this registry holds now will not be there at the next start, or None when it is saved."""
        if self._path is None:
            return self.unwritable or "its file could not be read, and is kept as it was"
        return self._failing

    def stages(self) -> list[str]:
        return list(self._stages)

    def qualities(self) -> list[str]:
        return list(self._qualities)

    def members(self) -> dict[str, str]:
        """Team members as email → name (the name may be empty when only the email is known)."""
        return dict(self._members)

    def member_name(self, email: str) -> str:
        for known, name in self._members.items():
            if known.casefold() == email.casefold():
                return name
        return ""

    def tags(self) -> list[str]:
        return list(self._tags)

    def phone_region(self) -> str:
        """The default phone region chosen in Settings (ISO 3166 code), or ``""`` for "from the locale"."""
        return self._phone_region

    def currency(self) -> str:
        """The ISO 4217 code of the currency the team's deal values are in, or ``""`` when not chosen.

        The Contact API keeps a value as a bare number: the currency is the team's to say, in Settings, and is
        shared in registry files like the lists. Unknown, a value is shown as a number.
        """
        return self._currency

    def account_time_zone(self) -> str:
        """The IANA zone the account writes its note timestamps in, or ``""`` when unknown (this computer's zone).

        The Contact API stamps notes in the account's zone without saying which; it is set in Settings, shared in
        registry files like the lists, and known for the demo account.
        """
        return self._account_time_zone

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "stages": self.stages(),
            "qualities": self.qualities(),
            "members": [{"email": email, "name": name} for email, name in self._members.items()],
            "tags": self.tags(),
            "phoneRegion": self._phone_region,
            "accountTimeZone": self._account_time_zone,
            "currency": self._currency,
        }

    # --- Learning and editing ---------------------------------------------------------------------

    def learn_contact(self, contact: Contact) -> None:
        """Remember the stage, quality, owner and tags a contact shows."""
        self.merge(
            stages=[contact.stageName],
            qualities=[contact.qualityName],
            members={contact.ownerEmail: ""} if contact.ownerEmail else None,
            tags=contact.tags,
        )

    def learn_owner(self, email: str, name: str) -> None:
        self.merge(members={email: name})

    def merge(
        self,
        *,
        stages: Iterable[str] | None = None,
        qualities: Iterable[str] | None = None,
        members: Mapping[str, str] | None = None,
        tags: Iterable[str] | None = None,
        account_time_zone: str | None = None,
        currency: str | None = None,
    ) -> None:
        """Add values; an existing member's name is only replaced by a non-empty one.

        ``account_time_zone`` is a zone known to exist (the demo account's): it is not looked up in the time-zone
        database, which would load it before the window shows.
        """
        data: dict[str, Any] = {
            "stages": list(stages or ()),
            "qualities": list(qualities or ()),
            "members": dict(members or {}),
            "tags": list(tags or ()),
        }
        if account_time_zone is not None:
            data["accountTimeZone"] = account_time_zone
        if currency is not None:
            data["currency"] = _checked_currency(currency)
        self._apply(data, replace=False)

    def replace(
        self,
        *,
        stages: Iterable[str],
        qualities: Iterable[str],
        members: Mapping[str, str],
        tags: Iterable[str],
        phone_region: str,
        account_time_zone: str,
        currency: str = "",
    ) -> None:
        """Set every list at once, as the Settings dialog does. Raises ValueError for a zone or a currency code
        that is none."""
        self._apply(
            {
                "stages": list(stages),
                "qualities": list(qualities),
                "members": dict(members),
                "tags": list(tags),
                "phoneRegion": phone_region,
                "accountTimeZone": _checked_zone(account_time_zone, "the account's time zone"),
                "currency": _checked_currency(currency),
            },
            replace=True,
        )

    def set_phone_region(self, region: str) -> None:
        self._apply({"phoneRegion": region}, replace=False)

    def set_currency(self, code: str) -> None:
        """Raises ValueError for anything but ``""`` or three letters (an ISO 4217 code such as BRL)."""
        self._apply({"currency": _checked_currency(code)}, replace=False)

    def learn_note_stamp(self, stamp: datetime, sent: datetime, stored: datetime) -> None:
        """Learn the account's zone from a note this app just added, unless a named zone was chosen for it.

        The server stamped it (the account's local time, to the minute) between ``sent`` and ``stored`` (aware
        datetimes), which gives the zone's offset from UTC. An offset is not a zone with its summer time, so what
        is learned is the fixed offset (``Etc/GMT+3`` is UTC−3, as IANA names them), and learned again when a
        later note disagrees (summer time began or ended); a named zone chosen in Settings is never replaced.
        Nothing is set while the zone is unknown and this computer's zone has that offset.
        """
        current = self._account_time_zone
        if current and not is_fixed_offset_zone(current):
            return
        offset = note_offset(stamp, sent, stored)
        if offset is None:
            return
        if not current and sent.astimezone().utcoffset() == offset:
            return
        name = fixed_offset_zone(offset)
        if name is not None and name != current:
            log.info("The account stamps notes at %s (%s): note times follow it", fixed_offset_label(name), name)
            self._apply({"accountTimeZone": name}, replace=False)

    def set_account_time_zone(self, zone: str) -> None:
        """Raises ValueError for a name that is not an IANA time zone."""
        self._apply({"accountTimeZone": _checked_zone(zone, "the account's time zone")}, replace=False)

    # --- Files ------------------------------------------------------------------------------------

    def import_json(self, path: str | os.PathLike[str]) -> str:
        """Merge a registry file a teammate exported, but for a phone region in it (the rep's own stays). Raises
        :class:`RegistryFormatError` for a bad file.

        Returns the file's account time zone when it was left out (a learned offset does not replace a zone
        chosen here), else ``""``."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RegistryFormatError(f"Cannot read {os.fspath(path)}: {exc}") from exc
        data = _parse(text, os.fspath(path))
        theirs = data.get("accountTimeZone", "")
        if (
            self._account_time_zone
            and not is_fixed_offset_zone(self._account_time_zone)
            and is_fixed_offset_zone(theirs)
        ):
            del data["accountTimeZone"]  # a teammate's learned offset does not replace a zone chosen here
            self._apply(data, replace=False)
            return str(theirs)
        self._apply(data, replace=False)
        return ""

    def export_json(self, path: str | os.PathLike[str]) -> None:
        """Write the registry for teammates: everything but the phone region, which is each rep's own (a number
        typed without its country is read in it, and a teammate abroad would have theirs replaced)."""
        shared = self.to_dict()
        del shared["phoneRegion"]
        _write_atomically(Path(path), shared, private=False)

    # --- Internals --------------------------------------------------------------------------------

    def _apply(self, data: Mapping[str, Any], *, replace: bool, save: bool = True) -> None:
        before = self.to_dict()
        stages = data.get("stages", [])
        qualities = data.get("qualities", [])
        tags = data.get("tags", [])
        members: Mapping[str, str] = data.get("members", {})
        if replace:
            self._stages = _unique(stages)
            self._qualities = _unique(qualities)
            self._tags = _unique(tags)
            self._members = {}
        else:
            self._stages = _unique([*self._stages, *stages])
            self._qualities = _unique([*self._qualities, *qualities])
            self._tags = _unique([*self._tags, *tags])
        for email, name in members.items():
            email = email.strip()
            if not email:
                continue
            existing = next((known for known in self._members if known.casefold() == email.casefold()), None)
            if existing is None:
                self._members[email] = name.strip()
            elif name.strip():
                self._members[existing] = name.strip()
        if "phoneRegion" in data:
            self._phone_region = str(data["phoneRegion"]).strip().upper()
        if "accountTimeZone" in data:
            self._account_time_zone = str(data["accountTimeZone"]).strip()
        if "currency" in data:
            self._currency = str(data["currency"]).strip().upper()
        changed = self.to_dict() != before
        # While saving fails, a chance is taken now and then (what failed is saved once it can be), not at every
        # contact opened: a large registry, or a hung network folder, would cost the UI thread each time.
        retry = self._failing is not None and time.monotonic() - self._failed_at >= SAVE_RETRY_S
        if save and (changed or retry):
            self._save()
        if changed:
            self.changed.emit()

    def _save(self) -> None:
        if self._path is None:
            return
        try:
            _write_atomically(self._path, self.to_dict())
        except OSError as exc:
            # The values apply in this session; Settings typed by the rep would be gone at the next start, so the
            # window says so: once while saves keep failing the same way, again if they fail after one worked.
            reason = paths.os_error_text(exc)
            self._failed_at = time.monotonic()
            if reason != self._failing:
                log.warning("Could not save the registry %s: %s", self._path, exc)
                self._failing = reason
                self.save_failed.emit(reason)
        else:
            self._failing = None  # the whole registry is written each time: nothing unsaved is left


def _write_atomically(path: Path, data: Mapping[str, Any], *, private: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    paths.write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", private=private)


def _string_list(data: Mapping[str, Any], key: str, where: str, limit_field: str, *, own: bool) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RegistryFormatError(f"{where}: '{key}' must be a list of names.")
    limit = MAX_LENGTH[limit_field]
    too_long = [item for item in value if len(item.strip()) > limit]
    if too_long and own:
        # One bad entry in the profile's own file costs that entry, not everything the profile has learned.
        for item in too_long:
            log.warning("%s: skipping the %s %r…, longer than %d characters", where, key[:-1], item[:40], limit)
        return [item for item in value if len(item.strip()) <= limit]
    if too_long:
        raise RegistryFormatError(f"{where}: the {key[:-1]} {too_long[0][:40]!r}… is longer than {limit} characters.")
    return value


def _free_name(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``… whichever does not exist yet: no earlier file is replaced."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def _parse(text: str, where: str, *, own: bool = False) -> dict[str, Any]:
    """Read and check a registry file; every problem becomes one readable :class:`RegistryFormatError`.

    ``own=True`` is for the profile's own file, read before the window shows: it takes the account's time zone
    without asking the time-zone database whether it exists (an unknown one is shown as this computer's zone),
    and skips a name too long for the API rather than refusing the whole file.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryFormatError(f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}).") from exc
    except (ValueError, RecursionError) as exc:  # a number of over 4300 digits; nesting Python cannot follow
        raise RegistryFormatError(f"{where} is not a registry file CRMDesk can read ({exc}).") from exc
    if not isinstance(data, dict):
        raise RegistryFormatError(f"{where}: expected a JSON object with stages, qualities, members and tags.")
    # "version" alone says nothing: other programs' JSON files have one too (package.json's "1.2.3").
    known = {"stages", "qualities", "members", "tags", "phoneRegion", "accountTimeZone", "currency"}
    if not known.intersection(data):
        raise RegistryFormatError(f"{where} is not a CRMDesk registry: it has none of {', '.join(sorted(known))}.")
    version = data.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise RegistryFormatError(f"{where} is not a CRMDesk registry: its version is {version!r}, not a number.")
    if version > FORMAT_VERSION:
        raise RegistryFormatError(f"{where} was written by a newer CRMDesk (format {version!r}).")
    members_raw = data.get("members", [])
    members: dict[str, str] = {}
    if isinstance(members_raw, dict):
        members_raw = [{"email": email, "name": name} for email, name in members_raw.items()]
    if not isinstance(members_raw, list):
        raise RegistryFormatError(f"{where}: 'members' must be a list of {{email, name}} objects.")
    for item in members_raw:
        if not isinstance(item, dict) or not isinstance(item.get("email"), str):
            raise RegistryFormatError(f"{where}: every member needs an 'email' text.")
        name = item.get("name", "")
        if not isinstance(name, str):
            raise RegistryFormatError(f"{where}: the name of {item['email']} must be text.")
        if "@" not in item["email"]:
            raise RegistryFormatError(f"{where}: {item['email']!r} is not an email address.")
        if len(item["email"]) > MAX_LENGTH["ownerEmail"]:
            if own:
                continue  # skipped, as a name too long is: no owner can have it
            shown = item["email"][:40] + "…"
            raise RegistryFormatError(
                f"{where}: the member email {shown} is longer than {MAX_LENGTH['ownerEmail']} characters, "
                "the most the API takes."
            )
        members[item["email"]] = name
    # The phone region is the rep's own: a teammate's file (earlier releases exported it) leaves it as it is.
    region = data.get("phoneRegion", "") if own else ""
    if not isinstance(region, str) or len(region.strip()) not in (0, 2):
        raise RegistryFormatError(f"{where}: 'phoneRegion' must be a two-letter region code such as BR.")
    result: dict[str, Any] = {
        "stages": _string_list(data, "stages", where, "stageName", own=own),
        "qualities": _string_list(data, "qualities", where, "qualityName", own=own),
        "members": members,
        "tags": _string_list(data, "tags", where, "tagName", own=own),
    }
    if region.strip():
        result["phoneRegion"] = region
    currency = data.get("currency", "")
    try:
        if not isinstance(currency, str):
            raise ValueError
        if currency.strip():  # a teammate's file that says nothing about it leaves the one chosen here
            result["currency"] = _checked_currency(currency)
    except ValueError:
        if not own:
            raise RegistryFormatError(
                f"{where}: 'currency' must be a three-letter currency code such as BRL."
            ) from None
        log.warning("%s: ignoring the currency %r, which is no currency code", where, currency)  # that entry alone
    zone = data.get("accountTimeZone", "")
    if not isinstance(zone, str):
        raise RegistryFormatError(f"{where}: 'accountTimeZone' must be an IANA time zone such as America/Sao_Paulo.")
    if zone.strip() and own:
        result["accountTimeZone"] = zone.strip()
    elif zone.strip():
        try:
            result["accountTimeZone"] = _checked_zone(zone, f"{where}: 'accountTimeZone'")
        except ValueError as exc:
            raise RegistryFormatError(str(exc)) from exc
    return result


def note_offset(stamp: datetime, sent: datetime, stored: datetime) -> timedelta | None:
    """The account's UTC offset that stamped ``stamp`` (naive, to the minute) at a moment between ``sent`` and
    ``stored`` (aware), as a multiple of 15 minutes, or None when the times allow no single such offset."""
    from datetime import UTC, timedelta

    skew = timedelta(minutes=CLOCK_SKEW_MINUTES)
    start = sent.astimezone(UTC).replace(tzinfo=None) - skew
    end = stored.astimezone(UTC).replace(tzinfo=None) + skew
    # stamp <= moment + offset < stamp + 1 min, for a moment in [start, end]
    low = (stamp - end - timedelta(minutes=1)).total_seconds() / 60  # exclusive
    high = (stamp - start).total_seconds() / 60
    candidates = [m for m in range(math.floor(low / 15) * 15, math.floor(high / 15) * 15 + 1, 15) if low < m <= high]
    if len(candidates) != 1 or abs(candidates[0]) > 14 * 60:
        return None
    return timedelta(minutes=candidates[0])


#: A learned offset that is not whole hours, as this registry writes it ("UTC+05:30", "UTC-03:30"): IANA names
#: fixed offsets in whole hours only (Etc/GMT±N), and India, Iran, Afghanistan, Nepal, Myanmar, Newfoundland
#: and central Australia are not.
_PART_HOUR = re.compile(r"UTC([+-])(\d\d):(\d\d)")


def fixed_offset_zone(offset: timedelta) -> str | None:
    """The name of a fixed offset: "UTC", "Etc/GMT+3" for UTC−3 (IANA's whole-hour names), "UTC+05:30" for any
    other multiple of 15 minutes within ±14 h; None for anything else."""
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    if minutes % 15 or not -12 * 60 <= minutes <= 14 * 60:
        return None
    if minutes % 60:
        return f"UTC{'+' if minutes > 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return f"Etc/GMT{-minutes // 60:+d}"


def zone_named(name: str) -> tzinfo | None:
    """The IANA zone ``name`` (or the fixed offset a learned "UTC+05:30" names), or None for ``""`` or a name this
    computer's time-zone data does not know."""
    if not name:
        return None
    offset = part_hour_offset(name)
    if offset is not None:
        from datetime import timezone

        return timezone(offset, name)
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def part_hour_offset(name: str) -> timedelta | None:
    """The offset a "UTC+05:30" name stands for, or None for any other name."""
    match = _PART_HOUR.fullmatch(name)
    if match is None:
        return None  # before datetime is imported: a start whose profile changed servers asks this of any zone
    from datetime import timedelta

    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    offset = offset if sign == "+" else -offset
    # What fixed_offset_zone can give: quarter hours, from UTC−12 to UTC+14 ("UTC+99:00" is a typo, not a zone).
    if int(minutes) % 15 or not timedelta(hours=-12) <= offset <= timedelta(hours=14):
        return None
    return offset


def is_fixed_offset_zone(name: str) -> bool:
    """Whether ``name`` is what :func:`fixed_offset_zone` gives (UTC, Etc/GMT±N or UTC±HH:MM), which learning may
    replace."""
    return name == "UTC" or name.startswith("Etc/GMT") or part_hour_offset(name) is not None


def fixed_offset_label(name: str) -> str | None:
    """ "UTC−03:00" for ``Etc/GMT+3`` (and "UTC" for UTC, "UTC+05:30" for itself), or None for a zone that is
    not a fixed offset."""
    if name in ("UTC", "Etc/GMT"):
        return "UTC"
    if part_hour_offset(name) is not None:
        return name.replace("-", "−")
    if not name.startswith("Etc/GMT"):
        return None
    try:
        hours = -int(name.removeprefix("Etc/GMT"))  # IANA's sign is reversed: Etc/GMT+3 is three hours behind
    except ValueError:
        return None
    return f"UTC{'+' if hours >= 0 else '−'}{abs(hours):02d}:00"


def _checked_currency(code: str) -> str:
    """``code`` stripped and upper-cased, ``""`` for none; ValueError unless it is three letters A to Z."""
    code = code.strip().upper()
    if code and not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise ValueError(f"{code!r} is not a three-letter currency code such as BRL.")
    return code


def _checked_zone(zone: str, what: str) -> str:
    """``zone`` stripped and spelled as tzdata spells it (a teammate's "europe/berlin", which macOS finds and Linux
    does not), ``""`` for unknown; ValueError naming ``what`` when it is not an IANA zone."""
    zone = zone.strip()
    zone = (canonical_time_zone(zone) if zone and part_hour_offset(zone) is None else None) or zone
    if zone and not is_time_zone(zone) and part_hour_offset(zone) is None:
        raise ValueError(f"{what} {zone!r} is not an IANA time zone such as America/Sao_Paulo.")
    return zone
