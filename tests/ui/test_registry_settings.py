"""The registry of known values: learned from contacts, edited in Settings, round-tripped through JSON."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from crmdesk import paths
from crmdesk.api.client import ContactApi
from crmdesk.services.registry import Registry, RegistryFormatError, fixed_offset_zone, note_offset
from crmdesk.ui.settings_dialog import SettingsDialog
from tests.support.live_server import Account
from tests.ui.contact_support import create_contact, make_view
from tests.ui.shell_support import close_window, open_window


def test_registry_learns_from_a_contact_and_an_owner_answer(qtbot: QtBot, api: ContactApi) -> None:
    registry = Registry.load("learn")
    contact = create_contact(
        qtbot, api, name="Lia Reis", email="lia@example.com", stageName="won", qualityName="low",
        ownerEmail="ana@yourcompany.com", tags=["VIP"],
    )  # fmt: skip
    service, view = make_view(qtbot, api, registry)
    view.show_contact(contact)
    # The server spells names the way the account does, and that is what is learned.
    assert registry.stages() == ["Won"] and registry.qualities() == ["Low"] and registry.tags() == ["VIP"]
    assert registry.members() == {"ana@yourcompany.com": ""}
    with qtbot.waitSignal(service.field_changed, timeout=10_000):
        service.set_owner("carlos@yourcompany.com")
    assert registry.members()["carlos@yourcompany.com"] == "Carlos Silva"
    assert view.owner_combo.currentText() == "Carlos Silva — carlos@yourcompany.com"
    # It is on disk for the next start of this profile.
    reloaded = Registry.load("learn")
    assert reloaded.stages() == ["Won"] and reloaded.members()["carlos@yourcompany.com"] == "Carlos Silva"
    assert (paths.profile_dir("learn") / "registry.json").is_file()


def test_settings_dialog_edits_the_registry_and_the_view_follows(qtbot: QtBot, api: ContactApi) -> None:
    registry = Registry.load("settings")
    registry.merge(stages=["New Lead"], members={"sales@yourcompany.com": "Jane Smith"})
    _service, view = make_view(qtbot, api, registry)
    view.show_contact(create_contact(qtbot, api, name="Bia", email="bia@example.com"))
    dialog = SettingsDialog(registry, view)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.isVisible() and dialog.stages.toPlainText() == "New Lead"
    # How to write each list stays in view above it once it holds values (a placeholder would have gone).
    caption = dialog.findChild(QLabel, "stagesCaption")
    assert caption is not None and caption.isVisible() and "One stage per line" in caption.text()
    for name in ("qualitiesCaption", "tagsCaption"):
        assert "per line" in dialog.findChild(QLabel, name).text()  # type: ignore[union-attr]
    for edit in (dialog.stages, dialog.qualities, dialog.tags):
        assert "per line" in edit.accessibleDescription()  # what a screen reader says with the list
    dialog.stages.setPlainText("New Lead\nQualified\n\n  Won  ")
    dialog.qualities.setPlainText("High")
    dialog._add_member_row("carlos@yourcompany.com", "Carlos Silva")
    dialog.tags.setPlainText("Hot Lead")
    dialog.region.setCurrentIndex(dialog.region.findData("PT"))
    with qtbot.waitSignal(dialog.finished):
        dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert registry.stages() == ["New Lead", "Qualified", "Won"]
    assert registry.members() == {"sales@yourcompany.com": "Jane Smith", "carlos@yourcompany.com": "Carlos Silva"}
    assert registry.tags() == ["Hot Lead"] and registry.phone_region() == "PT"
    stage_items = [view.stage_combo.itemData(i) for i in range(view.stage_combo.count())]
    assert stage_items == ["", "New Lead", "Qualified", "Won"]
    assert Registry.load("settings").to_dict() == registry.to_dict()


def test_settings_rejects_a_member_without_an_email(qtbot: QtBot) -> None:
    registry = Registry.load("bad-member")
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog._add_member_row("not-an-email", "X")
    dialog.accept()
    assert "not an email address" in dialog.message.text() and registry.members() == {}


def test_registry_round_trips_through_json_export_and_import(qtbot: QtBot, tmp_path: Path) -> None:
    source = Registry.load("team-a")
    source.merge(
        stages=["New Lead", "Won"], qualities=["High"], members={"ana@yourcompany.com": "Ana Souza"}, tags=["Q1"]
    )
    source.set_phone_region("BR")
    source.set_account_time_zone("America/Sao_Paulo")
    source.set_currency("BRL")
    exported = tmp_path / "shared.json"
    dialog = SettingsDialog(source)
    qtbot.addWidget(dialog)
    assert dialog.export_to(str(exported))
    shared = json.loads(exported.read_text())
    assert shared["members"] == [{"email": "ana@yourcompany.com", "name": "Ana Souza"}]
    assert "phoneRegion" not in shared, "a number typed without its country is read in the rep's own region"

    target = Registry.load("team-b")
    target.merge(stages=["Lost"])
    target.set_phone_region("PT")
    other = SettingsDialog(target)
    qtbot.addWidget(other)
    assert other.import_from(str(exported))
    assert target.stages() == ["Lost"], "import fills the dialog; OK applies it"
    other.accept()
    assert target.stages() == ["Lost", "New Lead", "Won"]
    assert target.members() == {"ana@yourcompany.com": "Ana Souza"}
    assert target.tags() == ["Q1"] and target.phone_region() == "PT"
    assert target.account_time_zone() == "America/Sao_Paulo" and target.currency() == "BRL"
    assert Registry.load("team-b").account_time_zone() == "America/Sao_Paulo"
    assert Registry.load("team-b").currency() == "BRL"


def test_the_phone_regions_are_listed_by_country_name(qtbot: QtBot) -> None:
    # A list of bare codes ("SA +966") made a wrong pick easy, and found nobody's country by its first letters.
    dialog = SettingsDialog(Registry.load("regions"))
    qtbot.addWidget(dialog)
    region = dialog.region
    assert region.itemText(region.findData("BR")) == "Brazil  BR +55"
    assert region.itemText(region.findData("SA")) == "Saudi Arabia  SA +966"
    texts = [region.itemText(index) for index in range(1, region.count())]
    assert texts[0].startswith("Afghanistan")
    # Sorted as a reader sorts names, not by code point: "Côte d’Ivoire" before "Croatia", "Åland" among the A's.
    assert texts.index("Côte d’Ivoire  CI +225") < texts.index("Croatia  HR +385")
    assert texts.index("Åland Islands  AX +358") < texts.index("Albania  AL +355")


def test_settings_sets_the_teams_currency_and_the_value_follows(qtbot: QtBot, api: ContactApi) -> None:
    registry = Registry.load("currency")
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    assert dialog.currency.currentData() == "" and "None" in dialog.currency.currentText()
    dialog.currency.setCurrentIndex(dialog.currency.findData("EUR"))
    assert dialog.currency.currentText() == "EUR  €"
    dialog.accept()
    assert registry.currency() == "EUR" and Registry.load("currency").currency() == "EUR"
    _service, view = make_view(qtbot, api, registry)
    view.form.value_edit.set_raw_value("5000")
    assert view.form.value_edit.text() == "€5,000.00"
    reopened = SettingsDialog(registry)
    qtbot.addWidget(reopened)
    assert reopened.currency.currentData() == "EUR"


@pytest.mark.parametrize("own_region", ["", "PT"], ids=["automatic", "chosen"])
def test_a_teammates_file_from_an_earlier_release_leaves_the_reps_phone_region(tmp_path: Path, own_region: str) -> None:
    # Earlier releases exported the lead's region: imported, it read a rep's local numbers as the lead's country's.
    shared = tmp_path / "shared.json"
    shared.write_text('{"version": 1, "phoneRegion": "DE", "tags": ["VIP"]}')
    registry = Registry.load("abroad")
    registry.set_phone_region(own_region)
    registry.import_json(shared)
    assert registry.tags() == ["VIP"]
    assert registry.phone_region() == own_region
    assert Registry.load("abroad").phone_region() == own_region


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"hello": 1}', "is not a CRMDesk registry"),
        ('{"name": "my-app", "version": "1.2.3"}', "is not a CRMDesk registry"),  # a package.json
        ('{"version": 1, "name": "something"}', "is not a CRMDesk registry"),
        ('{"version": "1", "stages": ["Won"]}', "its version is '1', not a number"),
        ('{"stages": "Won"}', "'stages' must be a list of names"),
        ('{"members": [{"name": "No Email"}]}', "every member needs an 'email'"),
        ('{"version": 99, "stages": []}', "newer CRMDesk"),
        ('{"accountTimeZone": "Mars/Olympus"}', "'Mars/Olympus' is not an IANA time zone"),
        ('{"accountTimeZone": 3}', "'accountTimeZone' must be an IANA time zone"),
        ('{"currency": "R$"}', "'currency' must be a three-letter currency code"),
        ('{"stages": [' + "7" * 5000 + "]}", "is not a registry file CRMDesk can read"),
        ('{"stages": ' + "[" * 100_000 + "]" * 100_000 + "}", "is not a registry file CRMDesk can read"),
    ],
    ids=[
        "not json",
        "array",
        "other",
        "package.json",
        "version only",
        "version text",
        "stages text",
        "member",
        "newer",
        "zone",
        "zone number",
        "currency",
        "digits",
        "deep",
    ],
)
def test_a_bad_registry_file_is_refused_with_a_clear_reason(
    qtbot: QtBot, tmp_path: Path, content: str, reason: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    registry = Registry.load("bad-file")
    registry.merge(stages=["Won"])
    with pytest.raises(RegistryFormatError, match=reason.replace("(", r"\(")):
        registry.import_json(bad)
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    assert not dialog.import_from(str(bad))
    assert dialog.message.text().startswith("Not imported:") and reason in dialog.message.text()
    assert registry.stages() == ["Won"]


def test_settings_sets_the_accounts_time_zone_and_refuses_an_unknown_one(qtbot: QtBot) -> None:
    registry = Registry.load("zone")
    assert registry.account_time_zone() == ""  # unknown: note times are taken as this computer's
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    assert dialog.account_zone.currentText() == ""
    assert not dialog.message.isVisibleTo(dialog)  # no empty line above the buttons
    dialog.account_zone.setEditText("America/Nowhere")
    dialog.accept()
    assert "America/Nowhere is not a time zone" in dialog.message.text() and dialog.message.isVisibleTo(dialog)
    assert registry.account_time_zone() == "" and not dialog.result()
    dialog.account_zone.setEditText(" Europe/Lisbon ")
    dialog.accept()
    assert registry.account_time_zone() == "Europe/Lisbon"
    assert Registry.load("zone").account_time_zone() == "Europe/Lisbon"
    with pytest.raises(ValueError, match="not an IANA time zone"):
        registry.set_account_time_zone("Europe/Atlantis")
    assert registry.account_time_zone() == "Europe/Lisbon"


def test_an_account_zone_in_another_case_is_taken_and_written_as_tzdata_spells_it(qtbot: QtBot, tmp_path: Path) -> None:
    # macOS finds "europe/berlin" (its disk ignores case) and a teammate there shared it; Linux refused the whole
    # file, stages and members with it, and Settings refused the zone typed so.
    shared = tmp_path / "shared.json"
    shared.write_text('{"version": 1, "stages": ["Won"], "accountTimeZone": "europe/berlin"}')
    registry = Registry.load("zone-case")
    registry.import_json(shared)
    assert registry.stages() == ["Won"] and registry.account_time_zone() == "Europe/Berlin"
    dialog = SettingsDialog(Registry.load("typed-case"))
    qtbot.addWidget(dialog)
    dialog.account_zone.setEditText("america/sao_paulo")
    dialog.accept()
    assert dialog.result() and dialog.registry.account_time_zone() == "America/Sao_Paulo"


def test_a_teammates_learned_offset_fills_an_unknown_zone_but_never_replaces_a_chosen_one(tmp_path: Path) -> None:
    shared = tmp_path / "shared.json"
    shared.write_text(json.dumps({"stages": ["Won"], "accountTimeZone": "Etc/GMT+3"}))
    unknown = Registry.load("import-unknown")
    unknown.import_json(shared)
    assert unknown.account_time_zone() == "Etc/GMT+3"
    chosen = Registry.load("import-chosen")
    chosen.set_account_time_zone("America/Sao_Paulo")
    chosen.import_json(shared)
    assert chosen.account_time_zone() == "America/Sao_Paulo" and chosen.stages() == ["Won"]


def test_settings_says_what_a_learned_fixed_offset_means(qtbot: QtBot, utc_computer: None) -> None:
    registry = Registry.load("learned-note")
    registry.learn_note_stamp(datetime(2026, 11, 27, 22, 30), _SENT, _SENT + timedelta(seconds=1))
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.account_zone.currentText() == "Etc/GMT+3"
    assert dialog.zone_note.isVisible() and dialog.zone_note.text().startswith("UTC−03:00 all year")
    dialog.account_zone.setEditText("America/Sao_Paulo")
    assert not dialog.zone_note.isVisible()


def test_settings_neither_exports_nor_imports_over_a_mistyped_zone(qtbot: QtBot, tmp_path: Path) -> None:
    registry = Registry.load("mistyped")
    registry.set_account_time_zone("Europe/Lisbon")
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.account_zone.setEditText("America/Sao_Paul")
    target = tmp_path / "shared.json"
    assert not dialog.export_to(str(target)) and not target.exists()
    assert "America/Sao_Paul is not a time zone" in dialog.message.text()
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"stages": ["Won"]}))
    assert not dialog.import_from(str(other))
    assert dialog.account_zone.currentText() == "America/Sao_Paul"  # what was typed stays, to be corrected


_SENT = datetime(2026, 11, 28, 1, 30, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "stored_after", "offset"),
    [
        (datetime(2026, 11, 27, 22, 30), 1, timedelta(hours=-3)),  # São Paulo
        (datetime(2026, 11, 28, 1, 30), 1, timedelta(0)),
        (datetime(2026, 11, 28, 7, 0), 1, timedelta(hours=5, minutes=30)),  # India
        (datetime(2026, 11, 27, 22, 34), 1, timedelta(hours=-3)),  # this computer's clock 4 minutes behind
        (datetime(2026, 11, 27, 22, 30), 30 * 60, None),  # a request that took 30 minutes allows two offsets
        (datetime(2026, 11, 27, 22, 38), 1, None),  # 8 minutes off any offset: no clock is that wrong
    ],
)
def test_a_new_notes_stamp_tells_the_accounts_offset(
    stamp: datetime, stored_after: int, offset: timedelta | None
) -> None:
    assert note_offset(stamp, _SENT, _SENT + timedelta(seconds=stored_after)) == offset


def test_offsets_are_named_as_iana_fixed_zones_when_whole_hours_and_as_utc_offsets_otherwise() -> None:
    assert fixed_offset_zone(timedelta(0)) == "UTC"
    assert fixed_offset_zone(timedelta(hours=-3)) == "Etc/GMT+3"  # IANA's sign: Etc/GMT+3 is three hours behind
    assert fixed_offset_zone(timedelta(hours=9)) == "Etc/GMT-9"
    assert fixed_offset_zone(timedelta(hours=5, minutes=30)) == "UTC+05:30"  # India
    assert fixed_offset_zone(timedelta(hours=-3, minutes=-30)) == "UTC-03:30"  # Newfoundland
    assert fixed_offset_zone(timedelta(hours=5, minutes=45)) == "UTC+05:45"  # Nepal
    assert fixed_offset_zone(timedelta(minutes=7)) is None


@pytest.mark.parametrize(
    ("stamp", "learned", "shown"),
    [
        (datetime(2026, 11, 28, 7, 0), "UTC+05:30", "01:30"),  # India: 07:00 there is 01:30 UTC
        (datetime(2026, 11, 28, 7, 15), "UTC+05:45", "01:30"),  # Nepal
        (datetime(2026, 11, 27, 22, 0), "UTC-03:30", "01:30"),  # Newfoundland
    ],
)
def test_an_account_half_an_hour_off_the_hour_has_its_notes_at_the_right_time(
    qtbot: QtBot, utc_computer: None, tmp_path: Path, stamp: datetime, learned: str, shown: str
) -> None:
    """Learning used to give up on offsets that are not whole hours, and every note then showed hours off."""
    from crmdesk.contract import NoteEntry
    from crmdesk.ui.formatting import time_zone
    from crmdesk.ui.notes_timeline import NotesTimeline

    registry = Registry.load("learn-part-hour")
    registry.learn_note_stamp(stamp, _SENT, _SENT + timedelta(seconds=1))
    assert registry.account_time_zone() == learned
    assert Registry.load("learn-part-hour").account_time_zone() == learned  # kept in the profile's file
    timeline, in_utc = NotesTimeline(), NotesTimeline()
    qtbot.addWidget(timeline)
    qtbot.addWidget(in_utc)
    timeline.set_account_zone(time_zone(registry.account_time_zone()))
    timeline.set_notes([NoteEntry(stamp, "Called back")])
    hour, minute = map(int, shown.split(":"))
    in_utc.set_notes([NoteEntry(datetime(2026, 11, 28, hour, minute), "Called back")])  # this computer is in UTC
    assert timeline.entry_widgets()[0].time_label.text() == in_utc.entry_widgets()[0].time_label.text()
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.zone_note.text().startswith(f"{learned.replace('-', '−')} all year")
    assert dialog.export_to(str(tmp_path / "shared.json"))  # a teammate's app can import it
    teammate = Registry.load("teammate")
    teammate.import_json(tmp_path / "shared.json")
    assert teammate.account_time_zone() == learned


def test_an_unknown_zone_is_learned_from_a_note_but_a_chosen_one_is_kept(utc_computer: None) -> None:
    registry = Registry.load("learn")
    registry.learn_note_stamp(datetime(2026, 11, 27, 22, 30), _SENT, _SENT + timedelta(seconds=1))
    assert registry.account_time_zone() == "Etc/GMT+3"
    assert Registry.load("learn").account_time_zone() == "Etc/GMT+3"
    chosen = Registry.load("chosen")
    chosen.set_account_time_zone("America/Sao_Paulo")
    chosen.learn_note_stamp(datetime(2026, 11, 28, 1, 30), _SENT, _SENT + timedelta(seconds=1))
    assert chosen.account_time_zone() == "America/Sao_Paulo"
    # A learned offset is learned again when a later note disagrees: summer time began or ended.
    registry.learn_note_stamp(datetime(2026, 11, 27, 23, 30), _SENT, _SENT + timedelta(seconds=1))
    assert registry.account_time_zone() == "Etc/GMT+2"
    # A stamp in this computer's own zone needs no zone: unknown already means "as this computer".
    same = Registry.load("same")
    same.learn_note_stamp(datetime(2026, 11, 28, 1, 30), _SENT, _SENT + timedelta(seconds=1))
    assert same.account_time_zone() == ""


def test_importing_a_file_with_nothing_new_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    registry = Registry.load("nothing-new")
    registry.merge(stages=["Won", "Lost"], tags=["VIP"])
    same = tmp_path / "same.json"
    same.write_text('{"stages": ["won"], "tags": ["VIP"]}')  # what is here already, one in another case
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    assert dialog.import_from(str(same))
    assert dialog.message.text() == f"Nothing new in {same}: every value it holds is here already."
    # A zone chosen here is not replaced by an offset a teammate's copy learned: that is said, not "nothing".
    registry.set_account_time_zone("America/Sao_Paulo")
    offset = tmp_path / "offset.json"
    offset.write_text('{"stages": ["Won"], "accountTimeZone": "Etc/GMT+5"}')
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    assert dialog.import_from(str(offset))
    assert dialog.message.text() == (
        f"Nothing new in {offset}: its time zone, Etc/GMT+5, is an offset learned from a note, "
        "and the zone chosen here stays."
    )


@pytest.mark.expected_warnings
@pytest.mark.parametrize(
    "content",
    [b"{oops", '{"stages": ["Lead \xe9"]}'.encode("latin-1"), b'{"stages": [' + b"7" * 5000 + b"]}"],
    ids=["not json", "latin-1", "digits"],
)
def test_an_unreadable_registry_file_starts_empty_and_is_kept_aside(content: bytes) -> None:
    # Read before the window shows, at every start: a file hand-edited in another encoding must not stop the app,
    # nor be overwritten by the first value learned (it may hold the team's lists).
    (paths.profile_dir("broken") / "registry.json").write_bytes(content)
    registry = Registry.load("broken")
    assert registry.to_dict()["stages"] == []
    registry.merge(stages=["New Lead"])
    assert (paths.profile_dir("broken") / "registry.json.unreadable").read_bytes() == content
    assert registry.set_aside == paths.profile_dir("broken") / "registry.json.unreadable"


@pytest.mark.expected_warnings
def test_a_registry_file_set_aside_is_never_overwritten(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = paths.profile_dir("twice")
    (folder / "registry.json").write_bytes(b'{"stages": ["N\xe9gociation"]}')  # the team's lists, Latin-1
    Registry.load("twice").merge(stages=["New Lead"])
    (folder / "registry.json").write_bytes(b"{broken again")
    Registry.load("twice")
    assert (folder / "registry.json.unreadable").read_bytes() == b'{"stages": ["N\xe9gociation"]}'
    assert (folder / "registry.json.unreadable-2").read_bytes() == b"{broken again"
    # Where it cannot be moved aside (say, the folder is not writable), nothing is saved over it either.
    (folder / "registry.json").write_bytes(b"{and again")

    def refuse(self: Path, target: Path) -> Path:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "replace", refuse)
    stuck = Registry.load("twice")
    monkeypatch.undo()
    stuck.merge(stages=["Won"])
    assert (folder / "registry.json").read_bytes() == b"{and again" and stuck.stages() == ["Won"]


@pytest.mark.expected_warnings
def test_the_window_says_when_the_profiles_lists_could_not_be_read(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (paths.profile_dir("work") / "registry.json").write_bytes(b"{oops")
    window = open_window(qtbot, account)
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text().startswith("This profile's list of stages, qualities, members and tags could not")
    assert str(paths.profile_dir("work") / "registry.json.unreadable") in window.banner.text()
    close_window(qtbot, window)


def test_settings_opened_again_shows_what_was_learned_since_and_not_a_cancelled_edit(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account)
    registry = window.registry
    registry.merge(stages=["Lead"])
    window.open_settings()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.stages.toPlainText() == "Lead"
    dialog.stages.setPlainText("Lead\nTYPO I CANCELLED")
    dialog.reject()

    registry.merge(stages=["Won"], members={"ana@team.example": "Ana"}, tags=["Hot Lead"])  # learned meanwhile
    window.open_settings()
    assert dialog.stages.toPlainText() == "Lead\nWon"
    dialog.accept()
    assert registry.stages() == ["Lead", "Won"]
    assert registry.members() == {"ana@team.example": "Ana"} and registry.tags() == ["Hot Lead"]
    close_window(qtbot, window)


def test_settings_refuses_a_name_longer_than_the_api_takes(qtbot: QtBot) -> None:
    registry = Registry.load("long-names")
    registry.merge(stages=["Lead"])
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tags.setPlainText("Hot Lead\n" + "x" * 101)
    dialog.accept()
    assert dialog.isVisible() and "longer than 100 characters" in dialog.message.text()
    assert dialog.tabs.currentWidget().isAncestorOf(dialog.tags) and dialog.focusWidget() is dialog.tags
    assert registry.tags() == [] and Registry.load("long-names").stages() == ["Lead"]


def test_settings_refuses_a_member_email_longer_than_the_api_takes(qtbot: QtBot, tmp_path: Path) -> None:
    registry = Registry.load("long-member")
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.show()
    long_email = "a" * 300 + "@team.example"
    dialog._add_member_row(long_email, "Too Long")
    dialog.accept()
    assert dialog.isVisible() and "longer than 254 characters" in dialog.message.text()
    assert dialog.tabs.currentIndex() == 2 and registry.members() == {}
    # And a file that holds one is refused with the reason (the profile's own file skips just that one).
    handed_over = tmp_path / "members.json"
    handed_over.write_text(json.dumps({"members": [{"email": long_email, "name": "Too Long"}]}), encoding="utf-8")
    with pytest.raises(RegistryFormatError, match="longer than 254 characters"):
        Registry(None).import_json(handed_over)


@pytest.mark.expected_warnings
def test_one_overlong_name_in_the_profiles_file_costs_that_name_only(tmp_path: Path) -> None:
    registry = Registry.load("one-bad")
    registry.merge(stages=["Lead", "Won"], members={"ana@team.example": "Ana"}, tags=["Hot Lead"])
    path = paths.profile_dir("one-bad") / "registry.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["tags"].append("y" * 150)  # e.g. written by an older CRMDesk that did not check
    path.write_text(json.dumps(data), encoding="utf-8")
    handed_over = tmp_path / "handed-over.json"
    handed_over.write_text(json.dumps(data), encoding="utf-8")

    again = Registry.load("one-bad")
    assert again.stages() == ["Lead", "Won"] and again.members() == {"ana@team.example": "Ana"}
    assert again.tags() == ["Hot Lead"]
    # A file brought in by hand is still refused whole, with the reason.
    with pytest.raises(RegistryFormatError, match="longer than 100 characters"):
        Registry(None).import_json(handed_over)


def test_a_note_time_claims_no_zone_while_the_accounts_is_unknown(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown, a stamp is shown as written; its tooltip used to name this computer's zone as if that were known."""
    import time

    from crmdesk.contract import NoteEntry
    from crmdesk.ui.formatting import time_zone
    from crmdesk.ui.notes_timeline import NotesTimeline

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        timeline = NotesTimeline()
        qtbot.addWidget(timeline)
        timeline.set_notes([NoteEntry(datetime(2026, 11, 27, 9, 0), "Called back")])
        tooltip = timeline.entry_widgets()[0].time_label.toolTip()
        assert "as the server wrote it" in tooltip and "account's time zone is not known yet" in tooltip
        assert "Japan" not in tooltip and "JST" not in tooltip
        timeline.set_account_zone(time_zone("UTC"))
        tooltip = timeline.entry_widgets()[0].time_label.toolTip()
        assert "as the server wrote it" not in tooltip and ("Japan" in tooltip or "JST" in tooltip), tooltip
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.expected_warnings  # the hand-edited currency is logged as ignored
@pytest.mark.parametrize("typo", ["UTC+99:00", "UTC+14:30", "UTC-13:00", "UTC+05:20"])
def test_an_offset_no_zone_has_is_refused_and_never_breaks_the_window(
    qtbot: QtBot, api: ContactApi, tmp_path: Path, typo: str
) -> None:
    """ "UTC+99:00" (for +09:00) passed as a learned offset, and building the contact view then raised at every
    start of the profile."""
    registry = Registry.load("offset-typo")
    with pytest.raises(ValueError):
        registry.set_account_time_zone(typo)
    shared = tmp_path / "team.json"
    shared.write_text(json.dumps({"accountTimeZone": typo}))
    with pytest.raises(RegistryFormatError):
        registry.import_json(shared)
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.account_zone.setEditText(typo)
    dialog.accept()
    assert registry.account_time_zone() == "" and f"{typo} is not a time zone" in dialog.message.text()
    # A profile's own file that holds one anyway (edited by hand) still opens, its note times as written.
    own = paths.profile_dir("offset-typo") / "registry.json"
    own.write_text(json.dumps({"stages": ["Won"], "accountTimeZone": typo, "currency": "R$"}))
    reopened = Registry.load("offset-typo")
    assert reopened.stages() == ["Won"] and reopened.currency() == ""  # the bad entries cost themselves only
    _service, view = make_view(qtbot, api, reopened)
    assert view.notes is not None


