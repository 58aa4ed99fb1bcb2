"""The server's storage: accounts, tokens, contacts, tags and notes in SQL through SQLAlchemy 2 Core.

Every public write runs in one transaction. Reads are small indexed queries and run inline on the caller's
thread: for SQLite that is cheaper than a hop to a thread pool (see ``tests/perf/bench_server.py``). The server
runs the writes on a thread of their own, since one may wait for another program's lock on the file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
import urllib.parse
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from crmdesk import contract
from crmdesk.contract import MAX_LENGTH, ContactInput, ContractError, NoteEntry
from crmdesk.paths import make_private_dir
from crmdesk.redaction import MIN_SECRET_LENGTH

log = logging.getLogger("crmdesk.server.store")

#: PostgreSQL's SQLSTATE for a statement the role may not run.
_INSUFFICIENT_PRIVILEGE = "42501"

metadata = sa.MetaData()

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("plan", sa.String(20), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False, default="UTC"),
)

tokens = sa.Table(
    "tokens",
    metadata,
    # token_key(token), never the token: a copy of the database file does not give access to the API.
    sa.Column("token", sa.String(200), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    # Whose token it is (a rep's name), for the operator to revoke one without the others; "" for the token
    # an account was made with, and for every token of a database from before version 4.
    sa.Column("label", sa.String(100), nullable=False, server_default=""),
)

#: The longest label a token may have.
MAX_TOKEN_LABEL = 100


def _named_list(table_name: str) -> sa.Table:
    return sa.Table(
        table_name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        # Names match case-insensitively; the key keeps that rule in one place and makes it indexable.
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.UniqueConstraint("account_id", "name_key"),
    )


stages = _named_list("stages")
qualities = _named_list("qualities")
tags = _named_list("tags")

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("email_key", sa.String(254), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.UniqueConstraint("account_id", "email_key"),
)

contacts = sa.Table(
    "contacts",
    metadata,
    # The integer id orders contacts by creation, which is the "oldest first" of several-match answers.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("uid", sa.String(8), nullable=False),
    sa.Column("first_name", sa.String(100), nullable=False, default=""),
    sa.Column("last_name", sa.String(100), nullable=False, default=""),
    sa.Column("email", sa.String(254), nullable=False, default=""),
    # casefold() of the email, made in Python: SQL lower() folds only ASCII, so "JOSÉ@" would miss "josé@".
    sa.Column("email_key", sa.String(254), nullable=False, default=""),
    # Unbounded: the contract limits no phone ("+55 11 98765-4321 ext. 1234, ask for the front desk"). SQLite
    # ignores a column's length, but PostgreSQL refused a longer one with a 500 (see _migrate, version 5).
    sa.Column("phone", sa.Text, nullable=False, default=""),
    sa.Column("phone_digits", sa.Text, nullable=False, default=""),
    sa.Column("business_name", sa.String(200), nullable=False, default=""),
    sa.Column("birthday", sa.String(10), nullable=False, default=""),
    sa.Column("address", sa.String(300), nullable=False, default=""),
    sa.Column("city", sa.String(100), nullable=False, default=""),
    sa.Column("state", sa.String(100), nullable=False, default=""),
    sa.Column("zipcode", sa.String(20), nullable=False, default=""),
    sa.Column("time_zone", sa.String(64), nullable=False, default=""),
    sa.Column("value", sa.String(64), nullable=False, default=""),
    sa.Column("snapshot", sa.Text, nullable=False, default=""),
    sa.Column("stage_id", sa.Integer, sa.ForeignKey("stages.id"), nullable=True),
    sa.Column("quality_id", sa.Integer, sa.ForeignKey("qualities.id"), nullable=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("members.id"), nullable=True),
    sa.Column("created", sa.String(20), nullable=False),
    sa.Column("last_update", sa.String(20), nullable=False),
    sa.Index("ix_contacts_account_uid", "account_id", "uid", unique=True),
    # MySQL indexes a text column by a prefix only: 64 digits tell any two phones apart.
    sa.Index("ix_contacts_account_phone_digits", "account_id", "phone_digits", mysql_length={"phone_digits": 64}),
    sa.Index("ix_contacts_account_email_key", "account_id", "email_key"),
)

contact_tags = sa.Table(
    "contact_tags",
    metadata,
    # The id keeps the order in which tags were added to the contact.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id"), nullable=False),
    sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.id"), nullable=False),
    sa.UniqueConstraint("contact_id", "tag_id"),
)

notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    # UTC, ISO 8601; rendered in the account's time zone on read.
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

#: The layout of the tables above. Raise it with every change a release makes to them, and teach
#: :func:`_migrate` to bring the previous layout up to it. 1: the first release; 2: ``contacts.email_key``;
#: 3: ``tokens.token`` holds :func:`token_key` of each token, not the token; 4: ``tokens.label``. (The phone columns
#: becoming text of any length changed no version: an older version reads and writes them as before.)
SCHEMA_VERSION = 4

# The version of the layout a database holds, so that an older CRMDesk refuses a database a newer one has changed
# instead of failing on its first write. Every version keeps this table as it is.
schema_info = sa.Table(
    "crmdesk_schema",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

#: API field name -> contacts column, for the plain string fields.
COLUMN_OF: dict[str, str] = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone",
    "businessName": "business_name",
    "birthday": "birthday",
    "address": "address",
    "city": "city",
    "state": "state",
    "zipcode": "zipcode",
    "timeZone": "time_zone",
    "value": "value",
    "snapshot": "snapshot",
}


class StoreError(Exception):
    """An administrative request the store refuses (unknown account, duplicate token, bad plan...)."""


class NotFound(Exception):
    """No contact of this account matches the identifier."""


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    plan: str
    time_zone: str


def new_token() -> str:
    return "crm_" + secrets.token_urlsafe(24)


def _checked_label(label: str) -> str:
    label = label.strip()
    if not label:
        raise StoreError("a token's label cannot be empty: name whose token it is, such as the rep's name")
    if len(label) > MAX_TOKEN_LABEL:
        raise StoreError(f"a token's label is at most {MAX_TOKEN_LABEL} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in label):
        raise StoreError("a token's label cannot contain tabs, line breaks or other control characters")
    return label


def checked_token(token: str | None) -> str:
    """``token`` trimmed (a new one for ``None``); StoreError for one the app could not send or keep secret."""
    token = new_token() if token is None else token.strip()
    if not contract.is_bearer_token(token):
        raise StoreError("a token is printable ASCII (letters, digits, punctuation) without spaces")
    if len(token) < MIN_SECRET_LENGTH:
        # Easy to guess, and the app's logs blank out only secrets at least this long.
        raise StoreError(f"a token needs at least {MIN_SECRET_LENGTH} characters")
    if _is_token_key(token):
        raise StoreError("a token cannot be a SHA-256 digest as the database keeps them")
    return token


_KEY_PREFIX = "sha256:"
_TOKEN_KEY = re.compile(r"sha256:[0-9a-f]{64}")


def _is_token_key(value: str) -> bool:
    """Whether ``value`` is what token_key makes (earlier versions kept tokens as they are, of any shape)."""
    return _TOKEN_KEY.fullmatch(value) is not None


def token_key(token: str) -> str:
    """What the database keeps of a token: its SHA-256 digest. Tokens are random and long (new_token), so a
    digest without salt or stretching is enough; the prefix tells a digest from a token an older version kept."""
    return _KEY_PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_uid() -> str:
    return "".join(secrets.choice(contract.UID_ALPHABET) for _ in range(contract.UID_LENGTH))


def insert_id(result: sa.CursorResult[Any]) -> int:
    """The primary key an INSERT created."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def utc_now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode is durable against a killed
    # process (the commit is in the WAL file before the call returns); only an OS crash or power loss can
    # roll back the last transactions, which a desktop app's local server accepts.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # The CLI and tests write to the same file while a server runs; wait for their lock instead of failing.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


