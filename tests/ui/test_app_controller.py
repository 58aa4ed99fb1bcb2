"""The composition root in-process: stored tokens, 401 routing to sign-in, sign-out, demo mode and its server."""

from __future__ import annotations

import argparse
import gc
import html
import json
import logging
import os
import re
import signal
import sys
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import httpx
import keyring
import keyring.errors
import pytest
from PySide6.QtCore import QProcess, QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from crmdesk import heap
from crmdesk.api.client import ContactApi
from crmdesk.app import AppController, parse_args
from crmdesk.paths import profile_dir
from crmdesk.server import demo_data
from crmdesk.services import server_files
from crmdesk.services.credentials import SERVICE
from crmdesk.services.demo import DemoServer
from crmdesk.services.profiles import Profiles
from crmdesk.services.recent import RecentList
from crmdesk.services.recovery import Draft, UnsavedWork, UnsavedWorkFile
from crmdesk.services.registry import Registry
from crmdesk.ui.main_window import MainWindow
from crmdesk.ui.sign_in import SignInDialog
from tests.support.live_server import Account, LiveServer
from tests.support.qt_fixtures import MemoryKeyring
from tests.support.stall_probe import StallProbe
from tests.ui.contact_support import FailingTransport, HeldTransport
from tests.ui.shell_support import closed_port, create_contacts, dark_scheme, on_server, run, unwritable_settings


@pytest.fixture
def controller(qtbot: QtBot, qasync_loop: object, private_settings: object) -> Iterator[AppController]:
    made: list[AppController] = []

    def make(*argv: str) -> AppController:
        made.append(AppController(parse_args(list(argv))))
        return made[-1]

    yield make  # type: ignore[misc]
    for app in made:
        run(qtbot, app.shutdown(), timeout=20_000)


def _args(*argv: str) -> argparse.Namespace:
    return parse_args(list(argv))


def _remembered(
    account: Account, keyring: MemoryKeyring | None = None, token: str | None = None, *, hint: bool = True
) -> None:
    """Profile "work" as a rep left it: its server, and the hint that the keyring holds its token, given for that
    server. With ``keyring``, it does hold ``token`` (the account's own by default); without, it no longer does.
    Without ``hint``, the keyring holds it all the same (a sign-out the keyring would not remove it for)."""
    if keyring is not None:
        keyring.passwords[(SERVICE, "work")] = token or account.token
    Profiles().set_base_url("work", account.base_url)
    Profiles().set_token_remembered("work", True, server=account.base_url)
    if not hint:
        Profiles().set_token_remembered("work", False)


def _left_by_an_older_version(account: Account, keyring: MemoryKeyring) -> None:
    """Profile "work" as a CRMDesk before tokenServer left it: the hint and the token, no note of the server."""
    keyring.passwords[(SERVICE, "work")] = account.token
    QSettings().setValue("profiles/work/baseUrl", account.base_url)
    QSettings().setValue("profiles/work/tokenRemembered", True)


def _keyring_refuses(monkeypatch: pytest.MonkeyPatch, backend: MemoryKeyring, method: str) -> None:
    """``method`` of the keyring raises as a locked keyring does (its unlock prompt dismissed)."""

    def locked(*_args: str) -> None:
        raise keyring.errors.KeyringLocked("the unlock prompt was dismissed")

    monkeypatch.setattr(backend, method, locked)


@contextmanager
def _nothing_sent_to(qtbot: QtBot, server: LiveServer) -> Iterator[None]:
    """No request reaches ``server`` during the block (nor in the moments after it)."""
    heard_before = server.stderr.count("/api/contact")
    yield
    qtbot.wait(300)
    assert server.stderr.count("/api/contact") == heard_before


def test_flags_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    args = _args("--demo", "--profile", "work", "--base-url", "http://127.0.0.1:9")
    assert args.demo and args.profile == "work" and args.base_url == "http://127.0.0.1:9"
    assert _args("--profile", "console.team-2").profile == "console.team-2"
    for bad in ("../evil", "work\n", "", "demo", "Demo"):  # a trailing newline once passed the name check; the
        # demo's profile would share its Recent list and its sample settings with a real account
        with pytest.raises(SystemExit):
            _args("--profile", bad)
    # Folders Windows cannot make: refused there; elsewhere a profile of that name (made earlier) stays usable.
    windows_only = ("work.", "CON", "nul.work", "Com1")
    assert all(_args("--profile", name).profile == name for name in windows_only)
    monkeypatch.setattr(sys, "platform", "win32")
    for bad in windows_only:
        with pytest.raises(SystemExit):
            _args("--profile", bad)


def test_a_remembered_token_opens_the_window_and_a_401_routes_back_to_sign_in(
    qtbot: QtBot, controller: object, live_server: LiveServer, account: Account, memory_keyring: MemoryKeyring
) -> None:
    _remembered(account, memory_keyring, hint=False)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    window = app.window
    assert window is not None and app.sign_in is None
    assert window.session.is_ready()  # no hint (a sign-out the keyring refused): read before the window
    assert Profiles().token_remembered("work")  # so the next start opens the window first
    assert window.connection_label.text() == f"Server {window.session.host} · profile work"
    live_server.store.replace_tokens(account.name, "test-replaced-token")  # revoked while the app is open
    window.request_search("someone@example.com")
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=15_000)
    # The sign-in dialog is back (mypy still holds it None from the assert above).
    assert "no longer accepts the token" in cast(SignInDialog, app.sign_in).message.text()
    qtbot.waitUntil(lambda: memory_keyring.passwords == {}, timeout=5_000)  # the dead token is not kept


def _refused_while_editing(
    qtbot: QtBot,
    controller: object,
    live_server: LiveServer,
    account: Account,
    memory_keyring: MemoryKeyring,
    new_token: str,
) -> tuple[AppController, MainWindow, QLineEdit, str]:
    """A window with a contact open and its city changed to Recife, unsaved, when the server revokes the token.

    Saving then gets a 401, and the sign-in dialog is up over the window. Returns the app, the window, the city
    field and the contact's uid.
    """
    (ref,) = create_contacts(qtbot, account, {"name": "Rita Lee", "email": "rita@example.com", "city": "Santos"})
    _remembered(account, memory_keyring)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    window = app.window
    assert window is not None
    window.request_search(ref.uid)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    city = window.contact_view.findChild(QLineEdit, "city")
    assert city is not None
    city.selectAll()
    qtbot.keyClicks(city, "Recife")
    assert window.contact_view.has_unsaved_changes()

    live_server.store.replace_tokens(account.name, new_token)  # revoked while the edit is open; refused at once
    window.contact_view.save()
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=15_000)
    return app, window, city, ref.uid


@pytest.mark.parametrize("written", ["as before", "with a trailing slash"])
def test_signing_in_again_after_a_401_keeps_the_window_and_the_unsaved_edits(
    qtbot: QtBot,
    controller: object,
    live_server: LiveServer,
    account: Account,
    memory_keyring: MemoryKeyring,
    written: str,
) -> None:
    new_token = "test-second-token" if written == "as before" else "test-second-token-slash"  # one per account
    app, window, city, uid = _refused_while_editing(qtbot, controller, live_server, account, memory_keyring, new_token)
    assert city.text() == "Recife" and window.contact_view.has_unsaved_changes()

    dialog = app.sign_in
    assert dialog is not None
    if written != "as before":  # the same server, typed again under Advanced
        dialog.base_url_field.setText(account.base_url + "/")
    dialog.token_field.setText(new_token)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: app.sign_in is None, timeout=15_000)
    assert app.window is window  # the same window: nothing the rep typed was thrown away
    assert city.text() == "Recife" and window.contact_view.has_unsaved_changes()
    qtbot.waitUntil(lambda: memory_keyring.passwords.get((SERVICE, "work")) == new_token, timeout=5_000)

    window.contact_view.save()
    qtbot.waitUntil(lambda: not window.contact_view.has_unsaved_changes(), timeout=15_000)

    async def read_back() -> str:
        async with ContactApi(account.base_url, new_token) as api:
            contact = await api.get_contact(uid=uid)
            assert not isinstance(contact, list)
            return contact.city

    assert run(qtbot, read_back()) == "Recife"


@pytest.mark.slow
def test_leaving_a_refused_window_for_the_demo_asks_before_its_edits_go(
    qtbot: QtBot, controller: object, live_server: LiveServer, account: Account, memory_keyring: MemoryKeyring
) -> None:
    app, window, city, _uid = _refused_while_editing(
        qtbot, controller, live_server, account, memory_keyring, "test-third-token"
    )

    def question() -> QMessageBox | None:
        box = window.findChild(QMessageBox, "replaceWindowDialog")
        return box if box is not None and box.isVisible() else None

    # "Try the demo" would close this window: it asks first, and Cancel keeps the window and what was typed.
    app.sign_in.demo_button.click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: question() is not None, timeout=30_000)
    box = question()
    assert box is not None and "unsaved changes" in box.text()
    demo = app.demo
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert app.window is window and city.text() == "Recife" and window.contact_view.has_unsaved_changes()
    assert app.demo is None  # the demo server started for nothing is stopped
    assert demo is not None
    qtbot.waitUntil(lambda: not demo.is_running(), timeout=20_000)

    # Asked again, Discard lets the demo take the window's place.
    unsaved_file = profile_dir("work") / "unsaved.json"
    qtbot.waitUntil(unsaved_file.exists, timeout=5_000)  # the edit, kept against a crash meanwhile
    app.show_sign_in()
    app.sign_in.demo_button.click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: question() is not None, timeout=30_000)
    question().button(QMessageBox.StandardButton.Discard).click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: app.window is not window and app.window is not None, timeout=15_000)
    assert app.window is not None and app.window.session.demo
    # Discarded by the rep: the next start of the profile must not offer it back as lost to a crash.
    gc.collect()  # the replaced window goes, and would write what it still holds
    QApplication.processEvents()
    assert not unsaved_file.exists()


