"""The ``crmdesk-server`` command line: the exact forms other tools rely on, and one-line errors on bad input."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from crmdesk.server import demo_data
from crmdesk.server.cli import main
from crmdesk.server.config import sqlite_url
from crmdesk.server.demo import seed_demo
from crmdesk.server.store import Store, StoreError
from tests.support.live_server import LiveServer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_admin_forms_set_up_an_account_the_server_serves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.sqlite3")
    code, out, _ = run(
        capsys, "account", "add", "--db", db, "--name", "Acme", "--plan", "pro", "--time-zone", "America/New_York"
    )
    assert code == 0
    token = out.strip()
    assert token and "\n" not in token
    assert run(capsys, "stage", "add", "--db", db, "--account", "Acme", "New Lead", "Won")[0] == 0
    assert run(capsys, "quality", "add", "--db", db, "--account", "Acme", "High")[0] == 0
    assert (
        run(capsys, "member", "add", "--db", db, "--account", "Acme", "--email", "rep@acme.com", "--name", "Rep One")[0]
        == 0
    )
    with LiveServer(db) as server:
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(
            f"{server.base_url}/api/contact",
            json={
                "name": "Jo Ann",
                "phone": "1",
                "stageName": "won",
                "qualityName": "high",
                "ownerEmail": "rep@acme.com",
            },
            headers=headers,
        )
        assert created.status_code == 201
        data = httpx.get(
            f"{server.base_url}/api/contact", params={"uid": created.json()["data"]["uid"]}, headers=headers
        )
        assert (data.json()["data"]["stageName"], data.json()["data"]["ownerEmail"]) == ("Won", "rep@acme.com")


def test_account_add_with_a_given_token_prints_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "account",
        "add",
        "--db",
        str(tmp_path / "a.db"),
        "--name",
        "A",
        "--plan",
        "starter",
        "--token",
        "tok-chosen-1",
    )
    assert (code, out) == (0, "tok-chosen-1\n")


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME names the data folder on Linux")
def test_the_default_database_folder_is_the_apps_and_private_like_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRMDESK_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    folder = tmp_path / "crmdesk"
    folder.mkdir(mode=0o755)  # as an older version, or another tool, left it: readable by every user
    folder.chmod(0o755)
    code, _out, _err = run(capsys, "account", "add", "--name", "Acme", "--plan", "pro")
    assert code == 0 and (folder / "server.sqlite3").is_file()
    assert folder.stat().st_mode & 0o777 == 0o700


def test_account_token_revokes_the_old_token_on_a_running_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "rotate.sqlite3")
    Store(sqlite_url(db)).add_account("Acme", "pro", token="tok-old-0001")
    with LiveServer(db) as server:

        def status(token: str) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            return httpx.get(f"{server.base_url}/api/contact", params={"uid": "NOSUCH01"}, headers=headers).status_code

        assert status("tok-old-0001") == 404  # accepted (and now remembered by the server)
        code, out, err = run(capsys, "account", "token", "--db", db, "--name", "Acme")
        assert (code, err) == (0, "")
        new = out.strip()
        assert new and new != "tok-old-0001" and "\n" not in new
        # At once, though the server remembered the old token: the CLI's commit changed the database under it.
        assert status("tok-old-0001") == 401
        assert status(new) == 404  # and the new token works at once
    assert run(capsys, "account", "token", "--db", db, "--name", " Acme ", "--token", "tok-chosen-02")[1] == (
        "tok-chosen-02\n"
    )
    assert Store(sqlite_url(db)).account_for_token("tok-chosen-02") is not None


def test_backup_copies_everything_a_running_server_wrote_into_a_file_that_serves_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the database file taken while the server runs misses what is still in its write-ahead log; the
    backup command takes it too, and its file opens on its own."""
    db = tmp_path / "team.sqlite3"
    with LiveServer(db) as server:
        server.add_account(token="tok-team-0001")
        headers = {"Authorization": "Bearer tok-team-0001"}
        uids = [
            httpx.post(
                f"{server.base_url}/api/contact", json={"name": f"Rep {n}", "phone": str(n)}, headers=headers
            ).json()["data"]["uid"]
            for n in range(1, 21)
        ]
        destination = tmp_path / "backups" / "team-monday.sqlite3"
        destination.parent.mkdir()
        code, out, err = run(capsys, "backup", "--db", str(db), str(destination))
        assert (code, err) == (0, "") and str(destination) in out
        assert httpx.get(f"{server.base_url}/api/contact", params={"uid": uids[0]}, headers=headers).is_success
    assert not Path(f"{destination}-wal").exists(), "the copy is one file"
    if os.name == "posix":
        assert destination.stat().st_mode & 0o777 == 0o600, "contacts and notes: as private as the database"
    with LiveServer(destination) as restored:
        for uid in (uids[0], uids[-1]):
            found = httpx.get(f"{restored.base_url}/api/contact", params={"uid": uid}, headers=headers)
            assert found.status_code == 200 and found.json()["data"]["uid"] == uid
    # An earlier backup is never overwritten.
    code, _out, err = run(capsys, "backup", "--db", str(db), str(destination))
    assert code == 1 and err.startswith("crmdesk-server: error:") and "exists" in err and err.count("\n") == 1