#: How long a change waits for another program's write lock on the SQLite file. The CLI's changes take
#: milliseconds; longer means something else holds the file (an operator's VACUUM, a copy tool), and every change
#: waits meanwhile, so the change fails with :func:`storage_trouble`'s reason rather than hold them for long.
BUSY_TIMEOUT_MS = 3000

# What SQLite says when the database cannot take a change for a reason outside the request, and what to tell the
# rep about it (the server's 500 says it; its log says it once a minute at most).
_STORAGE_TROUBLE = (
    (("database is locked", "database table is locked", "database is busy"), "Its database is busy: another program"
     " is writing to it"),
    (("database or disk is full",), "Its disk is full: nothing can be saved until its operator frees space"),
    (("readonly database", "read-only"), "Its database cannot be written: nothing can be saved until its operator"
     " lets it"),
)  # fmt: skip


_POSTGRESQL_LOCK_TIMEOUT = "55P03"


def storage_trouble(exc: BaseException) -> str | None:
    """Why a request failed, for the rep, when the server's storage refused it (locked by another program, full,
    read-only); None for anything else."""
    cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error; the hot reads do not
    # PostgreSQL's lock_not_available, as psycopg (sqlstate) and psycopg2 (pgcode) name it.
    if _POSTGRESQL_LOCK_TIMEOUT in (getattr(cause, "sqlstate", None), getattr(cause, "pgcode", None)):
        return _STORAGE_TROUBLE[0][1]
    if not isinstance(cause, sqlite3.OperationalError):
        return None
    text = str(cause).lower()
    return next((reason for signs, reason in _STORAGE_TROUBLE if any(sign in text for sign in signs)), None)


def _contact_select() -> sa.Select[Any]:
    c = contacts
    return (
        sa.select(
            c,
            stages.c.name.label("stage_name"),
            qualities.c.name.label("quality_name"),
            members.c.email.label("owner_email"),
        )
        .select_from(
            c.outerjoin(stages, stages.c.id == c.c.stage_id)
            .outerjoin(qualities, qualities.c.id == c.c.quality_id)
            .outerjoin(members, members.c.id == c.c.owner_id)
        )
        .where(c.c.account_id == sa.bindparam("account_id"))
    )


_SELECT_BY_ID = _contact_select().where(contacts.c.id == sa.bindparam("contact_id"))
# Lookups fetch the whole row at once: one statement per GET instead of a find followed by a fetch.
_SELECT_FULL_BY = {
    "uid": _contact_select().where(contacts.c.uid == sa.bindparam("value")),
    "email": _contact_select().where(contacts.c.email_key == sa.bindparam("value")).order_by(contacts.c.id),
    "phone": _contact_select().where(contacts.c.phone_digits == sa.bindparam("value")).order_by(contacts.c.id),
}
# Tags (kind 0) and notes (kind 1) of one contact in one statement, each in the order they were added.
_SELECT_EXTRAS = sa.union_all(
    sa.select(
        sa.literal_column("0").label("kind"),
        contact_tags.c.id.label("seq"),
        tags.c.name.label("text"),
        sa.literal_column("''").label("created_at"),
    )
    .select_from(contact_tags.join(tags, tags.c.id == contact_tags.c.tag_id))
    .where(contact_tags.c.contact_id == sa.bindparam("contact_id")),
    sa.select(sa.literal_column("1"), notes.c.id, notes.c.text, notes.c.created_at).where(
        notes.c.contact_id == sa.bindparam("contact_id")
    ),
).order_by(sa.literal_column("kind"), sa.literal_column("seq"))
_FIND_BY_UID = sa.select(contacts.c.id).where(
    contacts.c.account_id == sa.bindparam("account_id"), contacts.c.uid == sa.bindparam("value")
)
_FIND_BY_EMAIL = (
    sa.select(contacts.c.id)
    .where(
        contacts.c.account_id == sa.bindparam("account_id"),
        contacts.c.email_key == sa.bindparam("value"),
    )
    .order_by(contacts.c.id)
)
_FIND_BY_PHONE = (
    sa.select(contacts.c.id)
    .where(contacts.c.account_id == sa.bindparam("account_id"), contacts.c.phone_digits == sa.bindparam("value"))
    .order_by(contacts.c.id)
)
_TOKEN_ACCOUNT = (
    sa.select(accounts.c.id, accounts.c.name, accounts.c.plan, accounts.c.time_zone)
    .select_from(tokens.join(accounts, accounts.c.id == tokens.c.account_id))
    .where(tokens.c.token == sa.bindparam("token"))
)