@pytest.mark.expected_warnings
def test_a_data_folder_that_cannot_be_made_leaves_a_working_window_that_says_nothing_is_kept(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    blocker = tmp_path / "a file"
    blocker.write_text("where the data folder's parent should be", encoding="utf-8")
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(blocker / "data"))
    window = open_window(qtbot, account)
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text() == (
        "CRMDesk cannot write to its data folder (Not a directory). Settings and the Recent list work, but are not "
        "kept after you quit."
    )
    window.registry.merge(stages=["Negotiation"])  # learned and used, in memory
    window.recent.add("AAAA1111", "Ana Souza")
    window.recent.flush()
    assert window.registry.stages() == ["Negotiation"] and [e.uid for e in window.recent.entries()] == ["AAAA1111"]
    close_window(qtbot, window)


@pytest.mark.expected_warnings
def test_settings_that_cannot_be_saved_are_told_once_and_again_if_saving_fails_after_it_worked(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account)
    folder = paths.profile_dir("work")
    window.recent.flush()

    def break_folder() -> None:  # a file where the profile's folder was: every write there fails
        shutil.rmtree(folder)
        folder.write_text("", encoding="utf-8")

    def mend_folder() -> None:
        folder.unlink()
        folder.mkdir()

    break_folder()
    window.registry.merge(stages=["Lead"])
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text().startswith("This profile's settings and lists could not be saved (File exists).")
    window.banner.hide()
    window.registry.merge(stages=["Won"])  # failing the same way: told already
    assert not window.banner.isVisible()
    mend_folder()
    window.registry.merge(stages=["Lost"])  # saved, with everything learned while it failed
    assert json.loads((folder / "registry.json").read_text(encoding="utf-8"))["stages"] == ["Lead", "Won", "Lost"]
    break_folder()
    window.registry.merge(stages=["Paused"])
    qtbot.waitUntil(window.banner.isVisible)
    mend_folder()
    close_window(qtbot, window)


