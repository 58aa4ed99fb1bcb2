"""Registry semantics without a server: case-insensitive merging, member names, persistence per profile."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from crmdesk.api.models import Contact
from crmdesk.services.registry import Registry


def test_merge_is_case_insensitive_and_keeps_the_first_spelling(qtbot: QtBot) -> None:
    registry = Registry.load("merge")
    with qtbot.waitSignal(registry.changed):
        registry.merge(stages=["Won", " won ", "Lost"], tags=["hot lead", "Hot Lead"])
    assert registry.stages() == ["Won", "Lost"] and registry.tags() == ["hot lead"]
    with qtbot.assertNotEmitted(registry.changed):
        registry.merge(stages=["WON"])


def test_a_member_name_is_only_replaced_by_a_real_one() -> None:
    registry = Registry.load("names")
    registry.learn_owner("Jane@YourCompany.com", "Jane Smith")
    registry.learn_contact(Contact(uid="ABCD1234", ownerEmail="jane@yourcompany.com"))
    assert registry.members() == {"Jane@YourCompany.com": "Jane Smith"}
    assert registry.member_name("JANE@yourcompany.com") == "Jane Smith"


def test_profiles_are_separate() -> None:
    Registry.load("one").merge(stages=["Won"])
    assert Registry.load("two").stages() == []
    assert Registry.load("one").stages() == ["Won"]
