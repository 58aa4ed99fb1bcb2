"""A profile's Recent list, unsaved work and account time zone follow the server it signs in to: set aside, never
mixed or lost."""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from crmdesk.paths import profile_dir
from crmdesk.services import server_files
from crmdesk.services.recent import RecentList
from crmdesk.services.recovery import Draft, UnsavedWork, UnsavedWorkFile

FIRST = "https://contact-api.8mgenius.com.br"
SECOND = "http://127.0.0.1:8765"


def _recent(profile: str) -> list[str]:
    return [entry.uid for entry in RecentList(profile).entries()]


def _left_over(profile: str) -> UnsavedWork:
    return UnsavedWorkFile(profile, UnsavedWork).left_over()


def _keep(profile: str, uid: str, note: str) -> UnsavedWork:
    recent = RecentList(profile)
    recent.add(uid, uid)
    recent.flush()
    work = UnsavedWork(drafts=(Draft(uid, uid, note=note),))
    UnsavedWorkFile(profile, lambda: work).flush()
    return work


def test_another_server_gets_a_clean_profile_and_the_first_servers_files_and_zone_come_back(qtbot: QtBot) -> None:
    first_work = _keep("work", "AAAA1111", "Call back on Monday")
    assert server_files.use_server("work", SECOND, settings_server=FIRST, account_time_zone="Etc/GMT+3") == ""
    assert _recent("work") == [] and _left_over("work").is_empty()

    second_work = _keep("work", "BBBB2222", "Send the quote")
    assert server_files.use_server("work", FIRST, settings_server=SECOND, account_time_zone="UTC") == "Etc/GMT+3"
    assert _recent("work") == ["AAAA1111"] and _left_over("work") == first_work

    assert server_files.use_server("work", SECOND, settings_server=FIRST, account_time_zone="Etc/GMT+3") == "UTC"
    assert _recent("work") == ["BBBB2222"] and _left_over("work") == second_work


def test_the_same_server_written_another_way_moves_nothing(qtbot: QtBot) -> None:
    _keep("same", "AAAA1111", "Call back")
    assert server_files.use_server("same", FIRST.upper() + "/", settings_server=FIRST, account_time_zone="") is None
    assert _recent("same") == ["AAAA1111"]
    assert not (profile_dir("same") / server_files.ASIDE).exists()


def test_a_folder_from_before_server_json_holds_the_files_of_the_server_its_settings_named(qtbot: QtBot) -> None:
    _keep("older", "AAAA1111", "Call back")
    assert not (profile_dir("older") / server_files.MARKER).exists()
    server_files.use_server("older", FIRST, settings_server=FIRST, account_time_zone="")  # its own server
    assert _recent("older") == ["AAAA1111"]
    marker = json.loads((profile_dir("older") / server_files.MARKER).read_text(encoding="utf-8"))
    assert marker == {"baseUrl": FIRST}
    # From now on the folder says whose its files are, whatever the settings say.
    server_files.use_server("older", FIRST, settings_server=SECOND, account_time_zone="")
    assert _recent("older") == ["AAAA1111"]
    server_files.use_server("older", SECOND, settings_server=FIRST, account_time_zone="")
    assert _recent("older") == []


def test_signing_out_forgets_the_recent_lists_kept_for_other_servers_but_not_their_unsaved_work(qtbot: QtBot) -> None:
    kept = _keep("leaving", "AAAA1111", "Call back")
    server_files.use_server("leaving", SECOND, settings_server=FIRST, account_time_zone="")
    server_files.forget_other_servers_recent("leaving")
    server_files.use_server("leaving", FIRST, settings_server=SECOND, account_time_zone="")
    assert _recent("leaving") == []
    assert _left_over("leaving") == kept  # nobody was asked about it: offered when the profile is back


