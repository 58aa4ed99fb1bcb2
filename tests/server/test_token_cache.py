"""Known tokens are remembered, but a change made from another process takes effect at the next request."""

from __future__ import annotations

from pathlib import Path

import httpx

from crmdesk.server.config import sqlite_url
from crmdesk.server.store import Store, accounts
from tests.support.live_server import LiveServer


def test_a_plan_changed_from_another_process_applies_at_the_next_request(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "plan.sqlite3") as server:
        account = server.add_account(plan="pro")

        def status() -> int:
            headers = {"Authorization": f"Bearer {account.token}"}
            return httpx.get(f"{server.base_url}/api/contact", params={"uid": "NOSUCH01"}, headers=headers).status_code

        assert status() == 404  # accepted, and now remembered by the server
        with server.store.engine.begin() as conn:  # this test process, not the server's
            conn.execute(accounts.update().where(accounts.c.name == account.name).values(plan="free"))
        assert status() == 403
        with server.store.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.name == account.name).values(plan="pro"))
        assert status() == 404


def test_a_remembered_token_costs_no_query_until_the_database_changes(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "cache.sqlite3")
    store, other = Store(url), Store(url)
    try:
        store.add_account("Acme", "pro", token="tok-acme-0001")
        assert store.account_for_token("tok-acme-0001") is not None
        statements: list[str] = []
        store._reader().driver_connection.set_trace_callback(statements.append)
        for _ in range(3):
            assert store.account_for_token("tok-acme-0001") == store.account("Acme")
        assert statements == ["PRAGMA data_version"] * 3  # the check that nothing changed, and no token query

        other.add_stages("Acme", ["Won"])  # any commit from another connection, here another "process"
        statements.clear()
        assert store.account_for_token("tok-acme-0001") == store.account("Acme")
        assert len(statements) == 2 and "tokens" in statements[1]  # asked again once
    finally:
        store.close()
        other.close()
