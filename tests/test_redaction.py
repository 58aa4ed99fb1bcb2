"""Tokens never reach a log: every ContactApi registers its token, and the app's log formatter removes it."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from crmdesk import redaction
from crmdesk.api import ContactApi
from crmdesk.app import _LogFile, setup_logging
from crmdesk.redaction import MAX_SECRETS, PLACEHOLDER, redact, register_secret

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


def test_the_secrets_kept_are_bounded_and_a_token_in_use_stays_among_them() -> None:
    # A day of demo restarts registers a fresh token each time; the one signed in is registered again by each
    # session and client made with it.
    in_use = "token-of-the-signed-in-account"
    register_secret(in_use)
    for day in range(3 * MAX_SECRETS):
        register_secret(f"demo-token-number-{day:04d}")
        if day % 10 == 0:
            register_secret(in_use)
    assert len(redaction._secrets) == MAX_SECRETS
    assert redact(f"Bearer {in_use}") == f"Bearer {PLACEHOLDER}"
    newest = f"demo-token-number-{3 * MAX_SECRETS - 1:04d}"
    assert redact(newest) == PLACEHOLDER


def test_a_log_file_that_cannot_be_written_is_reported_once_and_tried_again_later(
    private_data_dir: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full disk: /dev/full opens, and every write to it fails with "No space left on device".
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("needs Linux's /dev/full to stand for a full disk")
    logs = private_data_dir / "logs"
    logs.mkdir(parents=True)
    (logs / "crmdesk.log").symlink_to(full)
    clock = [1000.0]
    monkeypatch.setattr("crmdesk.app.time", SimpleNamespace(monotonic=lambda: clock[0]))
    logger = logging.getLogger("crmdesk")
    before = list(logger.handlers)
    setup_logging()
    try:
        log_file = next(h for h in logger.handlers[len(before) :] if isinstance(h, _LogFile))
        for n in range(5):
            logging.getLogger("crmdesk.test").info("contact %d opened", n)
        err = capfd.readouterr().err
        assert "Logging error" not in err and "Traceback" not in err
        assert err.count("cannot write the log file") == 1
        assert "No space left on device" in err

        # Room is made; the file is left alone until its rest is over, then written again.
        (logs / "crmdesk.log").unlink()
        clock[0] += _LogFile.RETRY_S - 1
        logging.getLogger("crmdesk.test").info("contact 5 opened")
        clock[0] += 2
        logging.getLogger("crmdesk.test").info("contact 6 opened")
        log_file.flush()
        written = (logs / "crmdesk.log").read_text(encoding="utf-8")
    finally:
        for handler in logger.handlers[len(before) :]:
            handler.close()
            logger.removeHandler(handler)
    assert "contact 6 opened" in written
    assert "contact 5 opened" not in written  # still within the rest that the last failure began
    assert "Logging error" not in capfd.readouterr().err


def test_a_faulty_log_call_is_reported_as_such_and_the_file_goes_on(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crmdesk.log"
    log_file = _LogFile(path, logging.Formatter("%(message)s"))

    def record(message: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("crmdesk.test", logging.INFO, __file__, 1, message, args, None)

    try:
        log_file.handle(record("first good record"))
        log_file.handle(record("a record with %s %s", "one argument"))  # a programming slip
        log_file.handle(record("the record logged right after"))
        log_file.flush()
    finally:
        log_file.close()
    assert path.read_text(encoding="utf-8").splitlines() == ["first good record", "the record logged right after"]
    err = capfd.readouterr().err
    assert "cannot write the log file" not in err  # it is no fault of the file
    assert "not enough arguments for format string" in err  # logging's own report of the slip
