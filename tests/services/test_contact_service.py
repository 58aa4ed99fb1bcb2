"""ContactService against the live server: the duplicate lookup, busy reporting and learning into the registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact
from crmdesk.services.contact import ContactService
from crmdesk.services.registry import Registry
from tests.support.live_server import Account
from tests.ui.contact_support import close_api, create_contact, make_api


@pytest.fixture
def api(qtbot: QtBot, qasync_loop: object, account: Account) -> Iterator[ContactApi]:
    client = make_api(account.base_url, account.token)
    yield client
    close_api(qtbot, client)


def test_duplicates_found_by_email_or_phone_and_none_when_unused(qtbot: QtBot, api: ContactApi) -> None:
    first = create_contact(qtbot, api, name="Ana One", email="same@example.com")
    second = create_contact(qtbot, api, name="Ana Two", email="same@example.com", phone="+5511911112222")
    service = ContactService(lambda: api, Registry.load("dupes"))
    with qtbot.waitSignal(service.duplicates_checked, timeout=10_000) as checked:
        service.check_duplicates("SAME@example.com", "+55 (11) 91111-2222")
    assert {summary.uid for summary in checked.args[0]} == {first.uid, second.uid}
    with qtbot.waitSignal(service.duplicates_checked, timeout=10_000) as checked:
        service.check_duplicates("nobody@example.com", "+5511900000000")
    assert checked.args[0] == []


@pytest.mark.parametrize(
    ("stored", "checked"),
    [("(512) 555-0142", "+15125550142"), ("020 7946 0958", "+442079460958"), ("11 98765-4321", "+5511987654321")],
)
def test_duplicates_found_by_a_phone_another_tool_stored_without_its_country(
    qtbot: QtBot, api: ContactApi, stored: str, checked: str
) -> None:
    """The API compares every digit: "(512) 555-0142" is found by those digits only, as Search finds it, and the
    form checks the number in its international form. Missing it made a second contact."""
    existing = create_contact(qtbot, api, name="Pat Doe", phone=stored)
    service = ContactService(lambda: api, Registry.load("national"))
    with qtbot.waitSignal(service.duplicates_checked, timeout=10_000) as found:
        service.check_duplicates("", checked)
    assert [summary.uid for summary in found.args[0]] == [existing.uid]


def test_a_number_of_another_country_with_the_same_national_digits_is_no_duplicate(
    qtbot: QtBot, api: ContactApi
) -> None:
    # London's 020 7946 0958 without its trunk prefix is a US number, "(207) 946-0958".
    create_contact(qtbot, api, name="Someone Else", phone="(207) 946-0958")
    service = ContactService(lambda: api, Registry.load("other-country"))
    with qtbot.waitSignal(service.duplicates_checked, timeout=10_000) as found:
        service.check_duplicates("", "+442079460958")
    assert found.args[0] == []


def test_load_reports_busy_and_teaches_the_registry(qtbot: QtBot, api: ContactApi) -> None:
    contact = create_contact(qtbot, api, name="Rui", email="rui@example.com", stageName="Lost", tags=["Cold"])
    registry = Registry.load("busy")
    service = ContactService(lambda: api, registry)
    busy: list[bool] = []
    service.busy_changed.connect(busy.append)
    with qtbot.waitSignal(service.contact_loaded, timeout=10_000) as loaded:
        service.load(contact.uid)
    assert isinstance(loaded.args[0], Contact) and loaded.args[0].uid == contact.uid
    qtbot.waitUntil(lambda: busy == [True, False], timeout=2000)
    assert service.current == loaded.args[0]
    assert registry.stages() == ["Lost"] and registry.tags() == ["Cold"]
