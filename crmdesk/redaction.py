"""Keeps secrets out of log output: every token the app handles is registered here and replaced when written."""

from __future__ import annotations

import logging

#: Shorter strings would blank out ordinary words; real API tokens are far longer.
MIN_SECRET_LENGTH = 8
PLACEHOLDER = "<token>"

#: The most recent secrets kept. Each demo start and sign-in registers a token, and every log line is checked
#: against all of them: unbounded, an app left open all day would keep every demo token it ever made. A token
#: still in use is registered again by each session and client made with it, which keeps it among the newest.
MAX_SECRETS = 64

_secrets: dict[str, None] = {}  # insertion-ordered: oldest first


def register_secret(secret: str) -> None:
    """Remember a secret so any log line that contains it shows a placeholder instead."""
    if secret and len(secret) >= MIN_SECRET_LENGTH:
        _secrets.pop(secret, None)
        _secrets[secret] = None
        while len(_secrets) > MAX_SECRETS:
            del _secrets[next(iter(_secrets))]


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, PLACEHOLDER)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes registered secrets from the whole record, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