def email_key(email: str) -> str:
    """What email lookups compare: the address case-folded the Unicode way."""
    return email.strip().casefold()


def _where(url: str) -> str:
    """The database as a message names it: a SQLite file's path, or the URL without its password."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return str(parsed.database)
    return parsed.render_as_string(hide_password=True)


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (``sqlite:///``, ``sqlite+pysqlite:///``, a ``file:`` URI), or None."""
    parsed = sa.engine.make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if parsed.query.get("uri") in ("true", "1") and database.startswith("file:"):
        # The driver opens a URI: its options (mode=memory...) end up in the URL's query, beside uri=true.
        if parsed.query.get("mode") == "memory":
            return None
        path = urllib.parse.unquote(urllib.parse.urlsplit(database).path)
        return Path(path) if path and path != ":memory:" else None  # file::memory: is SQLite's in-memory name too
    return Path(database)  # without uri=true, "file:x.db" is a file of that name


def _create_private(path: Path) -> None:
    """Make a new SQLite file readable by its owner only, before SQLite creates it with the umask's mode (0644):
    it holds every account's contacts and notes. SQLite gives the -wal and -shm files the database's mode. A
    new folder for it is made private too; an existing file or folder keeps the mode its owner gave it."""
    make_private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # SQLite takes an empty file as new
    except FileExistsError:
        pass


def _schema_version(conn: Connection, where: str) -> int | None:
    """The layout version of the database behind ``conn``, or ``None`` for one without tables (a new one).

    A database made before versions were recorded counts as version 1 (:func:`_migrate` tells 1 and 2 apart) if
    the tables of CRMDesk's it holds have their columns, and either it holds all of them (tools beside it, such
    as Litestream's replication, add tables of their own) or nothing else (a first start stopped part-way).
    Anything else is another program's database, and a :class:`StoreError`: adding CRMDesk's tables to it would
    change a file that is not ours.
    """
    inspector = sa.inspect(conn)
    names = set(inspector.get_table_names())
    if not names:
        if inspector.get_view_names():
            raise StoreError(f"{where} is not a CRMDesk database: it holds views that CRMDesk did not make")
        return None
    if schema_info.name in names:
        recorded = conn.execute(sa.select(sa.func.max(schema_info.c.version))).scalar()
        if recorded is not None:
            return int(recorded)
    ours = set(metadata.tables) - {schema_info.name}
    for name in sorted(names & ours):
        present = {column["name"] for column in inspector.get_columns(name)}
        # email_key and label are left out: contacts and tokens gained them in versions 2 and 4 (see _migrate).
        if not set(metadata.tables[name].c.keys()) - {"email_key", "label"} <= present:
            raise StoreError(f"{where} is not a CRMDesk database: its table {name!r} is not the one CRMDesk makes")
    others = sorted(names - ours - {schema_info.name})
    if others and not ours <= names:
        raise StoreError(f"{where} is not a CRMDesk database: it holds a table {others[0]!r} that CRMDesk did not make")
    return 1


def _raced(step: Callable[[], None]) -> None:
    """Run a step that checks the database, then changes it (creates a table, adds a column). Another process
    opening the same file at the same moment may make the change between the check and ours: the next pass then
    finds it made."""
    for attempt in range(3):
        try:
            step()
            return
        except sa.exc.OperationalError as exc:
            if not ("already exists" in str(exc) or "duplicate column" in str(exc)) or attempt == 2:
                raise


def _migrate(engine: Engine) -> None:
    """Bring a database made by an earlier version up to this schema and record its version.

    create_all adds only missing tables; this changes the tables an earlier version made.
    """
    with engine.begin() as conn:
        contact_columns = sa.inspect(conn).get_columns("contacts")
        columns = {column["name"] for column in contact_columns}
        if "email_key" not in columns:
            conn.execute(sa.text("ALTER TABLE contacts ADD COLUMN email_key VARCHAR(254) NOT NULL DEFAULT ''"))
        # SQLite's driver commits an ALTER TABLE at once, outside the transaction: an upgrade stopped after it
        # left the column empty. Filling whatever is still empty finishes such an upgrade at the next start
        # (no stored email has an empty key).
        unfilled = sa.and_(contacts.c.email != "", contacts.c.email_key == "")
        rows = conn.execute(sa.select(contacts.c.id, contacts.c.email).where(unfilled)).all()
        if rows:
            conn.execute(
                contacts.update().where(contacts.c.id == sa.bindparam("row_id")),
                [{"row_id": row.id, "email_key": email_key(row.email)} for row in rows],
            )
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_contacts_account_email"))
        for index in contacts.indexes:
            if index.name == "ix_contacts_account_email_key":
                index.create(conn, checkfirst=True)
        if "label" not in {column["name"] for column in sa.inspect(conn).get_columns("tokens")}:
            conn.execute(sa.text("ALTER TABLE tokens ADD COLUMN label VARCHAR(100) NOT NULL DEFAULT ''"))
        # Version 3 keeps digests of tokens. Rows already holding one are left alone, so a second process
        # upgrading the same file at the same time changes nothing twice. (Told apart in Python: SQL's LIKE
        # ignores case, and an earlier version took any token, "SHA256:x" included.)
        kept = conn.execute(sa.select(tokens.c.token)).scalars().all()
        for token in kept:
            if not _is_token_key(token):
                conn.execute(tokens.update().where(tokens.c.token == token).values(token=token_key(token)))
        if conn.dialect.name == "postgresql":
            # The phone columns were VARCHAR(50), which SQLite never enforced and PostgreSQL did. Changed only while
            # they still are: ALTER TABLE takes the table's strongest lock and needs its owner, and servers opening
            # an upgraded database at the same time, or as a role that only reads and writes, must not need either.
            bounded = [
                column["name"]
                for column in contact_columns
                if column["name"] in ("phone", "phone_digits") and getattr(column["type"], "length", None)
            ]
            for name in bounded:
                savepoint = conn.begin_nested()  # a refused statement must not abort the rest of the upgrade
                try:
                    conn.execute(sa.text(f"ALTER TABLE contacts ALTER COLUMN {name} TYPE TEXT"))
                except sa.exc.DBAPIError as exc:
                    savepoint.rollback()
                    state = getattr(exc.orig, "sqlstate", None) or getattr(
                        exc.orig, "pgcode", None
                    )  # psycopg, psycopg2
                    if state != _INSUFFICIENT_PRIVILEGE:
                        raise
                    # Run as a role that reads and writes but does not own the tables: it works as before, phones
                    # over 50 characters refused, until the owner opens the database once.
                    log.warning(
                        "contacts.%s still holds at most 50 characters: changing it needs the table's owner; "
                        "start the server (or any crmdesk-server command) once as that role",
                        name,
                    )
                else:
                    savepoint.commit()
        if list(conn.execute(sa.select(schema_info.c.version)).scalars()) != [SCHEMA_VERSION]:
            conn.execute(schema_info.delete())
            conn.execute(schema_info.insert().values(version=SCHEMA_VERSION))


