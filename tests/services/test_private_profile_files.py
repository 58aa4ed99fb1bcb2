"""What a profile keeps (Recent, the registry of known values, unsaved work) holds customers' details and what the
rep typed about them. Each file is readable by its owner only, even in a data folder others may enter, such as a
folder named in CRMDESK_DATA_DIR that the app leaves as its owner set it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from crmdesk import paths
from crmdesk.services.recent import RecentList
from crmdesk.services.recovery import Draft, UnsavedWork, UnsavedWorkFile
from crmdesk.services.registry import Registry

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Windows keeps a user's profile private by its ACLs")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def folder_others_may_enter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shared = tmp_path / "team-share"
    shared.mkdir()
    shared.chmod(0o755)
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(shared))
    previous = os.umask(0o022)  # a desktop session's usual umask
    try:
        yield shared
    finally:
        os.umask(previous)


def test_recent_registry_and_unsaved_work_are_readable_by_the_owner_only(
    qtbot: QtBot, folder_others_may_enter: Path
) -> None:
    folder = paths.profile_dir("work")
    stale = folder / "recent.json.tmp"
    stale.write_text("[]")  # a temporary file left by a crash, made under the umask
    assert mode(stale) == 0o644

    recent = RecentList("work")
    recent.add("AAAA1111", "Ana Lima", "ana@example.com", "+55 81 99999-0000")
    recent.flush()
    registry = Registry.load("work")
    registry.learn_owner("rafael@example.com", "Rafael Costa")
    unsaved = UnsavedWorkFile("work", lambda: UnsavedWork(drafts=(Draft("AAAA1111", "Ana Lima", note="Call her"),)))
    unsaved.changed()
    unsaved.flush()

    written = {path.name: mode(path) for path in folder.iterdir()}
    assert written == {"recent.json": 0o600, "registry.json": 0o600, "unsaved.json": 0o600}


def test_a_registry_exported_for_teammates_gets_the_usual_modes(qtbot: QtBot, folder_others_may_enter: Path) -> None:
    registry = Registry.load("work")
    registry.learn_owner("rafael@example.com", "Rafael Costa")
    export = folder_others_may_enter / "for-the-team.json"
    registry.export_json(export)
    assert mode(export) == 0o644
