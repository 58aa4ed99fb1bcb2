"""Settings of the bundled Contact API server and where its database lives by default."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from crmdesk.paths import data_dir

#: Environment variable whose value replaces the Demo account's tokens when the demo is seeded.
DEMO_TOKEN_ENV = "CRMDESK_DEMO_TOKEN"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_RATE_LIMIT: tuple[int, float] = (100, 10.0)

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def default_db_path() -> Path:
    """``server.sqlite3`` in the app's data folder (``$CRMDESK_DATA_DIR`` if set), kept private as the app's is."""
    return data_dir(create=False) / "server.sqlite3"  # made, if at all, by the command that starts a database


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for a SQLite file."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def db_url_from_option(value: str | None) -> str:
    """Turn a ``--db`` option into an engine URL: a URL passes through, anything else is a SQLite file path."""
    if value is None:
        return sqlite_url(default_db_path())
    if "://" in value:
        return value
    return sqlite_url(value)


def parse_rate_limit(text: str) -> tuple[int, float] | None:
    """Parse ``N/SECONDS`` (for example ``100/10``) or ``off``; raise :class:`ValueError` otherwise."""
    if text.strip().lower() == "off":
        return None
    match = _RATE_RE.match(text)
    if not match:
        raise ValueError(f"bad rate limit {text!r}: use N/SECONDS such as 100/10, or off")
    requests, seconds = int(match.group(1)), float(match.group(2))
    if requests < 1 or seconds <= 0:
        raise ValueError(f"bad rate limit {text!r}: both numbers must be positive")
    return requests, seconds


@dataclass(frozen=True, slots=True)
class Settings:
    """How one server instance runs. ``rate_limit`` is ``(requests, seconds)``, or ``None`` for no limit."""

    db_url: str
    rate_limit: tuple[int, float] | None = DEFAULT_RATE_LIMIT
