"""Fault tests: what the client does when the network or the server misbehaves, and how often it tries.

Timeouts and resets go over real loopback sockets (tests.api.faults); the rest use httpx.MockTransport.
Each case asserts the exact outcome and the number of attempts.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import json
import threading
import time

import httpx
import pytest

from crmdesk.api import (
    ApiError,
    AuthError,
    BadResponseError,
    Contact,
    ContactApi,
    ContactSummary,
    NetworkError,
    NotFoundError,
    PlanError,
    RateLimitedError,
    ServerError,
    TimeoutError,
    ValidationError,
)
from crmdesk.api.client import MAX_ANSWER_BYTES
from tests.api.faults import Drip, FaultServer, Flood, Hang, Reply, Reset, Step, http_response, json_reply
from tests.api.helpers import SEED_CONTACT, SEED_SUMMARY, Scripted, fail, make_api, ok
from tests.support.live_server import LiveServer

SEED_CREATE = {"name": "John Doe", "email": "john@example.com", "phone": "+15551234567"}

# --- Real sockets: timeouts and resets -----------------------------------------------------------


def test_slow_get_times_out_after_every_retry() -> None:
    async def scenario() -> None:
        async with FaultServer([Hang()]) as server:
            api, recorder = make_api(server.base_url, timeout=0.2, max_retries=2)
            async with api:
                with pytest.raises(TimeoutError) as caught:
                    await api.get_contact(uid="ABC12345")
            assert len(server.requests) == 3
            assert recorder.sleeps == [0.5, 1.0]
            assert [(event.reason, event.held) for event in recorder.events] == [("network", False)] * 2
            assert caught.value.method == "GET" and caught.value.path == "/api/contact"
            assert isinstance(caught.value, NetworkError)

    asyncio.run(scenario())


def test_many_requests_at_once_share_at_most_a_hundred_connections() -> None:
    """A long list of tags pasted at once is one request per tag: against a slow server they queue for httpx's
    100 connections rather than open a socket each."""

    async def scenario() -> None:
        async with FaultServer([Hang(seconds=30)]) as server:
            api, _recorder = make_api(server.base_url, timeout=10.0, max_retries=0)
            async with api:
                calls = [asyncio.ensure_future(api.get_contact(uid=f"ABC{n:05d}")) for n in range(150)]
                for _ in range(50):  # until the connections stop growing (the cap, or all 150)
                    await asyncio.sleep(0.1)
                    if len(server._writers) >= 100:
                        await asyncio.sleep(0.3)
                        break
                opened = len(server._writers)
                for call in calls:
                    call.cancel()
                await asyncio.gather(*calls, return_exceptions=True)
            assert opened == 100

    asyncio.run(scenario())


def test_a_server_that_drips_its_answer_meets_the_deadline() -> None:
    # Each byte comes well within the per-read timeout, and the body never ends: only the deadline stops it.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"

    async def scenario() -> None:
        async with FaultServer([Drip(head, every=0.05)]) as server:
            api, _recorder = make_api(server.base_url, timeout=0.5, max_retries=2, deadline=0.6)
            async with api:
                started = time.monotonic()
                with pytest.raises(TimeoutError) as caught:
                    await api.get_contact(uid="ABC12345")
                elapsed = time.monotonic() - started
            assert 0.55 < elapsed < 3.0
            assert str(caught.value) == "No complete answer within 0.6 s."
            assert caught.value.method == "GET" and caught.value.path == "/api/contact"

    asyncio.run(scenario())


def test_the_deadline_leaves_a_timely_answer_and_an_attempts_own_timeout_alone() -> None:
    async def scenario() -> None:
        async with FaultServer([Hang()]) as server:
            api, _recorder = make_api(server.base_url, timeout=0.2, max_retries=0, deadline=5.0)
            async with api:
                with pytest.raises(TimeoutError) as caught:
                    await api.get_contact(uid="ABC12345")
            assert str(caught.value) == "Timed out waiting for the server."
        async with FaultServer([json_reply(200, {"success": True, "data": SEED_CONTACT})]) as server:
            api, _recorder = make_api(server.base_url, deadline=5.0)
            async with api:
                assert isinstance(await api.get_contact(uid="ABC12345"), Contact)

    asyncio.run(scenario())


def test_slow_create_is_not_sent_twice() -> None:
    async def scenario() -> None:
        async with FaultServer([Hang()]) as server:
            api, recorder = make_api(server.base_url, timeout=0.2)
            async with api:
                with pytest.raises(TimeoutError) as caught:
                    await api.create_contact(**SEED_CREATE)
            # The create may have happened; sending it again could duplicate the contact.
            assert len(server.requests) == 1
            assert recorder.sleeps == []
            assert caught.value.may_have_happened

    asyncio.run(scenario())


def _cut_body() -> bytes:
    body = json.dumps({"success": True, "data": SEED_CONTACT}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    return head + body[: len(body) // 2]


def test_reset_mid_body_is_retried_for_get() -> None:
    async def scenario() -> None:
        script: list[Step] = [Reset(_cut_body()), json_reply(200, {"success": True, "data": SEED_CONTACT})]
        async with FaultServer(script) as server:
            api, recorder = make_api(server.base_url, timeout=2)
            async with api:
                contact = await api.get_contact(uid="ABC12345")
            assert isinstance(contact, Contact) and contact.uid == "ABC12345"
            assert len(server.requests) == 2
            assert recorder.sleeps == [0.5]

    asyncio.run(scenario())


def test_delete_whose_answer_was_lost_counts_a_404_on_the_retry_as_done() -> None:
    async def scenario() -> None:
        # The first DELETE reaches the server and deletes; its answer is cut; the retry finds nothing.
        not_found = json_reply(404, {"success": False, "error": "Contact not found", "code": "NOT_FOUND"})
        async with FaultServer([Reset(_cut_body()), not_found]) as server:
            api, _recorder = make_api(server.base_url, timeout=2)
            async with api:
                assert await api.delete_contact("ABC12345") == "ABC12345"
            assert len(server.requests) == 2

    asyncio.run(scenario())


def test_delete_of_a_contact_that_never_existed_is_still_not_found() -> None:
    async def scenario() -> None:
        not_found = json_reply(404, {"success": False, "error": "Contact not found", "code": "NOT_FOUND"})
        async with FaultServer([not_found]) as server:
            api, _recorder = make_api(server.base_url, timeout=2)
            async with api:
                with pytest.raises(NotFoundError):
                    await api.delete_contact("ABC12345")
            assert len(server.requests) == 1

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("call", "argument", "key"),
    [
        ("set_stage", "Qualified", "stageName"),
        ("set_quality", "High", "qualityName"),
        ("set_owner", "carlos@example.com", "ownerEmail"),
        ("add_tag", "VIP", "tagName"),
    ],
)
def test_a_write_that_does_the_same_twice_is_sent_again_after_its_answer_was_lost(
    call: str, argument: str, key: str
) -> None:
    # The first request after the network changed often goes out on a kept-alive connection that is dead: its
    # answer is lost though the server never saw it. A stage set twice, or a tag added twice, is set or added once.
    change = {"contactUid": "ABC12345", "contactEmail": "a@example.com", "contactPhone": "+5511987654321"}
    change[key] = argument
    if key == "ownerEmail":
        change["ownerName"] = "Carlos"

    async def scenario() -> None:
        async with FaultServer([Reset(), json_reply(200, {"success": True, "data": change})]) as server:
            api, recorder = make_api(server.base_url, timeout=2)
            async with api:
                answer = await getattr(api, call)(argument, uid="ABC12345")
            assert len(server.requests) == 2 and recorder.sleeps == [0.5]
            assert json.loads(server.requests[1].body)[key] == argument
            assert answer.contactUid == "ABC12345"

    asyncio.run(scenario())


@pytest.mark.parametrize("refusal", [429, 500])
def test_a_refused_retry_after_a_lost_answer_still_may_have_happened(refusal: int) -> None:
    # The first attempt reached the server and stored the stage; only its answer was lost. The retry's refusal (a
    # rate limit, a failure) is about the retry: the rep must not be told the stage was not changed.
    refused = json_reply(
        refusal, {"success": False, "error": "no", "code": "RATE_LIMITED" if refusal == 429 else "SERVER_ERROR"}
    )

    async def scenario() -> None:
        async with FaultServer([Reset(), refused]) as server:
            api, _recorder = make_api(server.base_url, timeout=2, max_retries=1)
            async with api:
                with pytest.raises(ApiError) as caught:
                    await api.set_stage("Qualified", uid="ABC12345")
            assert len(server.requests) == 2
            assert caught.value.status == refusal and caught.value.may_have_happened

    asyncio.run(scenario())


def test_a_stage_the_server_was_unavailable_for_was_not_set() -> None:
    # A 503 says the server did not take the request: retried, and refused each time, the stage was not changed.
    unavailable = json_reply(503, {"success": False, "error": "Service unavailable", "code": "SERVER_ERROR"})

    async def scenario() -> None:
        async with FaultServer([unavailable, unavailable]) as server:
            api, _recorder = make_api(server.base_url, timeout=2, max_retries=1)
            async with api:
                with pytest.raises(ApiError) as caught:
                    await api.set_stage("Qualified", uid="ABC12345")
            assert len(server.requests) == 2
            assert caught.value.status == 503 and not caught.value.may_have_happened

    asyncio.run(scenario())


def test_a_set_stage_whose_answers_are_all_lost_may_have_happened() -> None:
    async def scenario() -> None:
        async with FaultServer([Reset(), Reset(), Reset()]) as server:
            api, _recorder = make_api(server.base_url, timeout=2, max_retries=2)
            async with api:
                with pytest.raises(NetworkError) as caught:
                    await api.set_stage("Qualified", uid="ABC12345")
            assert len(server.requests) == 3
            assert caught.value.may_have_happened  # any of them may have been done

    asyncio.run(scenario())


def test_reset_mid_body_fails_a_note_without_resending() -> None:
    async def scenario() -> None:
        async with FaultServer([Reset(_cut_body())]) as server:
            api, _recorder = make_api(server.base_url, timeout=2)
            async with api:
                with pytest.raises(NetworkError) as caught:
                    await api.add_note("Called back", uid="ABC12345")
            assert type(caught.value) is NetworkError
            assert len(server.requests) == 1

    asyncio.run(scenario())


def test_only_a_write_that_was_sent_may_have_happened() -> None:
    # The rep is told to look before creating again only where the server may have done it.
    handler = Scripted([httpx.ConnectError("refused")])
    api, _recorder = make_api(handler=handler, max_retries=0)
    with pytest.raises(NetworkError) as refused:
        _run(api, "create_contact", **SEED_CREATE)
    assert not refused.value.may_have_happened  # it never left this computer
    unreadable = httpx.Response(201, content=b"<html>Created</html>", headers={"Content-Type": "text/html"})
    api, _recorder = make_api(handler=Scripted([unreadable]))
    with pytest.raises(BadResponseError) as done:
        _run(api, "create_contact", **SEED_CREATE)
    assert done.value.may_have_happened  # 201: done, whatever the body says
    api, _recorder = make_api(handler=Scripted([unreadable]))
    with pytest.raises(BadResponseError) as read:
        _run(api, "get_contact", uid="ABC12345")
    assert not read.value.may_have_happened  # a lookup changes nothing


def test_refused_connection_is_retried_then_reported() -> None:
    async def scenario() -> None:
        # Take a free port and close it again, so nothing listens there.
        async with FaultServer([Reply(b"")]) as server:
            base_url = server.base_url
        api, recorder = make_api(base_url, timeout=1, max_retries=2)
        async with api:
            with pytest.raises(NetworkError) as caught:
                await api.create_contact(**SEED_CREATE)
        assert type(caught.value) is NetworkError
        assert "connect" in str(caught.value).lower()
        # A refused connection never delivered the create, so even a POST is retried.
        assert recorder.sleeps == [0.5, 1.0]

    asyncio.run(scenario())


def test_cancelling_mid_request_leaves_the_client_usable() -> None:
    async def scenario() -> None:
        script: list[Step] = [Hang(), json_reply(200, {"success": True, "data": SEED_CONTACT})]
        async with FaultServer(script) as server:
            api, _recorder = make_api(server.base_url, timeout=5)
            async with api:
                task = asyncio.create_task(api.get_contact(uid="ABC12345"))
                while not server.requests:
                    await asyncio.sleep(0.01)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                contact = await api.get_contact(uid="ABC12345")
                assert isinstance(contact, Contact)
                pool = api._client._transport._pool  # type: ignore[union-attr]
                # The cancelled request's connection was dropped, not left checked out.
                assert all(connection.is_idle() for connection in pool.connections)
                assert len(pool.connections) == 1
            assert len(server.requests) == 2

    asyncio.run(scenario())


# --- Status codes and retries --------------------------------------------------------------------


def _run(api: ContactApi, call: str, *args: object, **kwargs: object) -> object:
    async def scenario() -> object:
        async with api:
            return await getattr(api, call)(*args, **kwargs)

    return asyncio.run(scenario())


def test_500_is_not_retried() -> None:
    handler = Scripted([fail(500, "SERVER_ERROR", "Internal server error")])
    api, recorder = make_api(handler=handler)
    with pytest.raises(ServerError) as caught:
        _run(api, "get_contact", uid="ABC12345")
    assert caught.value.status == 500 and caught.value.code == "SERVER_ERROR"
    assert handler.attempts == 1 and recorder.sleeps == []


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_for_get(status: int) -> None:
    handler = Scripted([httpx.Response(status, text="<html>Bad gateway</html>"), ok(SEED_CONTACT)])
    api, recorder = make_api(handler=handler)
    contact = _run(api, "get_contact", uid="ABC12345")
    assert isinstance(contact, Contact)
    assert handler.attempts == 2
    assert recorder.sleeps == [0.5]
    assert recorder.events[0].reason == "server_error"


def test_503_gives_up_after_max_retries_with_backoff() -> None:
    handler = Scripted([httpx.Response(503, text="busy")])
    api, recorder = make_api(handler=handler)
    with pytest.raises(ServerError) as caught:
        _run(api, "delete_contact", "ABC12345")
    assert caught.value.status == 503
    assert handler.attempts == 4
    assert recorder.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("status", [502, 503])
def test_gateway_errors_are_not_retried_for_post(status: int) -> None:
    handler = Scripted([httpx.Response(status, text="busy")])
    api, recorder = make_api(handler=handler)
    with pytest.raises(ServerError):
        _run(api, "create_contact", **SEED_CREATE)
    assert handler.attempts == 1 and recorder.sleeps == []


def test_backoff_is_capped_at_eight_seconds() -> None:
    handler = Scripted([httpx.Response(502)])
    api, recorder = make_api(handler=handler, max_retries=6)
    with pytest.raises(ServerError):
        _run(api, "get_contact", uid="ABC12345")
    assert recorder.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert handler.attempts == 7


def test_jitter_shortens_the_backoff() -> None:
    handler = Scripted([httpx.Response(502), ok(SEED_CONTACT)])
    api, recorder = make_api(handler=handler)
    api._jitter = lambda: 0.8
    _run(api, "get_contact", uid="ABC12345")
    assert recorder.sleeps == [pytest.approx(0.4)]


def test_429_honours_retry_after_seconds() -> None:
    handler = Scripted([fail(429, "RATE_LIMITED", "Too many requests", {"Retry-After": "3"}), ok(SEED_SUMMARY, 201)])
    api, recorder = make_api(handler=handler)
    ref = _run(api, "create_contact", **SEED_CREATE)
    assert getattr(ref, "uid", None) == "ABC12345"
    # A 429 was refused before any work, so even a create is sent again.
    assert handler.attempts == 2
    assert recorder.sleeps == [3.0]
    event = recorder.events[0]
    assert (event.reason, event.attempt, event.delay, event.method, event.path) == (
        "rate_limited",
        1,
        3.0,
        "POST",
        "/api/contact",
    )
    assert event.message == "Rate limited — retrying in 3 s"


def test_429_honours_retry_after_http_date() -> None:
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    handler = Scripted([fail(429, "RATE_LIMITED", "slow down", {"Retry-After": when}), ok(SEED_CONTACT)])
    api, recorder = make_api(handler=handler)
    _run(api, "get_contact", uid="ABC12345")
    assert handler.attempts == 2
    assert len(recorder.sleeps) == 1 and 3.0 <= recorder.sleeps[0] <= 5.0


@pytest.mark.parametrize("clock_off_by", [-3 * 3600, 3 * 3600], ids=["computer 3 h slow", "computer 3 h fast"])
def test_a_retry_after_date_is_counted_by_the_servers_clock(clock_off_by: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Just after waking, or on a computer whose clock was never set: a wait of 3 hours, or none at all and the
    # server asked again and again.
    server_now = time.time()
    headers = {
        "Retry-After": email.utils.formatdate(server_now + 5, usegmt=True),
        "Date": email.utils.formatdate(server_now, usegmt=True),
    }
    monkeypatch.setattr(time, "time", lambda: server_now + clock_off_by)
    handler = Scripted([fail(429, "RATE_LIMITED", "slow down", headers), ok(SEED_CONTACT)])
    api, recorder = make_api(handler=handler)
    _run(api, "get_contact", uid="ABC12345")
    assert handler.attempts == 2
    assert len(recorder.sleeps) == 1 and 4.0 <= recorder.sleeps[0] <= 5.0


def test_429_without_retry_after_backs_off_then_raises() -> None:
    handler = Scripted([fail(429, "RATE_LIMITED", "slow down")])
    api, recorder = make_api(handler=handler)
    with pytest.raises(RateLimitedError) as caught:
        _run(api, "get_contact", uid="ABC12345")
    assert caught.value.retry_after is None
    assert handler.attempts == 4
    assert recorder.sleeps == [0.5, 1.0, 2.0]


def test_429_asking_for_longer_than_the_cap_gives_up_at_once() -> None:
    handler = Scripted([fail(429, "RATE_LIMITED", "slow down", {"Retry-After": "120"})])
    api, recorder = make_api(handler=handler)
    with pytest.raises(RateLimitedError) as caught:
        _run(api, "get_contact", uid="ABC12345")
    assert caught.value.retry_after == 120.0
    assert handler.attempts == 1 and recorder.sleeps == []


def test_connect_error_retries_even_a_create() -> None:
    handler = Scripted([httpx.ConnectError("refused"), ok(SEED_SUMMARY, 201)])
    api, recorder = make_api(handler=handler)
    _run(api, "create_contact", **SEED_CREATE)
    assert handler.attempts == 2 and recorder.sleeps == [0.5]


def test_read_error_on_a_save_is_not_retried() -> None:
    # A save's PUT carries the whole form: sent again after a colleague's change in between, it would undo it
    # (the app looks first, then asks). Setting the stage alone is retried (see the test above).
    handler = Scripted([httpx.ReadError("reset"), ok(SEED_CONTACT)])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(NetworkError) as caught:
        _run(api, "update_contact", "ABC12345", city="Recife")
    assert handler.attempts == 1 and caught.value.may_have_happened


@pytest.mark.expected_warnings
def test_failing_on_retry_callback_does_not_break_the_request(caplog: pytest.LogCaptureFixture) -> None:
    handler = Scripted([httpx.Response(503), ok(SEED_CONTACT)])
    api, _recorder = make_api(handler=handler)

    def broken(_event: object) -> None:
        raise RuntimeError("UI went away")

    api.on_retry = broken
    assert isinstance(_run(api, "get_contact", uid="ABC12345"), Contact)
    assert handler.attempts == 2
    assert any(record.name == "crmdesk.api" and record.exc_info for record in caplog.records)


# --- Error mapping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (fail(401, "UNAUTHORIZED", "Missing token"), AuthError),
        (fail(401, "AUTH_ERROR", "Invalid token"), AuthError),
        (fail(403, "FORBIDDEN", "Plan"), PlanError),
        (fail(404, "NOT_FOUND", "Contact not found"), NotFoundError),
        (fail(400, "BAD_REQUEST", "Invalid email: nope"), ValidationError),
        (fail(405, "METHOD_NOT_ALLOWED", "no"), ValidationError),
        (httpx.Response(500, text="<html>oops</html>"), ServerError),
    ],
)
def test_statuses_map_to_error_classes(response: httpx.Response, expected: type[Exception]) -> None:
    handler = Scripted([response])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(expected) as caught:
        _run(api, "get_contact", uid="ABC12345")
    assert type(caught.value) is expected
    assert handler.attempts == 1


def test_plan_error_explains_which_plans_have_api_access() -> None:
    api, _recorder = make_api(handler=Scripted([fail(403, "FORBIDDEN", "Forbidden")]))
    with pytest.raises(PlanError, match="Starter, Pro or Business"):
        _run(api, "get_contact", uid="ABC12345")


def test_server_validation_error_names_its_field() -> None:
    handler = Scripted([fail(400, "BAD_REQUEST", "Invalid stageName: no stage called Nope")])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(ValidationError) as caught:
        _run(api, "set_stage", "Nope", uid="ABC12345")
    assert caught.value.field == "stageName" and caught.value.status == 400


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NOT_FOUND", NotFoundError),
        ("BAD_REQUEST", ValidationError),
        ("AUTH_ERROR", AuthError),
        ("ODD", ValidationError),
    ],
)
def test_success_false_with_200_is_the_mapped_error(code: str, expected: type[Exception]) -> None:
    handler = Scripted([fail(200, code, "Invalid email: refused")])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(expected) as caught:
        _run(api, "get_contact", uid="ABC12345")
    assert type(caught.value) is expected
    assert handler.attempts == 1


# --- Bodies the client cannot read ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<!DOCTYPE html><html><body>Welcome to nginx</body></html>", "HTML instead of JSON"),
        (json.dumps({"success": True, "data": SEED_CONTACT}).encode()[:120], "truncated JSON"),
        (b"", "empty body"),
        (b'{"success": true, "data": {"uid": "ABC12345"}} trailing', "malformed JSON"),
        (b'["not", "an", "envelope"]', "instead of the API's envelope"),
        (b'{"success": true}', "no data"),
        (b'{"success": true, "data": "ABC12345"}', "expected an object"),
        (b'{"success": true, "data": {"email": "a@b.co"}}', "without a uid"),
        (b'{"success": true, "data": {"uid": "ABC12345", "tags": 7}}', "tags"),
        (b'{"success": true, "data": "\xc3\x28"}', "not UTF-8"),
        # JSON over HTTP is UTF-8; in UTF-16 an escaped quote would hide brackets from the object count.
        (('{"success": true, "data": ["\\""' + ",[]" * 300_000 + "]}").encode("utf-16"), "not UTF-8"),
        (('{"success": true, "data": ["\\""' + ",[]" * 300_000 + "]}").encode("utf-16-le"), "malformed JSON"),
        (b'{"success": true, "data": {"uid": "ABC12345", "n": ' + b"7" * 5000 + b"}}", "number too long"),
    ],
)
def test_unreadable_bodies_are_bad_responses(body: bytes, says: str) -> None:
    handler = Scripted([httpx.Response(200, content=body, headers={"Content-Type": "application/json"})])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(BadResponseError, match=says):
        _run(api, "get_contact", uid="ABC12345")
    assert handler.attempts == 1


def test_a_create_whose_answer_cannot_be_decoded_is_reported_not_sent_again() -> None:
    # The server made the contact, then labelled a plain body as gzip: the client must say the answer was
    # unreadable (typed, so the app can tell the rep) and must not create the contact a second time.
    body = json.dumps({"success": True, "data": SEED_SUMMARY})
    gzip_label = {"Content-Type": "application/json", "Content-Encoding": "gzip"}

    async def scenario() -> None:
        async with FaultServer([Reply(http_response(201, body, gzip_label))]) as server:
            api, recorder = make_api(server.base_url)
            async with api:
                with pytest.raises(BadResponseError, match="could not be decoded") as caught:
                    await api.create_contact(**SEED_CREATE)
            assert len(server.requests) == 1
            assert recorder.sleeps == []
            assert caught.value.may_have_happened

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("call", "kwargs", "field"),
    [
        ("add_note", {"note": "Called \ud83d back", "uid": "ABC12345"}, "note"),
        ("create_contact", {"name": "Ana \udc00", "email": "ana@example.com"}, "name"),
        ("add_tag", {"tag_name": "VIP\ud800", "uid": "ABC12345"}, "tagName"),
        ("get_contact", {"email": "ana\ud800@example.com"}, "email"),
    ],
)
def test_text_with_a_lone_surrogate_is_refused_before_sending(call: str, kwargs: dict[str, str], field: str) -> None:
    handler = Scripted([ok(SEED_SUMMARY)])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(ValidationError, match="not valid text") as caught:
        _run(api, call, **kwargs)
    assert caught.value.field == field
    assert handler.attempts == 0


@pytest.mark.parametrize(
    ("kind", "says", "field"),
    [("email", "at most 254 characters", "email"), ("phone", "too long to send", None)],
)
def test_a_lookup_too_long_to_send_is_refused_before_sending(kind: str, says: str, field: str | None) -> None:
    # A paste of 70,000 characters: longer than any stored email, and (a phone has no limit in the contract)
    # too long for a URL, which httpx refuses over 64 KiB.
    value = "1" * 70_000 + ("@example.com" if kind == "email" else "")
    handler = Scripted([ok(SEED_CONTACT)])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(ValidationError, match=says) as caught:
        _run(api, "get_contact", **{kind: value})
    assert caught.value.field == field
    assert handler.attempts == 0


def test_html_over_a_real_socket_is_a_bad_response() -> None:
    async def scenario() -> None:
        html = http_response(200, "<html><body>Login</body></html>", {"Content-Type": "text/html"})
        async with FaultServer([Reply(html)]) as server:
            api, _recorder = make_api(server.base_url)
            async with api:
                with pytest.raises(BadResponseError, match="HTML"):
                    await api.get_contact(uid="ABC12345")
            assert len(server.requests) == 1

    asyncio.run(scenario())


def test_an_answer_declared_too_large_is_refused_before_reading_it() -> None:
    # The server promises more than the limit and sends a few bytes: reading would wait for the rest until the
    # timeout, so a BadResponseError (not a TimeoutError) shows the client did not try.
    head = http_response(200, b"", {"Content-Type": "application/json"})
    head = head.replace(b"Content-Length: 0", f"Content-Length: {MAX_ANSWER_BYTES + 1}".encode()) + b'{"success"'

    async def scenario() -> None:
        async with FaultServer([Reply(head)]) as server:
            api, recorder = make_api(server.base_url, timeout=5.0)
            async with api:
                with pytest.raises(BadResponseError, match="over 128 MB") as caught:
                    await api.get_contact(uid="ABC12345")
            assert len(server.requests) == 1
            assert recorder.sleeps == []
            assert not caught.value.may_have_happened

    asyncio.run(scenario())


def test_an_answer_without_end_is_cut_off_at_the_limit() -> None:
    # A body that lasts until the connection closes, sent as fast as the client reads: without a limit the
    # client reads until its deadline (or memory) runs out.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"

    async def scenario() -> None:
        async with FaultServer([Flood(head)]) as server:
            api, _recorder = make_api(server.base_url, deadline=30.0)
            async with api:
                started = time.monotonic()
                with pytest.raises(BadResponseError, match="over 128 MB"):
                    await api.get_contact(uid="ABC12345")
                assert time.monotonic() - started < 20.0
            assert len(server.requests) == 1

    asyncio.run(scenario())


def test_a_small_compressed_answer_that_unpacks_past_the_limit_is_refused() -> None:
    # ~130 KB on the wire, over 128 MB unpacked: the limit counts what the client would hold, not what it received.
    packed = gzip.compress(b" " * (MAX_ANSWER_BYTES + 1), compresslevel=9)
    assert len(packed) < MAX_ANSWER_BYTES // 100
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    handler = Scripted([httpx.Response(201, content=packed, headers=headers)])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(BadResponseError, match="over 128 MB") as caught:
        _run(api, "create_contact", **SEED_CREATE)
    assert handler.attempts == 1  # a create is never sent twice
    assert caught.value.may_have_happened  # the server said it was created


def test_a_large_contact_within_the_limit_is_read_whole() -> None:
    # 600 notes of the contract's longest (10,000 characters): ~6 MB, far more than a rep's busiest contact.
    notes = "\n\n".join(f"2025-01-{day % 28 + 1:02d} 09:{day % 60:02d} " + "x" * 10_000 for day in range(600))
    api, _recorder = make_api(handler=Scripted([ok({**SEED_CONTACT, "notes": notes})]))
    contact = _run(api, "get_contact", uid="ABC12345")
    assert isinstance(contact, Contact)
    assert len(contact.notes) == 600
    assert all(len(note.text) == 10_000 for note in contact.notes)


def test_an_answer_of_many_tiny_objects_is_refused_before_it_is_parsed() -> None:
    # ~300 KB of [{},{},...]: as 128 MB it would unpack to ~3.4 GB of Python objects and hold the window for
    # seconds. The API's answers hold a handful of objects and lists.
    body = b'{"success": true, "data": [' + b",".join([b"{}"] * 100_001) + b"]}"
    api, _recorder = make_api(handler=Scripted([httpx.Response(200, content=body)]))
    with pytest.raises(BadResponseError, match="over 100,000 JSON objects and lists"):
        _run(api, "get_contact", uid="ABC12345")


def test_a_broken_answer_with_an_unclosed_string_is_refused_at_once() -> None:
    # Over the bracket count, then a string that never closes: looking through strings restarted at every later
    # quote, minutes of a frozen window for 180 KB. The bound is loose: linear passes it anywhere, quadratic not.
    body = b'{"success": true, "data": ' + b"[" * 100_001 + b'"' + b'\\"' * 200_000
    api, _recorder = make_api(handler=Scripted([httpx.Response(200, content=body)]))
    started = time.perf_counter()
    with pytest.raises(BadResponseError):
        _run(api, "get_contact", uid="ABC12345")
    assert time.perf_counter() - started < 5.0


def test_brackets_inside_notes_do_not_count_as_objects() -> None:
    # Eleven notes of ~10,000 "[" and "{" (a pasted log, or someone's mischief): 110,000 brackets in one string,
    # behind a quote and a backslash that the count must read as escaped.
    note = '"\\' + "[{" * 4_990
    notes = "\n\n".join(f"2025-01-{day + 1:02d} 09:00 {note}" for day in range(11))
    api, _recorder = make_api(handler=Scripted([ok({**SEED_CONTACT, "notes": notes})]))
    contact = _run(api, "get_contact", uid="ABC12345")
    assert isinstance(contact, Contact)
    assert [entry.text for entry in contact.notes] == [note] * 11


# --- Tolerated shapes ----------------------------------------------------------------------------


def test_unknown_fields_nulls_and_numbers_are_tolerated() -> None:
    data = {**SEED_CONTACT, "value": 5000, "city": None, "favouriteColour": "teal", "extra": {"x": [1]}}
    del data["state"]
    api, _recorder = make_api(handler=Scripted([ok(data)]))
    contact = _run(api, "get_contact", uid="ABC12345")
    assert isinstance(contact, Contact)
    assert (contact.value, contact.city, contact.state) == ("5000", "", "")
    assert [note.text for note in contact.notes][1] == "Called as requested and sent the prices."


def test_a_contact_whose_every_field_but_its_uid_is_null_reads_as_unset() -> None:
    # The contract answers "" and []; a vendor may send null for any of them, the lists and times included.
    data = dict.fromkeys(SEED_CONTACT, None) | {"uid": "ABC12345"}
    api, _recorder = make_api(handler=Scripted([ok(data)]))
    contact = _run(api, "get_contact", uid="ABC12345")
    assert isinstance(contact, Contact)
    assert contact.tags == () and contact.notes == () and contact.notes_raw == ""
    assert contact.created is None and contact.lastUpdate is None  # unknown times, not an error
    texts = {name: getattr(contact, name) for name in SEED_CONTACT if name not in {"uid", "tags", "notes"}}
    del texts["created"], texts["lastUpdate"]
    assert texts == dict.fromkeys(texts, ""), texts


def test_array_with_one_full_contact_is_that_contact() -> None:
    handler = Scripted([ok([SEED_CONTACT])])
    api, _recorder = make_api(handler=handler)
    contact = _run(api, "get_contact", email="john@example.com")
    assert isinstance(contact, Contact) and contact.businessName == "Acme Corp"
    assert handler.attempts == 1


def test_array_with_one_summary_fetches_the_full_contact_by_uid() -> None:
    handler = Scripted([ok([SEED_SUMMARY]), ok(SEED_CONTACT)])
    api, _recorder = make_api(handler=handler)
    contact = _run(api, "get_contact", phone="+1 (555) 123-4567")
    assert isinstance(contact, Contact) and contact.tags == ("Hot Lead", "Website")
    assert handler.attempts == 2
    assert handler.requests[1].url.params["uid"] == "ABC12345"


def test_several_full_objects_become_summaries() -> None:
    other = {**SEED_CONTACT, "uid": "XYZ67890", "lastName": "Smith"}
    handler = Scripted([ok([SEED_CONTACT, other])])
    api, _recorder = make_api(handler=handler)
    found = _run(api, "get_contact", email="john@example.com")
    assert found == [ContactSummary.from_api(SEED_CONTACT), ContactSummary.from_api(other)]
    assert handler.attempts == 1


def test_empty_array_is_not_found() -> None:
    api, _recorder = make_api(handler=Scripted([ok([])]))
    with pytest.raises(NotFoundError):
        _run(api, "get_contact", email="nobody@example.com")


def test_partial_update_answer_is_completed_by_a_get() -> None:
    # The vendor's documented PUT answer lists only some fields; the client must not show the rest as empty.
    partial = {**SEED_SUMMARY, "city": "Los Angeles", "state": "CA", "stageName": "Qualified", "tags": ["Hot Lead"]}
    handler = Scripted([ok(partial), ok({**SEED_CONTACT, "city": "Los Angeles"})])
    api, _recorder = make_api(handler=handler)
    contact = _run(api, "update_contact", "ABC12345", city="Los Angeles")
    assert isinstance(contact, Contact)
    assert contact.businessName == "Acme Corp" and contact.city == "Los Angeles"
    assert [request.method for request in handler.requests] == ["PUT", "GET"]


# --- What a failed answer says about the contact and about the write -----------------------------


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, text="<html><body><h1>404 Not Found</h1>nginx</body></html>"),
        httpx.Response(404, text="Not Found"),
        httpx.Response(404, json={"detail": "Not Found"}),
    ],
)
def test_a_404_that_is_not_the_apis_never_reads_as_a_contact_not_found(response: httpx.Response) -> None:
    """A proxy's or web server's 404 says nothing about the contact; taken for "not found", the app would tell the
    rep the contact was deleted and offer to create it again."""
    api, _recorder = make_api(handler=Scripted([response]))
    with pytest.raises(BadResponseError) as caught:
        _run(api, "get_contact", uid="ABC12345")
    assert "not as the Contact API does" in str(caught.value) and "Check the server address" in str(caught.value)


def test_the_apis_404_without_a_code_still_reads_as_not_found_and_lets_a_token_sign_in() -> None:
    not_found = httpx.Response(404, json={"success": False, "error": "Contact not found"})
    api, _recorder = make_api(handler=Scripted([not_found]))
    with pytest.raises(NotFoundError):
        _run(api, "get_contact", uid="ABC12345")
    api, _recorder = make_api(handler=Scripted([not_found]))
    _run(api, "verify")  # the vendor's own 404 for an unknown uid: the token works


@pytest.mark.parametrize(("status", "may_have_happened"), [(502, True), (504, True), (524, True), (500, False)])
def test_a_write_answered_by_a_gateways_failure_may_have_happened(status: int, may_have_happened: bool) -> None:
    """A gateway's 502 or 504 may come after the server behind it stored the note; the server's own 500 does not."""
    response = fail(status, "SERVER_ERROR", "Internal error") if status == 500 else httpx.Response(status, text="x")
    api, _recorder = make_api(handler=Scripted([response]))
    with pytest.raises(ServerError) as caught:
        _run(api, "add_note", "Called back", uid="ABC12345")
    assert caught.value.may_have_happened is may_have_happened


@pytest.mark.parametrize(
    ("call", "args", "kwargs", "answers"),
    [
        ("add_note", ("Called back",), {"uid": "ABC12345"}, [ok("Note added")]),
        ("create_contact", (), SEED_CREATE, [ok(["ABC12345"], status=201)]),
        ("set_stage", ("Qualified",), {"uid": "ABC12345"}, [ok(["Qualified"])]),
        # Stored, and the full contact could not be read after it.
        ("update_contact", ("ABC12345",), {"city": "Recife"}, [ok(SEED_SUMMARY), fail(429, "RATE_LIMITED", "Slow")]),
    ],
)
def test_a_write_the_server_accepted_is_never_reported_as_not_done(
    call: str, args: tuple[str, ...], kwargs: dict[str, str], answers: list[httpx.Response]
) -> None:
    """Whatever goes wrong reading a 2xx answer, the write was done: a caller told otherwise sends it again."""
    api, _recorder = make_api(handler=Scripted(answers), max_retries=0)
    with pytest.raises((BadResponseError, RateLimitedError)) as caught:
        _run(api, call, *args, **kwargs)
    assert caught.value.may_have_happened


def test_a_delete_answered_without_a_body_is_done() -> None:
    for answer in (httpx.Response(204), httpx.Response(200, content=b"")):
        api, _recorder = make_api(handler=Scripted([answer]))
        assert _run(api, "delete_contact", "ABC12345") == "ABC12345"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_says_the_api_may_have_moved(status: int) -> None:
    handler = Scripted([httpx.Response(status, headers={"Location": "https://elsewhere.example/api/contact"})])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(BadResponseError) as caught:
        _run(api, "create_contact", **SEED_CREATE)
    assert "https://elsewhere.example/api/contact" in str(caught.value) and "change the server address" in str(
        caught.value
    )
    # A server that redirects has not done the request: nothing may have happened, and it went nowhere else.
    assert not caught.value.may_have_happened and handler.attempts == 1


def test_an_untrusted_certificate_is_said_so_at_once_and_never_retried() -> None:
    """A self-signed certificate, or a network that inspects HTTPS: retrying cannot help, and "check your
    connection" would send the rep looking at the wrong thing."""
    import ssl
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import trustme

    from crmdesk.api import CertificateError
    from crmdesk.ui.errors import describe

    authority = trustme.CA()  # which this computer does not trust
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        retries: list[object] = []
        api = ContactApi(
            f"https://127.0.0.1:{server.server_address[1]}", "tok_test_1234567890", on_retry=retries.append
        )
        with pytest.raises(CertificateError) as caught:
            _run(api, "verify")
    finally:
        server.shutdown()
        server.server_close()
    assert retries == [] and "certificate is not trusted" in str(caught.value)
    told = describe(caught.value, host="crm.example").text
    assert told.startswith("Cannot connect securely to crm.example.") and "SSL_CERT_FILE" in told


