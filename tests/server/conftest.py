"""Helpers for the server suite: an httpx client bound to an account on the shared live server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.live_server import Account


def client_for(account: Account) -> httpx.Client:
    return httpx.Client(base_url=account.base_url, headers={"Authorization": f"Bearer {account.token}"}, timeout=10)


@pytest.fixture
def api(account: Account) -> Iterator[httpx.Client]:
    with client_for(account) as client:
        yield client


def create(api: httpx.Client, **fields: object) -> str:
    """Create a contact and return its uid (fails the test if the server refuses)."""
    response = api.post("/api/contact", json=fields)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["uid"])
