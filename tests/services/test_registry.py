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


def test_leaving_an_account_forgets_only_the_zone_learned_from_its_note_stamps() -> None:
    learned = Registry.load("learned")
    learned.merge(stages=["Won"], account_time_zone="Etc/GMT+3")  # as learned from a note stamped at UTC−3
    learned.forget_learned_time_zone()
    assert learned.account_time_zone() == "" and learned.stages() == ["Won"]
    assert Registry.load("learned").account_time_zone() == ""  # on disk too

    chosen = Registry.load("chosen")
    chosen.set_account_time_zone("America/Sao_Paulo")  # named in Settings: the rep's choice stays
    chosen.forget_learned_time_zone()
    assert Registry.load("chosen").account_time_zone() == "America/Sao_Paulo"
