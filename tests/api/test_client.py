"""ContactApi's own guarantees: refusing insecure URLs, keeping the token secret, validating before sending,
pacing by the rate-limit headers, and what it sends on the wire."""

from __future__ import annotations

import asyncio
import logging
import traceback

import httpx
import pytest

import crmdesk
from crmdesk.api import (
    ApiError,
    AuthError,
    BadResponseError,
    Contact,
    ContactApi,
    NetworkError,
    NotFoundError,
    PlanError,
    RateLimitedError,
    ServerError,
    TimeoutError,
    ValidationError,
)
from crmdesk.api.client import parse_retry_after
from tests.api.faults import FaultServer, Hang
from tests.api.helpers import SEED_CONTACT, SEED_SUMMARY, TOKEN, Scripted, fail, make_api, ok
from tests.support.live_server import Account, LiveServer

# --- Base URL and token --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://example.com", "http://10.0.0.1:8000", "ftp://127.0.0.1", "http://127.evil.com", "not a url"]
)
def test_insecure_or_odd_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        ContactApi(url, TOKEN)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://contact-api.8mgenius.com.br",
        # A fully qualified "localhost." is not in every hosts file (glibc looks it up as written), so it can be
        # answered by DNS: a hostile resolver would get the token in plain text.
        "http://localhost.:8765",
        "http://127.0.0.1.nip.io:8765",
    ],
)
def test_plain_http_to_a_host_that_may_not_be_this_computer_says_why(url: str) -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        ContactApi(url, TOKEN)


