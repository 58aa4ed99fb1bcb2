"""The tables hold whatever the contract lets through: a column's length is never shorter than its field's limit,
and a field with no limit has a column with none (SQLite ignores lengths; PostgreSQL enforces them)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from crmdesk import contract
from crmdesk.server.store import COLUMN_OF, Store, StoreError, contacts, qualities, stages


def _length(column: sa.Column[object]) -> int | None:
    return getattr(column.type, "length", None)


@pytest.mark.parametrize("field", sorted(COLUMN_OF))
def test_each_fields_column_holds_the_longest_value_the_contract_allows(field: str) -> None:
    column = contacts.c[COLUMN_OF[field]]
    limit = contract.MAX_LENGTH.get(field)
    if limit is None:
        assert _length(column) is None, f"{field} has no limit in the contract, but its column has one"
    else:
        length = _length(column)
        assert length is None or length >= limit


def test_the_digits_looked_up_by_phone_have_no_limit_either() -> None:
    assert _length(contacts.c.phone_digits) is None


@pytest.mark.parametrize(("table", "field"), [(stages, "stageName"), (qualities, "qualityName")])
def test_stage_and_quality_names_fit_their_columns(table: sa.Table, field: str) -> None:
    assert (_length(table.c.name) or 0) >= contract.MAX_LENGTH[field]


def test_postgresql_is_given_text_columns_for_phones_and_mysql_a_prefix_index() -> None:
    ddl = str(CreateTable(contacts).compile(dialect=postgresql.dialect()))
    assert "phone TEXT NOT NULL" in ddl and "phone_digits TEXT NOT NULL" in ddl
    (index,) = [index for index in contacts.indexes if index.name == "ix_contacts_account_phone_digits"]
    assert "phone_digits(64)" in str(CreateIndex(index).compile(dialect=mysql.dialect()))


@pytest.mark.parametrize(("kind", "field"), [("stage", "stageName"), ("quality", "qualityName")])
def test_a_stage_or_quality_name_longer_than_the_api_takes_is_refused_by_the_cli_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, field: str
) -> None:
    monkeypatch.setitem(contract.MAX_LENGTH, field, 50)  # the contract's limit, wherever it is set
    store = Store(f"sqlite:///{tmp_path / 'limits.sqlite3'}")
    try:
        store.add_account("Team", "pro", token="test-limits-token")
        add = store.add_stages if kind == "stage" else store.add_qualities
        with pytest.raises(StoreError, match="longer than 50 characters"):
            add("Team", ["x" * 51])  # the API would refuse to put it on any contact
        add("Team", ["y" * 50])
    finally:
        store.close()
