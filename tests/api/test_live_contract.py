"""Contract tests: every ContactApi method against the bundled server over loopback, with the seed's examples."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from crmdesk.api import (
    AuthError,
    Contact,
    ContactApi,
    ContactChange,
    ContactRef,
    ContactSummary,
    NotFoundError,
    OwnerChange,
    PlanError,
    RetryEvent,
    ValidationError,
)
from tests.support import seed_examples
from tests.support.live_server import Account, LiveServer


def test_seed_walkthrough(account: Account) -> None:
    async def scenario() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.verify()

            ref = await api.create_contact(**seed_examples.CREATE)
            assert isinstance(ref, ContactRef)
            assert (ref.email, ref.phone, ref.firstName, ref.lastName) == (
                "john@example.com",
                "+15551234567",
                "John",
                "Doe",
            )
            assert len(ref.uid) == 8

            by_uid = await api.get_contact(uid=ref.uid)
            assert isinstance(by_uid, Contact)
            assert (by_uid.businessName, by_uid.stageName, by_uid.qualityName) == ("Acme Corp", "New Lead", "High")
            assert by_uid.ownerEmail == "sales@yourcompany.com"
            assert by_uid.tags == ("Hot Lead", "Website", "Q1 2024")
            assert [note.text for note in by_uid.notes] == ["Initial contact made through website form"]
            assert by_uid.notes[0].timestamp is not None and by_uid.created is not None
            assert by_uid.notes_raw.endswith("Initial contact made through website form")

            assert await api.get_contact(email="JOHN@example.com") == by_uid
            assert await api.get_contact(phone="+1 (555) 123-4567") == by_uid

            updated = await api.update_contact(ref.uid, **seed_examples.UPDATE)
            assert isinstance(updated, Contact)
            assert (updated.city, updated.state, updated.value, updated.stageName) == (
                "Los Angeles",
                "CA",
                "10000",
                "Qualified",
            )
            assert updated.tags == ("Hot Lead", "Website", "Q1 2024", "Premium Interest")
            assert updated.businessName == "Acme Corp" and len(updated.notes) == 1

            tag = await api.add_tag("VIP Customer", uid=ref.uid)
            assert tag == ContactChange(ref.uid, "john@example.com", "+15551234567", "VIP Customer")

            text = seed_examples.NOTE
            note = await api.add_note(text, email="john@example.com")
            assert note == ContactChange(ref.uid, "john@example.com", "+15551234567", text)

            stage = await api.set_stage("qualified", uid=ref.uid)
            assert stage.value == "Qualified"  # spelt the way the account spells it
            quality = await api.set_quality("Medium", phone="+15551234567")
            assert quality == ContactChange(ref.uid, "john@example.com", "+15551234567", "Medium")
            owner = await api.set_owner("sales@yourcompany.com", uid=ref.uid)
            assert isinstance(owner, OwnerChange)
            assert (owner.owner_email, owner.owner_name) == ("sales@yourcompany.com", "Jane Smith")

            final = await api.get_contact(uid=ref.uid)
            assert isinstance(final, Contact)
            assert "VIP Customer" in final.tags and final.qualityName == "Medium"
            assert [n.text for n in final.notes] == ["Initial contact made through website form", text]

            assert await api.delete_contact(ref.uid) == ref.uid
            with pytest.raises(NotFoundError):
                await api.get_contact(uid=ref.uid)

    asyncio.run(scenario())


def test_several_matches_are_summaries_oldest_first(account: Account) -> None:
    async def scenario() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            first = await api.create_contact(name="John Doe", email="john@example.com", phone="+15551234567")
            second = await api.create_contact(name="John Smith", email="john@example.com", phone="+15559876543")
            found = await api.get_contact(email="john@example.com")
            assert found == [
                ContactSummary(first.uid, "john@example.com", "+15551234567", "John", "Doe"),
                ContactSummary(second.uid, "john@example.com", "+15559876543", "John", "Smith"),
            ]
            # An ambiguous email cannot pick the contact to change; the server asks for the uid.
            with pytest.raises(ValidationError):
                await api.add_tag("Dup", email="john@example.com")

    asyncio.run(scenario())


def test_server_side_rejections_are_typed(account: Account) -> None:
    async def scenario() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            ref = await api.create_contact(name="Mary Ann Smith", phone="+15550001111")
            assert (ref.firstName, ref.lastName) == ("Mary", "Ann Smith")
            with pytest.raises(ValidationError) as caught:
                await api.set_stage("No Such Stage", uid=ref.uid)
            assert caught.value.field == "stageName" and caught.value.status == 400
            with pytest.raises(ValidationError) as caught:
                await api.set_owner("nobody@example.com", uid=ref.uid)
            assert caught.value.field == "ownerEmail"
            with pytest.raises(NotFoundError):
                await api.add_note("hello", uid="ZZZZZZZZ")
            with pytest.raises(NotFoundError):
                await api.delete_contact("ZZZZZZZZ")

    asyncio.run(scenario())


def test_unknown_token_and_free_plan_are_refused(live_server: LiveServer, account: Account) -> None:
    free = live_server.add_account(plan="free")

    async def scenario() -> None:
        async with ContactApi(account.base_url, "not-a-real-token") as api:
            with pytest.raises(AuthError) as auth:
                await api.verify()
            assert auth.value.status == 401
        async with ContactApi(free.base_url, free.token) as api:
            with pytest.raises(PlanError, match="Starter, Pro or Business"):
                await api.get_contact(uid="ABC12345")

    asyncio.run(scenario())


def test_demo_account_shared_email_lists_both_contacts(demo_account: Account) -> None:
    async def scenario() -> None:
        async with ContactApi(demo_account.base_url, demo_account.token) as api:
            found = await api.get_contact(email="contato@almeidamoveis.com.br")
            assert isinstance(found, list) and len(found) == 2
            assert all(item.email == "contato@almeidamoveis.com.br" for item in found)
            one = await api.get_contact(uid=found[1].uid)
            assert isinstance(one, Contact) and one.notes and one.notes[0].timestamp is not None

    asyncio.run(scenario())


def test_limiter_paces_a_burst_before_the_server_refuses_it(tmp_path: Path) -> None:
    events: list[RetryEvent] = []

    async def scenario(account: Account) -> float:
        async with ContactApi(account.base_url, account.token, on_retry=events.append) as api:
            started = time.monotonic()
            for _ in range(12):
                with pytest.raises(NotFoundError):
                    await api.get_contact(uid="ZZZZZZZZ")
            return time.monotonic() - started

    with LiveServer(tmp_path / "limited.sqlite3", rate_limit="5/1") as server:
        elapsed = asyncio.run(scenario(server.add_account()))
    # 12 requests at 5 per second need more than one refill; the client waited instead of being refused.
    assert elapsed >= 1.0
    # Attempt 0 marks the limiter's own waits; any later attempt would mean the server answered 429.
    assert [event for event in events if event.attempt > 0] == []