@pytest.mark.expected_warnings
@pytest.mark.skipif(os.name != "posix", reason="a file in the way of a folder is refused alike, but told otherwise")
def test_files_that_cannot_be_set_aside_stay_and_the_log_says_so(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    _keep("blocked", "AAAA1111", "Call back")
    (profile_dir("blocked") / server_files.ASIDE).write_text("not a folder", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="crmdesk.services.server_files"):
        assert server_files.use_server("blocked", SECOND, settings_server=FIRST, account_time_zone="") is None
    assert _recent("blocked") == ["AAAA1111"]  # shown on the other server rather than lost
    assert "Could not set aside" in caplog.text
    # The folder still says it holds the first server's files, so they are set aside once that can be done.
    (profile_dir("blocked") / server_files.ASIDE).unlink()
    server_files.use_server("blocked", SECOND, settings_server=SECOND, account_time_zone="")
    assert _recent("blocked") == []


class _Killed(BaseException):
    """The process ending mid-move: nothing after it runs, no handler sees it."""


@pytest.mark.expected_warnings
@pytest.mark.parametrize("how", ["refused", "killed"])
@pytest.mark.parametrize("cut_at", range(1, 7))
def test_a_move_cut_short_anywhere_loses_nothing_and_mixes_nothing(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, cut_at: int, how: str
) -> None:
    """A switch back to the first server renames six files (the aside folder's server.json, two files away, the
    profile's server.json, two files back). Cut short at any of them, by a refusal (a scanner holding the file on
    Windows) or by the process ending, each server's files are where the next sign-in finds them as its own."""
    _keep("cut", "AAAA1111", "First server's note")
    server_files.use_server("cut", SECOND, settings_server=FIRST, account_time_zone="")
    _keep("cut", "BBBB2222", "Second server's note")
    real_replace = os.replace
    renames = 0

    def cut_replace(source: os.PathLike[str] | str, target: os.PathLike[str] | str) -> None:
        nonlocal renames
        renames += 1
        if renames == cut_at:
            if how == "killed":
                raise _Killed
            raise PermissionError(13, "The process cannot access the file", str(source))
        real_replace(source, target)

    monkeypatch.setattr(server_files.os, "replace", cut_replace)
    try:
        server_files.use_server("cut", FIRST, settings_server=SECOND, account_time_zone="")
    except _Killed:
        pass
    monkeypatch.setattr(server_files.os, "replace", real_replace)
    assert renames >= cut_at
    # Whatever the cut, a sign-in to either server then shows that server's own, and all of it.
    server_files.use_server("cut", FIRST, settings_server=SECOND, account_time_zone="")
    assert _recent("cut") == ["AAAA1111"]
    assert [d.note for d in _left_over("cut").drafts] == ["First server's note"]
    server_files.use_server("cut", SECOND, settings_server=FIRST, account_time_zone="")
    assert _recent("cut") == ["BBBB2222"]
    assert [d.note for d in _left_over("cut").drafts] == ["Second server's note"]


@pytest.mark.expected_warnings
def test_files_brought_back_later_never_replace_what_the_profile_wrote_meanwhile(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keep("later", "AAAA1111", "First server's note")
    server_files.use_server("later", SECOND, settings_server=FIRST, account_time_zone="")
    real_replace = os.replace

    def recent_held(source: os.PathLike[str] | str, target: os.PathLike[str] | str) -> None:
        if Path(target) == profile_dir("later") / server_files.RECENT:
            raise PermissionError(13, "The process cannot access the file", str(source))
        real_replace(source, target)

    monkeypatch.setattr(server_files.os, "replace", recent_held)
    server_files.use_server("later", FIRST, settings_server=SECOND, account_time_zone="")
    monkeypatch.setattr(server_files.os, "replace", real_replace)
    # The first server's window runs with its Recent list still aside, and opens a contact.
    recent = RecentList("later")
    recent.add("CCCC3333", "Opened meanwhile")
    recent.flush()
    server_files.use_server("later", FIRST, settings_server=FIRST, account_time_zone="")
    assert _recent("later") == ["CCCC3333"]


def test_server_folders_are_named_alike_on_every_file_system_and_say_which_server(qtbot: QtBot) -> None:
    for url in ("https://crm.example.com/Team", "https://crm.example.com/team", SECOND):
        name = server_files._folder_name(url)
        assert name.isalnum() and name == name.lower()  # no case for a file system to ignore, nothing to escape
        assert base64.b32decode(name.upper() + "=" * (-len(name) % 8)).decode() == url


def test_a_server_whose_address_is_too_long_for_a_folder_name_is_set_aside_all_the_same(qtbot: QtBot) -> None:
    long = "https://crm.example-company.com.br/tenants/" + "sales-team-" * 20
    name = server_files._folder_name(long)
    assert len(name) <= server_files.MAX_FOLDER_NAME and name.isascii() and name == name.lower()
    assert name != server_files._folder_name(long + "x")
    _keep("long", "AAAA1111", "Long address's note")
    assert server_files.use_server("long", SECOND, settings_server=long, account_time_zone="Etc/GMT+3") == ""
    assert _recent("long") == []
    assert server_files.use_server("long", long, settings_server=SECOND, account_time_zone="") == "Etc/GMT+3"
    assert _recent("long") == ["AAAA1111"]
