"""The token bucket: unit tests on a fake clock, then the headers and per-token independence over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crmdesk.server.ratelimit import RateLimiter
from tests.server.conftest import client_for
from tests.support.live_server import LiveServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refuses_until_refilled() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 6.0, clock=clock)
    remaining = [limiter.hit("t").remaining for _ in range(3)]
    assert remaining == [2, 1, 0]
    refused = limiter.hit("t")
    assert not refused.allowed
    assert refused.retry_after == 2  # one token per 2 s
    assert refused.headers()["Retry-After"] == "2"
    clock.now += 1.9
    assert not limiter.hit("t").allowed
    clock.now += 0.2
    allowed = limiter.hit("t")
    assert allowed.allowed and "Retry-After" not in allowed.headers()


def test_bucket_refills_to_capacity_and_no_further() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 1.0, clock=clock)
    limiter.hit("t")
    limiter.hit("t")
    assert limiter.hit("t").reset == 1
    clock.now += 3600
    assert [limiter.hit("t").allowed for _ in range(3)] == [True, True, False]


def test_buckets_are_per_key() -> None:
    limiter = RateLimiter(1, 60.0, clock=FakeClock())
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed
    assert limiter.hit("b").allowed


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 10)
    with pytest.raises(ValueError):
        RateLimiter(5, 0)


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("limited")
    with LiveServer(folder / "db.sqlite3", rate_limit="5/60") as server:
        yield server


def test_sixth_request_in_a_window_is_rate_limited(limited_server: LiveServer) -> None:
    with client_for(limited_server.add_account()) as api:
        answers = [api.get("/api/contact", params={"uid": "ZZZZZZZZ"}) for _ in range(5)]
        assert [r.status_code for r in answers] == [404] * 5
        assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["4", "3", "2", "1", "0"]
        assert {r.headers["X-RateLimit-Limit"] for r in answers} == {"5"}
        assert all(int(r.headers["X-RateLimit-Reset"]) > 0 for r in answers)
        limited = api.post("/api/contact", json={"name": "Too Many", "phone": "1"})
        assert limited.status_code == 429
        assert limited.json()["code"] == "RATE_LIMITED"
        assert limited.json()["success"] is False
        assert 1 <= int(limited.headers["Retry-After"]) <= 12
        assert limited.headers["X-RateLimit-Remaining"] == "0"


def test_tokens_have_independent_buckets(limited_server: LiveServer) -> None:
    busy, calm = limited_server.add_account(), limited_server.add_account()
    with client_for(busy) as noisy, client_for(calm) as quiet:
        for _ in range(6):
            noisy.get("/api/contact", params={"uid": "ZZZZZZZZ"})
        assert noisy.get("/api/contact", params={"uid": "ZZZZZZZZ"}).status_code == 429
        answer = quiet.get("/api/contact", params={"uid": "ZZZZZZZZ"})
        assert answer.status_code == 404
        assert answer.headers["X-RateLimit-Remaining"] == "4"


def test_auth_and_plan_are_checked_before_the_rate_limit(limited_server: LiveServer) -> None:
    free = limited_server.add_account(plan="free")
    with client_for(free) as api:
        assert {api.get("/api/contact", params={"uid": "ZZZZZZZZ"}).status_code for _ in range(8)} == {403}
    url = f"{limited_server.base_url}/api/contact"
    answers = {httpx.get(url, headers={"Authorization": "Bearer unknown"}).status_code for _ in range(8)}
    assert answers == {401}


def test_the_rate_limit_is_checked_before_the_body(limited_server: LiveServer) -> None:
    # Authentication, plan, rate limit, validation, lookup: a limited token's malformed body is a 429, so a
    # client that waits and sends it again learns only then that the body was wrong.
    with client_for(limited_server.add_account()) as api:
        for _ in range(5):
            api.get("/api/contact", params={"uid": "ZZZZZZZZ"})
        assert api.post("/api/contact", content=b"{oops").status_code == 429
        assert api.put("/api/contact", json={"uid": "bad"}).status_code == 429


def test_rate_limit_headers_are_on_every_response(limited_server: LiveServer) -> None:
    free = limited_server.add_account(plan="free")
    for response in (
        httpx.get(f"{limited_server.base_url}/api/contact", headers={"Authorization": f"Bearer {free.token}"}),
        httpx.get(f"{limited_server.base_url}/nowhere"),
        httpx.get(f"{limited_server.base_url}/openapi.json"),
        httpx.get(f"{limited_server.base_url}/api/contact"),
        httpx.patch(f"{limited_server.base_url}/api/contact"),
    ):
        assert all(
            name in response.headers for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
        )
