"""What the server and its CLI do with a ``--db`` that is not theirs to use: they refuse it, and leave it as it was."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crmdesk.server.cli import LISTENING_PREFIX, main
from crmdesk.server.config import sqlite_url
from crmdesk.server.store import SCHEMA_VERSION, Store

#: Far above any layout version this code knows.
NEWER_VERSION = 99


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """The file's bytes and modification time, and what its folder holds (a -wal or -shm file would show there)."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


def serve(db: Path) -> subprocess.CompletedProcess[str]:
    """Run ``serve`` on ``db`` expecting it to refuse at once (a server that starts runs into the timeout)."""
    return subprocess.run(
        [sys.executable, "-m", "crmdesk.server", "serve", "--db", str(db), "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def refusals(db: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str, str]]:
    """Exit code, stdout and stderr of ``serve``, ``account add`` and ``account list`` on ``db``."""
    served = serve(db)
    answers = [(served.returncode, served.stdout, served.stderr)]
    for argv in (["account", "add", "--name", "New", "--plan", "pro"], ["account", "list"]):
        code = main([*argv, "--db", str(db)])
        out, err = capsys.readouterr()
        answers.append((code, out, err))
    return answers


def test_a_database_from_a_newer_version_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "newer.sqlite3"
    store = Store(sqlite_url(db))
    store.add_account("Acme", "pro", token="tok-acme-0001")
    store.close()
    # What a later release writes: its layout version in the crmdesk_schema table, which every version keeps.
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS crmdesk_schema (version INTEGER NOT NULL)")
        conn.execute("DELETE FROM crmdesk_schema")
        conn.execute("INSERT INTO crmdesk_schema (version) VALUES (?)", (NEWER_VERSION,))
    conn.close()
    before = snapshot(db)

    for code, out, err in refusals(db, capsys):
        assert code == 1 and LISTENING_PREFIX not in out, (out, err)
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith(f"crmdesk-server: error: {db} is from a newer version of CRMDesk"), err
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "tables",
    [
        ["CREATE TABLE songs (id INTEGER PRIMARY KEY, title TEXT)"],
        # Table names CRMDesk uses too, with other columns: a notes app with user accounts.
        ["CREATE TABLE accounts (id INTEGER PRIMARY KEY, login TEXT)", "CREATE TABLE notes (id INTEGER, body TEXT)"],
    ],
    ids=["other-tables", "same-names-other-columns"],
)
def test_another_programs_database_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tables: list[str]
) -> None:
    db = tmp_path / "other-app.sqlite3"
    with sqlite3.connect(db) as conn:  # the default rollback journal, as most programs leave it
        for statement in tables:
            conn.execute(statement)
    conn.close()
    before = snapshot(db)

    for code, out, err in refusals(db, capsys):
        assert code == 1 and LISTENING_PREFIX not in out, (out, err)
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith(f"crmdesk-server: error: {db} is not a CRMDesk database"), err
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["account", "list"],
        ["account", "token", "--name", "Acme"],
        ["stage", "add", "--account", "Acme", "Won"],
        ["quality", "add", "--account", "Acme", "High"],
        ["member", "add", "--account", "Acme", "--email", "rep@acme.com", "--name", "Rep One"],
    ],
)
def test_a_mistyped_db_path_is_an_error_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    # Only serve and account add start a new database; these commands need one that exists.
    typo = tmp_path / "tyop" / "crm.sqlite3"
    monkeypatch.setenv("CRMDESK_DATA_DIR", str(tmp_path / "no-data-yet"))  # where a missing --db points
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    for db, shown in ((["--db", str(typo)], typo), ([], tmp_path / "no-data-yet" / "server.sqlite3")):
        assert main([*argv, *db]) == 1
        out, err = capsys.readouterr()
        assert out == "" and err == f"crmdesk-server: error: there is no CRMDesk database at {shown}: check the path\n"
    assert main([*argv, "--db", str(empty)]) == 1
    assert capsys.readouterr().err.startswith("crmdesk-server: error: there is no CRMDesk database at")
    assert sorted(os.listdir(tmp_path)) == ["empty.sqlite3"] and empty.stat().st_size == 0