def test_backup_leaves_a_database_of_an_earlier_version_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup taken before an upgrade must still open in the release that made it, and that release's server
    must still open its database: backing up reads, it does not upgrade."""
    db = tmp_path / "v3.sqlite3"
    store = Store(sqlite_url(db))
    store.add_account("Acme", "pro", token="tok-acme-0001")
    with store.engine.begin() as conn:  # as version 3 left it: tokens had no label
        conn.execute(sa.text("ALTER TABLE tokens DROP COLUMN label"))
        conn.execute(sa.text("UPDATE crmdesk_schema SET version = 3"))
    store.close()
    destination = tmp_path / "before-upgrade.sqlite3"
    assert run(capsys, "backup", "--db", str(db), str(destination))[0] == 0
    for path in (db, destination):
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT version FROM crmdesk_schema").fetchall() == [(3,)]
            assert "label" not in {row[1] for row in conn.execute("PRAGMA table_info(tokens)")}
    other = tmp_path / "someone-elses.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    code, _out, err = run(capsys, "backup", "--db", str(other), str(tmp_path / "copy.sqlite3"))
    assert code == 1 and "is not a CRMDesk database" in err and not (tmp_path / "copy.sqlite3").exists()


def test_each_rep_has_a_token_of_their_own_which_is_revoked_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rep leaving used to mean rotating the account's one token: every colleague signed out at once."""
    db = str(tmp_path / "team.sqlite3")
    Store(sqlite_url(db)).add_account("Acme", "pro", token="tok-lead-0001")
    code, ana, err = run(capsys, "account", "add-token", "--db", db, "--name", "Acme", "--label", "Ana Souza")
    assert (code, err) == (0, "") and ana.strip() and "\n" not in ana.strip()
    code, rui, _ = run(
        capsys, "account", "add-token", "--db", db, "--name", "Acme", "--label", "Rui", "--token", "tok-rui-01"
    )
    assert (code, rui) == (0, "tok-rui-01\n")
    assert run(capsys, "account", "tokens", "--db", db, "--name", "Acme")[1].splitlines() == [
        '(no label: the token the account was made with, or given by `account token`; --label "")',
        "Ana Souza",
        "Rui",
    ]
    with LiveServer(db) as server:

        def status(token: str) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            return httpx.get(f"{server.base_url}/api/contact", params={"uid": "NOSUCH01"}, headers=headers).status_code

        assert [status(token) for token in ("tok-lead-0001", ana.strip(), "tok-rui-01")] == [404, 404, 404]
        assert run(capsys, "account", "revoke-token", "--db", db, "--name", "Acme", "--label", "ana souza")[:2] == (
            0,
            "",
        )
        assert [status(token) for token in ("tok-lead-0001", ana.strip(), "tok-rui-01")] == [404, 401, 404]
        # The token the account was made with, handed to a rep who then left: revoked alone too.
        assert run(capsys, "account", "revoke-token", "--db", db, "--name", "Acme", "--label", "")[:2] == (0, "")
        assert [status(token) for token in ("tok-lead-0001", "tok-rui-01")] == [401, 404]
    assert run(capsys, "account", "tokens", "--db", db, "--name", "Acme")[1].splitlines() == ["Rui"]
    for argv, reason in (
        (("add-token", "--label", "RUI"), "has a token labelled 'RUI'"),
        (("add-token", "--label", " "), "label cannot be empty"),
        (("revoke-token", "--label", "Ana Souza"), "has no token labelled 'Ana Souza'"),
    ):
        code, _out, err = run(capsys, "account", argv[0], "--db", db, "--name", "Acme", *argv[1:])
        assert code == 1 and reason in err and err.count("\n") == 1


