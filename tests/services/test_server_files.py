"""A profile's Recent list and unsaved work follow the server it signs in to: set aside, never mixed or lost."""

from __future__ import annotations

import json
import logging
import os

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


def _keep(profile: str, uid: str, note: str) -> UnsavedWork:
    recent = RecentList(profile)
    recent.add(uid, uid)
    recent.flush()
    work = UnsavedWork(drafts=(Draft(uid, uid, note=note),))
    UnsavedWorkFile(profile, lambda: work).flush()
    return work


def test_another_server_gets_a_clean_profile_and_the_first_servers_files_come_back(qtbot: QtBot) -> None:
    first_work = _keep("work", "AAAA1111", "Call back on Monday")
    server_files.use_server("work", SECOND, settings_server=FIRST)
    assert _recent("work") == [] and UnsavedWorkFile("work", UnsavedWork).left_over().is_empty()

    second_work = _keep("work", "BBBB2222", "Send the quote")
    server_files.use_server("work", FIRST, settings_server=SECOND)
    assert _recent("work") == ["AAAA1111"]
    assert UnsavedWorkFile("work", UnsavedWork).left_over() == first_work

    server_files.use_server("work", SECOND, settings_server=FIRST)
    assert _recent("work") == ["BBBB2222"]
    assert UnsavedWorkFile("work", UnsavedWork).left_over() == second_work


def test_the_same_server_written_another_way_moves_nothing(qtbot: QtBot) -> None:
    _keep("same", "AAAA1111", "Call back")
    server_files.use_server("same", FIRST.upper() + "/", settings_server=FIRST)
    assert _recent("same") == ["AAAA1111"]
    assert not (profile_dir("same") / server_files.ASIDE).exists()


def test_a_folder_from_before_server_json_holds_the_files_of_the_server_its_settings_named(qtbot: QtBot) -> None:
    _keep("older", "AAAA1111", "Call back")
    assert not (profile_dir("older") / server_files.MARKER).exists()
    server_files.use_server("older", FIRST, settings_server=FIRST)  # its own server: they stay
    assert _recent("older") == ["AAAA1111"]
    marker = json.loads((profile_dir("older") / server_files.MARKER).read_text(encoding="utf-8"))
    assert marker == {"baseUrl": FIRST}
    # From now on the folder says whose its files are, whatever the settings say.
    server_files.use_server("older", FIRST, settings_server=SECOND)
    assert _recent("older") == ["AAAA1111"]
    server_files.use_server("older", SECOND, settings_server=FIRST)
    assert _recent("older") == []


def test_signing_out_forgets_what_other_servers_left(qtbot: QtBot) -> None:
    _keep("leaving", "AAAA1111", "Call back")
    server_files.use_server("leaving", SECOND, settings_server=FIRST)
    assert (profile_dir("leaving") / server_files.ASIDE).is_dir()
    server_files.forget_other_servers("leaving")
    assert not (profile_dir("leaving") / server_files.ASIDE).exists()
    server_files.use_server("leaving", FIRST, settings_server=SECOND)
    assert _recent("leaving") == []


@pytest.mark.expected_warnings
@pytest.mark.skipif(os.name != "posix", reason="a file in the way of a folder is refused alike, but told otherwise")
def test_files_that_cannot_be_set_aside_stay_and_the_log_says_so(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    _keep("blocked", "AAAA1111", "Call back")
    (profile_dir("blocked") / server_files.ASIDE).write_text("not a folder", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="crmdesk.services.server_files"):
        server_files.use_server("blocked", SECOND, settings_server=FIRST)
    assert _recent("blocked") == ["AAAA1111"]  # shown on the other server rather than lost
    assert "Could not set aside" in caplog.text
    # The folder still says it holds the first server's files, so they are set aside once that can be done.
    (profile_dir("blocked") / server_files.ASIDE).unlink()
    server_files.use_server("blocked", SECOND, settings_server=SECOND)
    assert _recent("blocked") == []
