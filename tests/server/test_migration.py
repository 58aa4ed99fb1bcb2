"""A database an earlier version made is brought up to date when the store opens it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from crmdesk.server.store import SCHEMA_VERSION, Store, StoreError, token_key


def _reopened_finds(url: str, token: str, email: str, first_name: str) -> set[str]:
    """Open the database again (migrating it), look ``email`` up, and return the contacts table's indexes."""
    reopened = Store(url)
    try:
        account = reopened.account_for_token(token)
        assert account is not None
        found = reopened.lookup(account, "email", email)
        assert isinstance(found, dict) and found["firstName"] == first_name
        with reopened.engine.connect() as conn:
            return {str(index["name"]) for index in sa.inspect(conn).get_indexes("contacts")}
    finally:
        reopened.close()


def test_database_without_email_key_is_migrated_and_finds_unicode_emails(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store = Store(url)
    store.add_account("Old", "pro", token="test-old-token")
    store.bulk_insert_contacts("Old", [{"firstName": "José", "email": "JOSÉ@exemplo.com.br"}])
    # Rewind the schema to what the first release wrote: no email_key, a lower(email) index instead.
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_contacts_account_email_key"))
        conn.execute(sa.text("ALTER TABLE contacts DROP COLUMN email_key"))
        conn.execute(sa.text("CREATE INDEX ix_contacts_account_email ON contacts (account_id, lower(email))"))
    store.close()

    indexes = _reopened_finds(url, "test-old-token", "josé@exemplo.com.br", "José")
    assert "ix_contacts_account_email_key" in indexes and "ix_contacts_account_email" not in indexes


def test_an_upgrade_stopped_after_adding_the_column_is_finished_at_the_next_start(tmp_path: Path) -> None:
    # SQLite's driver commits ALTER TABLE at once: a first run killed after it left every email_key empty.
    url = f"sqlite:///{tmp_path / 'half.sqlite3'}"
    store = Store(url)
    store.add_account("Half", "pro", token="test-half-token")
    store.bulk_insert_contacts("Half", [{"firstName": "Ana", "email": "Ana@Example.com"}, {"firstName": "Rui"}])
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE contacts SET email_key = ''"))
        conn.execute(sa.text("DROP INDEX ix_contacts_account_email_key"))
    store.close()

    assert "ix_contacts_account_email_key" in _reopened_finds(url, "test-half-token", "ana@example.com", "Ana")


def test_tokens_are_kept_as_digests_and_a_plain_token_database_is_converted_once(tmp_path: Path) -> None:
    db = tmp_path / "tokens.sqlite3"
    url = f"sqlite:///{db}"
    store = Store(url)
    store.add_account("Acme", "pro", token="test-acme-token")
    with store.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT token FROM tokens")).scalars().all()
    # A copy of the file gives nobody the token.
    assert kept == [token_key("test-acme-token")] and "test-acme-token" not in db.read_bytes().decode("latin-1")
    # Rewind to version 2, which kept tokens as they are.
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE tokens SET token = 'test-acme-token'"))
        conn.execute(sa.text("UPDATE crmdesk_schema SET version = 2"))
    store.close()
    for _ in range(2):  # opened again, it is converted once: a digest is never digested again
        reopened = Store(url)
        account = reopened.account_for_token("test-acme-token")
        assert account is not None and account.name == "Acme"
        with reopened.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT token FROM tokens")).scalars().all() == [token_key("test-acme-token")]
            assert conn.execute(sa.text("SELECT version FROM crmdesk_schema")).scalars().all() == [SCHEMA_VERSION]
        reopened.close()


def test_a_version_3_database_gains_token_labels_and_its_token_goes_on_working(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v3.sqlite3'}"
    store = Store(url)
    store.add_account("Acme", "pro", token="test-acme-token")
    with store.engine.begin() as conn:  # rewind to version 3: tokens had no label
        conn.execute(sa.text("ALTER TABLE tokens DROP COLUMN label"))
        conn.execute(sa.text("UPDATE crmdesk_schema SET version = 3"))
    store.close()
    reopened = Store(url)
    try:
        assert reopened.account_for_token("test-acme-token") is not None
        assert reopened.token_labels("Acme") == [""]
        reopened.add_token("Acme", "Ana Souza", token="test-ana-token")
        assert reopened.token_labels("Acme") == ["", "Ana Souza"]
        assert reopened.account_for_token("test-ana-token") is not None
    finally:
        reopened.close()


def test_tokens_an_earlier_version_took_that_begin_like_a_digest_are_converted_too(tmp_path: Path) -> None:
    # Earlier versions took any token without spaces; SQL's LIKE would also take "SHA256:" for "sha256:".
    url = f"sqlite:///{tmp_path / 'odd.sqlite3'}"
    store = Store(url)
    odd = ["sha256:mytoken", "SHA256:Legacy2", "Sha256:x"]
    for number, token in enumerate(odd):
        store.add_account(f"Team {number}", "pro", token=token)
    with store.engine.begin() as conn:
        for token in odd:
            conn.execute(
                sa.text("UPDATE tokens SET token = :plain WHERE token = :key"),
                {"plain": token, "key": token_key(token)},
            )
        conn.execute(sa.text("UPDATE crmdesk_schema SET version = 2"))
    store.close()
    reopened = Store(url)
    assert [getattr(reopened.account_for_token(token), "name", None) for token in odd] == ["Team 0", "Team 1", "Team 2"]
    with reopened.engine.connect() as conn:
        assert sorted(conn.execute(sa.text("SELECT token FROM tokens")).scalars()) == sorted(map(token_key, odd))
    reopened.close()


def test_only_a_token_shaped_like_a_digest_is_refused(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(StoreError):
        store.add_account("Acme", "pro", token=token_key("anything"))
    assert store.add_account("Beta", "pro", token="sha256:mytoken") == "sha256:mytoken"
    store.close()


def test_a_table_another_process_created_meanwhile_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two servers started at once on a file of the previous release both saw crmdesk_schema missing.
    from crmdesk.server import store as store_module

    real = store_module.metadata.create_all
    calls: list[int] = []

    def racing(engine: sa.Engine) -> None:
        calls.append(1)
        if len(calls) == 1:
            real(engine)  # the other process's CREATE lands first...
            raise sa.exc.OperationalError(
                "CREATE TABLE crmdesk_schema", {}, Exception("table crmdesk_schema already exists")
            )
        real(engine)

    monkeypatch.setattr(store_module.metadata, "create_all", racing)
    store = Store(f"sqlite:///{tmp_path / 'race.sqlite3'}")
    assert len(calls) == 2 and store.add_account("Acme", "pro", token="test-race-token")
    store.close()


def test_an_upgrade_another_process_made_meanwhile_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two servers started at once on a first-release file both saw email_key missing and both added it.
    from crmdesk.server import store as store_module

    url = f"sqlite:///{tmp_path / 'first.sqlite3'}"
    store = Store(url)
    store.add_account("Old", "pro", token="test-old-token")
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_contacts_account_email_key"))
        conn.execute(sa.text("ALTER TABLE contacts DROP COLUMN email_key"))
    store.close()
    real = store_module._migrate
    calls: list[int] = []

    def racing(engine: sa.Engine) -> None:
        calls.append(1)
        if len(calls) == 1:
            real(engine)  # the other process's upgrade lands first...
            raise sa.exc.OperationalError("ALTER TABLE contacts", {}, Exception("duplicate column name: email_key"))
        real(engine)

    monkeypatch.setattr(store_module, "_migrate", racing)
    reopened = Store(url)
    assert len(calls) == 2 and reopened.account_for_token("test-old-token") is not None
    reopened.close()