def backup_database(url: str, destination: Path) -> None:
    """Copy the SQLite database at ``url``, as it stands at one moment, into the new file ``destination``, while
    servers go on using it. SQLite's online backup takes what is still in the write-ahead log too, which a copy of
    the database file alone misses (everything written since the last checkpoint).

    The database is only read: not upgraded to this version's layout as opening a :class:`Store` would, so that a
    backup taken before an upgrade still opens in the release that made it.
    """
    where = _where(url)
    source = _sqlite_file(url)
    if source is None:
        raise StoreError(f"backup copies SQLite databases; back up {where} with its own tools")
    if not source.is_file():
        raise StoreError(f"there is no CRMDesk database at {where}: check the path")
    if destination.exists():
        raise StoreError(f"{destination} exists: back up into a new file, and keep the earlier one")
    if destination.resolve().parent == source.resolve().parent and destination.name in {
        f"{source.name}{suffix}" for suffix in ("-wal", "-shm", "-journal")
    }:
        raise StoreError(f"{destination} is a name SQLite gives the database's own files: name it otherwise")
    engine = sa.create_engine(url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            if _schema_version(conn, where) is None:  # refuses another program's database
                raise StoreError(f"there is no CRMDesk database at {where}: check the path")
    finally:
        engine.dispose()
    _create_private(destination)  # accounts, contacts and notes: as private as the database
    try:
        with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(destination)) as target:
            reading.backup(target)
            # The copy stands on its own: one file, no write-ahead log beside it.
            target.execute("PRAGMA journal_mode=DELETE")
    except BaseException:
        destination.unlink(missing_ok=True)
        raise