@pytest.mark.parametrize(
    "url",
    [
        "https://contact-api.8mgenius.com.br",
        "http://127.0.0.1:8765",
        "http://127.1.2.3",
        "http://localhost:9000",
        "http://[::1]:9000",
    ],
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    # The client talks to exactly the address given: no scheme upgrade, no other host or port.
    assert ContactApi(url, TOKEN).base_url == url


@pytest.mark.parametrize("token", ["", "   ", "abc def", "tok\nX-Evil: 1", "tökén"])
def test_malformed_tokens_are_refused_without_quoting_them(token: str) -> None:
    with pytest.raises(ValueError) as caught:
        ContactApi("https://api.test", token)
    assert not token.strip() or token not in str(caught.value)


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_from_the_environment_never_carries_a_request_to_this_computer(
    account: Account, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """A proxy set for the rest of the network would get the token in clear and ask its own localhost."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.read(65536))
        writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(proxy, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        monkeypatch.setenv(variable, f"http://127.0.0.1:{port}")
        try:
            async with ContactApi(account.base_url, account.token) as api:
                await api.verify()
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
    assert seen == []


def test_repr_hides_the_token() -> None:
    api = ContactApi("https://api.test", TOKEN)
    assert TOKEN not in repr(api) and "hidden" in repr(api)


def _errors_of_every_kind() -> list[ApiError]:
    """Provoke each error class the client can raise, with DEBUG logging on everywhere."""
    caught: list[ApiError] = []

    async def expect(api: ContactApi, call: str, *args: object, **kwargs: object) -> None:
        try:
            async with api:
                await getattr(api, call)(*args, **kwargs)
        except ApiError as exc:
            caught.append(exc)
        else:
            raise AssertionError(f"{call} did not fail")

    async def scenario() -> None:
        for response in (
            fail(401, "AUTH_ERROR", "Invalid token"),
            fail(403, "FORBIDDEN", "Forbidden"),
            fail(404, "NOT_FOUND", "Contact not found"),
            fail(400, "BAD_REQUEST", "Invalid email: bad"),
            fail(429, "RATE_LIMITED", "Too many", {"Retry-After": "600"}),
            fail(500, "SERVER_ERROR", "boom"),
            httpx.Response(200, text="<html>proxy login</html>"),
        ):
            await expect(make_api(handler=Scripted([response]))[0], "get_contact", uid="ABC12345")
        await expect(make_api(handler=Scripted([httpx.ReadError("reset")]))[0], "add_note", "hi", uid="ABC12345")
        await expect(make_api()[0], "create_contact", name="No Contact Info")
        async with FaultServer([Hang()]) as server:
            closed_url = server.base_url
            await expect(make_api(server.base_url, timeout=0.1, max_retries=0)[0], "get_contact", uid="ABC12345")
        await expect(make_api(closed_url, max_retries=0)[0], "get_contact", uid="ABC12345")

    asyncio.run(scenario())
    return caught


def test_the_token_never_appears_in_errors_tracebacks_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors = _errors_of_every_kind()
    kinds = {type(error) for error in errors}
    assert kinds == {
        AuthError,
        PlanError,
        NotFoundError,
        ValidationError,
        RateLimitedError,
        ServerError,
        BadResponseError,
        NetworkError,
        TimeoutError,
    }
    for error in errors:
        text = "".join(traceback.format_exception(error))
        assert TOKEN not in str(error) and TOKEN not in repr(error) and TOKEN not in text
        assert error.method is not None or error.status is None
    assert caplog.records, "DEBUG logging captured nothing, so the log check would prove nothing"
    assert TOKEN not in caplog.text
    assert all(TOKEN not in str(record.args) for record in caplog.records)


def test_requests_log_method_path_status_and_time(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crmdesk.api")
    api, _recorder = make_api(handler=Scripted([ok(SEED_CONTACT)]))
    asyncio.run(_call(api, "get_contact", email="john@example.com"))
    [record] = [record for record in caplog.records if record.name == "crmdesk.api"]
    assert record.getMessage().startswith("GET /api/contact -> 200 in ")
    # The searched-for email is personal data; the log keeps only the path.
    assert "john@example.com" not in caplog.text


# --- What goes on the wire -----------------------------------------------------------------------


async def _call(api: ContactApi, call: str, *args: object, **kwargs: object) -> object:
    async with api:
        return await getattr(api, call)(*args, **kwargs)


def test_every_request_carries_user_agent_token_and_json() -> None:
    handler = Scripted([ok(SEED_SUMMARY, 201)])
    api, _recorder = make_api(handler=handler)
    asyncio.run(_call(api, "create_contact", name="John Doe", email="john@example.com", tags=["A", "a", "B"]))
    [request] = handler.requests
    assert request.headers["User-Agent"] == f"crmdesk/{crmdesk.__version__}"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert handler.bodies() == [
        {"firstName": "John", "lastName": "Doe", "email": "john@example.com", "tags": ["A", "B"]}
    ]


def test_user_agent_suffix_is_appended() -> None:
    handler = Scripted([ok(SEED_CONTACT)])
    api, _recorder = make_api(handler=handler, user_agent_suffix="bulk-import")
    asyncio.run(_call(api, "get_contact", uid="ABC12345"))
    assert handler.requests[0].headers["User-Agent"] == f"crmdesk/{crmdesk.__version__} bulk-import"


def test_adopted_token_is_sent_by_the_same_client_and_only_from_the_same_server() -> None:
    handler = Scripted([ok(SEED_CONTACT)])
    api, _recorder = make_api(handler=handler)
    renewed = ContactApi("https://api.test", "tok_renewed-after-401")

    async def before_and_after() -> None:
        await api.get_contact(uid="ABC12345")  # the pool exists now, with the old header baked in
        api.adopt_token(renewed)
        await api.get_contact(uid="ABC12345")
        await api.aclose()

    asyncio.run(before_and_after())
    assert [r.headers["Authorization"] for r in handler.requests] == [
        f"Bearer {TOKEN}",
        "Bearer tok_renewed-after-401",
    ]
    with pytest.raises(ValueError, match="same server"):
        api.adopt_token(ContactApi("https://elsewhere.test", "tok_other"))


def test_a_request_sent_with_a_token_replaced_on_its_way_goes_again_with_the_new_one(
    live_server: LiveServer, account: Account
) -> None:
    """A note on its way when the admin rotates the token, and the rep signs in again before its 401 comes back:
    the 401 was for the old token, so the note is sent again with the new one, once, instead of ending the
    session that just began."""
    gate = asyncio.Event()
    seen: list[str] = []

    class HoldNotes(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/api/contact/note/add":
                seen.append(request.headers["Authorization"])
                await gate.wait()
            return await self.inner.handle_async_request(request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    async def rotate_while_sending() -> None:
        async with ContactApi(account.base_url, account.token, transport=HoldNotes()) as api:
            created = await api.create_contact(firstName="Rita", email="rita@example.com")
            note = asyncio.ensure_future(api.add_note("Called: wants the premium plan", uid=created.uid))
            while not seen:
                await asyncio.sleep(0.01)
            new_token = live_server.store.replace_tokens(account.name, "test-rotated-on-the-way")
            async with ContactApi(account.base_url, new_token) as renewed:
                api.adopt_token(renewed)
            gate.set()
            await note
            stored = await api.get_contact(uid=created.uid)
            assert isinstance(stored, Contact)
            assert [n.text for n in stored.notes] == ["Called: wants the premium plan"]

    asyncio.run(rotate_while_sending())
    assert seen == [f"Bearer {account.token}", "Bearer test-rotated-on-the-way"]


def test_a_401_for_the_token_in_use_still_ends_the_call(live_server: LiveServer, account: Account) -> None:
    async def revoked() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            live_server.store.replace_tokens(account.name, "test-revoked-meanwhile")
            with pytest.raises(AuthError):
                await api.get_contact(email="nobody@example.com")

    asyncio.run(revoked())


def test_changes_send_only_the_winning_identifier() -> None:
    handler = Scripted([ok({"contactUid": "ABC12345", "stageName": "Qualified"})])
    api, _recorder = make_api(handler=handler)
    change = asyncio.run(_call(api, "set_stage", "Qualified", uid="ABC12345", email="john@example.com"))
    assert handler.bodies() == [{"uid": "ABC12345", "stageName": "Qualified"}]
    assert handler.requests[0].method == "PUT" and handler.requests[0].url.path == "/api/contact/stage"
    assert getattr(change, "value", None) == "Qualified"


def test_update_sends_clears_as_empty_strings() -> None:
    handler = Scripted([ok(SEED_CONTACT)])
    api, _recorder = make_api(handler=handler)
    asyncio.run(_call(api, "update_contact", "ABC12345", city=None, state="", value=10000))
    assert handler.bodies() == [{"uid": "ABC12345", "city": "", "state": "", "value": "10000"}]


def test_delete_returns_the_uid() -> None:
    handler = Scripted([ok({"uid": "ABC12345"})])
    api, _recorder = make_api(handler=handler)
    assert asyncio.run(_call(api, "delete_contact", "ABC12345")) == "ABC12345"
    assert handler.requests[0].method == "DELETE" and handler.requests[0].url.params["uid"] == "ABC12345"


@pytest.mark.parametrize(
    "response", [fail(404, "NOT_FOUND", "Contact not found"), ok(SEED_CONTACT)], ids=["not-found", "found"]
)
def test_verify_accepts_a_404_for_the_probe_uid(response: httpx.Response) -> None:
    handler = Scripted([response])
    api, _recorder = make_api(handler=handler)
    asyncio.run(_call(api, "verify"))  # the token works: no AuthError or PlanError
    [probe] = handler.requests
    assert (probe.method, probe.url.path) == ("GET", "/api/contact")
    assert probe.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            404, text="<html><body><h1>404 Not Found</h1></body></html>", headers={"Content-Type": "text/html"}
        ),
        httpx.Response(404, text="Not Found"),
        httpx.Response(404, json={"detail": "Not Found"}),
    ],
    ids=["html", "plain", "other-json"],
)
def test_verify_refuses_a_404_from_some_other_web_server(response: httpx.Response) -> None:
    # Any web server answers 404 to a path it does not have, whatever the token: that must not count as a
    # token the Contact API accepted (the app would store it and every search would find nothing).
    api, _recorder = make_api(handler=Scripted([response]))
    with pytest.raises(BadResponseError, match="not as the Contact API"):
        asyncio.run(_call(api, "verify"))


@pytest.mark.parametrize(
    ("response", "expected"),
    [(fail(401, "AUTH_ERROR", "Invalid token"), AuthError), (fail(403, "FORBIDDEN", "Free plan"), PlanError)],
)
def test_verify_raises_for_a_refused_token(response: httpx.Response, expected: type[ApiError]) -> None:
    api, _recorder = make_api(handler=Scripted([response]))
    with pytest.raises(expected):
        asyncio.run(_call(api, "verify"))


def test_a_closed_client_refuses_more_work() -> None:
    api, _recorder = make_api(handler=Scripted([ok(SEED_CONTACT)]))
    asyncio.run(_call(api, "get_contact", uid="ABC12345"))
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(api.get_contact(uid="ABC12345"))


# --- Validation before sending -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "args", "kwargs", "field"),
    [
        ("create_contact", (), {"name": "John Doe"}, "email"),
        ("create_contact", (), {"email": "john@example.com"}, "name"),
        ("create_contact", (), {"name": "J", "email": "not-an-email"}, "email"),
        ("create_contact", (), {"name": "J", "phone": "+1", "birthday": "2024-02-30"}, "birthday"),
        ("create_contact", (), {"name": "J", "phone": "+1", "tags": "Hot Lead"}, "tags"),
        ("update_contact", ("ABC12345",), {"timeZone": "Mars/Base"}, "timeZone"),
        ("update_contact", ("abc",), {"city": "X"}, "uid"),
        ("update_contact", ("ABC12345",), {"zipcode": "9" * 21}, "zipcode"),
        ("get_contact", (), {}, "uid"),
        ("get_contact", (), {"phone": "call me"}, "phone"),
        ("delete_contact", ("ZZ",), {}, "uid"),
        ("add_tag", ("  ",), {"uid": "ABC12345"}, "tagName"),
        ("add_note", ("x" * 10001,), {"uid": "ABC12345"}, "note"),
        ("set_stage", ("",), {"uid": "ABC12345"}, "stageName"),
        ("set_quality", ("High",), {}, "uid"),
        ("set_owner", ("jane",), {"uid": "ABC12345"}, "ownerEmail"),
    ],
)
def test_invalid_input_is_refused_before_sending(
    call: str, args: tuple[object], kwargs: dict[str, object], field: str
) -> None:
    handler = Scripted([ok(SEED_CONTACT)])
    api, _recorder = make_api(handler=handler)
    with pytest.raises(ValidationError) as caught:
        asyncio.run(_call(api, call, *args, **kwargs))
    assert caught.value.field == field
    assert caught.value.status is None
    assert handler.attempts == 0


def test_misspelt_fields_are_a_programming_error() -> None:
    api, _recorder = make_api(handler=Scripted([ok(SEED_SUMMARY)]))
    with pytest.raises(TypeError, match="firstname"):
        asyncio.run(_call(api, "create_contact", firstname="John", email="john@example.com"))


# --- Rate limiting -------------------------------------------------------------------------------


def _limited(remaining: int, reset: float) -> httpx.Response:
    headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(reset)}
    return ok(SEED_CONTACT, headers=headers)


@pytest.mark.parametrize(
    ("remaining", "reset"), [("inf", "10"), ("1e400", "10"), ("5", "inf"), ("5", "1e400"), ("nan", "10")]
)
def test_unreadable_rate_headers_are_ignored_not_raised(remaining: str, reset: str) -> None:
    # The create happened; a header the client cannot use must not turn its success into a crash.
    headers = {"X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset}
    handler = Scripted([ok(SEED_SUMMARY, status=201, headers=headers), ok(SEED_CONTACT)])
    api, recorder = make_api(handler=handler)

    async def scenario() -> None:
        async with api:
            ref = await api.create_contact(name="John Doe", email="john@example.com")
            assert ref.uid == SEED_SUMMARY["uid"]
            await api.get_contact(uid="ABC12345")  # and the next call is not held by a nonsense window

    asyncio.run(scenario())
    assert handler.attempts == 2 and recorder.sleeps == []


def test_limiter_waits_for_the_reset_once_the_window_is_spent() -> None:
    handler = Scripted([_limited(1, 5), _limited(0, 5), _limited(99, 10)])
    api, recorder = make_api(handler=handler)

    async def scenario() -> None:
        async with api:
            await api.get_contact(uid="ABC12345")
            await api.get_contact(uid="ABC12345")
            assert recorder.sleeps == []  # one request was left in the window
            await api.get_contact(uid="ABC12345")

    asyncio.run(scenario())
    assert handler.attempts == 3
    assert len(recorder.sleeps) == 1 and 4.0 < recorder.sleeps[0] <= 5.0
    # A wait that long is reported, so the UI can say why nothing happens.
    [event] = recorder.events
    assert (event.reason, event.attempt, event.message) == ("rate_limited", 0, "Rate limited — waiting 5 s")
    assert event.held  # held before it was sent, not retried after a failure


def test_a_reset_given_as_a_unix_time_is_counted_by_the_servers_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import email.utils
    import time

    server_now = 1_800_000_000.0
    date = email.utils.formatdate(server_now, usegmt=True)
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(server_now + 5), "Date": date}
    handler = Scripted([ok(SEED_CONTACT, headers=spent), ok(SEED_CONTACT)])
    monkeypatch.setattr(time, "time", lambda: server_now + 3 * 3600)  # the computer's clock 3 h fast
    api, recorder = make_api(handler=handler)

    async def scenario() -> None:
        async with api:
            await api.get_contact(uid="ABC12345")
            await api.get_contact(uid="ABC12345")  # waits for the server's reset, 5 s by its own clock

    asyncio.run(scenario())
    assert len(recorder.sleeps) == 1 and 4.0 < recorder.sleeps[0] <= 5.0


@pytest.mark.parametrize(
    "date",
    ["Fri, 31 Dec 9999 23:59:59 -2359", "Thu, 01 Jan 1970 00:00:00 GMT", "Sat, 01 Jan 2101 00:00:00 GMT", "soon"],
)
def test_a_date_header_no_server_clock_can_show_is_ignored(date: str) -> None:
    handler = Scripted([ok(SEED_CONTACT, headers={"Date": date})])
    api, _recorder = make_api(handler=handler)
    asyncio.run(_call(api, "get_contact", uid="ABC12345"))
    assert api.clock_offset is None
    assert abs(api.server_now() - __import__("time").time()) < 5  # this computer's clock, for want of one


def test_the_servers_clock_is_learned_from_its_answers() -> None:
    import email.utils
    import time

    ahead = 2 * 3600.0  # the server's clock, as this computer's sees it
    handler = Scripted([ok(SEED_CONTACT, headers={"Date": email.utils.formatdate(time.time() + ahead, usegmt=True)})])
    api, _recorder = make_api(handler=handler)
    asyncio.run(_call(api, "get_contact", uid="ABC12345"))
    assert api.clock_offset is not None and abs(api.clock_offset - ahead) < 2
    assert abs(api.server_now() - (time.time() + ahead)) < 2


def test_limiter_counts_requests_sent_before_the_next_answer() -> None:
    # Two left: of four concurrent calls, two go at once and two wait for the reset.
    steps = iter([_limited(2, 3), *[_limited(50, 10)] * 4])

    async def slow(request: httpx.Request) -> httpx.Response:
        # Keep every call in flight together, as over a real network.
        await asyncio.sleep(0.01)
        return next(steps)

    handler = Scripted([slow])
    api, recorder = make_api(handler=handler)

    async def scenario() -> None:
        async with api:
            await api.get_contact(uid="ABC12345")
            await asyncio.gather(*(api.get_contact(uid="ABC12345") for _ in range(4)))

    asyncio.run(scenario())
    assert handler.attempts == 5
    assert len(recorder.sleeps) == 2 and all(2.0 < delay <= 3.0 for delay in recorder.sleeps)


def test_no_rate_limit_headers_means_no_waiting() -> None:
    handler = Scripted([ok(SEED_CONTACT)])
    api, recorder = make_api(handler=handler)

    async def scenario() -> None:
        async with api:
            for _ in range(20):
                await api.get_contact(uid="ABC12345")

    asyncio.run(scenario())
    assert handler.attempts == 20 and recorder.sleeps == []


def test_a_429_holds_other_calls_until_retry_after() -> None:
    handler = Scripted([fail(429, "RATE_LIMITED", "slow", {"Retry-After": "4"}), ok(SEED_CONTACT)])
    api, recorder = make_api(handler=handler)

    async def scenario() -> None:
        async with api:
            await api.get_contact(uid="ABC12345")
            assert recorder.sleeps == [4.0]
            # The hold is released by the call that waited it out, so the next call goes straight away.
            await api.get_contact(uid="ABC12345")

    asyncio.run(scenario())
    assert recorder.sleeps == [4.0] and handler.attempts == 3


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("1.5", 1.5),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
        ("1e400", None),  # a float overflows to inf: no wait a person could be told about
    ],
)
def test_retry_after_parsing(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 10) == pytest.approx(10.0)