def test_loading_a_registry_leaves_its_file_as_it_was() -> None:
    # Read at every start before the window shows: writing it back cost a write each time, and rewrote a
    # teammate's hand-made file in this app's layout without any change.
    path = paths.profile_dir("as-is") / "registry.json"
    original = b'{"stages": ["Lead", "Won"], "qualities": ["High"],\n "members": {"ana@example.com": "Ana"}}'
    path.write_bytes(original)
    registry = Registry.load("as-is")
    assert registry.stages() == ["Lead", "Won"] and registry.member_name("ana@example.com") == "Ana"
    assert path.read_bytes() == original
    registry.merge(stages=["Lost"])  # a change is still saved
    assert json.loads(path.read_text(encoding="utf-8"))["stages"] == ["Lead", "Won", "Lost"]


@pytest.mark.expected_warnings
def test_settings_accepted_while_saving_keeps_failing_say_so_in_the_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    # The window's banner says so once, when saving first fails, and the rep may have dismissed it long ago: OK in
    # Settings must not then close as if the settings were kept.
    registry = Registry.load("failing")
    folder = paths.profile_dir("failing")
    shutil.rmtree(folder)
    folder.write_text("", encoding="utf-8")  # a file where the profile's folder was: every save fails
    registry.merge(stages=["Lead"])
    assert registry.unsaved_reason() == "File exists"
    dialog = SettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.stages.setPlainText("Lead\nWon")
    said: list[str] = []

    def read_and_close() -> None:
        for box in QApplication.topLevelWidgets():
            if isinstance(box, QMessageBox) and box.isVisible():
                said.append(box.text())
                box.accept()

    with qtbot.waitSignal(dialog.finished, timeout=5_000):
        dialog.accept()

    def read_and_closed() -> bool:
        read_and_close()
        return bool(said)

    qtbot.waitUntil(read_and_closed, timeout=5_000)  # open over the window, not nested
    assert said == [
        "These settings could not be saved (File exists). They apply until you quit CRMDesk, and are saved as soon "
        "as the disk has room or can be written (at the next contact you open or setting you change)."
    ]
    assert registry.stages() == ["Lead", "Won"]  # in use for this session
    folder.unlink()
    folder.mkdir()
    registry.learn_owner("ana@example.com", "Ana")  # the next chance saves everything
    assert registry.unsaved_reason() is None
    assert Registry.load("failing").stages() == ["Lead", "Won"]


@pytest.mark.expected_warnings
def test_while_saving_fails_an_unchanged_registry_tries_again_only_now_and_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each contact opened teaches the registry what it already knows; a write that fails (a hung network folder)
    # must not be tried at every one of them on the UI thread.
    import crmdesk.services.registry as registry_module

    registry = Registry.load("retry")
    tries: list[int] = []

    def failing(path: Path, data: object) -> None:
        tries.append(1)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(registry_module, "_write_atomically", failing)
    registry.merge(stages=["Lead"])
    assert tries == [1] and registry.unsaved_reason() == "No space left on device"
    for _ in range(20):
        registry.merge(stages=["Lead"])  # nothing new
    assert tries == [1]
    monkeypatch.setattr(registry_module, "SAVE_RETRY_S", 0.0)
    registry.merge(stages=["Lead"])
    assert tries == [1, 1]  # the next chance after the pause