class Store:
    """The server's database. Safe to open from several processes on one SQLite file: every write transaction
    holds SQLite's write lock from its first read (see ``_writing``)."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        """Open the database at ``url``, creating it if need be; with ``create`` false, refuse one that is not there.

        Commands that only work on existing data open with ``create`` false, so that a mistyped path is an error
        rather than a new, empty database (and its folders) where nobody will look for it.
        """
        self.url = url
        is_sqlite = url.startswith("sqlite")
        where = _where(url)
        missing = f"there is no CRMDesk database at {where}: check the path"
        path = _sqlite_file(url)
        if path is not None:
            if not create and not path.exists():
                raise StoreError(missing)  # connecting would create the file
            _create_private(path)
        #: Each connection to an in-memory database is a database of its own: SQLAlchemy keeps one connection per
        #: thread, and every thread but the one that made the tables would find none.
        self.in_memory = is_sqlite and path is None
        # SQLAlchemy picks that pool for the plain forms only; as a URI (file::memory:) each connection would be
        # another empty database.
        pool: dict[str, Any] = {"poolclass": sa.pool.SingletonThreadPool} if self.in_memory else {}
        # hide_parameters keeps tokens and contact data out of error messages and logs.
        try:
            self.engine: Engine = sa.create_engine(url, hide_parameters=True, **pool)
        except ImportError as exc:  # a PostgreSQL or MySQL URL without its Python driver installed
            scheme = url.split("://", 1)[0]
            raise StoreError(f"the Python driver for {scheme!r} could not be loaded ({exc})") from exc
        # The first look comes before the connection pragmas: journal_mode=WAL rewrites the file's header, and a
        # database this code refuses must be left exactly as it was.
        try:
            with self.engine.connect() as conn:
                found = _schema_version(conn, where)
        finally:
            self.engine.dispose()
        if found is None and not create:
            raise StoreError(missing)
        if found is not None and found > SCHEMA_VERSION:
            raise StoreError(
                f"{where} is from a newer version of CRMDesk (database version {found}, this version knows up"
                f" to {SCHEMA_VERSION}): open it with that version or a later one"
            )
        if is_sqlite:
            event.listen(self.engine, "connect", _set_sqlite_pragmas)
        _raced(lambda: metadata.create_all(self.engine))
        _raced(lambda: _migrate(self.engine))
        self._is_sqlite = is_sqlite
        self._local = threading.local()
        self._readers: list[Any] = []
        self._prepared = {
            kind: _Prepared(statement, self.engine.dialect) for kind, statement in _SELECT_FULL_BY.items()
        }
        self._prepared["extras"] = _Prepared(_SELECT_EXTRAS, self.engine.dialect)
        self._prepared["token"] = _Prepared(_TOKEN_ACCOUNT, self.engine.dialect)

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        self._local = threading.local()
        self.engine.dispose()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A transaction for a change, committed on leaving the block, rolled back on an exception.

        Each change reads before it writes (does the tag exist? will the contact still have an email or a
        phone?). pysqlite begins a transaction only at the first INSERT or UPDATE, so those reads would run
        outside it, and another process on the same file (a second server, the CLI) could change the rows in
        between: a tag inserted twice (a 500), a note for a contact just deleted (a 500), a contact left with
        neither email nor phone. ``BEGIN IMMEDIATE`` takes the write lock first, waiting up to the connection's
        busy timeout for it, so the reads and the writes see one state.

        PostgreSQL waits for another session's row or table locks (an operator's open ``psql`` transaction) as long
        as SQLite would wait for the file's: its ``lock_timeout`` is set for the transaction alone.
        """
        deadline = getattr(self._local, "deadline", None)
        wait_ms = BUSY_TIMEOUT_MS if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
        with self.engine.begin() as conn:
            if self._is_sqlite:
                # Straight on the driver's connection, as SQLAlchemy's statement machinery costs several times what
                # SQLite does here. The wait is set on every change: a pooled connection may carry an earlier one's.
                driver = conn.connection.driver_connection
                assert driver is not None
                driver.execute(f"PRAGMA busy_timeout={wait_ms}")
                driver.execute("BEGIN IMMEDIATE")
            elif conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, wait_ms)}")  # 0 would mean no limit
            yield conn

    @contextmanager
    def waiting_until(self, deadline: float) -> Iterator[None]:
        """Within the block, this thread's changes wait for another program's lock (on the SQLite file, or on
        PostgreSQL's rows and tables) only until ``deadline`` (a ``time.monotonic()`` value), then fail as busy; at
        once if it has passed.

        The server queues its changes: without this, each change queued behind a held lock would wait a whole
        busy timeout of its own, and the last of several would fail only after all their waits added up.
        """
        self._local.deadline = deadline
        try:
            yield
        finally:
            self._local.deadline = None

    # --- Administration (CLI, demo seeding, tests) ---------------------------------------------

    def add_account(self, name: str, plan: str, token: str | None = None, time_zone: str = "UTC") -> str:
        """Create an account with one token and return the token."""
        name = name.strip()
        if not name:
            raise StoreError("the account name cannot be empty")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            raise StoreError("an account name cannot contain tabs, line breaks or other control characters")
        if plan not in contract.PLANS:
            raise StoreError(f"unknown plan {plan!r}: use one of {', '.join(contract.PLANS)}")
        if not contract.is_time_zone(time_zone):
            raise StoreError(f"unknown time zone {time_zone!r}: use an IANA name such as America/Sao_Paulo")
        token = checked_token(token)
        with self._writing() as conn:
            if conn.execute(sa.select(accounts.c.id).where(accounts.c.name == name)).first() is not None:
                raise StoreError(f"an account named {name!r} already exists")
            if conn.execute(sa.select(tokens.c.token).where(tokens.c.token == token_key(token))).first() is not None:
                raise StoreError("that token is already in use")
            account_id = insert_id(conn.execute(accounts.insert().values(name=name, plan=plan, time_zone=time_zone)))
            conn.execute(tokens.insert().values(token=token_key(token), account_id=account_id))
        return token

    def set_account(self, name: str, *, plan: str | None = None, time_zone: str | None = None) -> None:
        """Change an account's plan or time zone (a running server uses them from its next request on)."""
        if plan is not None and plan not in contract.PLANS:
            raise StoreError(f"unknown plan {plan!r}: use one of {', '.join(contract.PLANS)}")
        if time_zone is not None and not contract.is_time_zone(time_zone):
            raise StoreError(f"unknown time zone {time_zone!r}: use an IANA name such as America/Sao_Paulo")
        changes = {column: value for column, value in (("plan", plan), ("time_zone", time_zone)) if value is not None}
        with self._writing() as conn:
            account = self._account(conn, name)
            conn.execute(accounts.update().where(accounts.c.id == account.id).values(**changes))

    def account(self, name: str) -> Account:
        with self.engine.connect() as conn:
            return self._account(conn, name)

    def _account(self, conn: Connection, name: str) -> Account:
        name = name.strip()  # as add_account stored it
        row = conn.execute(
            sa.select(accounts.c.id, accounts.c.name, accounts.c.plan, accounts.c.time_zone).where(
                accounts.c.name == name
            )
        ).first()
        if row is None:
            raise StoreError(f"no account named {name!r}")
        return Account(*row)

    def find_account(self, name: str) -> Account | None:
        try:
            return self.account(name)
        except StoreError:
            return None

    def list_accounts(self) -> list[Account]:
        """Every account, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(accounts.c.id, accounts.c.name, accounts.c.plan, accounts.c.time_zone).order_by(
                    accounts.c.name
                )
            )
            return [Account(*row) for row in rows]

    def add_token(self, account_name: str, label: str, token: str | None = None) -> str:
        """Give the account another token, labelled with whose it is (a rep's name), and return it: each rep of a
        team signs in with their own, which :meth:`revoke_token` revokes alone (and each has a rate limit of its
        own)."""
        label = _checked_label(label)
        token = checked_token(token)
        with self._writing() as conn:
            account = self._account(conn, account_name)
            labels = conn.execute(sa.select(tokens.c.label).where(tokens.c.account_id == account.id)).scalars()
            if label.casefold() in {known.casefold() for known in labels}:
                raise StoreError(f"{account.name!r} has a token labelled {label!r}: revoke it first, or pick another")
            if conn.execute(sa.select(tokens.c.token).where(tokens.c.token == token_key(token))).first() is not None:
                raise StoreError("that token is already in use")
            conn.execute(tokens.insert().values(token=token_key(token), account_id=account.id, label=label))
        return token

    def revoke_token(self, account_name: str, label: str) -> None:
        """Revoke the account's token labelled ``label`` (any case); a running server refuses it from its next
        request on."""
        wanted = label.strip().casefold()
        with self._writing() as conn:
            account = self._account(conn, account_name)
            rows = conn.execute(sa.select(tokens.c.token, tokens.c.label).where(tokens.c.account_id == account.id))
            keys = [row.token for row in rows if row.label.casefold() == wanted]  # "": the unlabelled one(s)
            if not keys:
                raise StoreError(f"{account.name!r} has no token labelled {label.strip()!r}: see `account tokens`")
            conn.execute(tokens.delete().where(tokens.c.token.in_(keys)))

    def token_labels(self, account_name: str) -> list[str]:
        """The labels of the account's tokens, sorted; ``""`` for an unlabelled one (never the tokens)."""
        with self.engine.connect() as conn:
            account = self._account(conn, account_name)
            labels = conn.execute(sa.select(tokens.c.label).where(tokens.c.account_id == account.id)).scalars()
            return sorted(labels, key=str.casefold)

    def replace_tokens(self, account_name: str, token: str | None = None) -> str:
        """Make ``token`` (or a new one) the account's only token, and return it; every earlier one is revoked.

        A server running on the same database refuses the old token from its next request on.
        """
        token = checked_token(token)
        with self._writing() as conn:
            account = self._account(conn, account_name)
            owner = conn.execute(sa.select(tokens.c.account_id).where(tokens.c.token == token_key(token))).scalar()
            if owner is not None and owner != account.id:
                raise StoreError("that token is already in use")
            conn.execute(tokens.delete().where(tokens.c.account_id == account.id))
            conn.execute(tokens.insert().values(token=token_key(token), account_id=account.id))
        return token

    def _add_names(self, table: sa.Table, field: str, account_name: str, names: Iterable[str]) -> None:
        """Add stage or quality names (``field``: the API field that takes them, whose limit they keep)."""
        limit = MAX_LENGTH[field]
        with self._writing() as conn:
            account = self._account(conn, account_name)
            for raw in names:
                name = raw.strip()
                if not name:
                    raise StoreError("a name cannot be empty")
                if len(name) > limit:
                    # Longer than the API takes: no contact could ever be given it.
                    raise StoreError(f"{name[:20]!r}... is longer than {limit} characters")
                exists = conn.execute(
                    sa.select(table.c.id).where(table.c.account_id == account.id, table.c.name_key == name.casefold())
                ).first()
                if exists is None:
                    conn.execute(table.insert().values(account_id=account.id, name=name, name_key=name.casefold()))

    def add_stages(self, account_name: str, names: Iterable[str]) -> None:
        self._add_names(stages, "stageName", account_name, names)

    def add_qualities(self, account_name: str, names: Iterable[str]) -> None:
        self._add_names(qualities, "qualityName", account_name, names)

    def add_member(self, account_name: str, email: str, name: str) -> None:
        try:
            email = contract.validate_email(email)
        except ContractError as exc:
            raise StoreError(exc.message) from None
        name = name.strip()
        if not name:
            raise StoreError("a team member needs a name")
        with self._writing() as conn:
            account = self._account(conn, account_name)
            key = email.casefold()
            exists = conn.execute(
                sa.select(members.c.id).where(members.c.account_id == account.id, members.c.email_key == key)
            ).first()
            if exists is None:
                conn.execute(members.insert().values(account_id=account.id, email=email, email_key=key, name=name))
            else:
                conn.execute(members.update().where(members.c.id == exists[0]).values(name=name))

    def count_contacts(self, account_name: str) -> int:
        with self.engine.connect() as conn:
            account = self._account(conn, account_name)
            count = conn.execute(
                sa.select(sa.func.count()).select_from(contacts).where(contacts.c.account_id == account.id)
            ).scalar()
            return int(count or 0)

    def bulk_insert_contacts(self, account_name: str, rows: Sequence[dict[str, str]]) -> None:
        """Insert many plain contacts at once (benchmarks): each row holds API string fields, no references."""
        stamp = contract.format_timestamp(utc_now())
        with self._writing() as conn:
            account = self._account(conn, account_name)
            values: list[dict[str, Any]] = []
            for row in rows:
                value: dict[str, Any] = {column: row.get(field, "") for field, column in COLUMN_OF.items()}
                value.update(
                    account_id=account.id,
                    uid=row.get("uid") or new_uid(),
                    phone_digits=contract.phone_digits(row.get("phone", "")),
                    email_key=email_key(row.get("email", "")),
                    created=stamp,
                    last_update=stamp,
                )
                values.append(value)
            conn.execute(contacts.insert(), values)

    # --- The API ----------------------------------------------------------------------------

    def account_for_token(self, token: str) -> Account | None:
        """The account a token belongs to.

        Known tokens are remembered only while the database is unchanged, so a revoked token or a changed plan
        takes effect at the next request, also when another process (the CLI) made the change. On SQLite each
        call asks ``PRAGMA data_version`` on this thread's reader connection, which changes whenever another
        connection commits (this store's own writes included): a few microseconds, against tens for the token
        query. Other databases are asked every time. Unknown tokens are never remembered.
        """
        reader = self._reader()
        remembered: dict[str, Account] = self._local.tokens
        version = self._data_version(reader)
        if version is None or version != self._local.data_version:
            remembered.clear()
            self._local.data_version = version
        else:
            account = remembered.get(token)
            if account is not None:
                return account
        try:
            rows = self._prepared["token"].run(reader, {"token": token_key(token)})
        finally:
            reader.rollback()  # ends the read transaction drivers such as psycopg open
        if not rows:
            return None
        account = Account(*rows[0])
        if len(remembered) > 10_000:
            remembered.clear()  # only real tokens get here; this bounds memory all the same
        remembered[token] = account
        return account

    def _data_version(self, reader: Any) -> int | None:
        """A value that changes whenever a connection other than ``reader`` commits (SQLite); ``None`` elsewhere."""
        if not self._is_sqlite:
            return None
        cursor = reader.cursor()
        try:
            cursor.execute("PRAGMA data_version")
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()

    def find(self, conn: Connection, account: Account, kind: str, value: str) -> list[int]:
        """Ids of the account's contacts matching an identifier, oldest first."""
        if kind == "uid":
            statement, value = _FIND_BY_UID, value
        elif kind == "email":
            statement, value = _FIND_BY_EMAIL, email_key(value)
        else:
            statement, value = _FIND_BY_PHONE, contract.phone_digits(value)
        return list(conn.execute(statement, {"account_id": account.id, "value": value}).scalars())

    def lookup(self, account: Account, kind: str, value: str) -> dict[str, Any] | list[dict[str, str]]:
        """GET: one full contact, or the summaries of several matches (oldest first). Raises :class:`NotFound`."""
        if kind == "phone":
            value = contract.phone_digits(value)
        elif kind == "email":
            value = email_key(value)
        reader = self._reader()
        try:
            find = self._prepared[kind]
            rows = find.run(reader, {"account_id": account.id, "value": value})
            if not rows:
                raise NotFound
            if len(rows) == 1:
                row = dict(zip(find.columns, rows[0], strict=True))
                return _render(row, account, self._prepared["extras"].run(reader, {"contact_id": row["id"]}))
            summaries = []
            for found in rows:
                row = dict(zip(find.columns, found, strict=True))
                summaries.append(
                    {
                        "uid": row["uid"],
                        "email": row["email"],
                        "phone": row["phone"],
                        "firstName": row["first_name"],
                        "lastName": row["last_name"],
                    }
                )
            return summaries
        finally:
            # Ends the read transaction drivers such as psycopg open, so the next read sees new commits.
            reader.rollback()

    def _reader(self) -> Any:
        """This thread's DBAPI connection for the hot reads (sqlite3 connections are bound to one thread).

        The tokens :meth:`account_for_token` remembers live beside it: a data_version means something only
        when compared with another from the same connection.
        """
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self.engine.raw_connection()
            self._local.reader = reader
            self._local.tokens = {}
            self._local.data_version = None
            self._readers.append(reader)
        return reader

    def _one(self, conn: Connection, account: Account, kind: str, value: str) -> int:
        ids = self.find(conn, account, kind, value)
        if not ids:
            raise NotFound
        if len(ids) > 1:
            raise contract.invalid(kind, f"{len(ids)} contacts match this {kind}; send the uid of the contact you mean")
        return ids[0]

    def _full(self, conn: Connection, account: Account, contact_id: int) -> dict[str, Any]:
        row = conn.execute(_SELECT_BY_ID, {"account_id": account.id, "contact_id": contact_id}).one()
        return self._render(conn, account, row)

    def _render(self, conn: Connection, account: Account, row: Any) -> dict[str, Any]:
        """A full contact from its row (as selected by ``_contact_select``) plus its tags and notes."""
        m = row._mapping
        return _render(m, account, conn.execute(_SELECT_EXTRAS, {"contact_id": m["id"]}))

    def _reference(self, conn: Connection, account: Account, field: str, name: str) -> tuple[int, str, str]:
        """Resolve a stage, quality or owner name of the account to ``(id, spelling, owner name)``."""
        key = name.strip().casefold()
        if field == "ownerEmail":
            row = conn.execute(
                sa.select(members.c.id, members.c.email, members.c.name).where(
                    members.c.account_id == account.id, members.c.email_key == key
                )
            ).first()
            if row is None:
                raise contract.invalid(field, f"Team member '{name}' does not exist in your account")
            return row[0], row[1], row[2]
        table, label = (stages, "Stage") if field == "stageName" else (qualities, "Quality")
        found = conn.execute(
            sa.select(table.c.id, table.c.name).where(table.c.account_id == account.id, table.c.name_key == key)
        ).first()
        if found is None:
            raise contract.invalid(field, f"{label} '{name}' does not exist in your account")
        return found[0], found[1], ""

    def _columns(self, conn: Connection, account: Account, fields: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field, text in fields.items():
            if field in contract.REFERENCE_FIELDS:
                column = {"stageName": "stage_id", "qualityName": "quality_id", "ownerEmail": "owner_id"}[field]
                values[column] = self._reference(conn, account, field, text)[0] if text else None
            else:
                values[COLUMN_OF[field]] = text
                if field == "phone":
                    values["phone_digits"] = contract.phone_digits(text)
                elif field == "email":
                    values["email_key"] = email_key(text)
        return values

    def _add_tags(self, conn: Connection, account: Account, contact_id: int, names: Iterable[str]) -> list[str]:
        spelled = []
        for name in names:
            key = name.casefold()
            found = conn.execute(
                sa.select(tags.c.id, tags.c.name).where(tags.c.account_id == account.id, tags.c.name_key == key)
            ).first()
            if found is None:
                tag_id = insert_id(conn.execute(tags.insert().values(account_id=account.id, name=name, name_key=key)))
                spelling = name
            else:
                tag_id, spelling = found
            linked = conn.execute(
                sa.select(contact_tags.c.id).where(
                    contact_tags.c.contact_id == contact_id, contact_tags.c.tag_id == tag_id
                )
            ).first()
            if linked is None:
                conn.execute(contact_tags.insert().values(contact_id=contact_id, tag_id=tag_id))
            spelled.append(spelling)
        return spelled

    def _add_note(self, conn: Connection, contact_id: int, text: str, moment: datetime) -> None:
        conn.execute(notes.insert().values(contact_id=contact_id, created_at=moment.isoformat(), text=text))

    def create(self, account: Account, data: ContactInput, moment: datetime | None = None) -> dict[str, str]:
        """Create a contact and return its summary."""
        moment = moment or utc_now()
        stamp = contract.format_timestamp(moment)
        with self._writing() as conn:
            values = self._columns(conn, account, data.fields)
            uid = new_uid()
            while conn.execute(_FIND_BY_UID, {"account_id": account.id, "value": uid}).first() is not None:
                uid = new_uid()
            contact_id = insert_id(
                conn.execute(
                    contacts.insert().values(account_id=account.id, uid=uid, created=stamp, last_update=stamp, **values)
                )
            )
            self._add_tags(conn, account, contact_id, data.tags)
            if data.note:
                self._add_note(conn, contact_id, data.note, moment)
        # The answer is what was written; reading it back would only cost a statement.
        return {
            "uid": uid,
            "email": values.get("email", ""),
            "phone": values.get("phone", ""),
            "firstName": values.get("first_name", ""),
            "lastName": values.get("last_name", ""),
        }

    def update(self, account: Account, data: ContactInput) -> dict[str, Any]:
        """Apply an update by uid and return the full contact."""
        assert data.uid is not None
        with self._writing() as conn:
            # Unknown stage, quality or owner is a validation error, which the contract checks before lookup.
            values = self._columns(conn, account, data.fields)
            contact_id = self._one(conn, account, "uid", data.uid)
            current = conn.execute(
                sa.select(contacts.c.first_name, contacts.c.last_name, contacts.c.email, contacts.c.phone).where(
                    contacts.c.id == contact_id
                )
            ).one()
            merged = {
                "firstName": values.get("first_name", current.first_name),
                "lastName": values.get("last_name", current.last_name),
                "email": values.get("email", current.email),
                "phone": values.get("phone", current.phone),
            }
            contract.check_identity(merged)
            values["last_update"] = contract.format_timestamp(utc_now())
            conn.execute(contacts.update().where(contacts.c.id == contact_id).values(**values))
            self._add_tags(conn, account, contact_id, data.tags)
            return self._full(conn, account, contact_id)

    def delete(self, account: Account, uid: str) -> None:
        with self._writing() as conn:
            contact_id = self._one(conn, account, "uid", uid)
            conn.execute(contact_tags.delete().where(contact_tags.c.contact_id == contact_id))
            conn.execute(notes.delete().where(notes.c.contact_id == contact_id))
            conn.execute(contacts.delete().where(contacts.c.id == contact_id))

    def _touch(self, conn: Connection, contact_id: int, **values: Any) -> dict[str, str]:
        conn.execute(
            contacts.update()
            .where(contacts.c.id == contact_id)
            .values(last_update=contract.format_timestamp(utc_now()), **values)
        )
        row = conn.execute(
            sa.select(contacts.c.uid, contacts.c.email, contacts.c.phone).where(contacts.c.id == contact_id)
        ).one()
        return {"contactUid": row.uid, "contactEmail": row.email, "contactPhone": row.phone}

    def add_tag(self, account: Account, kind: str, value: str, tag: str) -> dict[str, str]:
        with self._writing() as conn:
            contact_id = self._one(conn, account, kind, value)
            (spelling,) = self._add_tags(conn, account, contact_id, [tag])
            return {**self._touch(conn, contact_id), "tagName": spelling}

    def add_note(self, account: Account, kind: str, value: str, text: str) -> dict[str, str]:
        with self._writing() as conn:
            contact_id = self._one(conn, account, kind, value)
            self._add_note(conn, contact_id, text, utc_now())
            return {**self._touch(conn, contact_id), "note": text}

    def set_reference(self, account: Account, kind: str, value: str, field: str, name: str) -> dict[str, str]:
        """Set a contact's stage, quality or owner; the answer spells the name the way the account does."""
        column = {"stageName": "stage_id", "qualityName": "quality_id", "ownerEmail": "owner_id"}[field]
        with self._writing() as conn:
            # Validation (does the name exist?) comes before lookup, as the contract orders the checks.
            ref_id, spelling, owner_name = self._reference(conn, account, field, name)
            contact_id = self._one(conn, account, kind, value)
            answer = {**self._touch(conn, contact_id, **{column: ref_id}), field: spelling}
            if field == "ownerEmail":
                answer["ownerName"] = owner_name
            return answer


def _render(m: Mapping[str, Any], account: Account, extras: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """A full contact from its row and the ``_SELECT_EXTRAS`` rows (its tags and notes)."""
    tag_names: list[str] = []
    entries: list[NoteEntry] = []
    zone = _zone(account.time_zone)
    for kind, _seq, text, created in extras:
        if kind == 0:
            tag_names.append(text)
        else:
            entries.append(NoteEntry(datetime.fromisoformat(created).astimezone(zone).replace(tzinfo=None), text))
    return {
        "uid": m["uid"],
        "email": m["email"],
        "phone": m["phone"],
        "firstName": m["first_name"],
        "lastName": m["last_name"],
        "businessName": m["business_name"],
        "birthday": m["birthday"],
        "address": m["address"],
        "city": m["city"],
        "state": m["state"],
        "zipcode": m["zipcode"],
        "timeZone": m["time_zone"],
        "value": m["value"],
        "stageName": m["stage_name"] or "",
        "qualityName": m["quality_name"] or "",
        "ownerEmail": m["owner_email"] or "",
        "snapshot": m["snapshot"],
        "notes": contract.render_notes(entries),
        "tags": tag_names,
        "created": m["created"],
        "lastUpdate": m["last_update"],
    }


class _Prepared:
    """A Core statement compiled once for the engine's dialect and run straight on a DBAPI cursor.

    The hot GET path is two tiny indexed queries; SQLAlchemy's per-execution machinery costs several times
    what SQLite does, so those two skip it. Compiling for the engine's dialect keeps this driver-neutral.
    """

    def __init__(self, statement: sa.Select[Any] | sa.CompoundSelect[Any], dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order = list(compiled.positiontup or []) if compiled.positional else None
        self.columns = [str(column.key) for column in statement.selected_columns]

    def run(self, dbapi_connection: Any, values: Mapping[str, Any]) -> list[Any]:
        params: Any = tuple(values[name] for name in self.order) if self.order is not None else dict(values)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()