@pytest.fixture
def second_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Another server than ``live_server``, for a profile that signs in to one and then the other."""
    with LiveServer(tmp_path / "elsewhere.sqlite3") as server:
        yield server


def test_signing_in_to_another_server_sets_the_first_ones_customers_aside_until_it_comes_back(
    qtbot: QtBot,
    controller: object,
    live_server: LiveServer,
    account: Account,
    memory_keyring: MemoryKeyring,
    second_server: LiveServer,
) -> None:
    # What an earlier run left unsaved, still unanswered: it names one of this server's customers. And the account
    # stamps its notes at UTC−3, as learned from one of them.
    kept = UnsavedWork(drafts=(Draft("AB12CD34", "Zelda Private", note="Owes us a call"),))
    UnsavedWorkFile("work", lambda: kept).flush()
    Registry.load("work").merge(account_time_zone="Etc/GMT+3")
    app, window, city, _uid = _refused_while_editing(
        qtbot, controller, live_server, account, memory_keyring, "test-fourth-token"
    )
    window.recent.flush()
    recent_file = profile_dir("work") / "recent.json"
    assert "rita@example.com" in recent_file.read_text(encoding="utf-8")
    other = second_server.add_account()

    def sign_in_to(base_url: str, token: str) -> None:
        dialog = app.sign_in
        assert dialog is not None
        dialog.advanced.setChecked(True)
        dialog.base_url_field.setText(base_url)
        dialog.token_field.setText(token)
        dialog.sign_in_button.click()

    def question() -> QMessageBox | None:
        box = window.findChild(QMessageBox, "replaceWindowDialog")
        return box if box is not None and box.isVisible() else None

    # The rep keeps the window and its edit: the profile stays as it was, for signing in to this server again.
    sign_in_to(other.base_url, other.token)
    qtbot.waitUntil(lambda: question() is not None, timeout=15_000)
    question().button(QMessageBox.StandardButton.Cancel).click()  # type: ignore[union-attr]
    assert app.window is window and city.text() == "Recife"
    qtbot.wait(200)  # a keyring write would run in a worker
    assert Profiles().base_url("work") == account.base_url and not Profiles().token_remembered("work")
    assert memory_keyring.passwords == {}  # the refused token went, and the other server's never came

    app.show_sign_in()
    sign_in_to(other.base_url, other.token)
    qtbot.waitUntil(lambda: question() is not None, timeout=15_000)
    question().button(QMessageBox.StandardButton.Discard).click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: app.window is not window and app.window is not None, timeout=15_000)
    there = app.window
    assert there is not None and there.session.base_url == other.base_url
    qtbot.waitUntil(lambda: memory_keyring.passwords.get((SERVICE, "work")) == other.token, timeout=5_000)
    # None of the first server's customers: not in Recent, not offered back as unsaved work; nor its account's zone.
    assert there.recent.entries() == [] and there.recent_list.count() == 0
    assert there.registry.account_time_zone() == ""
    assert there.unsaved is not None and there.unsaved.left_over().is_empty()
    (mine,) = create_contacts(qtbot, other, {"name": "Bruno Dias", "email": "bruno@example.com"})
    there.request_search(mine.uid)
    qtbot.waitUntil(lambda: [e.uid for e in there.recent.entries()] == [mine.uid], timeout=15_000)

    # Back to the first server (its token renewed): its Recent list and the unanswered work come back, and the
    # other server's list goes aside in turn.
    second_server.store.replace_tokens(other.name, "test-other-renewed")
    there.request_search("someone@example.com")
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=15_000)
    sign_in_to(account.base_url, "test-fourth-token")
    qtbot.waitUntil(lambda: app.window is not there and app.window is not None, timeout=15_000)
    back = app.window
    assert back is not None
    assert [e.email for e in back.recent.entries()] == ["rita@example.com"]
    assert back.unsaved is not None and back.unsaved.left_over() == kept
    assert back.registry.account_time_zone() == "Etc/GMT+3"


def test_sign_out_clears_the_token_and_shows_sign_in(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    _remembered(account, memory_keyring)
    # The profile once signed in to another server: what it set aside for that one names its customers.
    elsewhere = RecentList("work")
    elsewhere.add("ZZZZ9999", "Someone Elsewhere", "someone@elsewhere.example")
    elsewhere.flush()
    server_files.use_server("work", account.base_url, settings_server="http://127.0.0.1:9", account_time_zone="")
    aside = profile_dir("work") / server_files.ASIDE

    def set_aside() -> str:
        return "".join(p.read_text(encoding="utf-8") for p in aside.rglob("*.json"))

    assert "someone@elsewhere.example" in set_aside()
    # What an earlier run left unsaved names a customer too; the offer of it is still unanswered at the sign-out.
    kept = UnsavedWork(drafts=(Draft("AB12CD34", "Zelda Private", note="Owes us a call"),))
    left_over = UnsavedWorkFile("work", lambda: kept)
    left_over.flush()
    assert left_over.path is not None and "Zelda Private" in left_over.path.read_text(encoding="utf-8")
    unsaved_file = left_over.path
    app: AppController = controller("--profile", "work", "--base-url", account.base_url)  # type: ignore[operator]
    app.start()
    assert app.window is not None
    assert app.window.unsaved is not None and app.window.unsaved.left_over() == kept
    app.window.recent.add("AB12CD34", "Zelda Private", "zelda@example.org", "+5511912345678")
    app.window.recent.flush()
    recent_file = profile_dir("work") / "recent.json"
    assert "zelda@example.org" in recent_file.read_text(encoding="utf-8")
    app.window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=5_000)
    assert app.window is None
    qtbot.waitUntil(lambda: memory_keyring.passwords == {}, timeout=5_000)
    assert app.credentials.load("work") is None
    assert not Profiles().token_remembered("work")
    # Whoever signs in next, perhaps to another account, finds none of this account's customers.
    gc.collect()  # the retired window's list writes what it still holds when it goes
    QApplication.processEvents()
    assert not recent_file.exists() and not unsaved_file.exists() and "someone@elsewhere" not in set_aside()
    assert RecentList("work").entries() == []


class GatedKeyring(MemoryKeyring):
    """A keyring that answers only once the test opens the gate, like one that is slow or waits to be unlocked."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.read_on: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.read_on.append(threading.current_thread().name)
        assert self.gate.wait(20), "the test never opened the keyring"
        return super().get_password(service, username)


@pytest.fixture
def gated_keyring() -> Iterator[GatedKeyring]:
    import keyring

    backend = GatedKeyring()
    keyring.set_keyring(backend)  # memory_keyring (autouse) puts the previous backend back afterwards
    yield backend
    backend.gate.set()


def test_a_remembered_token_shows_the_window_first_and_a_search_waits_for_the_keyring(
    qtbot: QtBot, controller: object, account: Account, gated_keyring: GatedKeyring
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Nina Simone", "email": "nina@example.com"})
    _remembered(account, gated_keyring)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    window = app.window
    assert window is not None and window.isVisible() and app.sign_in is None
    assert not window.session.is_ready()
    assert "keyring" in window.statusBar().currentMessage()
    waiting = window.findChild(QLabel, "sessionWait")  # the contact area says why it is empty
    assert waiting is not None and waiting.isVisible()
    assert "profile work" in waiting.text() and "unlock" in waiting.text()
    window.request_search("nina@example.com")  # typed before the keyring answered: kept, not lost
    assert window.results_status.text() == "Will look up “nina@example.com” as soon as the session is ready."
    qtbot.waitUntil(lambda: gated_keyring.read_on != [], timeout=5_000)
    assert gated_keyring.read_on == ["crmdesk-token-reader"]  # never on the UI thread
    qtbot.wait(100)
    assert not window.session.is_ready() and window.statusBar().currentMessage()

    gated_keyring.gate.set()
    qtbot.waitUntil(window.session.is_ready, timeout=5_000)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    assert window.results_status.text() == "Found Nina Simone."
    qtbot.waitUntil(lambda: window.findChild(QLabel, "sessionWait") is None, timeout=5_000)  # the view took its place
    assert app.window is window
    assert window.statusBar().currentMessage() == ""


def test_a_remembered_token_that_is_gone_asks_to_sign_in_over_the_window(
    qtbot: QtBot, controller: object, account: Account, gated_keyring: GatedKeyring
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Elza Soares", "email": "elza@example.com"})
    _remembered(account)  # but the keyring no longer has it
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    window = app.window
    assert window is not None
    window.request_search(ref.uid)
    gated_keyring.gate.set()
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=5_000)
    assert app.sign_in is not None
    assert "No saved token was found for profile work" in app.sign_in.message.text()
    assert not Profiles().token_remembered("work")

    app.sign_in.token_field.setText(account.token)
    app.sign_in.sign_in_button.click()
    qtbot.waitUntil(lambda: app.sign_in is None, timeout=15_000)
    assert app.window is window and window.session.is_ready()  # the same window carries on
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    assert gated_keyring.passwords[(SERVICE, "work")] == account.token
    assert Profiles().token_remembered("work")


def test_a_keyring_that_fails_to_answer_asks_to_sign_in_and_keeps_the_hint(
    qtbot: QtBot, controller: object, account: Account, gated_keyring: GatedKeyring
) -> None:
    import keyring.errors

    def locked(service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the user dismissed the unlock prompt")

    gated_keyring.get_password = locked  # type: ignore[method-assign]
    _remembered(account, gated_keyring)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=5_000)
    assert app.sign_in is not None
    assert "Could not read the saved token for profile work" in app.sign_in.message.text()
    assert "KeyringLocked" in app.sign_in.message.text()
    assert Profiles().token_remembered("work")  # still there, most likely: the next start tries again
    assert app.window is not None and app.window.statusBar().currentMessage() == ""


def test_cancelling_sign_in_when_the_remembered_token_is_gone_ends_the_app(
    qtbot: QtBot, controller: object, account: Account, gated_keyring: GatedKeyring
) -> None:
    _remembered(account)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    gated_keyring.gate.set()
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=5_000)
    assert app.sign_in is not None
    app.sign_in.reject()
    qtbot.waitUntil(lambda: app.exit_code is not None, timeout=5_000)
    assert app.exit_code == 0