def test_a_database_from_before_versions_were_recorded_opens_with_tables_other_tools_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "crm.sqlite3"
    assert main(["account", "add", "--db", str(db), "--name", "Acme", "--plan", "pro"]) == 0
    capsys.readouterr()
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE crmdesk_schema")  # as the release before versions were recorded left it
        # What Litestream (SQLite replication) adds to every database it backs up.
        conn.execute("CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)")
        conn.execute("CREATE TABLE _litestream_lock (id INTEGER)")
    conn.close()
    assert main(["account", "list", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("Acme\tpro")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version FROM crmdesk_schema").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


def test_a_sqlite_url_with_options_names_an_existing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{sqlite_url(tmp_path / 'crm.sqlite3')}?timeout=30"
    assert main(["account", "add", "--db", url, "--name", "Acme", "--plan", "pro"]) == 0
    capsys.readouterr()
    # Rotating a leaked token is one of the commands that need an existing database.
    assert main(["account", "token", "--db", url, "--name", "Acme"]) == 0
    assert capsys.readouterr().out.strip()


def test_every_form_of_a_sqlite_url_is_checked_for_a_database_before_one_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["account", "add", "--db", str(tmp_path / "crm.sqlite3"), "--name", "Acme", "--plan", "pro"]) == 0
    capsys.readouterr()
    existing = tmp_path / "crm.sqlite3"
    for url in (f"sqlite+pysqlite:///{existing}", f"sqlite:///file:{existing}?uri=true"):
        assert main(["account", "list", "--db", url]) == 0, capsys.readouterr().err
        assert capsys.readouterr().out.startswith("Acme\tpro")
    typo = tmp_path / "tyop.sqlite3"
    for url in (f"sqlite+pysqlite:///{typo}", f"sqlite:///file:{typo}?uri=true"):
        assert main(["account", "list", "--db", url]) == 1
        assert "there is no CRMDesk database" in capsys.readouterr().err
    assert not typo.exists()


def test_a_file_of_views_only_is_another_programs_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "views.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE VIEW answer AS SELECT 42 AS value")
    conn.close()
    before = snapshot(db)
    assert main(["account", "add", "--db", str(db), "--name", "Acme", "--plan", "pro"]) == 1
    assert "is not a CRMDesk database" in capsys.readouterr().err
    assert snapshot(db) == before


def test_sqlite_urls_name_the_files_the_driver_opens(tmp_path: Path) -> None:
    from crmdesk.server.store import _sqlite_file

    assert _sqlite_file(f"sqlite:///file:{tmp_path}/a.db?uri=true") == tmp_path / "a.db"
    # Without uri=true the driver opens a file named "file:b.db", and with mode=memory none at all.
    assert _sqlite_file("sqlite:///file:b.db") == Path("file:b.db")
    assert _sqlite_file(f"sqlite:///file:{tmp_path}/ghost/c.db?mode=memory&uri=true") is None
    assert _sqlite_file("sqlite:///:memory:") is None and _sqlite_file("sqlite://") is None
    assert _sqlite_file("sqlite:///file::memory:?cache=shared&uri=true") is None  # SQLite's in-memory URI


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file::memory:?uri=true",
        "sqlite:///file::memory:?cache=shared&uri=true",
        "sqlite:///file:scratch?mode=memory&uri=true",
    ],
)
def test_every_in_memory_form_is_one_database_kept_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Each form the driver opens in memory: no file appears, and what one step writes the next finds (the server
    keeps such a database's changes on its loop's thread, where its tables are)."""
    monkeypatch.chdir(tmp_path)
    store = Store(url)
    try:
        assert store.in_memory
        token = store.add_account("Acme", "pro")
        account = store.account_for_token(token)
        assert account is not None and account.name == "Acme"
    finally:
        store.close()
    assert list(tmp_path.iterdir()) == []
