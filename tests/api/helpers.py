"""Shared pieces of the client tests: a scripted httpx transport and a ContactApi that records its waits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from crmdesk.api import ContactApi, RetryEvent

TOKEN = "tok_S3CR3T-do-not-leak-4242"

SEED_CONTACT: dict[str, Any] = {
    "uid": "ABC12345",
    "email": "john@example.com",
    "phone": "+15551234567",
    "firstName": "John",
    "lastName": "Doe",
    "businessName": "Acme Corp",
    "address": "123 Main St",
    "city": "New York",
    "state": "NY",
    "zipcode": "10001",
    "timeZone": "America/New_York",
    "value": "5000",
    "stageName": "New Lead",
    "qualityName": "High",
    "ownerEmail": "sales@yourcompany.com",
    "snapshot": "Interested in enterprise solution",
    "notes": "2025-08-12 09:35 Talked to lead and he said to call back in 2 days.\n\n"
    "2025-08-14 10:46 Called as requested and sent the prices.",
    "tags": ["Hot Lead", "Website"],
    "created": "2024-01-15T10:30:00Z",
    "lastUpdate": "2024-01-15T14:20:00Z",
}
SEED_SUMMARY = {key: SEED_CONTACT[key] for key in ("uid", "email", "phone", "firstName", "lastName")}


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"success": True, "message": "ok", "data": data}, headers=headers)


def fail(status: int, code: str, error: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"success": False, "error": error, "code": code}, headers=headers)


Step = httpx.Response | Exception | Callable[[httpx.Request], Any]


class Scripted:
    """An httpx MockTransport handler that plays ``steps`` in order (the last one repeats) and keeps requests."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    @property
    def attempts(self) -> int:
        return len(self.requests)

    def bodies(self) -> list[Any]:
        return [json.loads(request.content) if request.content else None for request in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)


class Recorder:
    """Stands in for asyncio.sleep and on_retry so tests assert the delays chosen without waiting them."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.events: list[RetryEvent] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        # Still yield to the loop, so concurrent calls interleave as they would while really waiting.
        await asyncio.sleep(0)


def make_api(
    base_url: str = "https://api.test", *, handler: Scripted | None = None, **kwargs: Any
) -> tuple[ContactApi, Recorder]:
    recorder = Recorder()
    transport = httpx.MockTransport(handler) if handler is not None else None
    api = ContactApi(base_url, TOKEN, transport=transport, on_retry=recorder.events.append, **kwargs)
    api._sleep = recorder.sleep
    api._jitter = lambda: 1.0
    return api, recorder