def test_an_account_made_on_a_plan_without_api_access_is_said_so_and_can_be_moved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "plans.sqlite3")
    code, token, err = run(capsys, "account", "add", "--db", db, "--name", "Free Team", "--plan", "free")
    assert code == 0 and token.strip()
    assert "the free plan has no API access" in err and "account set --plan" in err  # said now, not by a 403 later
    with LiveServer(db) as server:
        headers = {"Authorization": f"Bearer {token.strip()}"}

        def status() -> int:
            return httpx.get(f"{server.base_url}/api/contact", params={"uid": "NOSUCH01"}, headers=headers).status_code

        assert status() == 403
        set_plan = (
            "account",
            "set",
            "--db",
            db,
            "--name",
            "Free Team",
            "--plan",
            "starter",
            "--time-zone",
            "Asia/Tokyo",
        )
        assert run(capsys, *set_plan) == (0, "", "")
        assert status() == 404  # from the next request on, no restart
    assert run(capsys, "account", "list", "--db", db)[1] == "Free Team\tstarter\tAsia/Tokyo\n"
    for argv, reason in (
        (("--plan", "gold"), "unknown plan"),
        (("--time-zone", "Mars/Olympus"), "unknown time zone"),
        ((), "give --plan, --time-zone or both"),
    ):
        code, _out, err = run(capsys, "account", "set", "--db", db, "--name", "Free Team", *argv)
        assert code != 0 and reason in err and err.count("\n") == 1


def test_account_list_names_every_account_without_its_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "list.sqlite3")
    store = Store(sqlite_url(db))
    store.add_account("Zeta Sales", "starter", token="tok-zeta-0001")
    store.add_account("Acme", "pro", token="tok-acme-0001", time_zone="America/New_York")
    code, out, _ = run(capsys, "account", "list", "--db", db)
    assert code == 0
    assert out.splitlines() == ["Acme\tpro\tAmerica/New_York", "Zeta Sales\tstarter\tUTC"]
    assert "tok-" not in out


@pytest.mark.parametrize(
    "argv",
    [
        ["account", "token", "--name", "Nobody"],
        ["account", "token", "--name", "Existing", "--token", "has space"],
        ["account", "token", "--name", "Existing", "--token", "other-token"],
        ["account", "add", "--name", "Tab\tCo", "--plan", "pro"],
        ["account", "add", "--name", "B", "--plan", "platinum"],
        ["account", "add", "--name", "B", "--plan", "pro", "--token", "dup-token"],
        # Tokens the app could not send (an HTTP header carries printable ASCII) or keep out of its logs (short).
        ["account", "add", "--name", "B", "--plan", "pro", "--token", "tökén-abcdefgh"],
        ["account", "add", "--name", "B", "--plan", "pro", "--token", "abc\x01defghijk"],
        ["account", "add", "--name", "B", "--plan", "pro", "--token", "short"],
        ["account", "add", "--name", "Existing", "--plan", "pro"],
        ["account", "add", "--name", "B", "--plan", "pro", "--time-zone", "Mars/Base"],
        ["stage", "add", "--account", "Nobody", "New Lead"],
        ["quality", "add", "--account", "Nobody", "High"],
        ["member", "add", "--account", "Nobody", "--email", "a@b.com", "--name", "A B"],
        ["member", "add", "--account", "Existing", "--email", "not-an-email", "--name", "A B"],
        ["serve", "--rate-limit", "fast"],
        ["serve", "--rate-limit", "0/10"],
        ["serve", "--port", "99999"],
        ["bogus"],
    ],
)
def test_bad_input_is_one_line_on_stderr_and_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    db = str(tmp_path / "bad.sqlite3")
    Store(sqlite_url(db)).add_account("Existing", "pro", token="dup-token")
    Store(sqlite_url(db)).add_account("Other", "pro", token="other-token")
    code, out, err = run(capsys, *argv[:2], "--db", db, *argv[2:]) if argv[0] != "bogus" else run(capsys, *argv)
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("crmdesk-server: error: "), err
    # Nothing was half-created or half-changed by the refused command.
    store = Store(sqlite_url(db))
    assert store.find_account("B") is None and store.find_account("Tab\tCo") is None
    assert [account.name for account in store.list_accounts()] == ["Existing", "Other"]
    assert store.account_for_token("dup-token") == store.account("Existing")
    assert store.account_for_token("other-token") == store.account("Other")


