"""What a profile keeps for the server it signs in to, set aside while it uses another.

A profile's Recent list and unsaved work name contacts of one server's account: uids no other server knows,
and customers whoever signs in elsewhere must not be shown. The account's time zone (in which it stamps notes)
is that account's too. When a profile signs in to another server (a self-hosted one, say, or back to the
vendor's), they go to a folder of their own under ``servers/`` and come back when the profile signs in to that
server again; nothing is dropped. ``server.json`` in the profile's folder says which server the files beside it
are for (a profile without it, kept by an older CRMDesk, holds those of the server its settings name); in a
folder set aside, it also keeps that account's time zone.

The rest of the registry (known stages, qualities, members and tags) stays with the profile: a hint the rep
can edit in Settings, not a record of one account.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

from crmdesk.api.address import normalised_base_url, same_server
from crmdesk.paths import make_private_dir, os_error_text, profile_dir, write_atomically

log = logging.getLogger("crmdesk.services.server_files")

MARKER = "server.json"
ASIDE = "servers"
RECENT = "recent.json"  # crmdesk/services/recent.py
UNSAVED = "unsaved.json"  # crmdesk/services/recovery.py
FILES = (RECENT, UNSAVED)


def use_server(profile: str, base_url: str, *, settings_server: str, account_time_zone: str) -> str | None:
    """Make the profile's folder hold ``base_url``'s files, setting aside those of the server it held before.

    ``settings_server`` is the server the profile's settings named before this sign-in: whose the files are when
    the folder does not say. ``account_time_zone`` is the registry's now, set aside with them. Returns None when
    the profile stays on its server; otherwise the time zone kept for ``base_url`` when the profile left it (""
    if none), for the registry. Call it before anything reads the files (a window's Recent list, its unsaved
    work), and after whatever wrote them last has written what it holds.
    """
    try:
        folder = profile_dir(profile)
    except OSError:
        return None  # the window says the profile's folder cannot be used; nothing is kept there
    held = _marked_server(folder) or settings_server
    if same_server(held, base_url):
        if not (folder / MARKER).exists():
            _mark(folder, base_url)
        _bring_back(folder, base_url)  # what a move cut short left aside (none, as a rule)
        return None
    leaving = [name for name in FILES if (folder / name).exists()]
    # Not at INFO: it would be the start's first record, and opening the log file costs the first paint ~5 ms.
    log.debug("Profile %s signs in to another server: what it kept for the last one is set aside", profile)
    try:
        if leaving or account_time_zone:
            away = folder / ASIDE / _folder_name(held)
            make_private_dir(away)
            _write(away / MARKER, {"baseUrl": held, "accountTimeZone": account_time_zone})
            for name in leaving:
                if (away / name).exists():  # cannot be, short of a hand-made copy: kept, never overwritten
                    os.replace(away / name, _free_name(away / name))
                os.replace(folder / name, away / name)
    except OSError as exc:
        # What could not be moved stays, and the folder still says whose it is: the next sign-in moves it. A
        # window meanwhile shows the other server's Recent list rather than losing it.
        log.warning("Could not set aside profile %s's files for its last server: %s", profile, os_error_text(exc))
        if not (folder / MARKER).exists():
            _mark(folder, held)
        return None
    # The folder holds nothing of the last server's now: from here it is base_url's, whatever happens next. Unless
    # that cannot be noted: then what is kept for base_url waits aside, rather than be taken for the last one's.
    if not _mark(folder, base_url):
        return ""
    return _bring_back(folder, base_url)


def forget_other_servers_recent(profile: str) -> None:
    """Remove the Recent lists set aside for other servers (signing out: they name customers). Unsaved work set
    aside stays, to be offered when the profile signs in there again: nobody was asked about it."""
    try:
        aside = profile_dir(profile) / ASIDE
    except OSError:
        return
    if not aside.is_dir():
        return
    for recent in aside.glob(f"*/{RECENT}"):
        try:
            recent.unlink()
        except OSError as exc:
            log.warning("Could not remove a Recent list set aside for another server: %s", os_error_text(exc))


def _bring_back(folder: Path, base_url: str) -> str:
    """Move what was set aside for ``base_url`` back into the profile's folder; the time zone kept with it."""
    if not (folder / ASIDE).is_dir():
        return ""
    back = folder / ASIDE / _folder_name(base_url)
    if not back.is_dir():
        return ""
    kept = _read(back / MARKER)
    zone = kept.get("accountTimeZone") if isinstance(kept.get("accountTimeZone"), str) else ""
    try:
        for name in FILES:
            if (back / name).exists() and not (folder / name).exists():
                os.replace(back / name, folder / name)
        if not any((back / name).exists() for name in FILES):
            (back / MARKER).unlink(missing_ok=True)
            if not any(back.iterdir()):
                back.rmdir()
    except OSError as exc:
        # Left where it is: the next sign-in to this server brings it back.
        log.warning("Could not bring back the files a profile kept for %s: %s", base_url, os_error_text(exc))
    return str(zone)


#: The longest folder name made from an address itself: with the profile's folder before it and a file name after,
#: a path stays well inside Windows' 260 characters (and a name inside every file system's 255 bytes).
MAX_FOLDER_NAME = 96


def _folder_name(base_url: str) -> str:
    """The folder set aside for a server: its address in base32, which every file system can name, and which
    tells servers apart even where names ignore case; a digest of it for an address too long for that."""
    try:
        base_url = normalised_base_url(base_url)
    except ValueError:
        pass  # a settings value no longer accepted still names the folder its files went to
    address = base_url.rstrip("/").encode()
    name = base64.b32encode(address).decode("ascii").rstrip("=").lower()
    if len(name) <= MAX_FOLDER_NAME:
        return name
    import hashlib  # seldom: not on the way to every window

    return "sha256-" + hashlib.sha256(address).hexdigest()


def _free_name(path: Path) -> Path:
    for number in range(1, 1000):
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"no free name beside {path}")


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _marked_server(folder: Path) -> str | None:
    server = _read(folder / MARKER).get("baseUrl")
    return server if isinstance(server, str) and server else None


def _write(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(data))


def _mark(folder: Path, base_url: str) -> bool:
    try:
        _write(folder / MARKER, {"baseUrl": base_url})
    except OSError as exc:
        log.warning("Could not note which server profile files are for: %s", os_error_text(exc))
        return False
    return True
