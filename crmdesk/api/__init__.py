"""The async Contact API client: ``ContactApi``, its typed models and its error classes. Never imports Qt."""

from crmdesk.api.client import ContactApi, RetryEvent
from crmdesk.api.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    NetworkError,
    NotFoundError,
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
    "Contact",
    "ContactApi",
    "ContactChange",
    "ContactRef",
    "ContactSummary",
    "NetworkError",
    "NotFoundError",
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