def test_module_form_runs_the_same_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "m.sqlite3")
    done = subprocess.run(
        [sys.executable, "-m", "crmdesk.server", "account", "add", "--db", db, "--name", "M", "--plan", "business"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert Store(sqlite_url(db)).account("M").plan == "business"


def test_demo_seed_is_idempotent_and_token_from_env_replaces(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "demo.sqlite3"))
    generated = seed_demo(store, token=None)
    assert generated is not None
    assert store.account_for_token(generated) is not None
    count = store.count_contacts("Demo")
    assert 25 <= count <= 40 and count == len(demo_data.CONTACTS)
    assert seed_demo(store, token=None) is None
    assert store.count_contacts("Demo") == count
    assert seed_demo(store, token="fresh-token") is None
    assert store.account_for_token("fresh-token") is not None
    assert store.account_for_token(generated) is None


def test_a_demo_token_with_spaces_around_it_is_stored_trimmed_at_the_first_seed(tmp_path: Path) -> None:
    # As every other token is: the one a client sends has no spaces around it.
    store = Store(sqlite_url(tmp_path / "demo.sqlite3"))
    assert seed_demo(store, token="  demo-token-with-spaces \n") is None
    assert store.account_for_token("demo-token-with-spaces") is not None
    with pytest.raises(StoreError):
        seed_demo(Store(sqlite_url(tmp_path / "other.sqlite3")), token="   ")


def test_demo_token_never_takes_another_accounts_token(tmp_path: Path) -> None:
    db = tmp_path / "team.sqlite3"
    Store(sqlite_url(db)).add_account("Acme", "pro", token="tok-acme-0001")

    def serve_demo(token: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crmdesk.server", "serve", "--demo", "--db", str(db), "--port", "0"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=20,  # a server that starts instead of refusing runs into this
            env={**os.environ, "CRMDESK_DEMO_TOKEN": token},
            check=False,
        )

    refusal = "crmdesk-server: error: the demo token ($CRMDESK_DEMO_TOKEN) is another account's token; choose another\n"
    first = serve_demo("tok-acme-0001")  # no Demo account yet
    assert (first.returncode, first.stdout, first.stderr) == (1, "", refusal)
    store = Store(sqlite_url(db))
    assert store.find_account(demo_data.ACCOUNT_NAME) is None
    seed_demo(store, token="tok-demo-0001")
    store.close()
    again = serve_demo("tok-acme-0001")  # the Demo account exists
    assert (again.returncode, again.stdout, again.stderr) == (1, "", refusal)
    store = Store(sqlite_url(db))
    assert store.account_for_token("tok-acme-0001") == store.account("Acme")  # Acme's users still get in
    assert store.account_for_token("tok-demo-0001") == store.account(demo_data.ACCOUNT_NAME)
    # A token the app could not use is refused the same way, naming the variable that gave it.
    short = serve_demo("demo1")
    assert (short.returncode, short.stdout) == (1, "")
    assert (
        short.stderr
        == "crmdesk-server: error: the demo token ($CRMDESK_DEMO_TOKEN): a token needs at least 8 characters\n"
    )


def test_demo_data_has_what_the_app_shows_off() -> None:
    emails = [c["email"] for c in demo_data.CONTACTS]
    digits = ["".join(ch for ch in c["phone"] if ch.isdigit()) for c in demo_data.CONTACTS]
    assert "john@example.com" not in emails
    assert len(emails) != len(set(email.lower() for email in emails))
    assert len(digits) != len(set(digits))
    assert any("\n\n" in text for c in demo_data.CONTACTS for _, text in c["notes"])
    assert {c["stageName"] for c in demo_data.CONTACTS} <= set(demo_data.STAGES)
    assert {c["ownerEmail"] for c in demo_data.CONTACTS} <= {email for email, _ in demo_data.MEMBERS}


def test_serve_demo_prints_token_once_then_serves_the_same_data(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "served.sqlite3", demo=True, env={"CRMDESK_DEMO_TOKEN": ""})
    with server:
        first_out = server.stdout
        token = first_out.split("token: ", 1)[1].split()[0]
        demo = httpx.get(
            f"{server.base_url}/api/contact",
            params={"email": "contato@almeidamoveis.com.br"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert demo.json()["message"] == "2 contacts found"
        server.restart()
        assert "token" not in server.stdout
        assert server.store.count_contacts("Demo") == len(demo_data.CONTACTS)
        again = httpx.get(
            f"{server.base_url}/api/contact", params={"uid": "DM1C2D3E"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert again.json()["data"]["notes"].startswith("2025-08-05 10:05 Referred by Marcos Lima.")


def test_an_in_memory_database_takes_changes(tmp_path: Path) -> None:
    """``--db sqlite://`` (a throwaway server: a trial, a script's fixture) keeps everything in the server's memory,
    where only the thread that made the tables finds them."""
    token = "test-memory-token"
    # argparse keeps the last --db: this one, after the file LiveServer names.
    server = LiveServer(
        tmp_path / "unused.sqlite3", demo=True, env={"CRMDESK_DEMO_TOKEN": token}, extra_args=["--db", "sqlite://"]
    )
    with server, httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
        created = api.post(
            "/api/contact", json={"name": "Ana Costa", "phone": "+1 555 0100", "note": "Met at the fair"}
        )
        assert created.status_code == 201, created.text
        uid = created.json()["data"]["uid"]
        assert api.post("/api/contact/tag/add", json={"uid": uid, "tagName": "Fair"}).status_code == 200
        found = api.get("/api/contact", params={"uid": uid}).json()["data"]
        assert (found["firstName"], found["tags"]) == ("Ana", ["Fair"])
        assert found["notes"].endswith("Met at the fair")
        server.stop()
    assert "Traceback" not in server.stderr and "ERROR" not in server.stderr, server.stderr
    assert not (tmp_path / "unused.sqlite3").exists()


def test_watch_stdin_eof_stops_the_server_cleanly(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "eof.sqlite3")
    server.start()
    assert server.stop() == 0


def test_unusable_database_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "account", "add", "--db", str(tmp_path), "--name", "X", "--plan", "pro")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("crmdesk-server: error: cannot use the database"), err


def test_a_database_url_without_its_driver_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only SQLite's driver comes with Python; a team pointing --db at PostgreSQL must install psycopg too.
    monkeypatch.setitem(sys.modules, "psycopg", None)  # not installed, whatever this machine has
    for command in (["account", "list"], ["serve", "--port", "0"]):
        code, out, err = run(capsys, *command, "--db", "postgresql+psycopg://crm@127.0.0.1:1/crm")
        assert code == 1 and out == ""
        assert err.count("\n") == 1, err
        assert err.startswith("crmdesk-server: error: the Python driver for 'postgresql+psycopg' could not be loaded")


def test_the_access_log_names_each_lookup_without_the_customers_email_or_phone(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "logged.sqlite3", extra_args=["--access-log", "--log-level", "info"]) as server:
        account = server.add_account()
        headers = {"Authorization": f"Bearer {account.token}"}
        for params in ({"email": "zelda.private@example.org"}, {"phone": "+55 11 98765-4321", "uid": ""}):
            assert httpx.get(f"{server.base_url}/api/contact", params=params, headers=headers).status_code == 404
        httpx.get(f"{server.base_url}/api/contact?zelda.private%40example.org", headers=headers)  # a bare value
        deadline = time.monotonic() + 10
        while server.stderr.count("uvicorn.access") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        logged = server.stderr
    assert '"GET /api/contact?email=<hidden> HTTP/1.1" 404' in logged
    assert '"GET /api/contact?phone=<hidden>&uid=<hidden> HTTP/1.1" 404' in logged
    assert '"GET /api/contact?<hidden> HTTP/1.1" 400' in logged
    for secret in ("zelda", "example.org", "98765", "4321", account.token):
        assert secret not in logged


def test_a_second_server_on_a_port_in_use_says_so_and_ends(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (On Windows this holds through exclusive use of the address; SO_REUSEADDR alone would let both listen.)
    with LiveServer(tmp_path / "first.sqlite3") as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        code, _out, err = run(capsys, "serve", "--db", str(tmp_path / "second.sqlite3"), "--port", str(port))
    assert code == 1
    assert err.startswith(f"crmdesk-server: error: cannot listen on 127.0.0.1:{port}: ")
