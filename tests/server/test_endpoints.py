"""Every endpoint over real HTTP, starting with the vendor reference's own request examples sent verbatim."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from crmdesk import contract
from tests.server.conftest import client_for, create
from tests.support import seed_examples
from tests.support.live_server import LiveServer


def test_reference_create_example_answers_201_with_summary(api: httpx.Client) -> None:
    response = api.post("/api/contact", json=seed_examples.CREATE)
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Contact created successfully"
    data = body["data"]
    assert set(data) == set(contract.SUMMARY_FIELDS)
    assert re.fullmatch(r"[A-Z0-9]{8}", data["uid"])
    assert data | {"uid": "X"} == {
        "uid": "X",
        "email": "john@example.com",
        "phone": "+15551234567",
        "firstName": "John",
        "lastName": "Doe",
    }


def test_get_by_uid_returns_the_full_contact_as_created(api: httpx.Client) -> None:
    uid = create(api, **seed_examples.CREATE)
    response = api.get("/api/contact", params={"uid": uid})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Contact retrieved successfully"
    data = body["data"]
    assert list(data) == list(contract.CONTACT_FIELDS)
    assert data["businessName"] == "Acme Corp"
    assert data["stageName"] == "New Lead"
    assert data["qualityName"] == "High"
    assert data["ownerEmail"] == "sales@yourcompany.com"
    assert data["tags"] == ["Hot Lead", "Website", "Q1 2024"]
    assert data["address"] == "" and data["birthday"] == ""
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} Initial contact made through website form", data["notes"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", data["created"])
    assert data["lastUpdate"] == data["created"]


def test_reference_update_example_adds_tags_and_returns_full_contact(api: httpx.Client) -> None:
    uid = create(api, **seed_examples.CREATE)
    response = api.put("/api/contact", json={"uid": uid, **seed_examples.UPDATE})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Contact updated successfully"
    data = body["data"]
    assert list(data) == list(contract.CONTACT_FIELDS)
    assert (data["city"], data["state"], data["value"], data["stageName"]) == (
        "Los Angeles",
        "CA",
        "10000",
        "Qualified",
    )
    assert data["tags"] == ["Hot Lead", "Website", "Q1 2024", "Premium Interest"]
    assert data["businessName"] == "Acme Corp"  # omitted fields stay
    assert data == api.get("/api/contact", params={"uid": uid}).json()["data"]


def test_reference_delete_example_removes_the_contact(api: httpx.Client) -> None:
    uid = create(api, **seed_examples.CREATE)
    response = api.delete("/api/contact", params={"uid": uid})
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Contact deleted successfully", "data": {"uid": uid}}
    assert api.get("/api/contact", params={"uid": uid}).status_code == 404
    assert api.get("/api/contact", params={"email": "john@example.com"}).status_code == 404
    assert api.delete("/api/contact", params={"uid": uid}).status_code == 404


def test_reference_tag_note_stage_quality_owner_examples(api: httpx.Client) -> None:
    uid = create(api, **seed_examples.CREATE)
    ids = {"contactUid": uid, "contactEmail": "john@example.com", "contactPhone": "+15551234567"}

    tag = api.post("/api/contact/tag/add", json={"uid": uid, "tagName": "VIP Customer"})
    assert tag.status_code == 200
    assert tag.json() == {
        "success": True,
        "message": "Tag added to contact successfully",
        "data": {**ids, "tagName": "VIP Customer"},
    }
    text = seed_examples.NOTE
    note = api.post("/api/contact/note/add", json={"uid": uid, "note": text})
    assert note.json() == {
        "success": True,
        "message": "Note added to contact successfully",
        "data": {**ids, "note": text},
    }
    stage = api.put("/api/contact/stage", json={"uid": uid, "stageName": "Qualified"})
    assert stage.json() == {
        "success": True,
        "message": "Contact stage updated successfully",
        "data": {**ids, "stageName": "Qualified"},
    }
    quality = api.put("/api/contact/quality", json={"phone": "+15551234567", "qualityName": "High"})
    assert quality.json() == {
        "success": True,
        "message": "Contact quality updated successfully",
        "data": {**ids, "qualityName": "High"},
    }
    owner = api.put("/api/contact/owner", json={"uid": uid, "ownerEmail": "sales@yourcompany.com"})
    assert owner.json() == {
        "success": True,
        "message": "Contact owner updated successfully",
        "data": {**ids, "ownerEmail": "sales@yourcompany.com", "ownerName": "Jane Smith"},
    }
    data = api.get("/api/contact", params={"uid": uid}).json()["data"]
    assert data["tags"][-1] == "VIP Customer"
    assert data["stageName"] == "Qualified"
    entries = contract.parse_notes(data["notes"])
    assert [entry.text for entry in entries] == ["Initial contact made through website form", text]


def test_names_are_spelled_the_way_the_account_does(api: httpx.Client) -> None:
    uid = create(api, name="Ana Lima", phone="11 4444-1111", stageName="proposal SENT", tags=["vip"])
    assert api.put("/api/contact/stage", json={"uid": uid, "stageName": "WON"}).json()["data"]["stageName"] == "Won"
    assert api.put("/api/contact/quality", json={"uid": uid, "qualityName": "low"}).json()["data"]["qualityName"] == (
        "Low"
    )
    owner = api.put("/api/contact/owner", json={"uid": uid, "ownerEmail": "CARLOS@yourcompany.com"}).json()["data"]
    assert (owner["ownerEmail"], owner["ownerName"]) == ("carlos@yourcompany.com", "Carlos Silva")
    # The tag exists as "vip" now; another spelling adds nothing and answers with the account's spelling.
    tag = api.post("/api/contact/tag/add", json={"uid": uid, "tagName": "VIP"}).json()["data"]
    assert tag["tagName"] == "vip"
    data = api.get("/api/contact", params={"uid": uid}).json()["data"]
    assert data["tags"] == ["vip"]
    assert (data["stageName"], data["qualityName"]) == ("Won", "Low")


def test_several_matches_by_email_or_phone_list_summaries_oldest_first(api: httpx.Client) -> None:
    first = create(api, name="John Doe", email="john@example.com", phone="+15551234567")
    second = create(api, name="John Smith", email="JOHN@example.com", phone="+1 (555) 987-6543")
    listed = api.get("/api/contact", params={"email": "john@EXAMPLE.com"}).json()
    assert listed["message"] == "2 contacts found"
    assert [item["uid"] for item in listed["data"]] == [first, second]
    assert all(set(item) == set(contract.SUMMARY_FIELDS) for item in listed["data"])
    # One match by phone digits is a full contact, whatever the punctuation.
    single = api.get("/api/contact", params={"phone": "+1 (555) 123-4567"}).json()
    assert single["message"] == "Contact retrieved successfully"
    assert single["data"]["uid"] == first and "notes" in single["data"]


def test_uid_wins_over_email_and_email_over_phone(api: httpx.Client) -> None:
    by_email = create(api, name="A One", email="one@example.com", phone="111")
    by_phone = create(api, name="B Two", email="two@example.com", phone="222")
    got = api.get("/api/contact", params={"uid": by_phone, "email": "one@example.com"}).json()["data"]
    assert got["uid"] == by_phone
    got = api.get("/api/contact", params={"email": "one@example.com", "phone": "222"}).json()["data"]
    assert got["uid"] == by_email


def test_changes_by_ambiguous_email_or_phone_ask_for_the_uid(api: httpx.Client) -> None:
    create(api, name="A One", email="same@example.com")
    create(api, name="B Two", email="same@example.com", phone="555 0000")
    create(api, name="C Three", phone="(555) 0000")
    calls = [
        ("POST", "/api/contact/tag/add", {"email": "same@example.com", "tagName": "x"}),
        ("POST", "/api/contact/note/add", {"phone": "5550000", "note": "hello"}),
        ("PUT", "/api/contact/stage", {"email": "same@example.com", "stageName": "Won"}),
        ("PUT", "/api/contact/quality", {"phone": "555-0000", "qualityName": "High"}),
        ("PUT", "/api/contact/owner", {"email": "same@example.com", "ownerEmail": "ana@yourcompany.com"}),
    ]
    for method, path, body in calls:
        response = api.request(method, path, json=body)
        assert response.status_code == 400, path
        assert response.json()["code"] == "BAD_REQUEST"
        assert "uid" in response.json()["error"]
    for item in api.get("/api/contact", params={"email": "same@example.com"}).json()["data"]:
        full = api.get("/api/contact", params={"uid": item["uid"]}).json()["data"]
        assert (full["tags"], full["notes"], full["stageName"]) == ([], "", "")


def test_name_splitting_and_explicit_names(api: httpx.Client) -> None:
    created = api.post("/api/contact", json={"name": "Mary  Ann Smith", "email": "mary@example.com"}).json()["data"]
    assert (created["firstName"], created["lastName"]) == ("Mary", "Ann Smith")
    single = api.post("/api/contact", json={"name": "Cher", "phone": "1"}).json()["data"]
    assert (single["firstName"], single["lastName"]) == ("Cher", "")
    explicit = api.post("/api/contact", json={"name": "John Doe", "lastName": "Roe", "phone": "2"}).json()["data"]
    assert (explicit["firstName"], explicit["lastName"]) == ("John", "Roe")
    only_last = api.post("/api/contact", json={"lastName": "Solo", "phone": "3"})
    assert only_last.status_code == 201


def test_number_value_is_stored_as_string_and_unknown_fields_are_ignored(api: httpx.Client) -> None:
    uid = create(api, name="Val Ue", phone="42", value=5000, favouriteColour="blue")
    data = api.get("/api/contact", params={"uid": uid}).json()["data"]
    assert data["value"] == "5000"
    assert "favouriteColour" not in data
    # "Its string" is the number as written, not what a float makes of it ("1.1", "100000.0", "inf").
    for literal in ("1.10", "1E5", "-0", "1e400", "12345678901234567890.5"):
        body = f'{{"uid": "{uid}", "value": {literal}}}'
        answer = api.put("/api/contact", content=body, headers={"Content-Type": "application/json"})
        assert answer.json()["data"]["value"] == literal, literal
    # A number where text is expected is still a wrong type.
    wrong = api.put(
        "/api/contact", content=f'{{"uid": "{uid}", "city": 12}}', headers={"Content-Type": "application/json"}
    )
    assert wrong.status_code == 400


def test_a_contact_with_nothing_set_reads_every_unset_field_as_empty_text(api: httpx.Client) -> None:
    data = api.get("/api/contact", params={"uid": create(api, name="Bare Bones", phone="7")}).json()["data"]
    unset = {name: value for name, value in data.items() if name not in {"uid", "firstName", "lastName", "phone"}}
    times = {name: unset.pop(name) for name in ("created", "lastUpdate")}
    assert all(times.values())
    assert unset.pop("tags") == []
    assert unset == dict.fromkeys(unset, ""), unset  # never null: stage, quality and owner included
    assert {"stageName", "qualityName", "ownerEmail", "notes", "email", "snapshot"} <= set(unset)


def test_update_clears_with_empty_or_null_but_keeps_identity_rule(api: httpx.Client) -> None:
    uid = create(api, name="Clear Me", email="clear@example.com", phone="123", city="Recife", stageName="Won")
    data = api.put("/api/contact", json={"uid": uid, "city": "", "stageName": None, "phone": None}).json()["data"]
    assert (data["city"], data["stageName"], data["phone"]) == ("", "", "")
    refused = api.put("/api/contact", json={"uid": uid, "email": ""})
    assert refused.status_code == 400
    assert contract.field_from_message(refused.json()["error"]) == "email"
    refused = api.put("/api/contact", json={"uid": uid, "firstName": "", "lastName": None})
    assert refused.status_code == 400
    assert api.get("/api/contact", params={"uid": uid}).json()["data"]["email"] == "clear@example.com"


def test_all_optional_fields_round_trip(api: httpx.Client) -> None:
    fields = {
        "firstName": "Ana",
        "lastName": "Souza",
        "email": "ana@example.com.br",
        "phone": " +55 11 91234-5678 ",
        "businessName": "Souza Ltda",
        "birthday": "1990-02-28",
        "address": "Rua A, 1",
        "city": "São Paulo",
        "state": "SP",
        "zipcode": "01000-000",
        "timeZone": "America/Sao_Paulo",
        "value": "1.5",
        "snapshot": "x" * 5000,
    }
    uid = create(api, **fields)
    data = api.get("/api/contact", params={"uid": uid}).json()["data"]
    assert {key: data[key] for key in fields} == {**fields, "phone": "+55 11 91234-5678"}


def test_notes_use_the_account_time_zone_and_keep_paragraphs(live_server: LiveServer) -> None:
    account = live_server.add_account(time_zone="America/Sao_Paulo")
    with client_for(account) as api:
        uid = create(api, name="Zoned Person", phone="77")
        before = datetime.now(ZoneInfo("America/Sao_Paulo")).replace(tzinfo=None, second=0, microsecond=0)
        text = "First paragraph.\n\n2020-01-01 10:00 looks like a stamp\n\nLast paragraph."
        assert api.post("/api/contact/note/add", json={"uid": uid, "note": text}).status_code == 200
        api.post("/api/contact/note/add", json={"uid": uid, "note": "second"})
        notes = api.get("/api/contact", params={"uid": uid}).json()["data"]["notes"]
    # The whole history: each entry stamped, the first note's paragraphs kept verbatim, one blank line between.
    stamp = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
    match = re.fullmatch(f"({stamp}) {re.escape(text)}\n\n({stamp}) second", notes)
    assert match is not None, notes
    first, second = (datetime.strptime(group, "%Y-%m-%d %H:%M") for group in match.groups())
    # Stamped in the account's zone (Sao Paulo is never UTC), oldest first.
    assert before <= first <= second <= before + timedelta(minutes=2)


def test_tags_are_additive_and_deduplicated(api: httpx.Client) -> None:
    uid = create(api, name="Tag Person", phone="5", tags=["A", "b", "a"])
    data = api.put("/api/contact", json={"uid": uid, "tags": ["B", "c"]}).json()["data"]
    assert data["tags"] == ["A", "b", "c"]
    data = api.put("/api/contact", json={"uid": uid, "tags": []}).json()["data"]
    assert data["tags"] == ["A", "b", "c"]


def test_lookup_by_uid_does_not_find_other_contacts(api: httpx.Client) -> None:
    create(api, name="Some One", phone="9")
    response = api.get("/api/contact", params={"uid": "ZZZZZZZZ"})
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Contact not found", "code": "NOT_FOUND"}


def test_head_is_answered_like_get_without_body(api: httpx.Client) -> None:
    uid = create(api, name="Head Person", phone="9")
    response = api.head("/api/contact", params={"uid": uid})
    assert response.status_code == 200
    assert response.content == b""


def test_email_lookup_ignores_case_beyond_ascii(api: httpx.Client) -> None:
    uid = create(api, name="José Ávila", email="JOSÉ.ÁVILA@exemplo.com.br")
    for spelled in ("josé.ávila@exemplo.com.br", "JOSÉ.ÁVILA@EXEMPLO.COM.BR"):
        response = api.get("/api/contact", params={"email": spelled})
        assert response.status_code == 200, spelled
        assert response.json()["data"]["uid"] == uid
        assert response.json()["data"]["email"] == "JOSÉ.ÁVILA@exemplo.com.br"  # stored as given
    changed = api.put("/api/contact/stage", json={"email": "josé.ávila@exemplo.com.br", "stageName": "won"})
    assert changed.status_code == 200 and changed.json()["data"]["contactUid"] == uid