def test_start_up_objects_are_frozen_once_the_window_has_settled(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(heap, "STARTUP_SETTLE_MS", 400)

    def freeze_startup_objects() -> bool:
        frozen.append(True)
        return True

    monkeypatch.setattr(heap, "freeze_startup_objects", freeze_startup_objects)
    monkeypatch.setenv("CRMDESK_TOKEN", account.token)
    app: AppController = controller("--profile", "ci", "--base-url", account.base_url)  # type: ignore[operator]
    app.start()
    assert app.window is not None
    qtbot.wait(150)  # the window has shown and settled a little; a Qt timer never fires early
    assert frozen == []
    qtbot.waitUntil(lambda: frozen == [True], timeout=5_000)


def test_env_token_is_used_for_the_session_and_never_stored(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRMDESK_TOKEN", account.token)
    app: AppController = controller("--profile", "ci", "--base-url", account.base_url)  # type: ignore[operator]
    app.start()
    assert app.window is not None and app.sign_in is None
    assert memory_keyring.passwords == {}
    # Nor handed on: the programs the app starts (a browser, a mail or phone app) inherit its environment.
    assert "CRMDESK_TOKEN" not in os.environ


def test_a_refused_env_token_leaves_the_remembered_token_alone(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _remembered(account, memory_keyring)  # what the rep remembered, still good
    monkeypatch.setenv("CRMDESK_TOKEN", "tok_stale-script-0123456789")  # a stale variable left in a shell
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    assert app.window is not None
    app.window.request_search("someone@example.com")
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=15_000)
    qtbot.wait(200)  # the keyring is written in a worker thread: give a wrong delete the time to land
    assert memory_keyring.passwords == {(SERVICE, "work"): account.token}
    assert Profiles().token_remembered("work")


def test_signing_out_of_an_env_token_session_leaves_the_remembered_token_alone(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _remembered(account, memory_keyring, "tok_remembered-0123456789abcdef")
    monkeypatch.setenv("CRMDESK_TOKEN", account.token)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    assert app.window is not None
    app.window.sign_out()
    qtbot.waitUntil(lambda: app.window is None and app.sign_in is not None)
    qtbot.wait(200)
    assert memory_keyring.passwords == {(SERVICE, "work"): "tok_remembered-0123456789abcdef"}


def test_signing_out_of_an_env_token_run_on_another_server_keeps_the_profiles_own_recent_list(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    second_server: LiveServer,
) -> None:
    """A one-off scripted run against another server sets the profile's files aside; its Sign out must not remove
    them: the profile's own server is still signed in, its token in the keyring."""
    _remembered(account, memory_keyring)
    own = RecentList("work")
    own.add("AAAA1111", "Ana Lima", "ana@example.com")
    own.flush()
    other = second_server.add_account()
    monkeypatch.setenv("CRMDESK_TOKEN", other.token)
    app: AppController = controller("--profile", "work", "--base-url", other.base_url)  # type: ignore[operator]
    app.start()
    assert app.window is not None and app.window.session.base_url == other.base_url
    assert app.window.recent.entries() == []  # set aside while this run lasts
    app.window.sign_out()
    qtbot.waitUntil(lambda: app.window is None and app.sign_in is not None)
    # The next ordinary start, on the profile's own server:
    server_files.use_server("work", account.base_url, settings_server=account.base_url, account_time_zone="")
    assert [entry.uid for entry in RecentList("work").entries()] == ["AAAA1111"]


@pytest.mark.parametrize("keyring_deletes", [True, False], ids=["keyring removes it", "keyring refuses"])
def test_a_token_remembered_for_one_server_never_goes_to_another_the_profile_signed_in_to_unremembered(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    second_server: LiveServer,
    keyring_deletes: bool,
) -> None:
    _remembered(account, memory_keyring)  # profile work: this server's token in the keyring
    if not keyring_deletes:
        _keyring_refuses(monkeypatch, memory_keyring, "delete_password")
    other = second_server.add_account()
    # A shortcut for another server: sign-in asks for that server's token, and the rep does not tick Remember.
    app: AppController = controller("--profile", "work", "--base-url", other.base_url)  # type: ignore[operator]
    app.start()
    dialog = app.sign_in
    assert dialog is not None and app.window is None
    dialog.remember.setChecked(False)
    dialog.token_field.setText(other.token)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: app.window is not None, timeout=15_000)
    qtbot.wait(200)  # the keyring write runs in a worker
    kept = memory_keyring.passwords.get((SERVICE, "work"))
    assert kept == (None if keyring_deletes else account.token)
    run(qtbot, app.shutdown(), timeout=20_000)

    # The next plain start, on the profile's server now: the first server's token is not sent there.
    again: AppController = controller("--profile", "work")  # type: ignore[operator]
    with _nothing_sent_to(qtbot, second_server):
        again.start()
        assert again.window is None and again.sign_in is not None
    if not keyring_deletes:  # nor with --base-url naming it; and the advice leads to the token's own server
        run(qtbot, again.shutdown(), timeout=20_000)
        named: AppController = controller("--profile", "work", "--base-url", other.base_url)  # type: ignore[operator]
        named.start()
        assert named.sign_in is not None
        assert named.sign_in.message.text().endswith(f"or start with --base-url {account.base_url}.")


def test_a_token_remembered_for_the_profiles_new_server_opens_it_at_the_next_start(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring, second_server: LiveServer
) -> None:
    _remembered(account, memory_keyring)  # profile work: the first server's token in the keyring
    other = second_server.add_account()
    app: AppController = controller("--profile", "work", "--base-url", other.base_url)  # type: ignore[operator]
    app.start()
    assert app.sign_in is not None and app.sign_in.remember.isChecked()
    app.sign_in.token_field.setText(other.token)
    app.sign_in.sign_in_button.click()
    qtbot.waitUntil(lambda: memory_keyring.passwords.get((SERVICE, "work")) == other.token, timeout=15_000)
    qtbot.waitUntil(lambda: Profiles().token_remembered("work"), timeout=5_000)
    run(qtbot, app.shutdown(), timeout=20_000)
    again: AppController = controller("--profile", "work")  # type: ignore[operator]
    again.start()
    assert again.sign_in is None and again.window is not None
    assert again.window.session.base_url == other.base_url


def test_a_plain_start_opens_the_profile_used_last_not_the_one_signed_in_to_last(
    qtbot: QtBot,
    controller: object,
    live_server: LiveServer,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Profiles().set_last_used("personal")  # signed in to once, through the dialog
    _remembered(account, memory_keyring)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    assert app.window is not None  # opened from the keyring: no sign-in
    assert Profiles().last_used() == "work"
    # A scripted run with a token from the environment is for that run only, and leaves it...
    monkeypatch.setenv("CRMDESK_TOKEN", account.token)
    scripted: AppController = controller("--profile", "reports", "--base-url", account.base_url)  # type: ignore[operator]
    scripted.start()
    assert scripted.window is not None and Profiles().last_used() == "work"
    # ...until its token is refused and the rep signs in to that window: then it is theirs.
    live_server.store.replace_tokens(account.name, "test-rep-signs-in")
    scripted.window.request_search("someone@example.com")
    qtbot.waitUntil(lambda: scripted.sign_in is not None and scripted.sign_in.isVisible(), timeout=15_000)
    dialog = scripted.sign_in
    assert dialog is not None
    dialog.token_field.setText("test-rep-signs-in")
    window = scripted.window
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: scripted.sign_in is None, timeout=15_000)
    assert scripted.window is window and Profiles().last_used() == "reports"


def test_a_token_whose_server_is_not_known_is_sent_nowhere(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    """An older CRMDesk let go of a token without removing it (a sign-in elsewhere without Remember): the keyring
    holds it, but neither the hint nor the note of its server. Whose it is cannot be told."""
    memory_keyring.passwords[(SERVICE, "work")] = account.token
    Profiles().set_base_url("work", account.base_url)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    assert app.window is None and app.sign_in is not None
    assert app.sign_in.message.text() == (
        "A token is saved for profile work, but not which server it was given for, so it is not sent anywhere. "
        "Sign in again."
    )


def test_a_token_an_older_version_remembered_stays_with_its_server_when_the_profile_moves(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    second_server: LiveServer,
) -> None:
    _left_by_an_older_version(account, memory_keyring)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    assert app.window is not None and app.sign_in is None  # opens from the keyring, as before
    run(qtbot, app.shutdown(), timeout=20_000)
    # A shortcut for another server, and the keyring refuses to store that server's token.
    other = second_server.add_account()

    _keyring_refuses(monkeypatch, memory_keyring, "set_password")
    elsewhere: AppController = controller("--profile", "work", "--base-url", other.base_url)  # type: ignore[operator]
    elsewhere.start()
    assert elsewhere.sign_in is not None
    elsewhere.sign_in.token_field.setText(other.token)
    elsewhere.sign_in.sign_in_button.click()
    qtbot.waitUntil(lambda: elsewhere.window is not None, timeout=15_000)
    qtbot.waitUntil(lambda: not Profiles().token_remembered("work"), timeout=5_000)
    run(qtbot, elsewhere.shutdown(), timeout=20_000)
    assert memory_keyring.passwords == {(SERVICE, "work"): account.token}
    # The desktop icon: the profile signs in to the other server now, and the first one's token is not sent there.
    plain: AppController = controller("--profile", "work")  # type: ignore[operator]
    with _nothing_sent_to(qtbot, second_server):
        plain.start()
        assert plain.window is None and plain.sign_in is not None
        assert plain.sign_in.message.text() == (
            f"The token saved for profile work is for {account.base_url}, so it is not sent to {other.base_url}, "
            f"where the profile signs in now. Sign in with that server's token, or start with --base-url "
            f"{account.base_url}."
        )


def test_a_token_an_older_version_remembered_is_pinned_to_its_server_before_a_sign_in_moves_the_profile(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    second_server: LiveServer,
) -> None:
    """Its first start after the upgrade is a scripted one for another server, refused; the rep signs in to it, and
    quits while the keyring's unlock prompt is still up: the hint the older version set is all the next start
    has."""
    _left_by_an_older_version(account, memory_keyring)
    other = second_server.add_account()
    monkeypatch.setenv("CRMDESK_TOKEN", "test-stale-scripted-token")
    scripted: AppController = controller("--profile", "work", "--base-url", other.base_url)  # type: ignore[operator]
    scripted.start()
    window = scripted.window
    assert window is not None
    window.request_search("someone@example.com")
    qtbot.waitUntil(lambda: scripted.sign_in is not None and scripted.sign_in.isVisible(), timeout=15_000)

    unlocked = threading.Event()

    def waiting_to_be_unlocked(service: str, username: str, password: str) -> None:
        unlocked.wait(20)
        raise keyring.errors.KeyringLocked("the unlock prompt was dismissed")

    monkeypatch.setattr(memory_keyring, "set_password", waiting_to_be_unlocked)
    dialog = scripted.sign_in
    assert dialog is not None
    dialog.token_field.setText(other.token)
    dialog.sign_in_button.click()
    try:
        qtbot.waitUntil(lambda: scripted.sign_in is None, timeout=15_000)
        run(qtbot, scripted.shutdown(), timeout=20_000)
        assert Profiles().base_url("work") == other.base_url and Profiles().token_remembered("work")
        plain: AppController = controller("--profile", "work")  # type: ignore[operator]
        with _nothing_sent_to(qtbot, second_server):
            plain.start()
            assert plain.window is None and plain.sign_in is not None
    finally:
        # A quit ends the worker with the process; here it is let go, and its answer taken within this test.
        unlocked.set()
        qtbot.waitUntil(lambda: not Profiles().token_remembered("work"), timeout=5_000)


def test_a_first_sign_in_that_cannot_be_remembered_says_so_in_the_window_it_opens(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring, private_settings: Path
) -> None:
    unwritable_settings(private_settings)
    app: AppController = controller("--profile", "work", "--base-url", account.base_url)  # type: ignore[operator]
    app.start()
    assert app.window is None and app.sign_in is not None and app.sign_in.remember.isChecked()
    app.sign_in.token_field.setText(account.token)
    app.sign_in.sign_in_button.click()
    qtbot.waitUntil(lambda: app.window is not None and app.window.banner.isVisible(), timeout=15_000)
    assert app.window is not None
    assert "cannot write its settings file" in app.window.banner.text()
    assert memory_keyring.passwords == {}


@pytest.mark.slow
def test_demo_mode_starts_a_child_server_without_stalling_the_ui(qtbot: QtBot, controller: object) -> None:
    email, uid = demo_data.CONTACTS[0]["email"], demo_data.CONTACTS[0]["uid"]
    longest: list[float] = []
    described: list[str] = []
    # A one-off scheduling hiccup on a shared machine can exceed the bound; a blocking call in the start-up
    # path shows in every start, so the stall must repeat in a second start to fail the test.
    for _start in range(2):
        app: AppController = controller("--demo")  # type: ignore[operator]
        with StallProbe(freeze_heap=True).running() as probe:
            app.start()
            # The window shows at once, before the server is up, and says what it is waiting for.
            window = app.window
            assert window is not None and window.isVisible() and app.sign_in is None
            assert not window.session.is_ready()
            waiting = window.findChild(QLabel, "sessionWait")
            assert waiting is not None and "Starting the demo server" in waiting.text()
            assert window.statusBar().currentMessage() == "Starting the demo server…"
            window.request_search(email)  # typed while the server starts: kept, and run once it is up
            qtbot.waitUntil(
                lambda window=window: window.contact_view_built() and window.contact_view.current_uid() == uid,  # type: ignore[misc]
                timeout=30_000,
            )
        assert len(probe.gaps) > 5
        longest.append(probe.longest_ms)
        described.append(probe.describe())
        if probe.longest_ms < 100:
            break
        run(qtbot, app.shutdown(), timeout=20_000)
    assert longest[-1] < 100, f"the UI thread stalled in every start: {'; '.join(described)}"
    assert window is not None
    assert app.window is window and window.session.is_ready()
    assert window.findChild(QLabel, "sessionWait") is None  # the contact view took its place
    assert window.connection_label.text() == "Demo — local server"
    assert app.demo is not None and app.demo.is_running()
    # The registry was pre-filled with the demo account's values.
    assert set(demo_data.STAGES) <= set(window.registry.stages())
    assert window.registry.account_time_zone() == demo_data.TIME_ZONE  # its note times show in local time
    demo = app.demo
    run(qtbot, app.shutdown(), timeout=20_000)
    assert not demo.is_running()


def _demo_up(qtbot: QtBot, app: AppController) -> tuple[MainWindow, DemoServer]:
    """``app`` started in demo mode, its window ready with the demo server up."""
    app.start()
    qtbot.waitUntil(lambda: app.window is not None and app.window.session.is_ready(), timeout=30_000)
    window, demo = app.window, app.demo
    assert window is not None and demo is not None
    return window, demo


def test_quitting_just_after_leaving_the_demo_lets_its_server_close_before_the_app_ends(
    qtbot: QtBot, controller: object
) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    window, demo = _demo_up(qtbot, app)
    assert demo._process is not None
    pid = demo._process.processId()
    exits: list[int] = []
    demo._process.finished.connect(lambda code, _status: exits.append(code))
    window.sign_out_action.trigger()  # leave the demo: its server is told to stop
    run(qtbot, app.shutdown(), timeout=20_000)  # and the app quits at once
    # The server ended by itself (stdin closed: it closes its database and exits 0), not killed with the app.
    assert exits == [0]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def _demo_whose_server_died(qtbot: QtBot, app: AppController, *, search: bool = False) -> MainWindow:
    """A demo window, a contact open if ``search``, whose server was then killed."""
    window, demo = _demo_up(qtbot, app)
    if search:
        window.request_search(demo_data.CONTACTS[0]["email"])
        qtbot.waitUntil(lambda: window.contact_view_built() and window.contact_view.current_uid() is not None)
    assert demo._process is not None
    os.kill(demo._process.processId(), signal.SIGKILL)
    qtbot.waitUntil(lambda: app.demo is None, timeout=10_000)
    return window


@pytest.mark.expected_warnings
def test_edits_typed_while_the_demo_restarts_are_asked_about_for_the_right_reason(
    qtbot: QtBot, controller: object
) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    window = _demo_whose_server_died(qtbot, app, search=True)
    window.restart_demo()
    cast(QLineEdit, window.contact_view.form.editor("lastName")).setText("Typed while it restarts")
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "replaceWindowDialog") is not None, timeout=30_000)
    box = window.findChild(QMessageBox, "replaceWindowDialog")
    assert box is not None
    assert box.informativeText() == (
        "Opening the demo closes this window. Its changes cannot be saved: its demo server stopped."
    )
    box.button(QMessageBox.StandardButton.Cancel).click()


@pytest.mark.expected_warnings  # the server's end is logged as an error
def test_a_demo_server_that_dies_mid_session_is_told_as_such_and_can_be_restarted(
    qtbot: QtBot, controller: object
) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    window = _demo_whose_server_died(qtbot, app)
    assert window.banner.text().startswith("The demo server stopped unexpectedly")
    assert window.connection_label.text() == "Demo — server stopped"
    # A search cannot reach it: the banner keeps saying why (not "check your connection") and how to go on.
    window.request_search(demo_data.CONTACTS[0]["email"])
    qtbot.waitUntil(lambda: not window.search.is_busy(), timeout=70_000)
    assert window.banner.text().startswith("Search not finished. The demo server stopped unexpectedly")
    assert "Check your connection" not in window.banner.text()
    [restart] = [button for button in window.banner.findChildren(QPushButton) if button.isVisible()]
    assert restart.text() == "Restart the demo"
    restart.click()
    qtbot.waitUntil(lambda: app.window is not None and app.window is not window, timeout=30_000)
    qtbot.waitUntil(lambda: app.window.session.is_ready(), timeout=30_000)  # type: ignore[union-attr]
    assert app.demo is not None and app.demo.is_running()
    app.window.request_search(demo_data.CONTACTS[0]["email"])  # type: ignore[union-attr]
    qtbot.waitUntil(
        lambda: (
            app.window.contact_view_built()  # type: ignore[union-attr]
            and app.window.contact_view.current_uid() == demo_data.CONTACTS[0]["uid"]  # type: ignore[union-attr]
        ),
        timeout=30_000,
    )


@pytest.mark.expected_warnings  # the server's end is logged as an error
def test_restarting_the_demo_with_a_note_on_its_way_asks_about_the_note_first(qtbot: QtBot, controller: object) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    window = _demo_whose_server_died(qtbot, app, search=True)
    view = window.contact_view
    view.notes.input.setPlainText("Called: wants the premium plan")
    view.notes.submit()  # on its way to a server that is gone: it fails after its retries
    window.restart_demo()
    # The note comes back to its box, and leaving asks about it before the window is replaced.
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox, "draftsDialog")), timeout=30_000)
    assert app.window is window and view.notes.input.toPlainText() == "Called: wants the premium plan"
    box = view.findChild(QMessageBox, "draftsDialog")
    assert box is not None
    leave = next(button for button in box.buttons() if button.text() == "Leave without adding")
    leave.click()
    qtbot.waitUntil(lambda: app.window is not None and app.window is not window, timeout=30_000)
    qtbot.waitUntil(lambda: app.window.session.is_ready(), timeout=30_000)  # type: ignore[union-attr]
    qtbot.wait(300)
    assert not app.window.banner.isVisible() or "inside CRMDesk" not in app.window.banner.text()


