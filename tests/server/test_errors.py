"""Every row of the contract's status table, the order of the checks, and the envelope on every failure."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.requests import Request

from crmdesk import contract
from crmdesk.server import app as app_module
from crmdesk.server import store as store_module
from crmdesk.server.store import Store, storage_trouble
from tests.server.conftest import client_for, create
from tests.support.live_server import Account, LiveServer


def assert_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "error", "code"}
    assert body["success"] is False
    assert body["code"] == code
    assert "Traceback" not in response.text
    return str(body["error"])


def test_missing_or_malformed_authorization_is_unauthorized(account: Account) -> None:
    url = f"{account.base_url}/api/contact"
    assert_error(httpx.get(url, params={"uid": "ABCD1234"}), 401, "UNAUTHORIZED")
    for header in ("Basic abc", "Bearer", f"Token {account.token}", "Bearer a b"):
        assert_error(httpx.get(url, params={"uid": "ABCD1234"}, headers={"Authorization": header}), 401, "UNAUTHORIZED")


def test_unknown_token_is_auth_error(account: Account) -> None:
    response = httpx.get(
        f"{account.base_url}/api/contact", params={"uid": "ABCD1234"}, headers={"Authorization": "Bearer nope-123"}
    )
    assert_error(response, 401, "AUTH_ERROR")


@pytest.mark.parametrize("plan", ["free", "express"])
def test_plans_without_api_access_are_forbidden(live_server: LiveServer, plan: str) -> None:
    account = live_server.add_account(plan=plan)
    with client_for(account) as api:
        assert_error(api.get("/api/contact", params={"uid": "ABCD1234"}), 403, "FORBIDDEN")
        assert_error(api.post("/api/contact", json={"name": "X Y", "phone": "1"}), 403, "FORBIDDEN")
        # Plan comes before validation: even a malformed body is a 403.
        assert_error(api.post("/api/contact", content=b"{oops"), 403, "FORBIDDEN")


@pytest.mark.parametrize("plan", ["starter", "business"])
def test_paid_plans_have_access(live_server: LiveServer, plan: str) -> None:
    account = live_server.add_account(plan=plan)
    with client_for(account) as api:
        assert api.post("/api/contact", json={"name": "X Y", "phone": "1"}).status_code == 201


def test_authentication_is_checked_before_anything_else(account: Account) -> None:
    response = httpx.post(f"{account.base_url}/api/contact", content=b"{oops", headers={"Authorization": "Bearer x"})
    assert_error(response, 401, "AUTH_ERROR")


def test_unknown_route_is_not_found_in_the_envelope(api: httpx.Client) -> None:
    assert_error(api.get("/api/contacts"), 404, "NOT_FOUND")
    assert_error(api.post("/api/contact/tag/remove", json={}), 404, "NOT_FOUND")
    assert_error(httpx.get(f"{api.base_url}/"), 404, "NOT_FOUND")
    # A trailing slash makes another route, not a redirect (whose Location would come from the Host header).
    assert_error(api.post("/api/contact/", json={"name": "X Y", "phone": "1"}), 404, "NOT_FOUND")
    assert_error(api.get("/api/contact/", params={"uid": "ABCD1234"}), 404, "NOT_FOUND")
    assert_error(api.put("/api/contact/stage/", json={}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/contact", b'{"name": "Ana \\ud800 Lima", "phone": "1"}', "name"),
        ("POST", "/api/contact/note/add", b'{"uid": "ABCD1234", "note": "Called \\udc00"}', "note"),
        ("POST", "/api/contact/tag/add", b'{"uid": "ABCD1234", "tagName": "VIP \\ud83d"}', "tagName"),
        ("PUT", "/api/contact", b'{"uid": "ABCD1234", "city": "Rio \\ud800"}', "city"),
    ],
)
def test_text_with_a_lone_surrogate_is_a_bad_request(
    api: httpx.Client, method: str, path: str, body: bytes, field: str
) -> None:
    # JSON may escape half of a surrogate pair on its own; such text has no UTF-8 form to store.
    response = api.request(method, path, content=body, headers={"Content-Type": "application/json"})
    message = assert_error(response, 400, "BAD_REQUEST")
    assert contract.field_from_message(message) == field, message


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/api/contact", {"GET", "POST", "PUT", "DELETE"}),
        ("GET", "/api/contact/tag/add", {"POST"}),
        ("POST", "/api/contact/stage", {"PUT"}),
        ("DELETE", "/api/contact/owner", {"PUT"}),
    ],
)
def test_wrong_method_is_405_with_allow(api: httpx.Client, method: str, path: str, allowed: set[str]) -> None:
    response = api.request(method, path)
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert allowed <= {part.strip() for part in response.headers["Allow"].split(",")}


@pytest.mark.parametrize(
    "content",
    [b"{oops", b"", b"[1, 2]", b'"text"', b"null", b'{"name": NaN}', b"\xff\xfe", b"1" * 5000],
    ids=["malformed", "empty", "array", "string", "null", "nan", "not-utf8", "huge-int"],
)
def test_bodies_that_are_not_a_json_object_are_bad_requests(api: httpx.Client, content: bytes) -> None:
    response = api.post("/api/contact", content=content, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "BAD_REQUEST")


def _body_of(size: int) -> bytes:
    """A create body of exactly ``size`` bytes, padded with a field the server ignores."""
    start = json.dumps({"name": "Big Body", "phone": "1", "padding": ""}).encode()
    body = start[:-2] + b"x" * (size - len(start)) + start[-2:]
    assert len(body) == size
    return body


def test_a_body_of_exactly_one_mebibyte_is_taken(api: httpx.Client) -> None:
    response = api.post("/api/contact", content=_body_of(contract.MAX_BODY_BYTES))
    assert response.status_code == 201, response.text[:200]

    def chunks() -> object:
        yield _body_of(contract.MAX_BODY_BYTES)  # without Content-Length: counted as it arrives

    assert api.post("/api/contact", content=chunks()).status_code == 201  # type: ignore[arg-type]


def test_body_over_one_mebibyte_is_refused(api: httpx.Client) -> None:
    assert_error(api.post("/api/contact", content=_body_of(contract.MAX_BODY_BYTES + 1)), 400, "BAD_REQUEST")
    body = json.dumps({"name": "Big Body", "phone": "1", "padding": "x" * contract.MAX_BODY_BYTES}).encode()
    assert_error(api.post("/api/contact", content=body), 400, "BAD_REQUEST")

    def chunks() -> object:
        yield body  # streamed without Content-Length, so the server has to count

    response = api.post("/api/contact", content=chunks())  # type: ignore[arg-type]
    assert_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com"}, "name"),
        ({"name": "No Contact"}, "email"),
        ({"name": 5, "phone": "1"}, "name"),
        ({"name": "X Y", "email": 5}, "email"),
        ({"name": "X Y", "email": "not-an-email"}, "email"),
        ({"name": "X Y", "email": "a" * 250 + "@b.com"}, "email"),
        ({"name": "X Y", "phone": "no digits"}, "phone"),
        ({"name": "X Y", "phone": "1", "birthday": "2023-02-29"}, "birthday"),
        ({"name": "X Y", "phone": "1", "birthday": "15/01/1990"}, "birthday"),
        ({"name": "X Y", "phone": "1", "timeZone": "Mars/Olympus"}, "timeZone"),
        ({"name": "X Y", "phone": "1", "value": True}, "value"),
        ({"name": "X Y", "phone": "1", "value": "9" * 65}, "value"),
        ({"firstName": "x" * 101, "phone": "1"}, "firstName"),
        ({"firstName": "X", "lastName": "y" * 101, "phone": "1"}, "lastName"),
        ({"name": "X Y", "phone": "1", "state": "s" * 101}, "state"),
        ({"name": "X Y", "phone": "1", "businessName": "b" * 201}, "businessName"),
        ({"name": "X Y", "phone": "1", "address": "a" * 301}, "address"),
        ({"name": "X Y", "phone": "1", "city": "c" * 101}, "city"),
        ({"name": "X Y", "phone": "1", "zipcode": "9" * 21}, "zipcode"),
        ({"name": "X Y", "phone": "1", "snapshot": "s" * 5001}, "snapshot"),
        ({"name": "X Y", "phone": "1", "note": "n" * 10001}, "note"),
        ({"name": "X Y", "phone": "1", "tags": "solo"}, "tags"),
        ({"name": "X Y", "phone": "1", "tags": ["t" * 101]}, "tags"),
        ({"name": "X Y", "phone": "1", "tags": [str(n) for n in range(101)]}, "tags"),
        ({"name": "X Y", "phone": "1", "stageName": "Imaginary"}, "stageName"),
        ({"name": "X Y", "phone": "1", "qualityName": "Superb"}, "qualityName"),
        ({"name": "X Y", "phone": "1", "ownerEmail": "nobody@yourcompany.com"}, "ownerEmail"),
    ],
)
def test_invalid_create_bodies_name_the_field(api: httpx.Client, body: dict[str, object], field: str) -> None:
    message = assert_error(api.post("/api/contact", json=body), 400, "BAD_REQUEST")
    assert contract.field_from_message(message) == field, message


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        # The contract sets no phone limit: "stored as given, trimmed".
        ({"name": "X Y", "phone": "+55 (11) 98765-4321 ext. 1234, ask for the front desk"}, {}),
        # name has no limit of its own: each part it splits into is within the names' 100.
        ({"name": "A" * 100 + "   " + "B" * 100, "phone": "1"}, {"firstName": "A" * 100, "lastName": "B" * 100}),
        # "syntactically valid": a quoted local part is valid syntax.
        ({"name": "X Y", "email": '"john doe"@example.com'}, {"email": '"john doe"@example.com'}),
    ],
)
def test_values_the_contract_accepts_are_stored(
    api: httpx.Client, body: dict[str, str], stored: dict[str, str]
) -> None:
    response = api.post("/api/contact", json=body)
    assert response.status_code == 201, response.text
    contact = api.get("/api/contact", params={"uid": response.json()["data"]["uid"]}).json()["data"]
    for field, value in {"phone": body.get("phone", ""), **stored}.items():
        assert contact[field] == value


def test_unknown_stage_message_names_the_stage(api: httpx.Client) -> None:
    message = assert_error(
        api.post("/api/contact", json={"name": "X", "phone": "1", "stageName": "Dreamy"}), 400, "BAD_REQUEST"
    )
    assert message == "Invalid stageName: Stage 'Dreamy' does not exist in your account"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/api/contact", {"city": "Rio"}, "uid"),
        ("PUT", "/api/contact", {"uid": "bad"}, "uid"),
        # A well-formed uid of no contact: the body is judged before the contact is looked up.
        ("PUT", "/api/contact", {"uid": "ZZZZZZZZ", "stageName": "Nope"}, "stageName"),
        ("PUT", "/api/contact", {"uid": "ZZZZZZZZ", "city": "c" * 101}, "city"),
        ("POST", "/api/contact/tag/add", {"tagName": "x"}, "uid"),
        ("POST", "/api/contact/tag/add", {"uid": "ABCD1234"}, "tagName"),
        ("POST", "/api/contact/tag/add", {"uid": "ABCD1234", "tagName": ["x"]}, "tagName"),
        ("POST", "/api/contact/note/add", {"uid": "ABCD1234"}, "note"),
        ("POST", "/api/contact/note/add", {"uid": "ABCD1234", "note": "  "}, "note"),
        ("PUT", "/api/contact/stage", {"uid": "ABCD1234"}, "stageName"),
        ("PUT", "/api/contact/stage", {"uid": "ABCD1234", "stageName": "Nope"}, "stageName"),
        ("PUT", "/api/contact/quality", {"uid": "ABCD1234", "qualityName": 3}, "qualityName"),
        ("PUT", "/api/contact/owner", {"uid": "ABCD1234", "ownerEmail": "no-at-sign"}, "ownerEmail"),
        ("PUT", "/api/contact/owner", {"email": 7, "ownerEmail": "ana@yourcompany.com"}, "email"),
    ],
)
def test_invalid_change_requests_are_bad_requests_before_lookup(
    api: httpx.Client, method: str, path: str, body: dict[str, object], field: str
) -> None:
    message = assert_error(api.request(method, path, json=body), 400, "BAD_REQUEST")
    assert contract.field_from_message(message) == field, message


def test_get_and_delete_need_an_identifier(api: httpx.Client) -> None:
    assert_error(api.get("/api/contact"), 400, "BAD_REQUEST")
    assert_error(api.get("/api/contact", params={"uid": " "}), 400, "BAD_REQUEST")
    assert_error(api.delete("/api/contact"), 400, "BAD_REQUEST")
    assert_error(api.delete("/api/contact", params={"email": "a@example.com"}), 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/api/contact", {"uid": "ZZZZZZZZ", "city": "Rio"}),
        ("POST", "/api/contact/tag/add", {"uid": "ZZZZZZZZ", "tagName": "x"}),
        ("POST", "/api/contact/note/add", {"email": "nobody@example.com", "note": "x"}),
        ("PUT", "/api/contact/stage", {"phone": "000", "stageName": "Won"}),
        ("PUT", "/api/contact/quality", {"uid": "ZZZZZZZZ", "qualityName": "High"}),
        ("PUT", "/api/contact/owner", {"uid": "ZZZZZZZZ", "ownerEmail": "ana@yourcompany.com"}),
    ],
)
def test_changes_to_a_missing_contact_are_not_found(
    api: httpx.Client, method: str, path: str, body: dict[str, object]
) -> None:
    assert_error(api.request(method, path, json=body), 404, "NOT_FOUND")


def test_internal_error_is_a_500_envelope_without_a_stack_trace(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "broken.sqlite3") as server:
        account = server.add_account()
        with client_for(account) as api:
            uid = create(api, name="Broken Notes", phone="1")
            # Break the schema behind the server's back: reading notes now fails inside the store.
            with server.store.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE notes"))
            response = api.get("/api/contact", params={"uid": uid})
        message = assert_error(response, 500, "SERVER_ERROR")
        assert "notes" not in message and "sqlite" not in message.lower()
        server.stop()
        assert "Unexpected error" in server.stderr
        assert account.token not in server.stderr


def test_another_programs_write_lock_fails_a_change_with_a_reason_and_one_log_line(tmp_path: Path) -> None:
    """An operator's VACUUM or a copy tool holding the SQLite file: the change says why it failed, after the
    busy timeout rather than holding every request for long, and the log says so in a line, not a traceback."""
    path = tmp_path / "team.sqlite3"
    with LiveServer(path) as server:
        account = server.add_account()
        with client_for(account) as api:
            uid = create(api, name="Locked Out", phone="1")
            other = sqlite3.connect(path, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                started = time.monotonic()
                response = api.post("/api/contact/note/add", json={"uid": uid, "note": "Called."})
                waited = time.monotonic() - started
            finally:
                other.rollback()
                other.close()
            message = assert_error(response, 500, "SERVER_ERROR")
            assert message == "Its database is busy: another program is writing to it"
            assert store_module.BUSY_TIMEOUT_MS / 1000 <= waited < store_module.BUSY_TIMEOUT_MS / 1000 + 5
            added = api.post("/api/contact/note/add", json={"uid": uid, "note": "Called again."})
            assert added.status_code == 200, "the lock gone, changes go through"
        server.stop()
        assert "failed: Its database is busy" in server.stderr
        assert "Traceback" not in server.stderr


def test_another_programs_write_lock_holds_only_changes_not_reads(tmp_path: Path) -> None:
    """While another program holds the SQLite file's write lock, the team's lookups still answer at once; the
    changes wait for the lock together, and all fail after one busy timeout, not one after another."""
    path = tmp_path / "team.sqlite3"
    with LiveServer(path) as server:
        account = server.add_account()
        with client_for(account) as api:
            uid = create(api, name="Locked Out", phone="1")
        busy_s = store_module.BUSY_TIMEOUT_MS / 1000
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            with ThreadPoolExecutor(max_workers=4) as pool:
                changes = [
                    pool.submit(_timed_post, account, "/api/contact/note/add", {"uid": uid, "note": f"Call {n}."})
                    for n in range(3)
                ]
                time.sleep(0.3)  # the changes are waiting for the lock now
                started = time.monotonic()
                with client_for(account) as api:
                    found = api.get("/api/contact", params={"uid": uid})
                read_s = time.monotonic() - started
                answers = [change.result() for change in changes]
        finally:
            other.rollback()
            other.close()
        assert found.status_code == 200 and found.json()["data"]["firstName"] == "Locked"
        assert read_s < busy_s / 3, f"a lookup waited {read_s:.2f}s behind a change waiting for the lock"
        for response, waited in answers:
            assert assert_error(response, 500, "SERVER_ERROR").startswith("Its database is busy")
            assert busy_s - 0.1 <= waited < busy_s + 1.5, f"a queued change failed after {waited:.2f}s"
        server.stop()
        assert "Traceback" not in server.stderr


def _timed_post(account: Account, path: str, body: dict[str, str]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    with client_for(account) as api:
        response = api.post(path, json=body)
    return response, time.monotonic() - started


def test_storage_trouble_names_what_sqlite_refuses_for_reasons_outside_the_request(tmp_path: Path) -> None:
    path = tmp_path / "small.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE notes (body TEXT)")
    setup.commit()
    errors: list[sqlite3.Error] = []
    full = sqlite3.connect(path)
    full.execute(f"PRAGMA max_page_count={full.execute('PRAGMA page_count').fetchone()[0]}")  # as a full disk
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    for connection, statement in (
        (full, "INSERT INTO notes VALUES (zeroblob(100000))"),
        (read_only, "INSERT INTO notes VALUES ('x')"),
        (setup, "SELECT * FROM contacts"),
    ):
        with pytest.raises(sqlite3.Error) as raised:
            connection.execute(statement)
        errors.append(raised.value)
    for connection in (setup, full, read_only):
        connection.close()
    disk, written, missing = (storage_trouble(error) for error in errors)
    assert disk == "Its disk is full: nothing can be saved until its operator frees space"
    assert written == "Its database cannot be written: nothing can be saved until its operator lets it"
    assert missing is None, "a broken schema is the server's own fault: logged with its traceback"


def test_storage_trouble_names_postgresqls_lock_timeout_as_a_busy_database() -> None:
    """A PostgreSQL change waits for another session's lock (an operator's open psql transaction) as long as a
    SQLite one would, then fails as SQLite's does. No PostgreSQL runs here: these are its drivers' errors as
    SQLAlchemy wraps them (checked against PostgreSQL 15 with psycopg when this was written)."""

    class Psycopg3LockNotAvailable(Exception):
        sqlstate = "55P03"

    class Psycopg2LockNotAvailable(Exception):
        pgcode = "55P03"

    class SerializationFailure(Exception):
        sqlstate = "40001"

    busy = "Its database is busy: another program is writing to it"
    for driver_error in (Psycopg3LockNotAvailable, Psycopg2LockNotAvailable):
        wrapped = sa.exc.OperationalError("INSERT INTO notes ...", {}, driver_error("canceling statement due to lock"))
        assert storage_trouble(wrapped) == busy
    other = sa.exc.OperationalError("INSERT INTO notes ...", {}, SerializationFailure("could not serialize"))
    assert storage_trouble(other) is None


@pytest.mark.expected_warnings
def test_failures_held_back_are_counted_at_the_minutes_end_even_if_none_follows(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst that stops within the minute (a lock held for 15 s): its one line read as a single blip."""
    import asyncio

    monkeypatch.setattr(app_module, "STORAGE_LOG_INTERVAL_S", 0.2)
    api = app_module.ContactApi(Store("sqlite://"), None)
    request = Request({"type": "http", "method": "POST", "path": "/api/contact/note/add", "headers": []})
    busy = "Its database is busy: another program holds it"

    async def burst() -> None:
        for _ in range(5):
            api._storage_failed(busy, request)
        await asyncio.sleep(0.5)  # the minute (here 0.2 s) ends with no failure after it

    with caplog.at_level(logging.ERROR, logger="crmdesk.server"):
        asyncio.run(burst())
    assert [record.getMessage() for record in caplog.records] == [
        f"POST /api/contact/note/add failed: {busy}",
        f"4 more requests failed in the last minute: {busy}",
    ]


@pytest.mark.expected_warnings
def test_a_storage_failure_that_goes_on_is_logged_once_a_minute(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk fails every write; a log line (let alone a traceback) for each would fill what room is left."""
    clock = [1000.0]
    monkeypatch.setattr(app_module.time, "monotonic", lambda: clock[0])
    api = app_module.ContactApi(Store("sqlite://"), None)
    request = Request({"type": "http", "method": "POST", "path": "/api/contact/note/add", "headers": []})
    full = "Its disk is full: nothing can be saved until its operator frees space"
    with caplog.at_level(logging.ERROR, logger="crmdesk.server"):
        for _ in range(3):
            api._storage_failed(full, request)
            clock[0] += 10
        clock[0] += app_module.STORAGE_LOG_INTERVAL_S
        api._storage_failed(full, request)
    assert [record.getMessage() for record in caplog.records] == [
        f"POST /api/contact/note/add failed: {full}",
        f"POST /api/contact/note/add failed: {full} (2 more since the last report)",
    ]
