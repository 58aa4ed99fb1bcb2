"""The async Contact API client: ``ContactApi``, its typed models and its error classes. Never imports Qt.

The names below load with first use (PEP 562): the desktop app imports :mod:`crmdesk.api.address` and
:mod:`crmdesk.api.errors` before its window shows, and the client with its models and the contract only after.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmdesk.api.client import ContactApi, RetryEvent
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
        error_from_response,
    )
    from crmdesk.api.models import Contact, ContactChange, ContactRef, ContactSummary, Note, OwnerChange

__all__ = [
    "ApiError",
    "AuthError",
    "BadResponseError",
    "CertificateError",
    "Contact",
    "ContactApi",
    "ContactChange",
    "ContactRef",
    "ContactSummary",
    "NetworkError",
    "NotFoundError",
    "NotHttpsError",
    "Note",
    "OwnerChange",
    "PlanError",
    "RateLimitedError",
    "RetryEvent",
    "ServerError",
    "TimeoutError",
    "ValidationError",
    "error_from_response",
]

_CLIENT = frozenset({"ContactApi", "RetryEvent"})
_MODELS = frozenset({"Contact", "ContactChange", "ContactRef", "ContactSummary", "Note", "OwnerChange"})


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    home = "client" if name in _CLIENT else "models" if name in _MODELS else "errors"
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