def test_https_to_a_plain_http_server_says_so_at_once_and_is_never_retried(live_server: LiveServer) -> None:
    """The bundled server speaks plain http; an https:// address for it said "Cannot reach", though it was up
    and answering, and the client tried again for nothing."""
    from crmdesk.api import NotHttpsError
    from crmdesk.ui.errors import describe

    plain = httpx.URL(live_server.base_url)
    retries: list[object] = []
    api = ContactApi(f"https://{plain.host}:{plain.port}", "tok_test_1234567890", on_retry=retries.append)
    with pytest.raises(NotHttpsError) as caught:
        _run(api, "verify")
    assert retries == []
    told = describe(caught.value, host=f"{plain.host}:{plain.port}").text
    assert told == f"{plain.host}:{plain.port} does not answer https at this address. Check the server address."


def test_a_proxy_answering_in_plain_http_is_not_taken_for_the_server(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a proxy (its scheme mistyped as https, or a filter's block page) the proxy is what answered: saying
    the server's address is wrong would send the rep looking at the wrong thing."""
    from crmdesk.api import NetworkError, NotHttpsError

    plain = httpx.URL(live_server.base_url)  # a plain-http server standing in for the proxy, on this computer
    monkeypatch.setenv("HTTPS_PROXY", f"https://{plain.host}:{plain.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    api = ContactApi("https://crm.example.com", "tok_test_1234567890", max_retries=0)  # never resolved
    with pytest.raises(NetworkError) as caught:
        _run(api, "verify")
    assert not isinstance(caught.value, NotHttpsError)


@pytest.mark.parametrize(
    "notes",
    [
        "2025-08-12 09:35 Talked to lead.\r\n\r\n2025-08-14 10:46 Called as requested.",  # Windows line ends
        "2025-08-12 09:35:10 Talked to lead.\n\n2025-08-14 10:46:00 Called as requested.",  # seconds
        ["2025-08-12 09:35 Talked to lead.", "2025-08-14 10:46 Called as requested."],  # a list of entries
        [
            {"date": "2025-08-12 09:35", "text": "Talked to lead."},
            {"date": "2025-08-14 10:46", "text": "Called as requested."},
        ],
    ],
    ids=["crlf", "seconds", "list", "objects"],
)
def test_notes_laid_out_another_way_keep_each_entry_and_its_time(notes: object) -> None:
    """Read as one undated entry (or refused outright, for a list), a vendor's notes lost their times or the
    whole contact."""
    from datetime import datetime

    api, _recorder = make_api(handler=Scripted([ok({**SEED_CONTACT, "notes": notes})]))
    contact = _run(api, "get_contact", uid="ABC12345")
    assert isinstance(contact, Contact)
    assert [(note.timestamp, note.text) for note in contact.notes] == [
        (datetime(2025, 8, 12, 9, 35), "Talked to lead."),
        (datetime(2025, 8, 14, 10, 46), "Called as requested."),
    ]


@pytest.mark.parametrize(
    ("said", "told"),
    [
        ("You can only change contacts you own", "The server refused this: You can only change contacts you own."),
        ("Your plan does not include API access", "This account's plan has no API access."),
        ("", "This account's plan has no API access."),
        ("Forbidden", "This account's plan has no API access."),  # the status's name is no reason
        ("Access denied.", "This account's plan has no API access."),
        ("Contacts in a planned campaign cannot be changed", "The server refused this: Contacts in a planned"),
    ],
)
def test_a_403_says_the_servers_own_reason_when_it_gives_one(said: str, told: str) -> None:
    """The reference reads 403 as "insufficient permissions": a refusal about one contact is no plan problem."""
    from crmdesk.ui.errors import describe

    api, _recorder = make_api(handler=Scripted([fail(403, "FORBIDDEN", said)]))
    with pytest.raises(PlanError) as caught:
        _run(api, "set_stage", "Won", uid="ABC12345")
    assert describe(caught.value).text.startswith(told)


@pytest.mark.parametrize(
    ("failure", "reached"),
    [
        (httpx.ReadError("reset"), True),
        (httpx.RemoteProtocolError("server closed the connection without sending a response"), True),
        (httpx.WriteError("broken pipe"), True),
        (httpx.ConnectError("refused"), False),
        (httpx.ProxyError("407 Proxy Authentication Required"), False),
        (httpx.UnsupportedProtocol("Request URL has an unsupported protocol"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_a_network_error_says_whether_the_server_was_reached_in_words_not_class_names(
    failure: Exception, reached: bool
) -> None:
    """The banner tells "the connection broke before its answer" (the server got the request) from "cannot
    reach"; a proxy that refused, or a request never sent, reached nobody."""
    api, _recorder = make_api(handler=Scripted([failure]), max_retries=0)
    with pytest.raises(NetworkError) as caught:
        _run(api, "set_stage", "Qualified", uid="ABC12345")
    assert caught.value.reached is reached
    assert type(failure).__name__ not in str(caught.value)
