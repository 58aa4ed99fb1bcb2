"""Tokens never reach a log: every ContactApi registers its token, and the app's log formatter removes it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from crmdesk.api import ContactApi
from crmdesk.app import setup_logging

TOKEN = "test-typed-at-sign-in-7f3a9c"


@pytest.mark.expected_warnings  # it logs an error on purpose
def test_a_token_given_to_a_client_is_redacted_from_messages_and_tracebacks_in_the_log_file(
    private_data_dir: Path,
) -> None:
    ContactApi("http://127.0.0.1:9", TOKEN)  # as the sign-in dialog does with what the rep typed
    logger = logging.getLogger("crmdesk")
    before = list(logger.handlers)
    setup_logging()
    try:
        try:
            raise RuntimeError(f"a library that quoted the header: Bearer {TOKEN}")
        except RuntimeError:
            logging.getLogger("crmdesk.test").exception("request failed with %s", TOKEN)
        for handler in logger.handlers:
            handler.flush()
        written = (private_data_dir / "logs" / "crmdesk.log").read_text(encoding="utf-8")
    finally:
        for handler in logger.handlers[len(before) :]:
            handler.close()
            logger.removeHandler(handler)
    assert "request failed with <token>" in written
    assert "Bearer <token>" in written  # the traceback line, not only the message
    assert TOKEN not in written
