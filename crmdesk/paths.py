"""Where CRMDesk keeps its files: per-user data, logs and per-profile state (never secrets)."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

#: Overrides the per-user data directory; tests point it at a temporary folder.
DATA_DIR_ENV = "CRMDESK_DATA_DIR"

_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def data_dir(*, create: bool = True) -> Path:
    """The per-user data directory (platformdirs), created on first use, readable by this user only.

    It holds the Recent lists (customers' names, emails and phones), the log and the demo's database; on a
    computer shared by several users none of it is theirs to read. A folder this app made gets mode 0700, and
    the default one is tightened if an earlier version made it readable by others. A folder named in
    ``CRMDESK_DATA_DIR`` that already exists is left as its owner set it. Without ``create``, a missing folder
    is not made (a server command that only reads names a database that must exist already).
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("crmdesk", appauthor=False))
    if create or path.is_dir():
        make_private_dir(path, tighten=not override)
    return path


def make_private_dir(path: Path, *, tighten: bool = False) -> None:
    """Create ``path`` (and missing parents) with the new folder readable by this user only; with ``tighten``, an
    existing folder that others can read or enter is made so too. Windows keeps each user's profile private
    already and ignores these modes."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if tighten and os.name == "posix":
        mode = path.stat().st_mode
        if mode & 0o077:
            path.chmod(mode & 0o700)


def log_dir() -> Path:
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


#: Names Windows keeps for devices, whatever follows a dot: a folder "con" or "nul.work" cannot be made there.
_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
)


def is_valid_profile_name(name: str) -> bool:
    """Letters, digits, ``.``, ``_`` and ``-``; on Windows, also a name it can use for a folder: not ending in a
    dot (Windows drops it, so "work." would be "work") and not a device name. Elsewhere such names work, and a
    profile made under one stays usable."""
    if _PROFILE_NAME.fullmatch(name) is None:
        return False
    return sys.platform != "win32" or (not name.endswith(".") and name.split(".", 1)[0].lower() not in _DEVICE_NAMES)


def profile_dir(profile: str) -> Path:
    """A profile's own folder: its recent list and registry of known values live here."""
    if not is_valid_profile_name(profile):
        raise ValueError(
            f"Invalid profile name {profile!r}: use letters, digits, '.', '_' or '-' (on Windows, not ending in '.' "
            "and not a device name such as CON or NUL)."
        )
    path = data_dir() / "profiles" / profile
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomically(path: Path, text: str, *, private: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, so that a crash never leaves half a
    file. On failure the temporary file goes and the OSError is raised.

    A ``private`` file (the default: what the app keeps holds customers' details) is readable by its owner only,
    even in a data folder others may enter, such as one named in ``CRMDESK_DATA_DIR``. Otherwise the file gets
    the usual modes, for a file the rep writes to hand on.

    Windows refuses to replace a file another program holds open (an antivirus scan, a backup or sync tool)
    for as long as it does; the replacement is tried again for about half a second.
    """
    temporary = path.with_name(path.name + ".tmp")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)  # Windows: no newline translation
        fd = os.open(temporary, flags, 0o600 if private else 0o666)
        with open(fd, "w", encoding="utf-8", newline="") as file:
            if private and os.name == "posix":
                os.fchmod(file.fileno(), 0o600)  # a temporary file left by a crash keeps its old modes
            file.write(text)
        attempts = 5 if sys.platform == "win32" else 1
        for attempt in range(1, attempts + 1):
            try:
                os.replace(temporary, path)
                break
            except PermissionError:
                if attempt == attempts:
                    raise
                time.sleep(0.1)
    except OSError:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
        raise


def os_error_text(exc: OSError) -> str:
    """What went wrong with a file or folder, for a person: "No space left on device", not "[Errno 28] …"."""
    return exc.strerror or str(exc) or type(exc).__name__
