"""The client's error hierarchy, and the one function that maps an HTTP answer to it.

Every error carries ``status``, ``code``, the server's ``error`` text, and the ``method`` and ``path``
of the request. None of them ever carries the token: they are built from the response, never the
request headers.
"""

from __future__ import annotations

import builtins

#: What each documented error code means as an HTTP status, for answers whose real status says nothing.
_STATUS_OF_CODE: dict[str, int] = {
    "BAD_REQUEST": 400,
    "UNAUTHORIZED": 401,
    "AUTH_ERROR": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "RATE_LIMITED": 429,
    "SERVER_ERROR": 500,
}

PLAN_MESSAGE = "API access needs the Starter, Pro or Business plan; this account's plan does not include it."


class ApiError(Exception):
    """Base of every error the client raises. ``str(error)`` is one sentence a person can read.

    ``may_have_happened`` is True when a write reached the server and its answer was lost or unreadable: the
    server may have done it (a create may exist now), so the caller must look before sending it again.
    """

    may_have_happened: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        error: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error = error if error is not None else message
        self.method = method
        self.path = path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, code={self.code!r}, "
            f"method={self.method!r}, path={self.path!r})"
        )


class AuthError(ApiError):
    """401: the token is missing, malformed, unknown or revoked."""


class PlanError(ApiError):
    """403: the token is valid but the account's plan has no API access."""


class NotFoundError(ApiError):
    """404: no contact matches (or the route does not exist)."""


class ValidationError(ApiError):
    """400, or a value rejected before sending. ``field`` names the offending API field when known."""

    field: str | None = None


class RateLimitedError(ApiError):
    """429 after the retries ran out. ``retry_after`` is the server's advice in seconds, if any."""

    retry_after: float | None = None


class ServerError(ApiError):
    """5xx: the server failed."""


class BadResponseError(ApiError):
    """The server answered with something that is not the API's JSON envelope or shape."""


class NetworkError(ApiError):
    """The request did not get an answer: connection refused, reset, DNS failure. ``reached`` is True when the
    server was connected to and the connection broke before its answer was whole (the request may have been
    read, and for a write, done)."""

    reached: bool = False


class CertificateError(NetworkError):
    """The server's TLS certificate is not trusted (expired, self-signed, another host's, or a network that
    inspects HTTPS with a certificate of its own). Trying again cannot help, so the client does not."""


class NotHttpsError(NetworkError):
    """What answered at the address does not speak https (TLS): most often a server serving plain http, such as
    the bundled server run on this computer. Trying again cannot help, so the client does not."""


class TimeoutError(NetworkError, builtins.TimeoutError):  # the name callers were promised
    """The server did not answer in time. For a create, the contact may or may not exist now."""


def error_from_response(
    status: int,
    code: str | None,
    error: str | None,
    *,
    method: str,
    path: str,
    retry_after: float | None = None,
) -> ApiError:
    """Map a failed HTTP answer to the error class a caller handles. The only place that does this.

    ``status`` is the real HTTP status. A vendor may answer ``200`` with ``success: false``; then the
    ``code`` decides, and an unknown code is read as a rejected request (:class:`ValidationError`).
    """
    text = (error or "").strip()
    # The status the answer should have had: the real one when it is an error, else the code's.
    effective = status if status >= 400 else _STATUS_OF_CODE.get(code or "", 400)

    def make(cls: type[ApiError], message: str) -> ApiError:
        return cls(message, status=status, code=code, error=text, method=method, path=path)

    if effective == 401 or code in ("UNAUTHORIZED", "AUTH_ERROR"):
        return make(AuthError, text or "The API token was not accepted.")
    if effective == 403 or code == "FORBIDDEN":
        return make(PlanError, PLAN_MESSAGE)
    if effective == 404 or code == "NOT_FOUND":
        return make(NotFoundError, text or "Not found.")
    if effective == 429 or code == "RATE_LIMITED":
        limited = make(RateLimitedError, text or "Too many requests; the server asked to slow down.")
        assert isinstance(limited, RateLimitedError)
        limited.retry_after = retry_after
        return limited
    if effective >= 500 or code == "SERVER_ERROR":
        return make(ServerError, text or f"The server failed (HTTP {status}).")
    if 400 <= effective < 500:
        invalid = make(ValidationError, text or f"The request was rejected (HTTP {status}).")
        assert isinstance(invalid, ValidationError)
        from crmdesk.contract import field_from_message  # the contract loads after the app's window shows

        invalid.field = field_from_message(text)
        return invalid
    return make(BadResponseError, text or f"Unexpected HTTP status {status}.")
