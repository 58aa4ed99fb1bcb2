"""What CRMDesk keeps on disk (Recent lists, logs, the demo's and the server's databases) is readable by its
owner only, so another user of a shared computer cannot read the customers in it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from crmdesk import paths
from crmdesk.contract import ContactInput
from crmdesk.server.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Windows keeps a user's profile private by its ACLs")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user whose data folder is platformdirs' default, not one named in CRMDESK_DATA_DIR."""
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    return tmp_path


def test_the_data_folder_is_made_private_and_what_the_app_writes_stays_inside_it(home: Path) -> None:
    folder = paths.data_dir()
    assert folder.is_relative_to(home)
    assert mode(folder) == 0o700
    for inside in (paths.log_dir(), paths.profile_dir("work")):
        assert inside.is_relative_to(folder)


def test_a_data_folder_an_earlier_version_left_readable_by_others_is_tightened(home: Path) -> None:
    folder = paths.data_dir()
    folder.chmod(0o755)  # as Path.mkdir() made it under the usual umask
    assert paths.data_dir() == folder
    assert mode(folder) == 0o700


def test_a_data_folder_named_by_the_user_is_made_private_when_new_and_left_alone_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = tmp_path / "new" / "crmdesk"
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(new))
    assert mode(paths.data_dir()) == 0o700
    existing = tmp_path / "team-share"
    existing.mkdir()
    existing.chmod(0o750)
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(existing))
    assert mode(paths.data_dir()) == 0o750


def test_a_new_server_database_and_its_journal_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "server.sqlite3"
    store = Store(f"sqlite:///{path}")
    try:
        store.add_account("Team", "pro", token="test-token-private-files")
        store.create(store.account("Team"), ContactInput(fields={"firstName": "Ana", "phone": "1"}))
        wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
        assert wal.exists() and shm.exists()  # the WAL holds the contact until a checkpoint
        assert {p.name: mode(p) for p in (path, wal, shm)} == {p.name: 0o600 for p in (path, wal, shm)}
        assert mode(path.parent) == 0o700
    finally:
        store.close()


def test_an_existing_server_database_keeps_the_mode_its_operator_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "server.sqlite3"
    Store(f"sqlite:///{path}").close()
    path.chmod(0o640)  # say, readable by the backup group
    Store(f"sqlite:///{path}").close()
    assert mode(path) == 0o640
