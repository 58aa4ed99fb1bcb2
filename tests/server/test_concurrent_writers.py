"""Two stores on one SQLite file, as two server processes (or a server and the CLI) are: each change reads and
writes one state, whatever the other does in between.

The other store's change is started at the moment the first one is about to write, after its reads; it may
finish only once the first has committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from crmdesk.contract import ContactInput, ContractError
from crmdesk.server.store import Account, NotFound, Store, contact_tags, tags

#: How long the first change waits for the other to finish before writing. The other cannot finish before the
#: first commits when changes take the write lock first; without that it finishes in milliseconds.
OVERLAP_S = 0.5


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[Store, Store, Account]]:
    path = tmp_path / "shared.sqlite3"
    first = Store(f"sqlite:///{path}")
    first.add_account("Team", "pro", token="team-token-for-concurrency-tests")
    second = Store(f"sqlite:///{path}")
    try:
        yield first, second, first.account("Team")
    finally:
        first.close()
        second.close()


class OtherChange:
    """``change`` run in a thread as soon as ``store`` is about to run a statement starting with ``before``; the
    store then gives it OVERLAP_S to finish before going on."""

    def __init__(self, store: Store, before: str, change: Callable[[], Any]) -> None:
        self._change = change
        self._before = before
        self._done = threading.Event()
        self._outcome: object = None
        self._started = False
        event.listen(store.engine, "before_cursor_execute", self._hook)

    def _hook(self, *args: Any) -> None:
        statement: str = args[2]
        if not self._started and statement.lstrip().upper().startswith(self._before):
            self._started = True
            threading.Thread(target=self._run, daemon=True).start()
            self._done.wait(OVERLAP_S)

    def _run(self) -> None:
        try:
            self._outcome = self._change()
        except Exception as exc:
            self._outcome = exc
        self._done.set()

    def outcome(self) -> object:
        """What the change returned or raised, once it has finished."""
        assert self._started, "the statement the change waited for never ran"
        assert self._done.wait(15), "the other store's change never finished"
        return self._outcome


def test_a_new_tag_added_through_both_stores_at_once_is_made_once_and_linked_to_both(
    two_stores: tuple[Store, Store, Account],
) -> None:
    first, second, account = two_stores
    one = first.create(account, ContactInput(fields={"firstName": "Ana", "phone": "1"}))["uid"]
    two = first.create(account, ContactInput(fields={"firstName": "Bia", "phone": "2"}))["uid"]

    other = OtherChange(first, "INSERT INTO TAGS", lambda: second.add_tag(account, "uid", two, "Hot lead"))
    first.add_tag(account, "uid", one, "hot lead")

    answer = other.outcome()
    assert isinstance(answer, dict), answer
    assert answer["tagName"] == "hot lead"  # the spelling stored first
    with first.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tags)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(contact_tags)).scalar() == 2


def test_a_note_added_while_another_store_deletes_the_contact_is_not_found_rather_than_failing(
    two_stores: tuple[Store, Store, Account],
) -> None:
    first, second, account = two_stores
    uid = first.create(account, ContactInput(fields={"firstName": "Ana", "phone": "1"}))["uid"]

    # The delete starts after the note's lookup found the contact; it waits, then removes contact and note.
    other = OtherChange(first, "INSERT INTO NOTES", lambda: second.delete(account, uid))
    first.add_note(account, "uid", uid, "Called, left a voicemail")

    assert other.outcome() is None
    with pytest.raises(NotFound):
        first.lookup(account, "uid", uid)


def test_clearing_the_email_and_the_phone_at_once_leaves_one_of_them(
    two_stores: tuple[Store, Store, Account],
) -> None:
    first, second, account = two_stores
    uid = first.create(account, ContactInput(fields={"firstName": "Ana", "email": "ana@example.com", "phone": "1"}))[
        "uid"
    ]

    other = OtherChange(
        first, "UPDATE CONTACTS", lambda: second.update(account, ContactInput(fields={"phone": ""}, uid=uid))
    )
    first.update(account, ContactInput(fields={"email": ""}, uid=uid))

    refused = other.outcome()
    assert isinstance(refused, ContractError), refused  # the contact must keep an email or a phone
    contact = first.lookup(account, "uid", uid)
    assert isinstance(contact, dict)
    assert contact["email"] == "" and contact["phone"] == "1"
