"""The Recent list: most recent first, written to disk a moment later (never on the way to showing a contact)."""

from __future__ import annotations

import json
import os

import pytest
from pytestqt.qtbot import QtBot

from crmdesk.paths import profile_dir
from crmdesk.services import recent as recent_module
from crmdesk.services.recent import RecentList


def _on_disk(recent: RecentList) -> list[str]:
    path = recent._file.path
    assert path is not None
    return [item["uid"] for item in json.loads(path.read_text(encoding="utf-8"))] if path.exists() else []


def test_opening_contacts_in_a_row_writes_once_a_moment_later(qtbot: QtBot) -> None:
    recent = RecentList("coalesce")
    for uid in ("AAAA1111", "BBBB2222", "AAAA1111"):
        recent.add(uid, uid)
    assert [entry.uid for entry in recent.entries()] == ["AAAA1111", "BBBB2222"]
    assert _on_disk(recent) == [] and recent.has_unwritten_changes()
    qtbot.waitUntil(lambda: not recent.has_unwritten_changes(), timeout=recent_module.WRITE_DELAY_MS * 10)
    assert _on_disk(recent) == ["AAAA1111", "BBBB2222"]


def test_nothing_pending_is_lost_flush_delete_or_a_second_reader(qtbot: QtBot) -> None:
    first = RecentList("flush")
    first.add("AAAA1111", "Alpha")
    first.flush()
    assert _on_disk(first) == ["AAAA1111"]

    first.add("BBBB2222", "Beta")
    # Another list of the same profile (a new window) reads what the first one has not written yet.
    assert [entry.uid for entry in RecentList("flush").entries()] == ["BBBB2222", "AAAA1111"]

    first.add("CCCC3333", "Gamma")
    path = first._file.path
    assert path is not None
    first.deleteLater()  # a retired window's list goes with it: its pending change is written then
    qtbot.waitUntil(lambda: json.loads(path.read_text(encoding="utf-8"))[0]["uid"] == "CCCC3333", timeout=2_000)


def test_reopening_the_top_entry_changes_nothing(qtbot: QtBot) -> None:
    recent = RecentList("same")
    recent.add("AAAA1111", "Alpha")
    recent.flush()
    with qtbot.assertNotEmitted(recent.changed):
        recent.add("AAAA1111", "Alpha")
    assert not recent.has_unwritten_changes()


def test_an_update_changes_what_an_entry_shows_and_keeps_its_place(qtbot: QtBot) -> None:
    recent = RecentList("update")
    recent.add("AAAA1111", "Ana Lima", "ana@example.com")
    recent.add("BBBB2222", "Bo Berg")
    # Ana's save finishes after the rep opened Bo: Bo stays on top.
    with qtbot.waitSignal(recent.changed):
        recent.update("AAAA1111", "Anabela Lima", "anabela@example.com")
    assert [(entry.uid, entry.name, entry.email) for entry in recent.entries()] == [
        ("BBBB2222", "Bo Berg", ""),
        ("AAAA1111", "Anabela Lima", "anabela@example.com"),
    ]
    with qtbot.assertNotEmitted(recent.changed):
        recent.update("CCCC3333", "Never opened")  # not listed: nothing to update, nothing added
        recent.update("BBBB2222", "Bo Berg")  # unchanged
    assert len(recent.entries()) == 2


@pytest.mark.parametrize(
    "damage",
    [b"", b'{"uid": "AAAA1111"}', b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe not text", b'[{"uid": 7}, "x"]'],
    ids=["empty", "an object", "nested too deep", "not UTF-8", "wrong types"],
)
def test_a_damaged_list_starts_empty_and_is_replaced_by_the_next_contact(qtbot: QtBot, damage: bytes) -> None:
    path = profile_dir("damaged") / "recent.json"
    path.write_bytes(damage)
    recent = RecentList("damaged")
    assert recent.entries() == []
    recent.add("BBBB2222", "Bruno")
    recent.flush()
    assert _on_disk(recent) == ["BBBB2222"]


@pytest.mark.expected_warnings  # the failed write is logged
def test_a_write_that_fails_leaves_no_temporary_file_and_is_tried_again(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on Windows when another program (a backup or sync tool, an antivirus scan) holds the file open.
    recent = RecentList("held")
    recent.add("AAAA1111", "Alpha")
    recent.flush()
    replace = os.replace

    def held(source: object, target: object) -> None:
        raise PermissionError(13, "The process cannot access the file because it is being used by another process")

    monkeypatch.setattr(os, "replace", held)
    recent.add("BBBB2222", "Beta")
    recent.flush()
    folder = profile_dir("held")
    assert sorted(p.name for p in folder.iterdir()) == ["recent.json"]  # no recent.json.tmp left behind
    assert recent.has_unwritten_changes()  # kept for the next write

    monkeypatch.setattr(os, "replace", replace)
    recent.flush()
    assert _on_disk(recent) == ["BBBB2222", "AAAA1111"]
