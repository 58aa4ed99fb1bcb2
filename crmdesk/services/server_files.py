"""What a profile keeps for the server it signs in to, set aside while it uses another.

A profile's Recent list and unsaved work name contacts of one server's account: uids no other server knows,
and customers whoever signs in elsewhere must not be shown. When a profile signs in to another server (a
self-hosted one, say, or back to the vendor's), they go to a folder of their own under ``servers/`` and come
back when the profile signs in to that server again; nothing is dropped. ``server.json`` in the profile's
folder says which server the files beside it are for. A profile without it (kept by an older CRMDesk) holds
the files of the server its settings name.

The registry of known stages, qualities, members and tags stays with the profile: it is a hint the rep can
edit in Settings, not a record of one account. Only the account's time zone learned from its note stamps goes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from crmdesk.api.address import normalised_base_url, same_server
from crmdesk.paths import make_private_dir, os_error_text, profile_dir, write_atomically

log = logging.getLogger("crmdesk.services.server_files")

MARKER = "server.json"
ASIDE = "servers"
#: The files that belong to one server (crmdesk/services/recent.py, crmdesk/services/recovery.py).
FILES = ("recent.json", "unsaved.json")


def use_server(profile: str, base_url: str, *, settings_server: str) -> bool:
    """Make the profile's folder hold ``base_url``'s files, setting aside those of the server it held before;
    True if that was another server.

    ``settings_server`` is the server the profile's settings named before this sign-in: whose the files are
    when the folder does not say. Call it before anything reads the files (a window's Recent list, its unsaved
    work), and after whatever wrote them last has written what it holds.
    """
    try:
        folder = profile_dir(profile)
    except OSError:
        return not same_server(settings_server, base_url)  # the window says the folder cannot be used
    held = _marked_server(folder) or settings_server
    if same_server(held, base_url):
        if not (folder / MARKER).exists():
            _mark(folder, base_url)
        return False
    leaving = [name for name in FILES if (folder / name).exists()]
    if not leaving and not (folder / ASIDE).is_dir():
        _mark(folder, base_url)  # nothing to move: a profile's first sign-in, or one right after a sign-out
        return True
    log.info("Profile %s now signs in to another server: what it kept for the last one is set aside", profile)
    try:
        away = folder / ASIDE / _key(held)
        for name in leaving:
            make_private_dir(away)
            os.replace(folder / name, away / name)
        back = folder / ASIDE / _key(base_url)
        for name in FILES:
            if (back / name).exists():
                os.replace(back / name, folder / name)
        if back.is_dir() and not any(back.iterdir()):
            back.rmdir()
    except OSError as exc:
        # What could not be moved stays where it is; a window then shows the other server's Recent list rather
        # than losing it. Said in the log, since nothing else is wrong with the sign-in.
        log.warning("Could not set aside profile %s's files for its other server: %s", profile, os_error_text(exc))
        if not (folder / MARKER).exists():
            _mark(folder, held)  # whose they still are, so that the next sign-in sets them aside
        return True
    _mark(folder, base_url)
    return True


def forget_other_servers(profile: str) -> None:
    """Remove what the profile set aside for other servers (signing out: it names customers too)."""
    try:
        aside = profile_dir(profile) / ASIDE
    except OSError:
        return
    if aside.exists():
        try:
            shutil.rmtree(aside)
        except OSError as exc:
            log.warning("Could not remove profile %s's files for other servers: %s", profile, os_error_text(exc))


def _key(base_url: str) -> str:
    """A folder name for a server: a digest, as an address holds characters no file name may."""
    import hashlib  # only when the server changes: not on the way to every window

    try:
        base_url = normalised_base_url(base_url)
    except ValueError:
        pass  # a settings value no longer accepted still names the folder its files went to
    return hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:16]


def _marked_server(folder: Path) -> str | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    server = data.get("baseUrl") if isinstance(data, dict) else None
    return server if isinstance(server, str) and server else None


def _mark(folder: Path, base_url: str) -> None:
    try:
        write_atomically(folder / MARKER, json.dumps({"baseUrl": base_url}))
    except OSError as exc:
        log.warning("Could not note which server profile files are for: %s", os_error_text(exc))
