"""The one error presenter: turns any exception into a sentence for the user, a severity and an optional action."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication

from crmdesk.api.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    CertificateError,
    NetworkError,
    NotFoundError,
    NotHttpsError,
    PlanError,
    RateLimitedError,
    ServerError,
    TimeoutError,
    ValidationError,
)


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Action(StrEnum):
    SIGN_IN = "sign_in"
    RETRY = "retry"
    CREATE_AS_NEW = "create_as_new"
    RESTART_DEMO = "restart_demo"


@dataclass(frozen=True, slots=True)
class Description:
    text: str
    severity: Severity = Severity.ERROR
    action: Action | None = None

    def action_label(self) -> str:
        if self.action is Action.SIGN_IN:
            return _t("Sign in again")
        if self.action is Action.RETRY:
            return _t("Retry")
        if self.action is Action.CREATE_AS_NEW:
            return _t("Create as new contact")
        if self.action is Action.RESTART_DEMO:
            return _t("Restart the demo")
        return ""


_FIELD_PREFIX = re.compile(r"^\s*invalid\s+[A-Za-z]+\s*:\s*", re.IGNORECASE)
# A 403's text that is about the plan, or that names only the status and so gives no reason of its own.
_PLAN_WORD = re.compile(r"\bplans?\b", re.IGNORECASE)
_STATUS_ONLY = re.compile(
    r"\s*(?:403\s*)?(?:forbidden|access denied|permission denied|insufficient permissions|not allowed)\.?\s*",
    re.IGNORECASE,
)


def _t(text: str) -> str:
    return QCoreApplication.translate("errors", text)


def _sentence(text: str) -> str:
    """The server's own words as a sentence of their own: "Internal error" → "Internal error."."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def strip_field_prefix(text: str) -> str:
    """``"Invalid stageName: Stage 'X' does not exist in your account"`` → ``"Stage 'X' does not exist..."``."""
    stripped = _FIELD_PREFIX.sub("", text, count=1)
    return stripped[:1].upper() + stripped[1:] if stripped else text


def host_of(base_url: str) -> str:
    return urlsplit(base_url).netloc or base_url


def describe(error: BaseException, *, host: str = "") -> Description:
    """What to tell the user about ``error``: the API's own message where it has one, and what to do."""
    where = host or _t("the server")
    if isinstance(error, AuthError):
        return Description(
            # Said of a token that worked until now and of one never taken (CRMDESK_TOKEN, a typo) alike.
            _t("The server does not accept your API token (it may have been replaced or revoked). Sign in again."),
            Severity.ERROR,
            Action.SIGN_IN,
        )
    if isinstance(error, PlanError):
        # The contract's 403 is about the plan; the vendor's reference says "insufficient permissions", and a
        # server may say which ("you can only change contacts you own"): its own words then, not the plan's.
        said = (error.error or "").strip()
        if said and said != error.message and not _PLAN_WORD.search(said) and not _STATUS_ONLY.fullmatch(said):
            return Description(_t("The server refused this: {0}").format(_sentence(said)), Severity.ERROR)
        return Description(
            _t("This account's plan has no API access. API access needs the Starter, Pro or Business plan."),
            Severity.ERROR,
        )
    if isinstance(error, TimeoutError):
        return Description(
            _t("{0} did not answer in time. Check your connection and try again.").format(where),
            Severity.WARNING,
            Action.RETRY,
        )
    if isinstance(error, CertificateError):
        return Description(
            _t(
                "Cannot connect securely to {0}. {1} If your network inspects secure connections, ask your IT team "
                "for its certificate and set SSL_CERT_FILE to it."
            ).format(where, _sentence(error.message)),
            Severity.ERROR,
        )
    if isinstance(error, NotHttpsError):
        return Description(
            _t("{0} does not answer https at this address. Check the server address.").format(where), Severity.ERROR
        )
    if isinstance(error, NetworkError) and error.reached:
        # The server was reached: "cannot reach" would contradict the "may have been saved" said beside it.
        return Description(
            _t("The connection to {0} broke before its answer arrived. Check your connection and try again.").format(
                where
            ),
            Severity.WARNING,
            Action.RETRY,
        )
    if isinstance(error, NetworkError):
        return Description(
            _t("Cannot reach {0}. Check your connection and try again.").format(where), Severity.WARNING, Action.RETRY
        )
    if isinstance(error, RateLimitedError):
        if error.retry_after is not None and error.retry_after >= 1:
            # Only a wait longer than the client waits out itself reaches here: say how long it is.
            return Description(
                _t("The server is busy (too many requests) and asks to wait {0} before the next one.").format(
                    _duration(error.retry_after)
                ),
                Severity.WARNING,
                Action.RETRY,
            )
        return Description(
            _t("The server is busy (too many requests). Wait a moment and try again."),
            Severity.WARNING,
            Action.RETRY,
        )
    if isinstance(error, ValidationError):
        return Description(strip_field_prefix(error.error or error.message), Severity.ERROR)
    if isinstance(error, NotFoundError):
        return Description(_t("Not found: {0}").format(error.error or error.message), Severity.INFO)
    if isinstance(error, ServerError):
        return Description(
            _t("The server failed: {0} Try again in a moment.").format(_sentence(error.error or error.message)),
            Severity.ERROR,
            Action.RETRY,
        )
    if isinstance(error, BadResponseError):
        return Description(
            _t("The server sent an answer CRMDesk cannot read: {0}").format(error.message), Severity.ERROR
        )
    if isinstance(error, ApiError):
        return Description(error.message, Severity.ERROR)
    return Description(
        _t("Something went wrong inside CRMDesk: {0}. Details are in the log file.").format(
            str(error) or type(error).__name__
        ),
        Severity.ERROR,
    )


def _duration(seconds: float) -> str:
    """A wait as a rep reads it: "45 s" under a minute and a half, else whole minutes, rounded up."""
    if seconds < 90:
        return _t("{0} s").format(math.ceil(seconds))
    return _t("{0} min").format(math.ceil(seconds / 60))