@pytest.mark.parametrize("remembered", [True, False], ids=["remembered", "found in the keyring"])
def test_a_saved_token_is_not_sent_to_another_server_named_with_base_url(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    remembered: bool,
) -> None:
    """A shortcut or phone tool set up for another server must not get the account's token unasked."""
    _remembered(account, memory_keyring, hint=remembered)
    sent: list[str] = []

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(f"{request.url.host}:{request.url.port} {request.headers.get('authorization', '')}")
            raise httpx.ConnectError("nothing listens here", request=request)

    _with_transport(monkeypatch, Recording())
    other = f"http://127.0.0.1:{closed_port()}"
    app: AppController = controller(  # type: ignore[operator]
        "--profile", "work", "--base-url", other, "--search", "someone@example.com"
    )
    app.start()
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=10_000)
    assert cast(SignInDialog, app.sign_in).message.text() == (
        f"The token saved for profile work is for {account.base_url}, so it is not sent to {other}. Sign in with "
        "that server's token, or start without --base-url."
    )
    assert cast(SignInDialog, app.sign_in).base_url_field.text() == other
    qtbot.wait(300)
    assert sent == []
    assert memory_keyring.passwords == {(SERVICE, "work"): account.token}  # kept for its own server


def test_a_demo_server_that_cannot_start_reports_why(
    qtbot: QtBot, qasync_loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmdesk.services.demo as demo_module

    monkeypatch.setattr(demo_module, "server_command", lambda: ("/nonexistent/crmdesk-python", []))
    demo = DemoServer()
    with qtbot.waitSignal(demo.failed, timeout=10_000) as failed:
        demo.start()
    assert "could not be started" in failed.args[0]
    run(qtbot, demo.stop())


def test_the_demo_server_is_not_handed_a_real_token_from_the_environment(
    qtbot: QtBot, qasync_loop: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import crmdesk.services.demo as demo_module

    seen = tmp_path / "environment.json"
    # A stand-in server: writes down the environment it was given, then says it listens.
    script = (
        "import json, os, sys, time; "
        f"open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ))); "
        "print('crmdesk-server: listening on http://127.0.0.1:9', flush=True); time.sleep(30)"
    )
    monkeypatch.setattr(demo_module, "server_command", lambda: (sys.executable, ["-c", script]))
    monkeypatch.setenv("CRMDESK_TOKEN", "test-a-real-accounts-token")
    demo = DemoServer()
    with qtbot.waitSignal(demo.started, timeout=10_000):
        demo.start()
    given = json.loads(seen.read_text(encoding="utf-8"))
    assert "CRMDESK_TOKEN" not in given and "test-a-real-accounts-token" not in seen.read_text(encoding="utf-8")
    assert given["CRMDESK_DEMO_TOKEN"] == demo.token
    run(qtbot, demo.stop())


def _demo_failed_to_start(qtbot: QtBot, app: AppController) -> tuple[MainWindow, SignInDialog]:
    """Start ``app`` (``--demo``, its server unable to start): its window shows, then says why, and sign-in
    offers itself over it."""
    app.start()
    window = app.window
    assert window is not None and window.isVisible()
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=10_000)
    assert app.sign_in is not None and "could not be started" in app.sign_in.message.text()
    waiting = window.findChild(QLabel, "sessionWait")  # the window no longer claims the server is starting
    assert waiting is not None and "could not be started" in waiting.text()
    return window, app.sign_in


@pytest.mark.expected_warnings
def test_a_demo_server_that_fails_while_the_window_waits_says_so_and_offers_sign_in(
    qtbot: QtBot, qasync_loop: object, private_settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmdesk.services.demo as demo_module

    monkeypatch.setattr(demo_module, "server_command", lambda: ("/nonexistent/crmdesk-python", []))
    exits: list[int] = []
    app = AppController(parse_args(["--demo"]), on_exit=exits.append)
    try:
        window, sign_in = _demo_failed_to_start(qtbot, app)
        assert window.statusBar().currentMessage() == ""
        sign_in.reject()
        qtbot.waitUntil(lambda: exits == [0], timeout=10_000)  # nothing left to wait for: the app ends
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


def test_the_demo_server_starts_before_its_window_is_built(
    qtbot: QtBot, qasync_loop: object, private_settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its start (~0.25 s of Python in a process of its own) overlaps the window's build instead of following it.
    windows_when_started: list[MainWindow | None] = []
    app = AppController(parse_args(["--demo"]), on_exit=lambda _code: None)
    monkeypatch.setattr(DemoServer, "start", lambda _demo: windows_when_started.append(app.window))
    try:
        app.start()
        assert windows_when_started == [None]
        assert app.window is not None and app.window.isVisible()  # then the window, waiting for the server
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


@pytest.mark.expected_warnings
def test_a_demo_server_that_fails_inside_its_start_call_leaves_a_window_that_says_why(
    qtbot: QtBot, qasync_loop: object, private_settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server is started before the window is built, and QProcess reports some failures (no pipes left to open)
    # before start() returns: the failure must still find the window, not leave it waiting for ever.
    def start_failing_at_once(process: QProcess, *_args: object) -> None:
        process.errorOccurred.emit(QProcess.ProcessError.FailedToStart)

    monkeypatch.setattr(QProcess, "start", start_failing_at_once)
    app = AppController(parse_args(["--demo"]), on_exit=lambda _code: None)
    try:
        _demo_failed_to_start(qtbot, app)
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


@pytest.mark.slow
@pytest.mark.expected_warnings
def test_trying_the_demo_again_after_it_failed_brings_the_waiting_window_to_life(
    qtbot: QtBot, controller: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmdesk.services.demo as demo_module

    monkeypatch.setattr(demo_module, "server_command", lambda: ("/nonexistent/crmdesk-python", []))
    app: AppController = controller("--demo")  # type: ignore[operator]
    app.start()
    window = app.window
    assert window is not None
    window.request_search(demo_data.CONTACTS[0]["email"])

    def sign_in_saying(text: str) -> SignInDialog:
        qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=10_000)
        assert app.sign_in is not None and text in app.sign_in.message.text() and app.sign_in.demo_button.isEnabled()
        return app.sign_in

    def waiting_texts() -> list[str]:
        return [label.text() for label in window.findChildren(QLabel, "sessionWait") if label.isVisibleTo(window)]

    sign_in_saying("could not be started").demo_button.click()
    # The dialog gives way to the same window, which no longer shows the failure while the new server starts.
    assert app.sign_in is None and app.window is window
    assert waiting_texts() and all("Starting the demo server" in text for text in waiting_texts()), waiting_texts()
    # Failing again brings sign-in back, ready for another try rather than busy for ever.
    dialog = sign_in_saying("could not be started")
    monkeypatch.undo()  # whatever stopped it is fixed
    dialog.demo_button.click()
    assert waiting_texts() and all("Starting the demo server" in text for text in waiting_texts()), waiting_texts()
    qtbot.waitUntil(window.session.is_ready, timeout=30_000)
    assert app.window is window and app.sign_in is None
    # The search typed before the failure was kept, and runs now.
    qtbot.waitUntil(
        lambda: window.contact_view_built() and window.contact_view.current_uid() == demo_data.CONTACTS[0]["uid"],
        timeout=15_000,
    )


@pytest.mark.slow
@pytest.mark.expected_warnings
def test_a_demo_server_too_slow_to_start_is_stopped_and_never_turns_up_later(
    qtbot: QtBot, controller: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmdesk.services.demo as demo_module

    monkeypatch.setattr(demo_module, "START_TIMEOUT_MS", 1)  # the real server takes far longer than this
    app: AppController = controller("--demo")  # type: ignore[operator]
    app.start()
    window, demo = app.window, app.demo
    assert window is not None and demo is not None
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=10_000)
    assert "did not start within" in app.sign_in.message.text()  # type: ignore[union-attr]
    assert app.demo is None  # "Try the demo" starts a new server rather than waiting for this one
    qtbot.waitUntil(lambda: not demo.is_running(), timeout=20_000)
    assert demo.base_url is None  # stopped before it could report in: nothing opens later
    assert app.window is window and not window.session.is_ready()


def test_signing_in_from_the_demo_stops_its_server(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    _window, demo = _demo_up(qtbot, app)
    app.show_sign_in()
    dialog = app.sign_in
    assert dialog is not None
    dialog.base_url_field.setText(account.base_url)
    dialog.token_field.setText(account.token)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: app.window is not None and not app.window.session.demo, timeout=15_000)
    assert app.demo is None
    qtbot.waitUntil(lambda: not demo.is_running(), timeout=20_000)


def test_leaving_the_demo_while_its_server_starts_stops_it_and_shows_sign_in(qtbot: QtBot, controller: object) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    app.start()
    window, demo = app.window, app.demo
    assert window is not None and demo is not None and not window.session.is_ready()
    gone = weakref.ref(demo)
    window.sign_out_action.trigger()
    assert app.window is None and app.demo is None
    assert app.sign_in is not None and app.sign_in.isVisible()
    # A "listening" line on its way while the server stops opens no window behind the dialog.
    demo.started.emit("http://127.0.0.1:9")
    assert app.window is None and app.session is None
    assert app.sign_in is not None and app.sign_in.isVisible()
    del demo
    qtbot.waitUntil(lambda: (gc.collect(), gone() is None)[1], timeout=20_000)  # stopped, and freed


@pytest.mark.slow
def test_try_the_demo_from_the_sign_in_dialog(qtbot: QtBot, controller: object) -> None:
    app: AppController = controller()  # type: ignore[operator]
    app.start()
    dialog = app.sign_in
    assert dialog is not None and dialog.isVisible()
    dialog.demo_button.click()
    # The demo's window takes the dialog's place at once and says what it waits for, as `crmdesk --demo` does.
    window = app.window
    assert app.sign_in is None and not dialog.isVisible()
    assert window is not None and window.isVisible() and not window.session.is_ready()
    waiting = window.findChild(QLabel, "sessionWait")
    assert waiting is not None and "Starting the demo server" in waiting.text()
    qtbot.waitUntil(window.session.is_ready, timeout=30_000)
    assert app.window is window and app.sign_in is None
    assert window.connection_label.text() == "Demo — local server"
    assert window.sign_out_action.text() == "Leave the demo"


@pytest.mark.expected_warnings
def test_the_app_still_ends_when_its_event_loop_cannot_be_had(
    qapp: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Quit hid the window and left the process running, its lock held, when asyncio's support failed to load:
    the exit code was set before the clean shutdown's task failed to start, and later calls were ignored."""
    from crmdesk.services import event_loop

    def no_loop(coro: object) -> object:
        raise ModuleNotFoundError("No module named 'PyQt5'")

    monkeypatch.setattr(event_loop, "start", no_loop)
    ended: list[int] = []
    app = AppController(parse_args(["--profile", "work"]), on_exit=ended.append)
    app.finish(0)
    assert ended == [0]
    assert "Could not shut down cleanly; ending now" in caplog.text


def _demo_samples(qtbot: QtBot, app: AppController) -> tuple[MainWindow, DemoServer, QLabel]:
    """The demo up, its contact view built, and the empty window's links to its sample contacts."""
    window, demo = _demo_up(qtbot, app)
    qtbot.waitUntil(window.contact_view_built)
    view = window.contact_view
    qtbot.waitUntil(lambda: view.empty_examples is not None)
    examples = view.empty_examples
    assert examples is not None
    return window, demo, examples


def test_the_demo_offers_sample_contacts_to_open_by_name(qtbot: QtBot, controller: object) -> None:
    """The API lists no contacts, and a first look at the demo needed an email or UID nobody new knows."""
    app: AppController = controller("--demo")  # type: ignore[operator]
    window, _demo, examples = _demo_samples(qtbot, app)
    view = window.contact_view
    assert examples.isVisible()
    first = demo_data.CONTACTS[0]
    assert f"{first['firstName']} {first['lastName']}" in examples.text()
    # The links are drawn in the palette's link colour, also after a switch to dark (light blue, not dark blue).
    with dark_scheme():
        link = QApplication.palette().color(QPalette.ColorRole.Link)
        image = examples.grab().toImage()
        drawn = {image.pixelColor(x, y).rgb() for x in range(image.width()) for y in range(image.height())}
        assert link.rgb() in drawn  # the underlines are drawn in it, unblended
    examples.linkActivated.emit(first["email"])  # the link as a click gives it
    qtbot.waitUntil(lambda: view.current_uid() == first["uid"], timeout=15_000)
    assert window.search_field.text() == first["email"]  # which shows how the rep can find the others
    # Each link opens the contact it names: none is found by an email two samples share.
    linked = re.findall(r'href="([^"]+)">([^<]+)<', examples.text())
    assert len(linked) == 4
    for email, name in linked:
        holders = [f"{c['firstName']} {c['lastName']}" for c in demo_data.CONTACTS if c.get("email") == email]
        assert holders == [html.unescape(name)]
    run(qtbot, app.shutdown(), timeout=20_000)


def test_a_deleted_sample_contact_leaves_the_demos_links(qtbot: QtBot, controller: object) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    window, _demo, examples = _demo_samples(qtbot, app)
    view = window.contact_view
    first = demo_data.CONTACTS[0]
    examples.linkActivated.emit(first["email"])
    qtbot.waitUntil(lambda: view.current_uid() == first["uid"], timeout=15_000)
    view.confirm_delete()
    assert view.dialog is not None
    next(button for button in view.dialog.buttons() if button.text() == "Delete").click()
    qtbot.waitUntil(lambda: view.current_uid() is None, timeout=15_000)
    assert examples.isVisible()
    # Its link would find nothing now; the other three stay.
    assert first["email"] not in examples.text() and len(re.findall(r'href="', examples.text())) == 3
    run(qtbot, app.shutdown(), timeout=20_000)


def test_deleting_another_contact_with_a_samples_email_keeps_the_samples_link(qtbot: QtBot, controller: object) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    window, demo, examples = _demo_samples(qtbot, app)
    first = demo_data.CONTACTS[0]

    async def duplicate() -> str:  # "Create anyway" at the duplicate question does the same
        async with ContactApi(demo.base_url or "", demo.token) as api:
            return (await api.create_contact(firstName="Mari", lastName="Dup", email=first["email"])).uid

    copy = run(qtbot, duplicate())
    view = window.contact_view
    window.open_uid(copy)
    qtbot.waitUntil(lambda: view.current_uid() == copy, timeout=15_000)
    view.confirm_delete()
    assert view.dialog is not None
    next(button for button in view.dialog.buttons() if button.text() == "Delete").click()
    qtbot.waitUntil(lambda: view.current_uid() is None, timeout=15_000)
    assert first["email"] in examples.text() and len(re.findall(r'href="', examples.text())) == 4
    run(qtbot, app.shutdown(), timeout=20_000)


def test_a_sample_link_that_finds_nothing_goes_from_the_links(qtbot: QtBot, controller: object) -> None:
    app: AppController = controller("--demo")  # type: ignore[operator]
    window, demo, examples = _demo_samples(qtbot, app)
    second = demo_data.CONTACTS[1]
    assert demo.base_url is not None

    async def delete_elsewhere() -> None:  # as a run before this one would have (the demo keeps its database)
        async with ContactApi(demo.base_url or "", demo.token) as api:
            await api.delete_contact(second["uid"])

    run(qtbot, delete_elsewhere())
    assert second["email"] in examples.text()
    examples.linkActivated.emit(second["email"])
    # Not claimed deleted: a sample whose email was changed is not found by its link either.
    qtbot.waitUntil(lambda: window.results_status.text() == f"No contact matches “{second['email']}”.")
    assert second["email"] not in examples.text() and len(re.findall(r'href="', examples.text())) == 3
    run(qtbot, app.shutdown(), timeout=20_000)


def test_a_phone_tools_plain_search_is_not_run_among_the_demos_sample_contacts(
    qtbot: QtBot, controller: object
) -> None:
    """`crmdesk --search NUMBER` names no profile: it is for the one a start opens (the rep's), and a real caller
    looked up in the demo left open read "No contact matches", with an offer to create them there."""
    Profiles().set_last_used("work")
    app: AppController = controller("--demo")  # type: ignore[operator]
    window, _demo = _demo_up(qtbot, app)
    app.answer_later_start({"search": demo_data.CONTACTS[0]["email"], "profile": None, "baseUrl": None, "demo": False})
    assert window.banner.text().startswith("CRMDesk was started again for profile work, but it is open here.")
    assert "use Leave the demo in the account menu" in window.banner.text()
    assert window.search_field.text() == "" and window.last_searched() != demo_data.CONTACTS[0]["email"]
    # Leaving the demo opens work: a start for another profile is told to start again.
    app.answer_later_start({"search": None, "profile": "team-b", "baseUrl": None, "demo": False})
    assert window.banner.text() == (
        "CRMDesk was started again for profile team-b, but it is open here. To switch, quit CRMDesk and start it again."
    )


def test_leaving_the_demo_opens_the_reps_own_profile_when_its_token_is_remembered(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    _remembered(account, memory_keyring)
    Profiles().set_last_used("work")
    app: AppController = controller("--demo")  # type: ignore[operator]
    window, _demo = _demo_up(qtbot, app)
    window.sign_out_action.trigger()  # Leave the demo
    qtbot.waitUntil(lambda: app.window is not None and app.window is not window, timeout=10_000)
    assert app.sign_in is None, "not asked to paste a token the keyring holds"
    assert app.window is not None and app.window.session.profile == "work"
    qtbot.waitUntil(app.window.session.is_ready, timeout=10_000)


@pytest.mark.expected_warnings
def test_an_unexpected_error_is_logged_and_shown_in_the_banner(
    qtbot: QtBot,
    controller: object,
    account: Account,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("CRMDESK_TOKEN", account.token)
    app: AppController = controller("--profile", "ci", "--base-url", account.base_url)  # type: ignore[operator]
    app.start()
    assert app.window is not None
    try:
        raise RuntimeError("a bug in a slot")
    except RuntimeError as exc:
        app.excepthook(type(exc), exc, exc.__traceback__)
    assert app.window.banner.isVisible()
    assert "Something went wrong inside CRMDesk: a bug in a slot" in app.window.banner.text()
    assert any(record.name == "crmdesk" and record.exc_info for record in caplog.records)


@pytest.mark.slow
def test_ctrl_q_in_demo_mode_ends_the_run_and_stops_the_server(
    qtbot: QtBot, qasync_loop: object, private_settings: object
) -> None:
    exits: list[int] = []
    app = AppController(parse_args(["--demo"]), on_exit=exits.append)
    app.start()
    try:
        qtbot.waitUntil(lambda: app.window is not None, timeout=30_000)
        demo = app.demo
        assert demo is not None and demo.is_running()
        app.window.quit_action.trigger()  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: exits != [], timeout=20_000)
        assert exits == [0]  # after the shutdown, not before it
        assert not demo.is_running()
        assert app.window is None and app.session is None and app.shut_down
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


def test_a_stopped_demo_server_is_freed_though_its_signals_hold_closures_over_it(
    qtbot: QtBot, qasync_loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the app wires each demo start: closures over the server, connected to its own signals. Every "Leave the
    # demo" and "Try the demo" left one behind for the rest of the day.
    import crmdesk.services.demo as demo_module

    monkeypatch.setattr(demo_module, "server_command", lambda: ("/nonexistent/crmdesk-python", []))

    def start_and_stop() -> weakref.ref[DemoServer]:
        demo = DemoServer()
        demo.failed.connect(lambda message: message if demo is not None else None)  # the cell keeps `demo`
        with qtbot.waitSignal(demo.failed, timeout=10_000):
            demo.start()
        run(qtbot, demo.stop())
        return weakref.ref(demo)

    gone = start_and_stop()
    qtbot.waitUntil(lambda: (gc.collect(), gone() is None)[1], timeout=5_000)


# --- A later start handed to this copy (crmdesk/services/instance.py) -------------------------------------------


def _open_work(
    qtbot: QtBot, controller: object, account: Account, keyring: MemoryKeyring
) -> tuple[AppController, MainWindow]:
    """Profile "work" started with its token remembered, and its window ready to search."""
    _remembered(account, keyring)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    window = app.window
    assert window is not None
    qtbot.waitUntil(window.session.is_ready, timeout=10_000)
    return app, window


def test_a_later_start_brings_the_window_forward_as_it_was_and_runs_its_search(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Bia Lima", "email": "bia@example.com"})
    app, window = _open_work(qtbot, controller, account, memory_keyring)
    window.setWindowState(Qt.WindowState.WindowMaximized | Qt.WindowState.WindowMinimized)
    app.answer_later_start({"search": "bia@example.com"})
    assert window.windowState() & Qt.WindowState.WindowMaximized  # out of the taskbar, still maximized
    assert not window.windowState() & Qt.WindowState.WindowMinimized
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)


def test_a_search_handed_over_during_a_question_waits_in_the_search_field(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    app, window = _open_work(qtbot, controller, account, memory_keyring)
    asked = QMessageBox(QMessageBox.Icon.Question, "CRMDesk", "Save the changes?", parent=window)
    asked.setWindowModality(Qt.WindowModality.ApplicationModal)
    asked.open()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is asked)
    searches: list[str] = []
    window.search.busy_changed.connect(lambda busy: searches.append("busy") if busy else None)
    app.answer_later_start({"search": "bia@example.com"})
    assert window.search_field.text() == "bia@example.com"  # for the rep to send once they have answered
    qtbot.wait(200)
    assert searches == [] and asked.isVisible()
    asked.done(0)


def test_a_search_handed_over_at_sign_in_runs_in_the_window_that_opens(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Caio Reis", "email": "caio@example.com"})
    Profiles().set_base_url("work", account.base_url)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    assert app.window is None and app.sign_in is not None  # no token anywhere: sign-in first
    app.answer_later_start({"search": "caio@example.com"})
    app.sign_in.token_field.setText(account.token)
    app.sign_in.sign_in_button.click()
    qtbot.waitUntil(lambda: app.window is not None, timeout=15_000)
    window = app.window
    assert window is not None
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)


@pytest.mark.parametrize("answer", [True, False], ids=["open anyway", "cancel"])
def test_a_lock_nobody_answers_for_asks_the_rep_and_opens_anyway_if_told(
    qapp: object, monkeypatch: pytest.MonkeyPatch, answer: bool
) -> None:
    # Left by a copy on another computer sharing the folder (or garbled by a power cut): Qt cannot tell it is
    # stale, and before this every later start ended at once, saying it was handed to a window that did not exist.
    from crmdesk import paths
    from crmdesk.app import _claim_data_folder
    from crmdesk.services import instance as instance_module

    monkeypatch.setattr(instance_module, "ANSWER_WAIT_S", 0.3)
    (paths.data_dir() / instance_module.LOCK_NAME).write_text("4242\ncrmdesk\nanother-computer\n", encoding="utf-8")
    asked: list[tuple[str, bool]] = []

    def ask(text: str, offer: bool) -> bool:
        asked.append((text, offer))
        return answer

    claimed, ended = _claim_data_folder(_args("--search", "bia@example.com"), ask=ask)
    assert [offer for _text, offer in asked] == [True]
    assert asked[0][0].startswith("CRMDesk seems to be open already, but does not answer.")
    assert ended is not answer
    assert (claimed is not None) is answer
    assert list((paths.data_dir() / instance_module.REQUESTS_DIR).iterdir()) == []
    if claimed is not None:
        assert not instance_module.Instance(paths.data_dir()).claim()  # held by this start now
        claimed.release()


def test_a_busy_copy_on_this_computer_keeps_its_lock_and_the_later_start_is_told_to_wait(
    qapp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Waiting for the keyring to be unlocked, say: "Open anyway" would put two copies on one folder, and the
    # first one's quit would then delete the second one's lock.
    from crmdesk import paths
    from crmdesk.app import _claim_data_folder
    from crmdesk.services import instance as instance_module

    monkeypatch.setattr(instance_module, "ANSWER_WAIT_S", 0.3)
    busy = instance_module.Instance(paths.data_dir())
    assert busy.claim()  # held, and not listening
    asked: list[tuple[str, bool]] = []

    def ask(text: str, offer: bool) -> bool:
        asked.append((text, offer))
        return True

    claimed, ended = _claim_data_folder(_args(), ask=ask)
    assert ended and claimed is None
    assert [offer for _text, offer in asked] == [False]
    assert asked[0][0].startswith("CRMDesk is already open on this computer, but did not answer")
    assert not instance_module.Instance(paths.data_dir()).claim()  # still the busy copy's
    busy.release()


def test_a_copy_whose_window_has_closed_takes_no_more_requests(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    app, window = _open_work(qtbot, controller, account, memory_keyring)
    assert app.takes_later_starts()
    window.close_without_prompt()  # quitting: the request must be left for the start that made it
    assert not app.takes_later_starts()


@pytest.mark.parametrize(
    ("request_for", "said"),
    [
        # Not Sign out: it stays in profile work, and forgets its token and what it keeps for other servers.
        ({"profile": "home", "demo": True}, "the demo and profile home, but it is open here. To switch, quit CRMDesk"),
        ({"profile": "home"}, "profile home, but it is open here. To switch, quit CRMDesk and start it again."),
        ({"baseUrl": "http://127.0.0.1:9"}, "http://127.0.0.1:9, but it is open here. To switch, quit CRMDesk and"),
    ],
    ids=["demo and profile", "profile", "server"],
)
def test_a_later_start_for_another_profile_says_how_to_switch_and_runs_no_search(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    request_for: dict[str, object],
    said: str,
) -> None:
    app, window = _open_work(qtbot, controller, account, memory_keyring)
    app.answer_later_start(
        {"search": "bia@example.com", "profile": None, "baseUrl": None, "demo": False, **request_for}
    )
    assert window.banner.isVisible()
    assert window.banner.text().startswith(f"CRMDesk was started again for {said}")
    assert window.search_field.text() == ""  # that search was meant for the other account


def _at_sign_in(controller: object, account: Account) -> tuple[AppController, SignInDialog]:
    """Profile work started with no token anywhere: its sign-in dialog is up, and no window."""
    Profiles().set_base_url("work", account.base_url)
    app: AppController = controller("--profile", "work")  # type: ignore[operator]
    app.start()
    assert app.window is None and app.sign_in is not None
    return app, app.sign_in


def test_a_later_start_for_the_demo_at_sign_in_points_to_try_the_demo(
    qtbot: QtBot, controller: object, account: Account
) -> None:
    app, dialog = _at_sign_in(controller, account)
    app.answer_later_start({"search": None, "profile": None, "baseUrl": None, "demo": True})
    assert dialog.message.text() == (
        "CRMDesk was started again for the demo, but it is open here. To switch, choose Try the demo here, or quit "
        "and start it again."
    )


def test_a_later_start_for_another_server_at_sign_in_says_so_and_runs_no_search(
    qtbot: QtBot, controller: object, account: Account
) -> None:
    app, dialog = _at_sign_in(controller, account)
    app.answer_later_start(
        {"search": "+5511912345678", "profile": None, "baseUrl": "http://127.0.0.1:9", "demo": False}
    )
    assert dialog.message.text() == (
        "CRMDesk was started again for http://127.0.0.1:9, but it is open here. To switch, sign in to it here "
        "(under Advanced) and search again, or quit and start it again."
    )
    assert app.args.search is None  # not run among this server's customers once the rep signs in
    # With that server's address typed in the dialog, the search waits for the window it opens.
    dialog.show_message("")
    dialog.base_url_field.setText("http://127.0.0.1:9/")
    app.answer_later_start(
        {"search": "+5511912345678", "profile": None, "baseUrl": "http://127.0.0.1:9", "demo": False}
    )
    assert dialog.message.text() == "" and app.args.search == "+5511912345678"


def test_a_later_start_for_the_same_server_written_another_way_runs_its_search(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Davi Luz", "email": "davi@example.com"})
    app, window = _open_work(qtbot, controller, account, memory_keyring)
    same = account.base_url.replace("http://", "HTTP://") + "/"
    app.answer_later_start({"search": "davi@example.com", "profile": "work", "baseUrl": same, "demo": False})
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=15_000)
    assert window._banner is None or not window.banner.isVisible()


def test_a_copy_started_while_the_rep_decides_keeps_the_folder(qapp: object, monkeypatch: pytest.MonkeyPatch) -> None:
    # The rep is asked about a lock nobody holds, and starts CRMDesk again meanwhile: that copy holds the folder,
    # and "Open anyway" must not then run a second copy beside it without the lock.
    from crmdesk import paths
    from crmdesk.app import _claim_data_folder
    from crmdesk.services import instance as instance_module

    monkeypatch.setattr(instance_module, "ANSWER_WAIT_S", 0.3)
    (paths.data_dir() / instance_module.LOCK_NAME).write_text("4242\ncrmdesk\nanother-computer\n", encoding="utf-8")
    meanwhile = instance_module.Instance(paths.data_dir())
    asked: list[bool] = []

    def ask(text: str, offer: bool) -> bool:
        asked.append(offer)
        if offer:
            assert meanwhile.take_over()  # the other start, while this question is up
        return True

    claimed, ended = _claim_data_folder(_args(), ask=ask)
    assert (claimed, ended) == (None, True)
    assert asked == [True, False]  # offered, then told it could not open
    assert not instance_module.Instance(paths.data_dir()).claim()  # still the other copy's
    meanwhile.release()


def _with_transport(monkeypatch: pytest.MonkeyPatch, transport: object) -> None:
    """Sessions the controller makes (not the demo's) send through ``transport``, and do not retry."""
    from crmdesk.services import session as session_module

    made = session_module.Session

    class Through(made):  # type: ignore[misc, valid-type]  # a class held in a variable: mypy cannot check it
        def __init__(self, *args: object, **kwargs: object) -> None:
            if not kwargs.get("demo"):
                kwargs.setdefault("client_options", {"transport": transport, "max_retries": 0})
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(session_module, "Session", Through)


def _signing_out_on_a_held_save(
    qtbot: QtBot,
    controller: object,
    account: Account,
    keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    uid: str,
    *,
    failures: int,
) -> tuple[AppController, MainWindow, HeldTransport]:
    """Profile "work" with the contact ``uid`` (alice@example.com) open and edited, then Sign out answered Save:
    the save is held in the transport returned, and fails its first ``failures`` times once released."""
    route = "PUT /api/contact"
    slow = HeldTransport(route, inner=FailingTransport(route, times=failures))
    slow.release()
    _with_transport(monkeypatch, slow)
    app, window = _open_work(qtbot, controller, account, keyring)
    window.request_search("alice@example.com")
    qtbot.waitUntil(lambda: window.contact_view_built() and window.contact_view.current_uid() == uid)
    view = window.contact_view
    slow.hold()
    cast(QLineEdit, view.form.editor("lastName")).setText("Alpha-Souza")
    window.sign_out()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox, "unsavedDialog")))
    box = next(b for b in view.findChildren(QMessageBox, "unsavedDialog") if b.isVisible())
    box.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: slow.held == 1)
    return app, window, slow


@pytest.mark.parametrize("save_fails", [False, True], ids=["sign-out goes", "its save fails"])
def test_a_search_handed_over_while_a_sign_out_is_under_way_follows_it_only_if_it_happens(
    save_fails: bool,
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An incoming call's search, while a sign-out waited for its save: it went to the next window even when the
    save failed and the rep stayed, to open there perhaps hours later, in another rep's session."""
    (alice,) = create_contacts(qtbot, account, {"name": "Alice Alpha", "email": "alice@example.com"})
    app, window, slow = _signing_out_on_a_held_save(
        qtbot, controller, account, memory_keyring, monkeypatch, alice.uid, failures=10 if save_fails else 0
    )
    app.answer_later_start({"search": "bia@example.com"})  # the phone rings
    assert window.search_field.text() == "bia@example.com" and app.args.search is None  # in sight, for now
    slow.release()
    if save_fails:
        qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Not signed out"), timeout=10_000)
        assert app.window is window and app.args.search is None  # it waits here, not for some next window
    else:
        qtbot.waitUntil(lambda: app.window is not window, timeout=10_000)
        assert app.args.search == "bia@example.com"  # the sign-out went: the next window runs it


def test_a_search_handed_over_to_a_sign_out_that_failed_does_not_follow_a_later_one(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The save failed, the rep stayed, ran the call's search and worked on; their next sign-out, hours later,
    took the old search to whoever signed in next, who saw the old caller open by itself."""
    alice, bia = create_contacts(
        qtbot,
        account,
        {"name": "Alice Alpha", "email": "alice@example.com"},
        {"name": "Bia Lima", "email": "bia@example.com"},
    )
    app, window, slow = _signing_out_on_a_held_save(
        qtbot, controller, account, memory_keyring, monkeypatch, alice.uid, failures=1
    )
    view = window.contact_view
    app.answer_later_start({"search": "bia@example.com"})
    slow.release()  # the save fails: no sign-out
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Not signed out"), timeout=10_000)
    view.save()  # the rep saves again, and it goes
    qtbot.waitUntil(lambda: not view.has_unsaved_changes(), timeout=10_000)
    window.request_search(window.search_field.text())  # and takes the call here
    qtbot.waitUntil(lambda: view.current_uid() == bia.uid, timeout=10_000)
    window.sign_out()  # later
    qtbot.waitUntil(lambda: app.window is not window, timeout=10_000)
    assert app.args.search is None  # nothing for the next window to open by itself


class _EndingSession:
    """What CRMDesk uses of the QSessionManager a computer's sign-out or shut-down comes with (Python cannot make
    one): whether the app may ask the rep, and whether it held the end back."""

    def __init__(self, *, may_ask: bool = True) -> None:
        self.may_ask = may_ask
        self.cancelled = False

    def allowsInteraction(self) -> bool:
        return self.may_ask

    def cancel(self) -> None:
        self.cancelled = True


def _alice_open_in_work(
    qtbot: QtBot,
    controller: object,
    account: Account,
    keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    transport: HeldTransport,
) -> tuple[AppController, MainWindow, str]:
    """Profile "work" with alice@example.com open; ``transport``'s requests wait from now on until released."""
    (alice,) = create_contacts(qtbot, account, {"name": "Alice Alpha", "email": "alice@example.com"})
    transport.release()
    _with_transport(monkeypatch, transport)
    app, window = _open_work(qtbot, controller, account, keyring)
    window.request_search("alice@example.com")
    qtbot.waitUntil(lambda: window.contact_view_built() and window.contact_view.current_uid() == alice.uid)
    transport.hold()
    return app, window, alice.uid


def _unsaved_question(window: MainWindow) -> QMessageBox | None:
    return next((b for b in window.findChildren(QMessageBox, "unsavedDialog") if b.isVisible()), None)


def test_the_computer_shutting_down_over_an_unsaved_edit_is_held_back_and_the_rep_asked(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows asks every app before it signs out or shuts down; the edit used to go with the app, unasked."""
    app, window, uid = _alice_open_in_work(
        qtbot, controller, account, memory_keyring, monkeypatch, HeldTransport("GET /nothing-held")
    )
    cast(QLineEdit, window.contact_view.form.editor("lastName")).setText("Alpha-Souza")
    window.setWindowState(Qt.WindowState.WindowMinimized)
    ending = _EndingSession()
    app.commit_data(ending)  # type: ignore[arg-type]  # a stand-in for the QSessionManager
    assert ending.cancelled
    assert not window.windowState() & Qt.WindowState.WindowMinimized  # in front of the rep, with the question
    qtbot.waitUntil(lambda: _unsaved_question(window) is not None)
    box = _unsaved_question(window)
    assert box is not None
    box.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: app.window is None, timeout=15_000)  # saved, then closed: the rep can shut down
    assert app.exit_code == 0

    assert on_server(qtbot, account, uid=uid).lastName == "Alpha-Souza"


def test_the_computer_shutting_down_waits_for_a_note_on_its_way(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = HeldTransport("POST /api/contact/note/add")
    app, window, uid = _alice_open_in_work(qtbot, controller, account, memory_keyring, monkeypatch, slow)
    window.contact_view.notes.input.setPlainText("Called: wants the premium plan")
    window.contact_view.notes.submit()
    qtbot.waitUntil(lambda: slow.held == 1)
    ending = _EndingSession()
    app.commit_data(ending)  # type: ignore[arg-type]  # a stand-in for the QSessionManager
    assert ending.cancelled
    qtbot.waitUntil(lambda: window.findChild(QLabel, "waitingText") is not None)
    label = window.findChild(QLabel, "waitingText")
    assert label is not None and label.isVisible()
    assert label.text() == "Closing once the last change reaches the server… (1 left)"
    assert app.window is window
    slow.release()
    qtbot.waitUntil(lambda: app.window is None, timeout=15_000)
    assert app.exit_code == 0

    assert [note.text for note in on_server(qtbot, account, uid=uid).notes] == ["Called: wants the premium plan"]


def test_the_computer_shutting_down_after_a_revert_leaves_nothing_to_offer_back(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, window, _uid = _alice_open_in_work(
        qtbot, controller, account, memory_keyring, monkeypatch, HeldTransport("GET /nothing-held")
    )
    assert window.unsaved is not None and window.unsaved.path is not None
    unsaved_file = window.unsaved.path
    cast(QLineEdit, window.contact_view.form.editor("lastName")).setText("Alpha-Souza")
    qtbot.waitUntil(unsaved_file.exists, timeout=5_000)
    window.contact_view.revert()
    app.commit_data(_EndingSession())  # type: ignore[arg-type]  # a stand-in for the QSessionManager
    # At once: the session's end may not leave the app the second a change waits to be written.
    assert not unsaved_file.exists()


@pytest.mark.expected_warnings
@pytest.mark.parametrize("edited", [False, True], ids=["nothing to lose", "not allowed to ask"])
def test_the_computer_shutting_down_goes_ahead_when_nothing_is_lost_or_nothing_can_be_asked(
    edited: bool,
    caplog: pytest.LogCaptureFixture,
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, window, _uid = _alice_open_in_work(
        qtbot, controller, account, memory_keyring, monkeypatch, HeldTransport("GET /nothing-held")
    )
    if edited:
        cast(QLineEdit, window.contact_view.form.editor("lastName")).setText("Alpha-Souza")
    ending = _EndingSession(may_ask=not edited)
    app.commit_data(ending)  # type: ignore[arg-type]  # a stand-in for the QSessionManager
    qtbot.wait(200)
    assert not ending.cancelled
    assert _unsaved_question(window) is None and window.isVisible()
    assert window.contact_view.has_unsaved_changes() is edited  # left as it was, for the session end to take
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == (
        [
            "The computer's session is ending with changes not saved, and gave no leave to ask about them; they "
            "are kept for the next start"
        ]
        if edited
        else []
    )
    # Written at once, not a second later: the session's end may not leave the app that second.
    assert window.unsaved is not None and window.unsaved.path is not None
    kept = window.unsaved.path.read_text(encoding="utf-8") if window.unsaved.path.exists() else ""
    assert ("Alpha-Souza" in kept) is edited


@pytest.mark.expected_warnings  # the error is logged, as every unexpected one is
def test_an_unexpected_error_with_no_window_open_is_shown(
    qtbot: QtBot, controller: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    app: AppController = controller("--profile", "work", "--base-url", account.base_url)  # type: ignore[operator]
    app.start()  # no token: the sign-in dialog, and no window
    assert app.window is None
    try:
        raise ValueError("broken")
    except ValueError as error:
        app.excepthook(ValueError, error, error.__traceback__)
    gc.collect()  # the box had no parent and no reference: it went before it was seen
    QApplication.processEvents()
    shown = [box for box in QApplication.topLevelWidgets() if isinstance(box, QMessageBox) and box.isVisible()]
    assert [box.windowTitle() for box in shown] == ["CRMDesk"]
    shown[0].close()


def test_a_lookup_on_its_way_at_sign_out_is_called_off_with_the_window(
    qtbot: QtBot,
    controller: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow = HeldTransport("GET /api/contact")
    slow.release()
    _with_transport(monkeypatch, slow)
    app, window = _open_work(qtbot, controller, account, memory_keyring)
    slow.hold()
    window.request_search("alice@example.com")
    qtbot.waitUntil(lambda: slow.held == 1)
    window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=5_000)
    slow.release()
    qtbot.wait(300)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
