"""The async Contact API client: typed methods over one long-lived httpx.AsyncClient, with retries and pacing.

Everything the network or the server can do comes out of :class:`ContactApi` either as a typed model or as
one of the :mod:`crmdesk.api.errors` classes; never as a raw httpx, JSON or key error. The module never
imports Qt, so scripts can use it on their own::

    async with ContactApi("https://contact-api.8mgenius.com.br", token) as api:
        contact = await api.get_contact(email="john@example.com")
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

from crmdesk import __version__, contract
from crmdesk.api.address import check_token, is_loopback_url, normalised_base_url, same_server
from crmdesk.api.errors import (
    ApiError,
    BadResponseError,
    CertificateError,
    NetworkError,
    NotFoundError,
    NotHttpsError,
    TimeoutError,
    ValidationError,
    error_from_response,
)
from crmdesk.api.models import Contact, ContactChange, ContactRef, ContactSummary, OwnerChange
from crmdesk.redaction import register_secret

if TYPE_CHECKING:
    import ssl

    # httpx (~50 ms and several MB) is imported when the first request builds the AsyncClient, not when this
    # module is: the app shows its window before it sends anything. See ContactApi._http.
    import httpx

logger = logging.getLogger("crmdesk.api")

CONTACT_PATH: Final = "/api/contact"

#: The longest ``Retry-After`` the client waits out by itself; beyond it the caller decides (UI shows it).
RETRY_AFTER_CAP: Final = 30.0
#: The longest one call may take, every attempt and wait included. httpx's timeout is per socket operation: a
#: server that sends a byte every few seconds would otherwise keep a search (or a locked form) waiting for ever.
DEFAULT_DEADLINE: Final = 60.0
#: Backoff without server advice: ``min(BACKOFF_BASE * 2**n, BACKOFF_MAX)`` seconds, times the jitter.
BACKOFF_BASE: Final = 0.5
BACKOFF_MAX: Final = 8.0
#: The most one answer may hold, once unpacked. A busy contact's years of notes (5,000 of 1,000 characters) are
#: ~5 MB, and ~12,000 notes of the contract's longest (10,000 characters, ASCII) still fit; a server answering
#: with a file, a broken proxy that never ends its body, or a small compressed body that unpacks to gigabytes
#: must not fill the rep's memory.
MAX_ANSWER_BYTES: Final = 128 * 1024 * 1024
#: The most JSON objects and lists one answer may hold. The API's answers have a handful (a contact's notes are one
#: string, its tags one list); an answer within MAX_ANSWER_BYTES made of ``[{},{},…]`` would unpack to ~3.4 GB of
#: Python objects. Brackets inside strings (a note of code) do not count.
MAX_JSON_CONTAINERS: Final = 100_000
# A JSON string, escapes included. One left open runs to the end of the text (a lone backslash last included):
# a match never fails once it has started, so a search never starts again from every later quote, which made an
# unclosed string quadratic. Possessive, so that a string of a million escapes keeps no backtracking record per
# escape (gigabytes of memory).
_JSON_STRING: Final = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+\\?(?:"|\Z)', re.DOTALL)

#: Methods the contract makes safe to send twice. A POST or PUT that may have reached the server is
#: never re-sent, because a second create would duplicate the contact and a second note would repeat; the
#: calls that set one field or add a tag are the exception, each marked ``repeatable`` where it is made.
_IDEMPOTENT: Final = frozenset({"GET", "DELETE"})
_RETRIED_STATUSES: Final = frozenset({502, 503, 504})
#: How long an idle connection is kept for the next request. Below the 5 s that many servers keep one (uvicorn's
#: default, and httpx's own): reused in the moment the server closes it, a request fails as sent, which costs a
#: GET a retry and leaves a note or a save "may have happened" until it is read back.
KEEPALIVE_EXPIRY_S: Final = 4.0
#: Answers a gateway gives when the server behind it failed or was too slow, perhaps after doing the work:
#: Bad Gateway, Gateway Timeout, and Cloudflare's 520-524 (origin errors and time-outs).
_GATEWAY_STATUSES: Final = frozenset({502, 504, 520, 521, 522, 523, 524})
#: A 404 without the API's error body comes from some other web server at the base URL.
NOT_THE_API: Final = (
    "This address answered, but not as the Contact API does (a plain 404 Not Found). Check the server address."
)

# A uid that can never exist (the contract draws uids at random, and this one is reserved by the
# bundled server's tests); a GET for it costs one cheap lookup and proves the token works.
_VERIFY_UID: Final = "ZZZZZZZZ"

# Keys that only a full contact carries; a GET/PUT answer without any of them is a summary.
_FULL_ONLY_KEYS: Final = frozenset(contract.CONTACT_FIELDS) - frozenset(contract.SUMMARY_FIELDS)
# Keys only a stored contact has, never an echo of the fields an update touched.
_STORED_KEYS: Final = frozenset({"notes", "created", "lastUpdate"})

_T = TypeVar("_T")

RetryReason = Literal["rate_limited", "server_error", "network"]


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """Reported through ``on_retry`` just before the client sleeps and tries a request again."""

    reason: RetryReason
    #: The attempt that just failed, counting from 1; 0 when the client-side limiter holds a request
    #: before it is sent at all (message "Rate limited — waiting N s").
    attempt: int
    #: How long the client will wait before the next attempt, in seconds.
    delay: float
    method: str
    path: str
    #: One sentence for a status bar, e.g. "Rate limited — retrying in 3 s".
    message: str
    #: True when the client's own rate limiter holds the request before it is sent ("waiting"), rather than
    #: after an attempt failed ("retrying").
    held: bool = False


_REASON_TEXT: Final[Mapping[str, str]] = {
    "rate_limited": "Rate limited",
    "server_error": "The server is unavailable",
    "network": "Network problem",
}


def retry_reason_text(reason: RetryReason) -> str:
    """What a retry is about, for a status bar: "Rate limited", "Network problem"..."""
    return _REASON_TEXT[reason]


def _retry_message(reason: RetryReason, delay: float) -> str:
    seconds = max(1, math.ceil(delay))
    return f"{_REASON_TEXT[reason]} — retrying in {seconds} s"


def backoff_delay(retry_index: int, jitter: float) -> float:
    """The wait before retry number ``retry_index`` (0-based) when the server gave no advice."""
    return min(BACKOFF_BASE * 2**retry_index, BACKOFF_MAX) * jitter


async def _asyncio_sleep(seconds: float) -> None:
    # asyncio loads with the first wait rather than with this module: the desktop app imports the client before
    # its window shows and asyncio only after (see crmdesk.services.event_loop).
    import asyncio

    await asyncio.sleep(seconds)


def _default_jitter() -> float:
    # Spreads retries of many clients over the last quarter of the window so they do not retry in step.
    return 1.0 - 0.25 * random.random()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date; ``None`` if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        import email.utils  # an HTTP-date is rare (servers send seconds); not worth ~3 ms of start-up

        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:  # an HTTP-date is always GMT; a naive parse means the zone was left off
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):  # "nan", "inf", "1e400": no advice a wait can follow
        return None
    return max(0.0, seconds)


def server_time(headers: httpx.Headers) -> float | None:
    """When the server sent its answer (its ``Date`` header), as a Unix time; ``None`` if absent or unreadable.

    A ``Retry-After`` date or a reset given as a Unix time is measured against this rather than the computer's
    clock, which may be hours off (just after waking, or never set): the wait would be hours, or none at all.
    """
    value = headers.get("date")
    if not value:
        return None
    import email.utils

    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    stamp = moment.timestamp()
    # A server's clock is somewhere in this century; a Date outside it is garbage, whatever this computer says.
    return stamp if _SANE_DATES[0] <= stamp <= _SANE_DATES[1] else None


#: 2000-01-01 and 2100-01-01 (UTC), as Unix times.
_SANE_DATES: Final = (946_684_800, 4_102_444_800)


def _retry_after(headers: httpx.Headers) -> float | None:
    """The answer's ``Retry-After`` in seconds; a date in it is counted from the answer's own ``Date``."""
    value = headers.get("retry-after")
    if value is None or value.strip().replace(".", "", 1).isdigit():
        return parse_retry_after(value)  # seconds: no clock involved
    return parse_retry_after(value, now=server_time(headers))


class _RateLimiter:
    """Client-side pacing shared by every call of one :class:`ContactApi`.

    It learns the server's window from ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` and from a
    429's ``Retry-After``; when the window is spent it holds further requests until the reset, so a burst
    slows down before the server has to refuse it. Without those headers it never waits.
    """

    __slots__ = ("remaining", "reset_at")

    def __init__(self) -> None:
        #: Requests the client may still send in the current window; ``None`` when unknown (no pacing).
        self.remaining: int | None = None
        #: ``time.monotonic()`` at which the window resets.
        self.reset_at = 0.0

    def delay(self) -> float:
        """Seconds to wait before the next request may go; counts the request when it may go now."""
        remaining = self.remaining
        if remaining is None:  # the fast path: a server that sends no limit headers costs one comparison
            return 0.0
        now = time.monotonic()
        if now >= self.reset_at:
            self.remaining = None  # the window has passed; the next answer tells us the new one
            return 0.0
        if remaining > 0:
            self.remaining = remaining - 1
            return 0.0
        return self.reset_at - now

    def waiting(self) -> float:
        """Seconds before the next request may go, counting none (unlike :meth:`delay`)."""
        if self.remaining is None or self.remaining > 0:
            return 0.0
        return max(0.0, self.reset_at - time.monotonic())

    def observe(self, headers: httpx.Headers) -> None:
        remaining_text = headers.get("x-ratelimit-remaining")
        if remaining_text is None:
            return
        reset_text = headers.get("x-ratelimit-reset")
        try:
            remaining = int(float(remaining_text))  # OverflowError for "inf" or "1e400"
            reset = float(reset_text) if reset_text is not None else 1.0
        except (ValueError, OverflowError):
            return
        if not math.isfinite(reset) or remaining < 0:
            return
        # Some services send the reset as a Unix time rather than seconds from now (measured by the server's clock).
        if reset > 1_000_000_000:
            sent = server_time(headers)
            reset = max(0.0, reset - (time.time() if sent is None else sent))
        self.remaining = remaining
        self.reset_at = time.monotonic() + min(reset, RETRY_AFTER_CAP)

    def reopen(self) -> None:
        """After waiting out a reset: the window is presumed new until the next answer says otherwise."""
        self.remaining = None

    def hold(self, seconds: float) -> None:
        """Stop every call until ``seconds`` from now (after a 429), so concurrent calls wait too."""
        self.remaining = 0
        self.reset_at = max(self.reset_at, time.monotonic() + seconds)


def load_http_stack() -> None:
    """Import what the first request needs, ahead of it; safe in a worker thread, before any client exists.

    That is httpx (~50 ms), and what httpx itself imports only later: httpcore when the first client is made
    (~40 ms), anyio's asyncio backend when that client sends its first request (~20 ms).
    """
    import httpcore  # noqa: F401
    import httpx  # noqa: F401

    # anyio loads its backend by this module name (anyio._core._eventloop); one that moves is loaded as before.
    with contextlib.suppress(ImportError):
        import anyio._backends._asyncio  # noqa: F401


class ContactApi:
    """The Contact API as typed async methods over one ``httpx.AsyncClient``.

    The httpx client is created on first use, inside whatever loop is running then (asyncio or qasync),
    and closed by :meth:`aclose` or by leaving ``async with``.

    ``on_retry`` is called synchronously with a :class:`RetryEvent` just before each wait between
    attempts, so a UI can show "Rate limited — retrying in 3 s". An exception from it is logged and
    otherwise ignored.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | httpx.Timeout = 10.0,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        user_agent_suffix: str = "",
        deadline: float | None = DEFAULT_DEADLINE,
    ) -> None:
        self._url = normalised_base_url(base_url)
        self._token = check_token(token)
        # Any log line that ever quotes it (a library's, a traceback's) shows a placeholder instead.
        register_secret(self._token)
        if max_retries < 0:
            raise ValueError("max_retries cannot be negative.")
        self._timeout: float | httpx.Timeout
        if isinstance(timeout, int | float) and not isinstance(timeout, bool):
            self._timeout = float(timeout)  # becomes an httpx.Timeout with the client, in _http()
        else:
            import httpx  # a caller passing anything else already has httpx; it checks the value now

            self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.max_retries = max_retries
        if deadline is not None and deadline <= 0:
            raise ValueError("deadline must be positive (or None for none).")
        self.deadline = deadline
        self._transport = transport
        self.on_retry = on_retry
        suffix = user_agent_suffix.strip()
        self.user_agent = f"crmdesk/{__version__}" + (f" {suffix}" if suffix else "")
        self._client: httpx.AsyncClient | None = None
        self._tls_context: ssl.SSLContext | None = None
        self._closed = False
        self._limiter = _RateLimiter()
        #: How far the server's clock is ahead of this computer's, in seconds, as its latest answer's ``Date`` said
        #: (to the second); ``None`` before an answer with one. See :meth:`server_now`.
        self.clock_offset: float | None = None
        # Injectable so tests can record the delays chosen instead of waiting them out.
        self._sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep
        self._jitter: Callable[[], float] = _default_jitter

    def held_for(self) -> float:
        """Seconds before the next request may go out: the wait the server's rate limit asks for, else 0."""
        return self._limiter.waiting()

    def server_now(self) -> float:
        """The time now by the server's clock (a Unix time), as far as its answers have told; else this computer's.

        The computer's clock may be hours off (just after waking, or never set), and what is worked out from a
        stamp the server made (the account's time zone, from a note's) must not take that error with it."""
        return time.time() + (self.clock_offset or 0.0)

    def __repr__(self) -> str:
        # The token is deliberately absent.
        return f"<ContactApi {self._url} token=<hidden>>"

    @property
    def base_url(self) -> str:
        return self._url

    # The client kept its base URL as an httpx.URL here before it stopped importing httpx at start-up; code
    # that reached for it (a test moves a client to a restarted server's port) still gets one, on demand.
    @property
    def _base_url(self) -> httpx.URL:
        import httpx

        return httpx.URL(self._url)

    @_base_url.setter
    def _base_url(self, value: httpx.URL | str) -> None:
        self._url = normalised_base_url(str(value))

    def adopt_token(self, other: ContactApi) -> None:
        """Use the token ``other`` was made with from now on (a re-sign-in after a 401).

        The token passes from client to client without any caller holding it, and the connection pool,
        base URL and retry settings stay as they are, so work already set up around this client goes on.
        """
        if not same_server(other._url, self._url):  # written alike or not ("…/" and "…")
            raise ValueError("A token can only be taken over from a client of the same server.")
        self._token = other._token
        if self._client is not None:
            self._client.headers["Authorization"] = f"Bearer {self._token}"
        # The server's limits are per token; what the old token had left says nothing about the new one.
        self._limiter = _RateLimiter()

    # --- Lifetime -------------------------------------------------------------------------------

    async def __aenter__(self) -> ContactApi:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def preload(self) -> None:
        """Import httpx and build the TLS settings now, so that the first request does not wait for them.

        Safe to call from a worker thread (the app calls it once its window has shown): loading the CA
        certificates, most of the cost for https, releases the GIL. Calling it is optional; ``_http`` does
        whatever is still missing.
        """
        load_http_stack()
        if self._transport is None:
            self._tls()

    def _tls(self) -> ssl.SSLContext:
        context = self._tls_context
        if context is None:
            context = self._tls_context = _tls_context_for(self._url)
        return context

    def _http(self) -> httpx.AsyncClient:
        client = self._client
        if client is None:
            if self._closed:
                raise RuntimeError("This ContactApi has been closed.")
            import httpx

            client = self._client = httpx.AsyncClient(
                base_url=self._url,
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "User-Agent": self.user_agent,
                    "Accept": "application/json",
                },
                timeout=httpx.Timeout(self._timeout),
                # httpx's own caps (100 connections, 20 kept), which a Limits given without them would lift.
                limits=httpx.Limits(
                    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY_S
                ),
                transport=self._transport,
                # With a transport given (tests), httpx makes no TLS context of its own.
                verify=self._tls() if self._transport is None else True,
                follow_redirects=False,
                # A proxy from the environment (HTTP_PROXY, ALL_PROXY) must never carry a request meant for this
                # computer: plain http would hand it the token in clear, and the proxy's "localhost" is not ours.
                trust_env=not is_loopback_url(self._url),
            )
        return client

    # --- Contacts -------------------------------------------------------------------------------

    async def create_contact(self, **fields: Any) -> ContactRef:
        """Create a contact (``name`` or ``firstName``/``lastName``, and ``email`` or ``phone``)."""
        _reject_unknown(fields, contract.CREATE_FIELDS, "create_contact")
        checked = _validated(lambda: contract.validate_contact_input(fields, "create"))
        body: dict[str, Any] = dict(checked.fields)
        if checked.tags:
            body["tags"] = list(checked.tags)
        if checked.note is not None:
            body["note"] = checked.note
        data = await self._request("POST", CONTACT_PATH, json_body=body)
        with _written():
            return ContactRef.from_api(data)

    async def get_contact(
        self, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> Contact | list[ContactSummary]:
        """One match gives a :class:`Contact`; several give summaries, oldest first.

        A vendor may answer a single match with a one-element array: then the full contact is returned
        all the same (fetched by uid when the array held only a summary), so callers see one shape per
        outcome. An empty array is a :class:`NotFoundError`, like the contract's 404.
        """
        kind, value = _identifier(uid, email, phone)
        data = await self._request("GET", CONTACT_PATH, params={kind: value})
        if isinstance(data, list):
            if not data:
                raise NotFoundError(
                    "No contact matches.", status=200, code="NOT_FOUND", method="GET", path=CONTACT_PATH
                )
            if len(data) == 1:
                return await self._full_contact(data[0])
            return [ContactSummary.from_api(item) for item in data]
        return await self._full_contact(data)

    async def update_contact(self, uid: str, **fields: Any) -> Contact:
        """Change the given fields (``""`` or ``None`` clears one; ``tags`` adds). Returns the contact as stored."""
        _reject_unknown(fields, contract.UPDATE_FIELDS, "update_contact")
        uid = _validated(lambda: contract.validate_uid(uid))
        checked = _validated(lambda: contract.validate_contact_input({**fields, "uid": uid}, "update"))
        body: dict[str, Any] = {"uid": uid, **checked.fields}
        if checked.tags:
            body["tags"] = list(checked.tags)
        data = await self._request("PUT", CONTACT_PATH, json_body=body)
        with _written():
            return await self._full_contact(data, complete=True)

    async def delete_contact(self, uid: str) -> str:
        """Delete a contact for good. Returns its uid."""
        uid = _validated(lambda: contract.validate_uid(uid))
        data = await self._request("DELETE", CONTACT_PATH, params={"uid": uid}, gone_means_done=True)
        if isinstance(data, Mapping) and isinstance(data.get("uid"), str) and data["uid"]:
            return str(data["uid"])
        return uid

    async def add_tag(
        self, tag_name: str, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> ContactChange:
        tag = _validated(lambda: contract.validate_tag(tag_name))
        # Sent again after a lost answer: adding a tag the contact already has changes nothing (the contract).
        data = await self._change("POST", "/tag/add", "tagName", tag, uid, email, phone, repeatable=True)
        with _written():
            return ContactChange.from_api(data, "tagName")

    async def add_note(
        self, note: str, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> ContactChange:
        text = _validated(lambda: contract.validate_note(note))
        data = await self._change("POST", "/note/add", "note", text, uid, email, phone)
        with _written():
            return ContactChange.from_api(data, "note")

    async def set_stage(
        self, stage_name: str, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> ContactChange:
        stage = _validated(lambda: _required_text("stageName", stage_name))
        data = await self._change("PUT", "/stage", "stageName", stage, uid, email, phone, repeatable=True)
        with _written():
            return ContactChange.from_api(data, "stageName")

    async def set_quality(
        self, quality_name: str, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> ContactChange:
        quality = _validated(lambda: _required_text("qualityName", quality_name))
        data = await self._change("PUT", "/quality", "qualityName", quality, uid, email, phone, repeatable=True)
        with _written():
            return ContactChange.from_api(data, "qualityName")

    async def set_owner(
        self, owner_email: str, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> OwnerChange:
        owner = _validated(lambda: contract.validate_email(_required_text("ownerEmail", owner_email), "ownerEmail"))
        data = await self._change("PUT", "/owner", "ownerEmail", owner, uid, email, phone, repeatable=True)
        with _written():
            return OwnerChange.from_api(data)

    async def verify(self) -> None:
        """Check the token with one cheap request: returns if it is accepted, else raises the error.

        A 404 in the API's envelope for a uid that cannot exist is the expected answer; 401 raises
        :class:`AuthError` and 403 :class:`PlanError`. A 404 without the envelope (an HTML or plain "Not
        Found") comes from some other web server at this address, which says nothing about the token: that
        raises :class:`BadResponseError`.
        """
        with contextlib.suppress(NotFoundError):
            await self._request("GET", CONTACT_PATH, params={"uid": _VERIFY_UID})

    # --- Plumbing -------------------------------------------------------------------------------

    async def _change(
        self,
        method: str,
        suffix: str,
        key: str,
        value: str,
        uid: str | None,
        email: str | None,
        phone: str | None,
        *,
        repeatable: bool = False,
    ) -> Any:
        kind, ident = _identifier(uid, email, phone)
        return await self._request(
            method, CONTACT_PATH + suffix, json_body={kind: ident, key: value}, repeatable=repeatable
        )

    async def _full_contact(self, data: Any, *, complete: bool = False) -> Contact:
        """``data`` as a Contact, fetched by uid when it is only part of one.

        The contract's GET and PUT answers are full contacts, but the vendor's documented PUT answer
        lists only the fields it touched, and a one-element array may hold a summary. Building a
        Contact from those would show every missing field as empty, so the stored contact is fetched.
        A PUT answer (``complete``) counts as full only when it carries a key that no partial answer
        would (notes, created, lastUpdate); elsewhere any key beyond a summary's is the mark of a full
        contact, whose missing keys are then read as unset (the vendor's GET omits some, e.g. birthday).
        """
        if isinstance(data, Mapping):
            keys = data.keys()
            is_full = not (_STORED_KEYS if complete else _FULL_ONLY_KEYS).isdisjoint(keys)
            if is_full:
                return Contact.from_api(data)
        summary = ContactSummary.from_api(data)
        fetched = await self._request("GET", CONTACT_PATH, params={"uid": summary.uid})
        if isinstance(fetched, list) and len(fetched) == 1:
            fetched = fetched[0]
        if isinstance(fetched, list):
            raise BadResponseError(
                f"The server sent {len(fetched)} contacts for uid {summary.uid}.", method="GET", path=CONTACT_PATH
            )
        return Contact.from_api(fetched)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        gone_means_done: bool = False,
        repeatable: bool = False,
    ) -> Any:
        """Send one API call with the retry policy; return the envelope's ``data`` or raise an ApiError.

        ``gone_means_done`` (DELETE): a 404 on a retry after an attempt whose answer was lost means that
        attempt did the work, so it counts as success (``None``) instead of a NotFoundError.

        ``repeatable``: a write that does the same sent twice (setting a field to a value, adding a tag), so it
        is retried as a GET is, after a lost answer or a gateway's error. The first request after the network
        changed (new Wi-Fi, a VPN, waking from sleep) often goes out on a kept-alive connection that is dead,
        and its answer is lost though the server never saw it.

        The whole call, retries included, ends with a TimeoutError after ``deadline`` seconds.
        """
        if self.deadline is None:
            return await self._attempts(method, path, params, json_body, gone_means_done, repeatable)
        import asyncio

        limit = asyncio.timeout(self.deadline)
        try:
            async with limit:
                return await self._attempts(method, path, params, json_body, gone_means_done, repeatable)
        except builtins.TimeoutError:
            if not limit.expired():
                raise  # an attempt's own TimeoutError (an ApiError), not the deadline
            error = TimeoutError(f"No complete answer within {self.deadline:g} s.", method=method, path=path)
            error.may_have_happened = method not in _IDEMPOTENT  # a write may have been sent, and done
            raise error from None

    async def _attempts(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
        gone_means_done: bool,
        repeatable: bool = False,
    ) -> Any:
        client = self._http()
        again = method in _IDEMPOTENT or repeatable  # may be sent again after an attempt that may have been done
        import httpx  # loaded by _http(); only its exception classes are needed here

        content = None if json_body is None else _json_bytes(json_body, method, path)
        headers = None if content is None else {"Content-Type": "application/json"}
        attempt = 0
        outcome_unknown = False  # an earlier attempt may have reached the server and done the work
        try:
            while True:
                attempt += 1
                wait = self._limiter.delay()
                if wait > 0:  # this or another call spent the window (or got a 429): wait for its reset
                    if wait >= 1.0:
                        # Long enough for a person to wonder why nothing happens: say so, as attempt 0.
                        message = f"Rate limited — waiting {math.ceil(wait)} s"
                        self._notify(RetryEvent("rate_limited", attempt - 1, wait, method, path, message, held=True))
                    await self._sleep(wait)
                    self._limiter.reopen()
                started = time.perf_counter()
                sent_with = self._token  # the header is built from it now; adopt_token may replace it meanwhile
                try:
                    request = client.build_request(method, path, params=params, content=content, headers=headers)
                    response = await client.send(request, stream=True)
                    try:
                        body = await _read_body(response, method, path)
                    finally:
                        await response.aclose()
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                    # The request never left this computer, so even a create can safely be sent again.
                    error: ApiError = _transport_error(exc, method, path, direct=is_loopback_url(self._url))
                    if attempt > self.max_retries or isinstance(error, CertificateError | NotHttpsError):
                        raise error from exc
                    await self._pause("network", attempt, backoff_delay(attempt - 1, self._jitter()), method, path)
                    continue
                except httpx.TransportError as exc:
                    # Sent, but the answer was lost: only GET, DELETE and repeatable writes may go again; a create
                    # or update may already have happened, and the caller has to look before trying again.
                    error = _transport_error(exc, method, path, direct=is_loopback_url(self._url))
                    if not again or attempt > self.max_retries:
                        error.may_have_happened = method not in _IDEMPOTENT
                        raise error from exc
                    outcome_unknown = True
                    await self._pause("network", attempt, backoff_delay(attempt - 1, self._jitter()), method, path)
                    continue
                except httpx.DecodingError as exc:
                    # An answer came, but its body could not be unpacked (a Content-Encoding it does not have): the
                    # server may have done the work, so this is reported, never sent again.
                    error = BadResponseError(
                        f"The server sent a body that could not be decoded ({exc}).", method=method, path=path
                    )
                    error.may_have_happened = method not in _IDEMPOTENT
                    raise error from exc
                except httpx.InvalidURL as exc:
                    # httpx refuses a query over 64 KiB before sending anything: a lookup value far too long.
                    raise ValidationError(
                        f"The request is too long to send ({exc}).", method=method, path=path
                    ) from exc

                status = response.status_code
                if logger.isEnabledFor(logging.DEBUG):
                    # Path only: the query holds the email or phone searched for, and headers hold the token.
                    logger.debug("%s %s -> %d in %.0f ms", method, path, status, (time.perf_counter() - started) * 1000)
                self._limiter.observe(response.headers)
                answered = server_time(response.headers)
                if answered is not None:
                    self.clock_offset = answered - time.time()
                if 300 <= status < 400:
                    # Never followed (the token must not go where the base URL does not say), and a server that
                    # redirects has not done the request.
                    where = response.headers.get("location", "")
                    raise BadResponseError(
                        f"The server sent the request elsewhere (HTTP {status}{' to ' + where if where else ''}), and "
                        "CRMDesk does not follow it. If the API has moved, change the server address.",
                        status=status,
                        method=method,
                        path=path,
                    )
                decoded = _decode(body)
                if status < 400:
                    try:
                        return _payload_data(response, body, decoded, method, path)
                    except BadResponseError as error:
                        # A success status: a write was done, whatever the server wrote about it.
                        error.may_have_happened = method not in _IDEMPOTENT
                        raise
                if status == 404 and gone_means_done and outcome_unknown:
                    return None
                if status == 401 and self._token != sent_with:
                    # The rep signed in again (adopt_token) while this went out with the old token. The server
                    # refuses a token before it does anything, so even a create goes again, with the new one: its
                    # 401 says nothing about the token in use now, and would end the session that just began.
                    continue

                if status == 429:
                    retry_after = _retry_after(response.headers)
                    if retry_after is not None:
                        self._limiter.hold(min(retry_after, RETRY_AFTER_CAP))
                    if attempt > self.max_retries or (retry_after is not None and retry_after > RETRY_AFTER_CAP):
                        raise _error_of(response, decoded, method, path, retry_after)
                    delay = retry_after if retry_after is not None else backoff_delay(attempt - 1, self._jitter())
                    await self._pause("rate_limited", attempt, delay, method, path)
                    # This call waited out the server's advice; the hold it placed has served its purpose.
                    self._limiter.reopen()
                    continue
                if status in _RETRIED_STATUSES and again and attempt <= self.max_retries:
                    advice = _retry_after(response.headers)
                    if advice is not None and advice > RETRY_AFTER_CAP:
                        raise _error_of(response, decoded, method, path, advice)
                    delay = advice if advice is not None else backoff_delay(attempt - 1, self._jitter())
                    # A gateway's failure (502, 504) may come after it passed the request on; a 503 says the
                    # server did not take it.
                    outcome_unknown = outcome_unknown or status in _GATEWAY_STATUSES
                    await self._pause("server_error", attempt, delay, method, path)
                    continue
                raise _error_of(response, decoded, method, path, _retry_after(response.headers))
        except ApiError as error:
            # A later attempt's refusal (a 429, a 500) says nothing of an earlier one whose answer was lost: that
            # one may have done the work.
            if outcome_unknown and method not in _IDEMPOTENT:
                error.may_have_happened = True
            raise

    async def _pause(self, reason: RetryReason, attempt: int, delay: float, method: str, path: str) -> None:
        self._notify(RetryEvent(reason, attempt, delay, method, path, _retry_message(reason, delay)))
        await self._sleep(delay)

    def _notify(self, event: RetryEvent) -> None:
        logger.info("%s %s: %s (attempt %d)", event.method, event.path, event.message, event.attempt)
        if self.on_retry is not None:
            try:
                self.on_retry(event)
            except Exception:
                logger.exception("The on_retry callback failed")


# --- Helpers ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _written() -> Iterator[None]:
    """Around reading the answer to a write the server accepted (a 2xx): whatever fails there, a follow-up read
    or an answer in a shape the client cannot read, the write was done, and the caller must know it."""
    try:
        yield
    except ApiError as error:
        error.may_have_happened = True
        raise


def _json_bytes(body: Mapping[str, Any], method: str, path: str) -> bytes:
    """The request body as UTF-8 JSON. Text holding a lone UTF-16 surrogate (from a broken paste) has no UTF-8
    form: that is the caller's bad input, reported before anything is sent."""
    text = json.dumps(body, ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        field = next((name for name, value in body.items() if _has_surrogate(value)), None)
        error = ValidationError(
            f"Invalid {field or 'request'}: it holds a character that is not valid text (a broken paste?)",
            method=method,
            path=path,
        )
        error.field = field
        raise error from None


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, list | tuple):
        return any(_has_surrogate(item) for item in value)
    return False


def _validated(check: Callable[[], _T]) -> _T:
    """Run a contract check, turning its :class:`ContractError` into the client's ValidationError."""
    try:
        return check()
    except contract.ContractError as exc:
        error = ValidationError(exc.message)
        error.field = exc.field
        raise error from None


def _required_text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise contract.invalid(field, "must be a string")
    if not value.strip():
        raise contract.missing(field, "cannot be empty")
    return contract.validate_field(field, value)


def _identifier(uid: str | None, email: str | None, phone: str | None) -> tuple[str, str]:
    def pick() -> tuple[str, str]:
        kind, value = contract.validate_identifier({"uid": uid, "email": email, "phone": phone})
        if kind == "uid":
            value = contract.validate_uid(value)
        return kind, value

    return _validated(pick)


def _reject_unknown(fields: Mapping[str, Any], allowed: tuple[str, ...], method: str) -> None:
    # A misspelt field (firstname) would be silently ignored by the server; fail loudly instead.
    unknown = sorted(set(fields) - set(allowed) - {"uid"})
    if unknown:
        raise TypeError(f"{method}() got unknown field(s): {', '.join(unknown)}")


def _tls_context_for(base_url: str) -> ssl.SSLContext:
    """The TLS settings for a client of ``base_url``: httpx's default for https."""
    import ssl

    if base_url.startswith("http://"):
        # Plain http is only ever allowed to this computer (see address.check_base_url); the client sends only paths
        # relative to it and never follows redirects, so it never speaks TLS. httpx's default would still
        # load certifi's CA bundle for it (~70 ms and ~3 MB): a context that trusts no CA at all costs
        # nothing and, should TLS ever happen, verifies no peer (verification stays required).
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    import httpx

    return httpx.create_ssl_context()  # exactly httpx's default: certifi, or SSL_CERT_FILE / SSL_CERT_DIR


def _transport_error(exc: httpx.TransportError, method: str, path: str, *, direct: bool = False) -> ApiError:
    """The ApiError for a failure to get an answer. ``direct``: no proxy stands between (a server on this
    computer), so a TLS handshake answered in plain http can only be the server's."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        what = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
        return TimeoutError(f"Timed out {what} the server.", method=method, path=path)
    if isinstance(exc, httpx.ConnectError):
        refused = _certificate_problem(exc)
        if refused is not None:
            return CertificateError(f"The server's certificate is not trusted ({refused}).", method=method, path=path)
        if direct and _plain_http_answered(exc):
            # Through a proxy, the proxy may be what answered (a block page, or its own scheme mistyped): "check
            # the server address" would send the rep looking at the wrong thing there.
            return NotHttpsError("The server does not answer https at this address.", method=method, path=path)
        return NetworkError(f"Could not connect to the server ({exc or type(exc).__name__}).", method=method, path=path)
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError):
        logger.debug("connection broke before the answer was whole: %s", type(exc).__name__)
        broken = NetworkError("The connection broke before the server's answer arrived.", method=method, path=path)
        broken.reached = True
        return broken
    # A proxy that refused, or a request httpx could not send: the server was never reached.
    return NetworkError(f"Could not reach the server ({exc or type(exc).__name__}).", method=method, path=path)


def _certificate_problem(exc: BaseException) -> str | None:
    """Why TLS refused the server's certificate, when that is what failed the connection (httpx keeps the
    ``ssl`` error in the exception's chain), else None."""
    import ssl

    seen: BaseException | None = exc
    for _ in range(10):  # the chain is short; a cycle must not hang this
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


#: OpenSSL's reasons for a handshake whose answer was no TLS at all: plain http (or another protocol) at the port.
_NOT_TLS_REASONS: Final = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"}
)


def _plain_http_answered(exc: BaseException) -> bool:
    """Whether TLS failed because what answered speaks no TLS (an https address for a plain-http server)."""
    import ssl

    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError) and seen.reason in _NOT_TLS_REASONS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _read_body(response: httpx.Response, method: str, path: str) -> bytes:
    """The whole body of ``response``, unpacked, or a BadResponseError once it holds over MAX_ANSWER_BYTES.

    A body declared larger than that is refused before any of it is read. Network failures while reading
    propagate as httpx's own, for the caller's retry policy.
    """
    declared = response.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = int(declared) if declared.isdigit() else 0  # on the wire: unpacked, a body is never smaller
    if size <= MAX_ANSWER_BYTES:
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                break
            chunks.append(chunk)
    if size > MAX_ANSWER_BYTES:
        error = BadResponseError(
            f"The server sent an answer of over {MAX_ANSWER_BYTES // (1024 * 1024)} MB, which CRMDesk does not "
            f"read (HTTP {response.status_code}).",
            status=response.status_code,
            method=method,
            path=path,
        )
        # Only a refusal (4xx) says a write was not done; a success or a server's failure may follow the work.
        error.may_have_happened = method not in _IDEMPOTENT and not 400 <= response.status_code < 500
        raise error
    return b"".join(chunks)


def _containers(text: str) -> int:
    """How many JSON objects and lists ``text`` opens, at least: brackets outside strings. Strings are looked
    through only when the brackets alone pass the limit, which no ordinary answer does."""
    brackets = text.count("{") + text.count("[")
    if brackets <= MAX_JSON_CONTAINERS:
        return brackets
    outside = _JSON_STRING.sub("", text)
    return outside.count("{") + outside.count("[")


def _decode(body: bytes) -> tuple[Any, str | None]:
    """The parsed JSON body, or ``(None, what was wrong)``.

    Read as UTF-8, as JSON over HTTP is (RFC 8259; a byte-order mark is let pass): json.loads would take UTF-16 and
    UTF-32 bytes too, whose escapes the object count below cannot read.
    """
    if not body.strip():
        return None, "an empty body instead of JSON"
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "a body that is not UTF-8 text"
    if _containers(text) > MAX_JSON_CONTAINERS:
        return None, f"an answer of over {MAX_JSON_CONTAINERS:,} JSON objects and lists, which CRMDesk does not read"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        if body.lstrip()[:1] == b"<":
            return None, "HTML instead of JSON (is the server address right?)"
        if exc.pos >= len(exc.doc.rstrip()):
            return None, f"truncated JSON ({len(body)} bytes, cut off)"
        return None, f"malformed JSON ({exc.msg} at character {exc.pos})"
    except RecursionError:
        return None, "JSON nested too deeply"
    except ValueError:  # a number of over 4300 digits, which Python refuses to convert
        return None, "JSON with a number too long to read"


def _payload_data(
    response: httpx.Response, body: bytes, decoded: tuple[Any, str | None], method: str, path: str
) -> Any:
    """The envelope's ``data`` of a success, from ``decoded`` (what :func:`_decode` made of ``body``)."""
    status = response.status_code
    if method == "DELETE" and (status == 204 or not body.strip()):
        return None  # deleted, said without a body, as many servers do
    payload, problem = decoded
    if problem is not None:
        raise BadResponseError(f"The server sent {problem} (HTTP {status}).", status=status, method=method, path=path)
    if not isinstance(payload, dict):
        raise BadResponseError(
            f"The server sent a JSON {type(payload).__name__} instead of the API's envelope (HTTP {status}).",
            status=status,
            method=method,
            path=path,
        )
    if payload.get("success") is False:
        raise error_from_response(
            status, _str_or_none(payload.get("code")), _str_or_none(payload.get("error")), method=method, path=path
        )
    if "data" not in payload or payload["data"] is None:
        raise BadResponseError(
            f"The server's answer has no data (HTTP {status}).", status=status, method=method, path=path
        )
    return payload["data"]


def _error_of(
    response: httpx.Response, decoded: tuple[Any, str | None], method: str, path: str, retry_after: float | None
) -> ApiError:
    payload, _problem = decoded
    status = response.status_code
    code = error = None
    if isinstance(payload, dict):
        code = _str_or_none(payload.get("code"))
        error = _str_or_none(payload.get("error")) or _str_or_none(payload.get("message"))
    if status == 404 and code is None and not (isinstance(payload, dict) and payload.get("success") is False):
        # Not the API's "not found" (a web server's or a proxy's page): it says nothing about any contact, which
        # must not be taken for deleted.
        return BadResponseError(NOT_THE_API, status=404, method=method, path=path)
    found = error_from_response(status, code, error, method=method, path=path, retry_after=retry_after)
    if status in _GATEWAY_STATUSES and method not in _IDEMPOTENT:
        found.may_have_happened = True  # the gateway may have passed the request on before it failed
    return found


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
