"""Isolation between accounts: a token never sees, changes or learns of another account's data."""

from __future__ import annotations

import httpx

from tests.server.conftest import client_for, create
from tests.support.live_server import Account, LiveServer


def test_another_accounts_contact_is_invisible_and_untouchable(live_server: LiveServer, account: Account) -> None:
    other = live_server.add_account()
    with client_for(account) as mine, client_for(other) as theirs:
        uid = create(mine, name="Private Person", email="private@example.com", phone="+55 11 90000-0001", city="Rio")
        before = mine.get("/api/contact", params={"uid": uid}).json()["data"]
        attempts = [
            theirs.get("/api/contact", params={"uid": uid}),
            theirs.get("/api/contact", params={"email": "private@example.com"}),
            theirs.get("/api/contact", params={"phone": "5511900000001"}),
            theirs.put("/api/contact", json={"uid": uid, "city": "Hacked"}),
            theirs.delete("/api/contact", params={"uid": uid}),
            theirs.post("/api/contact/tag/add", json={"uid": uid, "tagName": "pwned"}),
            theirs.post("/api/contact/note/add", json={"email": "private@example.com", "note": "pwned"}),
            theirs.put("/api/contact/stage", json={"uid": uid, "stageName": "Lost"}),
            theirs.put("/api/contact/quality", json={"phone": "5511900000001", "qualityName": "Low"}),
            theirs.put("/api/contact/owner", json={"uid": uid, "ownerEmail": "ana@yourcompany.com"}),
        ]
        # The same answer as for a uid that exists nowhere, so nothing leaks about existence.
        nowhere = theirs.get("/api/contact", params={"uid": "ZZZZZZZZ"}).json()
        for response in attempts:
            assert response.status_code == 404, response.text
            assert response.json()["error"] == nowhere["error"]
        assert mine.get("/api/contact", params={"uid": uid}).json()["data"] == before


def test_shared_email_across_accounts_is_not_a_several_match(live_server: LiveServer, account: Account) -> None:
    other = live_server.add_account()
    with client_for(account) as mine, client_for(other) as theirs:
        uid = create(mine, name="Dup One", email="dup@example.com")
        create(theirs, name="Dup Two", email="dup@example.com")
        answer = mine.get("/api/contact", params={"email": "dup@example.com"}).json()
        assert answer["message"] == "Contact retrieved successfully"
        assert answer["data"]["uid"] == uid
        tagged = mine.post("/api/contact/tag/add", json={"email": "dup@example.com", "tagName": "ok"})
        assert tagged.status_code == 200


def test_stages_qualities_members_and_tags_are_per_account(live_server: LiveServer) -> None:
    plain = live_server.add_account(stages=["Open"], qualities=["Good"], members=[("solo@plain.com", "Solo Rep")])
    rich = live_server.add_account(stages=["Secret Stage"], qualities=["Secret Quality"], members=[])
    with client_for(plain) as api, client_for(rich) as other:
        uid = create(api, name="Plain Person", phone="1", tags=["shared tag"])
        for path, body in (
            ("/api/contact/stage", {"uid": uid, "stageName": "Secret Stage"}),
            ("/api/contact/quality", {"uid": uid, "qualityName": "Secret Quality"}),
            ("/api/contact/owner", {"uid": uid, "ownerEmail": "sales@yourcompany.com"}),
        ):
            assert api.put(path, json=body).status_code == 400
        # The other account's tag spelling must not leak into this one's answers.
        other_uid = create(other, name="Rich Person", phone="2", tags=["SHARED TAG"])
        assert other.get("/api/contact", params={"uid": other_uid}).json()["data"]["tags"] == ["SHARED TAG"]
        assert (
            api.post("/api/contact/tag/add", json={"uid": uid, "tagName": "Shared Tag"}).json()["data"]["tagName"]
            == "shared tag"
        )
        owner = api.put("/api/contact/owner", json={"uid": uid, "ownerEmail": "solo@plain.com"}).json()["data"]
        assert owner["ownerName"] == "Solo Rep"


def test_token_added_while_server_runs_works_at_once(live_server: LiveServer) -> None:
    url = f"{live_server.base_url}/api/contact"
    token = "test-late-token-123"
    assert httpx.get(url, params={"uid": "ZZZZZZZZ"}, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    live_server.add_account(token=token)
    assert httpx.get(url, params={"uid": "ZZZZZZZZ"}, headers={"Authorization": f"Bearer {token}"}).status_code == 404
