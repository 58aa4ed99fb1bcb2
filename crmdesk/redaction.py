"""Keeps secrets out of log output: every token the app handles is registered here and replaced when written."""

from __future__ import annotations

import logging

#: Shorter strings would blank out ordinary words; real API tokens are far longer.
MIN_SECRET_LENGTH = 8
PLACEHOLDER = "<token>"

_secrets: set[str] = set()


def register_secret(secret: str) -> None:
    """Remember a secret so any log line that contains it shows a placeholder instead."""
    if secret and len(secret) >= MIN_SECRET_LENGTH:
        _secrets.add(secret)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, PLACEHOLDER)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes registered secrets from the whole record, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
