"""The Contact API as a Starlette ASGI app: routing, authentication, plan and rate checks, and the envelope."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crmdesk import contract
from crmdesk.contract import ContractError
from crmdesk.server.config import Settings
from crmdesk.server.openapi import openapi_spec
from crmdesk.server.ratelimit import Decision, RateLimiter
from crmdesk.server.store import BUSY_TIMEOUT_MS, Account, NotFound, Store, storage_trouble

log = logging.getLogger("crmdesk.server")

#: How often a storage failure that goes on (a full disk, another program's lock) is logged again.
STORAGE_LOG_INTERVAL_S = 60.0

Params = Mapping[str, Any]
Result = tuple[int, str, Any]
Handler = Callable[[Store, Account, Params], Result]


class ApiError(Exception):
    """A failure answered with the error envelope."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse({"success": False, "error": message, "code": code}, status_code=status, headers=headers)


# --- Request bodies ---------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, refusing bodies over 1 MiB before reading them whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > contract.MAX_BODY_BYTES:
        raise ApiError(400, "BAD_REQUEST", "Invalid body: the request body is larger than 1 MiB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > contract.MAX_BODY_BYTES:
            raise ApiError(400, "BAD_REQUEST", "Invalid body: the request body is larger than 1 MiB")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise ApiError(400, "BAD_REQUEST", "Missing body: send a JSON object")
    try:
        # Numbers stay as written: only ``value`` takes one, stored as its literal; elsewhere one is a wrong type.
        body = json.loads(
            raw, parse_constant=_reject_constant, parse_int=contract.JsonNumber, parse_float=contract.JsonNumber
        )
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8, malformed JSON and NaN/Infinity.
        raise ApiError(400, "BAD_REQUEST", "Invalid body: the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "BAD_REQUEST", "Invalid body: the request body must be a JSON object")
    return body


# --- Endpoint logic ---------------------------------------------------------------------------------


def _required_text(params: Params, field: str) -> str:
    raw = params.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise contract.missing(field, f"{field} is required")
    if not isinstance(raw, str):
        raise contract.invalid(field, "must be a string")
    return raw.strip()


def get_contact(store: Store, account: Account, params: Params) -> Result:
    kind, value = contract.validate_identifier(params)
    if kind == "uid":
        value = contract.validate_uid(value)
    found = store.lookup(account, kind, value)
    if isinstance(found, list):
        return 200, f"{len(found)} contacts found", found
    return 200, "Contact retrieved successfully", found


def create_contact(store: Store, account: Account, params: Params) -> Result:
    data = contract.validate_contact_input(params, "create")
    return 201, "Contact created successfully", store.create(account, data)


def update_contact(store: Store, account: Account, params: Params) -> Result:
    data = contract.validate_contact_input(params, "update")
    assert data.uid is not None
    contract.validate_uid(data.uid)
    return 200, "Contact updated successfully", store.update(account, data)


def delete_contact(store: Store, account: Account, params: Params) -> Result:
    uid = contract.validate_uid(_required_text(params, "uid"))
    store.delete(account, uid)
    return 200, "Contact deleted successfully", {"uid": uid}


def _identifier(params: Params) -> tuple[str, str]:
    kind, value = contract.validate_identifier(params)
    if kind == "uid":
        value = contract.validate_uid(value)
    return kind, value


def add_tag(store: Store, account: Account, params: Params) -> Result:
    tag = contract.validate_tag(params.get("tagName"))
    kind, value = _identifier(params)
    return 200, "Tag added to contact successfully", store.add_tag(account, kind, value, tag)


def add_note(store: Store, account: Account, params: Params) -> Result:
    if params.get("note") is None:
        raise contract.missing("note", "note is required")
    note = contract.validate_note(params.get("note"))
    kind, value = _identifier(params)
    return 200, "Note added to contact successfully", store.add_note(account, kind, value, note)


def _reference_setter(field: str, message: str) -> Handler:
    def handler(store: Store, account: Account, params: Params) -> Result:
        name = _required_text(params, field)
        name = contract.validate_field(field, name)
        kind, value = _identifier(params)
        return 200, message, store.set_reference(account, kind, value, field, name)

    return handler


set_stage = _reference_setter("stageName", "Contact stage updated successfully")
set_quality = _reference_setter("qualityName", "Contact quality updated successfully")
set_owner = _reference_setter("ownerEmail", "Contact owner updated successfully")


# --- The app ----------------------------------------------------------------------------------------


class ContactApi:
    """Turns handlers into ASGI endpoints that apply the contract's checks in its order."""

    def __init__(self, store: Store, limiter: RateLimiter | None) -> None:
        self.store = store
        self.limiter = limiter
        self._storage_told: dict[str, tuple[float, int]] = {}  # per reason: when last logged, failures since
        # Changes run here, one at a time, off the event loop: one waiting for another program's write lock on the
        # database file (an operator's sqlite3 shell, a backup tool) then holds only the changes queued behind it,
        # while lookups, sign-ins and a shutdown go on. Reads stay on the loop, where they are cheaper. An in-memory
        # database has no file to lock, and is there only for the loop's thread: its changes stay on the loop.
        self._changes = (
            None if store.in_memory else ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmdesk-changes")
        )
        self._taking_changes = True
        self._change_requests: set[asyncio.Task[Any]] = set()  # those handed to the thread, until answered

    async def finish_changes(self) -> None:
        """Stopping: refuse changes from now on, and wait until those under way have been answered.

        A change is never made after its answer was lost: one that arrives now is refused before anything
        happens, and one under way ends within the busy timeout of being queued (on SQLite and PostgreSQL, whose
        lock waits the store bounds), and is answered. This wait goes on through a second Ctrl+C, which only stops
        waiting for other requests.
        """
        self._taking_changes = False
        if self._change_requests:
            await asyncio.wait(set(self._change_requests))

    def close(self) -> None:
        """Wait for the changes on their way, so none runs on after the store has closed. A change waits for a lock
        no longer than the busy timeout from when it was queued, and those queued after it then fail at once."""
        if self._changes is not None:
            self._changes.shutdown(wait=True)

    def rate_headers(self, decision: Decision | None) -> dict[str, str]:
        if self.limiter is None:
            return {}
        return (decision or self.limiter.idle()).headers()

    def authenticate(self, request: Request) -> tuple[str, Account]:
        header = request.headers.get("authorization")
        if header is None:
            raise ApiError(401, "UNAUTHORIZED", "Missing Authorization header: send Authorization: Bearer <token>")
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise ApiError(401, "UNAUTHORIZED", "Malformed Authorization header: send Authorization: Bearer <token>")
        account = self.store.account_for_token(token)
        if account is None:
            raise ApiError(401, "AUTH_ERROR", "Invalid or revoked API token")
        return token, account

    def _storage_failed(self, trouble: str, request: Request) -> None:
        """Log a failure of the server's storage in one line, once a minute at most: a full disk fails every write,
        and a traceback for each would fill what room is left. Failures held back are counted in a line at the
        minute's end, so a burst that stops within it does not read as a single blip."""
        now = time.monotonic()
        last, missed = self._storage_told.get(trouble, (-math.inf, 0))
        if now - last < STORAGE_LOG_INTERVAL_S:
            self._storage_told[trouble] = (last, missed + 1)
            if not missed:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:  # called outside a request (a test): the next failure's line counts them
                    return
                loop.call_later(last + STORAGE_LOG_INTERVAL_S - now, self._report_held_back, trouble)
            return
        since = f" ({missed} more since the last report)" if missed else ""
        log.error("%s %s failed: %s%s", request.method, request.url.path, trouble, since)
        self._storage_told[trouble] = (now, 0)

    def _report_held_back(self, trouble: str) -> None:
        _last, missed = self._storage_told.get(trouble, (-math.inf, 0))
        if missed:
            log.error("%d more requests failed in the last minute: %s", missed, trouble)
            self._storage_told[trouble] = (time.monotonic(), 0)

    def _change(self, handler: Handler, account: Account, params: Params, queued: float) -> Result:
        # The busy timeout counts from when the change was queued, so changes queued behind a held lock all fail
        # after one timeout rather than one after another.
        with self.store.waiting_until(queued + BUSY_TIMEOUT_MS / 1000):
            return handler(self.store, account, params)

    def endpoint(self, handlers: Mapping[str, Handler]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            decision: Decision | None = None
            try:
                token, account = self.authenticate(request)
                if account.plan not in contract.PLANS_WITH_API:
                    raise ApiError(
                        403, "FORBIDDEN", "API access is only available on the Starter, Pro and Business plans"
                    )
                if self.limiter is not None:
                    decision = self.limiter.hit(token)
                    if not decision.allowed:
                        raise ApiError(
                            429, "RATE_LIMITED", f"Rate limit exceeded: retry in {decision.retry_after} seconds"
                        )
                method = "GET" if request.method == "HEAD" else request.method
                handler = handlers[method]
                params: Params = (
                    request.query_params if method in ("GET", "DELETE") else await read_json_object(request)
                )
                if method == "GET" or self._changes is None:
                    status, message, data = handler(self.store, account, params)
                else:
                    if not self._taking_changes:
                        raise ApiError(500, "SERVER_ERROR", "The server is stopping, so nothing was changed")
                    # The request's task, which ends once the answer has gone out.
                    task = asyncio.current_task()
                    assert task is not None
                    self._change_requests.add(task)
                    task.add_done_callback(self._change_requests.discard)
                    status, message, data = await asyncio.get_running_loop().run_in_executor(
                        self._changes, self._change, handler, account, params, time.monotonic()
                    )
            except ApiError as exc:
                headers = {**self.rate_headers(decision), **exc.headers}
                if exc.status == 401:
                    headers["WWW-Authenticate"] = "Bearer"
                return error_response(exc.status, exc.code, exc.message, headers)
            except ContractError as exc:
                return error_response(400, "BAD_REQUEST", exc.message, self.rate_headers(decision))
            except NotFound:
                return error_response(404, "NOT_FOUND", "Contact not found", self.rate_headers(decision))
            except ClientDisconnect:
                # Nobody is left to read an answer; this is the client's doing, not a server error to log.
                return error_response(400, "BAD_REQUEST", "Client disconnected", self.rate_headers(decision))
            except Exception as exc:
                trouble = storage_trouble(exc)
                if trouble is not None:
                    self._storage_failed(trouble, request)
                    return error_response(500, "SERVER_ERROR", trouble, self.rate_headers(decision))
                # Logged here without the request, so neither the token nor the body reaches the log.
                log.exception("Unexpected error in %s %s", request.method, request.url.path)
                return error_response(500, "SERVER_ERROR", "Internal server error", self.rate_headers(decision))
            return JSONResponse(
                {"success": True, "message": message, "data": data},
                status_code=status,
                headers=self.rate_headers(decision),
            )

        return endpoint


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    """Build the ASGI app. ``store`` may be passed in to share one with the caller (the CLI's seeding)."""
    store = store or Store(settings.db_url)
    limiter = RateLimiter(*settings.rate_limit) if settings.rate_limit else None
    api = ContactApi(store, limiter)
    spec_body = json.dumps(openapi_spec()).encode()

    async def openapi(_request: Request) -> Response:
        # The contract's "every response carries" the rate-limit headers includes this one.
        return Response(spec_body, media_type="application/json", headers=api.rate_headers(None))

    def routes_for(path: str, handlers: dict[str, Handler]) -> Route:
        return Route(path, api.endpoint(handlers), methods=list(handlers))

    routes = [
        routes_for(
            "/api/contact",
            {"GET": get_contact, "POST": create_contact, "PUT": update_contact, "DELETE": delete_contact},
        ),
        routes_for("/api/contact/tag/add", {"POST": add_tag}),
        routes_for("/api/contact/note/add", {"POST": add_note}),
        routes_for("/api/contact/stage", {"PUT": set_stage}),
        routes_for("/api/contact/quality", {"PUT": set_quality}),
        routes_for("/api/contact/owner", {"PUT": set_owner}),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = {**api.rate_headers(None), **(exc.headers or {})}
        if exc.status_code == 405:
            return error_response(405, "METHOD_NOT_ALLOWED", "Method not allowed on this route", headers)
        if exc.status_code == 404:
            return error_response(404, "NOT_FOUND", "Route not found", headers)
        return error_response(exc.status_code, "BAD_REQUEST", str(exc.detail), headers)

    async def server_error(_request: Request, _exc: Exception) -> Response:
        return error_response(500, "SERVER_ERROR", "Internal server error", api.rate_headers(None))

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    # A path with a trailing slash is an unknown route (404 in the envelope), as the contract says; Starlette would
    # answer a 307 to the slashless path, built from the request's Host header.
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.api = api
    return app
