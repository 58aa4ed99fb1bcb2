"""Where CRMDesk keeps its files: per-user data, logs and per-profile state (never secrets)."""

from __future__ import annotations

import os
import re
from pathlib import Path

#: Overrides the per-user data directory; tests point it at a temporary folder.
DATA_DIR_ENV = "CRMDESK_DATA_DIR"

_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def data_dir() -> Path:
    """The per-user data directory (platformdirs), created on first use."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("crmdesk", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_valid_profile_name(name: str) -> bool:
    return _PROFILE_NAME.fullmatch(name) is not None


def profile_dir(profile: str) -> Path:
    """A profile's own folder: its recent list and registry of known values live here."""
    if not is_valid_profile_name(profile):
        raise ValueError(f"Invalid profile name {profile!r}: use letters, digits, '.', '_' or '-'.")
    path = data_dir() / "profiles" / profile
    path.mkdir(parents=True, exist_ok=True)
    return path


def os_error_text(exc: OSError) -> str:
    """What went wrong with a file or folder, for a person: "No space left on device", not "[Errno 28] …"."""
    return exc.strerror or str(exc) or type(exc).__name__
