"""The token and a keyring that misbehaves: what the rep is told, and that no token outlives a sign-out unseen."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors
import pytest
from pytestqt.qtbot import QtBot

from crmdesk.app import AppController, parse_args
from crmdesk.services.credentials import SERVICE
from crmdesk.services.profiles import Profiles
from tests.support.live_server import Account, LiveServer
from tests.support.qt_fixtures import MemoryKeyring
from tests.ui.shell_support import run


class WindowsStyleFailure(MemoryKeyring):
    """Windows' backend raises OSError subclasses (pywin32's error), not keyring's own errors."""

    def get_password(self, service: str, username: str) -> str | None:
        raise PermissionError(1312, "CredRead: A specified logon session does not exist")


class LockedOnDelete(MemoryKeyring):
    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("the unlock prompt was dismissed")


class LockedOnSet(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the unlock prompt was dismissed")


def _controller(*args: str) -> AppController:
    return AppController(parse_args(["--profile", "work", *args]))


def test_a_keyring_failing_with_an_error_of_its_own_opens_sign_in(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    # The first start reads the keyring before anything shows; an OSError there used to end the app with a traceback.
    keyring.set_keyring(WindowsStyleFailure())
    app = _controller("--base-url", account.base_url)
    try:
        app.start()
        assert app.sign_in is not None and app.sign_in.isVisible()
        assert app.window is None and app.exit_code is None
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


@pytest.mark.expected_warnings
@pytest.mark.parametrize("where", ["environment", "config file"])
def test_a_keyring_backend_that_cannot_load_opens_sign_in_for_the_session_only(
    qtbot: QtBot,
    qasync_loop: object,
    private_settings: object,
    account: Account,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    """PYTHON_KEYRING_BACKEND (or keyringrc.cfg) naming a backend that is not installed ended the app before any
    window, the traceback on a console nobody sees."""
    import keyring.core

    missing = "keyrings.alt.file.PlaintextKeyring"  # keyrings.alt is not installed, nor bundled
    if where == "environment":
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", missing)
    else:
        monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
        (tmp_path / "python_keyring").mkdir()
        (tmp_path / "python_keyring" / "keyringrc.cfg").write_text(f"[backend]\ndefault-keyring={missing}\n")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # chosen afresh, as at a start
    with pytest.raises(ModuleNotFoundError):
        keyring.get_keyring()
    app = _controller("--base-url", account.base_url)
    try:
        app.start()
        dialog = app.sign_in
        assert dialog is not None and dialog.isVisible() and app.exit_code is None
        assert not dialog.remember.isEnabled() and not dialog.remember.isChecked()
        assert dialog.keyring_notice.text() == (
            "The keyring set up on this computer could not be loaded, so the token is kept for this session only."
        )
        assert "The keyring backend could not be loaded (ModuleNotFoundError" in caplog.text  # said in the log
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


def _signed_in_with_a_keyring_that_will_not_delete(account: Account) -> tuple[AppController, LockedOnDelete]:
    """Profile work's window open with the token from a keyring that refuses deletes (locked since)."""
    locked = LockedOnDelete()
    keyring.set_keyring(locked)
    locked.passwords[(SERVICE, "work")] = account.token
    Profiles().set_base_url("work", account.base_url)
    Profiles().set_token_remembered("work", True, server=account.base_url)
    return _controller(), locked


def test_a_sign_out_the_keyring_refuses_says_the_token_is_still_stored(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    app, locked = _signed_in_with_a_keyring_that_will_not_delete(account)
    try:
        app.start()
        assert app.window is not None
        app.window.sign_out()
        qtbot.waitUntil(lambda: app.sign_in is not None and "refused to remove" in app.sign_in.message.text())
        assert app.sign_in is not None
        assert "the next start will sign in with it" in app.sign_in.message.text()
        assert locked.passwords == {(SERVICE, "work"): account.token}  # what the message says
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


def test_a_refused_token_the_keyring_will_not_remove_is_told(
    qtbot: QtBot, qasync_loop: object, private_settings: object, live_server: LiveServer, account: Account
) -> None:
    """The keyring locked (the screen was), then the token revoked: the next start would sign in with the dead
    token again unless the rep removes it, and is told how."""
    app, locked = _signed_in_with_a_keyring_that_will_not_delete(account)
    try:
        app.start()
        assert app.window is not None
        live_server.store.replace_tokens(account.name, "test-revoked-while-locked")
        app.window.request_search("someone@example.com")
        qtbot.waitUntil(lambda: app.sign_in is not None and "refused to remove" in app.sign_in.message.text())
        assert app.sign_in is not None
        assert "no longer accepts the token for profile work" in app.sign_in.message.text()
        assert f"service {SERVICE}, account work" in app.sign_in.message.text()
        assert locked.passwords == {(SERVICE, "work"): account.token}  # what the message says
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


def test_a_token_the_keyring_refuses_to_remember_is_told(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    keyring.set_keyring(LockedOnSet())
    app = _controller("--base-url", account.base_url)
    try:
        app.start()
        dialog = app.sign_in
        assert dialog is not None and dialog.remember.isChecked()
        dialog.token_field.setText(account.token)
        dialog.sign_in_button.click()
        qtbot.waitUntil(lambda: app.window is not None and app.window.banner.isVisible(), timeout=15_000)
        assert app.window is not None
        assert "refused to store the token" in app.window.banner.text()
        assert not Profiles().token_remembered("work")
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


def test_signing_in_again_over_an_environment_token_makes_sign_out_forget_the_new_one(
    qtbot: QtBot,
    qasync_loop: object,
    private_settings: object,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A stale CRMDESK_TOKEN is refused; the rep signs in with "Remember" in the same window. That token is the
    # rep's, in the keyring: sign-out must remove it, as for any remembered token.
    monkeypatch.setenv("CRMDESK_TOKEN", "tok_stale-script-0123456789")
    app = _controller("--base-url", account.base_url)
    try:
        app.start()
        assert app.window is not None
        window = app.window
        window.request_search("someone@example.com")
        qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=15_000)
        assert app.sign_in is not None
        app.sign_in.token_field.setText(account.token)
        app.sign_in.sign_in_button.click()
        qtbot.waitUntil(lambda: memory_keyring.passwords.get((SERVICE, "work")) == account.token, timeout=15_000)
        assert app.window is window  # the same window carried on
        window.sign_out()
        qtbot.waitUntil(lambda: (SERVICE, "work") not in memory_keyring.passwords, timeout=5_000)
        assert not Profiles().token_remembered("work")
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


def test_a_remembered_token_on_a_computer_without_a_keyring_today_is_told_as_such(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # no D-Bus today, say
    Profiles().set_base_url("work", account.base_url)
    Profiles().set_token_remembered("work", True)
    app = _controller()
    try:
        app.start()
        qtbot.waitUntil(lambda: app.sign_in is not None and app.sign_in.isVisible(), timeout=5_000)
        assert app.sign_in is not None
        assert app.sign_in.message.text().startswith("Could not read the saved token for profile work")
        assert "No saved token was found" not in app.sign_in.message.text()
        assert Profiles().token_remembered("work")  # it may well be there once the keyring is back
    finally:
        run(qtbot, app.shutdown(), timeout=20_000)


def test_cancel_during_the_check_stops_it_and_leaves_the_dialog_open(
    qtbot: QtBot, qasync_loop: object, private_settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as silent:  # accepts connections and never answers: the check stays in flight
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        app = _controller("--base-url", f"http://127.0.0.1:{silent.getsockname()[1]}")
        try:
            app.start()
            dialog = app.sign_in
            assert dialog is not None
            dialog.token_field.setText("tok_some-token-0123456789")
            dialog.sign_in_button.click()
            qtbot.waitUntil(dialog.progress.isVisible)
            assert dialog.cancel_button.text() == "Stop"
            with caplog.at_level(logging.WARNING):
                dialog.cancel_button.click()
                qtbot.wait(300)
            # A server that never answers: the rep stops the check and fixes the address, without quitting.
            assert app.sign_in is dialog and dialog.isVisible() and app.exit_code is None
            assert dialog.message.text() == "Stopped checking. Check the server address, or try again."
            assert not dialog.progress.isVisible() and dialog.base_url_field.isEnabled()
            assert (
                dialog.cancel_button.text() == "Cancel"
            )  # which, now, closes the dialog (and quits, at a first start)
        finally:
            run(qtbot, app.shutdown(), timeout=20_000)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
