"""The shared server fixtures deliver what other suites rely on: a reachable server, demo data and fresh accounts."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.live_server import Account, LiveServer


def test_fresh_account_is_empty_and_demo_is_seeded(account: Account, demo_account: Account) -> None:
    headers = {"Authorization": f"Bearer {account.token}"}
    missing = httpx.get(f"{account.base_url}/api/contact", params={"uid": "DM0A1B2C"}, headers=headers)
    assert missing.status_code == 404
    demo = httpx.get(
        f"{demo_account.base_url}/api/contact",
        params={"uid": "DM0A1B2C"},
        headers={"Authorization": f"Bearer {demo_account.token}"},
    )
    assert demo.json()["data"]["firstName"] == "Mariana"


def test_restart_keeps_data_and_reports_new_url(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "db.sqlite3") as server:
        acct = server.add_account()
        headers = {"Authorization": f"Bearer {acct.token}"}
        created = httpx.post(
            f"{server.base_url}/api/contact", json={"name": "Ana Lima", "phone": "11 5555"}, headers=headers
        )
        assert created.status_code == 201
        server.restart()
        again = httpx.get(f"{server.base_url}/api/contact", params={"phone": "115555"}, headers=headers)
        assert again.json()["data"]["firstName"] == "Ana"
