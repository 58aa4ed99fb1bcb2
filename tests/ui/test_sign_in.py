"""Sign-in: the token is checked before it is accepted, each failure is explained in the dialog, keyring or not."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from pytestqt.qtbot import QtBot

from crmdesk.services.credentials import SERVICE, Credentials
from crmdesk.services.profiles import Profiles
from crmdesk.services.session import Session
from crmdesk.ui.messages import error_colour
from crmdesk.ui.sign_in import SignInDialog
from tests.support.live_server import Account, LiveServer
from tests.support.qt_fixtures import MemoryKeyring
from tests.ui.shell_support import closed_port, run, unwritable_settings


def _dialog(qtbot: QtBot, base_url: str, token: str, profile: str = "work") -> tuple[SignInDialog, Credentials]:
    credentials = Credentials()
    dialog = SignInDialog(credentials, Profiles(), profile)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.base_url_field.setText(base_url)
    qtbot.keyClicks(dialog.token_field, token)
    return dialog, credentials


def _submit_and_wait_for_message(qtbot: QtBot, dialog: SignInDialog) -> str:
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: dialog.message.isVisible() and not dialog.progress.isVisible(), timeout=15_000)
    return dialog.message.text()


def test_valid_token_is_verified_remembered_and_opens_a_session(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    dialog, credentials = _dialog(qtbot, account.base_url, account.token)
    assert dialog.token_field.echoMode() == dialog.token_field.EchoMode.Password
    assert dialog.remember.isChecked() and dialog.remember.isEnabled()
    with qtbot.waitSignal(dialog.session_ready, timeout=15_000) as ready:
        dialog.sign_in_button.click()
    session, keep_sign_in = ready.args
    assert isinstance(session, Session)
    assert session.base_url is not None
    assert session.base_url.rstrip("/") == account.base_url.rstrip("/")
    assert not dialog.isVisible()
    assert dialog.token_field.text() == ""  # the token does not linger in a widget
    # Nothing is kept until the app takes the session: a rep may still keep the old window instead.
    qtbot.wait(100)
    assert memory_keyring.passwords == {} and credentials.load("work") is None
    assert not Profiles().token_remembered("work") and Profiles().base_url("work") != session.base_url
    keep_sign_in()
    # The in-memory backend is the active one and holds the token: the real keyring was never reached.
    assert keyring.get_keyring() is memory_keyring
    assert credentials.load("work") == account.token  # usable at once; the keyring write runs in a worker
    qtbot.waitUntil(lambda: memory_keyring.passwords == {(SERVICE, "work"): account.token}, timeout=5_000)
    qtbot.waitUntil(lambda: Profiles().token_remembered("work"), timeout=5_000)
    assert Profiles().base_url("work").rstrip("/") == account.base_url.rstrip("/")
    run(qtbot, session.aclose())


def test_show_toggle_reveals_the_token(qtbot: QtBot, private_settings: object) -> None:
    dialog, _ = _dialog(qtbot, "https://contact-api.8mgenius.com.br", "secret-token")
    dialog.show_token.trigger()
    assert dialog.token_field.echoMode() == dialog.token_field.EchoMode.Normal
    dialog.show_token.trigger()
    assert dialog.token_field.echoMode() == dialog.token_field.EchoMode.Password


def test_a_light_dark_switch_while_signing_in_reaches_the_token_toggle_and_advanced(
    qtbot: QtBot, private_settings: object
) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from crmdesk.app import _dark_palette, _light_palette
    from crmdesk.ui.messages import error_colour

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    try:
        app.setPalette(_light_palette(app.style().standardPalette()))
        dialog, _ = _dialog(qtbot, "https://contact-api.8mgenius.com.br", "secret-token")
        dialog.show_message("The server does not accept your API token.")
        app.setPalette(_dark_palette())
        QApplication.processEvents()
        # The message in dark's red, not light's (#b3261e read 2.1 : 1 on the dark window).
        message = dialog.message.palette().color(QPalette.ColorRole.WindowText)
        assert message.lightnessF() > 0.5 and message == error_colour(dialog.palette())
        assert dialog.advanced.palette().color(QPalette.ColorRole.ButtonText).lightnessF() > 0.5
        eye = dialog.show_token.icon().pixmap(16, 16).toImage()
        drawn = max((eye.pixelColor(x, y) for x in range(16) for y in range(16)), key=lambda colour: colour.alpha())
        assert drawn.lightnessF() > 0.5, drawn.name()
    finally:
        app.setPalette(before)


def test_wrong_token_says_so_and_stores_nothing(
    qtbot: QtBot, qasync_loop: object, private_settings: object, live_server: LiveServer, memory_keyring: MemoryKeyring
) -> None:
    dialog, _ = _dialog(qtbot, live_server.base_url, "not-a-real-token")
    message = _submit_and_wait_for_message(qtbot, dialog)
    assert "token is wrong" in message
    assert dialog.isVisible()
    assert dialog.token_field.hasFocus() and dialog.token_field.selectedText() == "not-a-real-token"
    assert memory_keyring.passwords == {}


def test_free_plan_is_told_which_plans_have_api_access(
    qtbot: QtBot, qasync_loop: object, private_settings: object, live_server: LiveServer, memory_keyring: MemoryKeyring
) -> None:
    free = live_server.add_account(plan="free")
    dialog, _ = _dialog(qtbot, free.base_url, free.token)
    message = _submit_and_wait_for_message(qtbot, dialog)
    assert "no API access" in message
    assert "Starter, Pro or Business" in message
    assert memory_keyring.passwords == {}


def test_unreachable_host_names_the_host(qtbot: QtBot, qasync_loop: object, private_settings: object) -> None:
    port = closed_port()
    dialog, _ = _dialog(qtbot, f"http://127.0.0.1:{port}", "some-token")
    message = _submit_and_wait_for_message(qtbot, dialog)
    assert f"Cannot reach 127.0.0.1:{port}" in message


def test_a_web_server_that_is_not_the_api_does_not_sign_in(
    qtbot: QtBot, qasync_loop: object, private_settings: object, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    # Another program's web server on this computer answers 404 Not Found to /api/contact whatever the token;
    # that must not count as a token the API accepted.
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}"
        dialog, _ = _dialog(qtbot, address, "tok_totally-wrong-0123456789")
        message = _submit_and_wait_for_message(qtbot, dialog)
    finally:
        server.shutdown()
        server.server_close()
    assert (
        message
        == f"127.0.0.1:{server.server_address[1]} answered, but not as the Contact API does. Check the server address."
    )
    assert dialog.isVisible() and dialog.base_url_field.isVisible() and dialog.base_url_field.hasFocus()
    assert memory_keyring.passwords == {}


def test_a_local_servers_address_typed_without_or_with_the_wrong_scheme_says_which_it_takes(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account, memory_keyring: MemoryKeyring
) -> None:
    """A manager running crmdesk-server typed "127.0.0.1:18765" and was told to use https://; following that, the
    server (up, and plain http) was said to be out of reach."""
    plain = account.base_url.removeprefix("http://")
    dialog, _ = _dialog(qtbot, plain, account.token)
    dialog.sign_in_button.click()
    assert f"Did you mean http://{plain}?" in dialog.message.text()
    dialog.base_url_field.setText(f"https://{plain}")
    message = _submit_and_wait_for_message(qtbot, dialog)
    assert message == (
        f"{plain} does not answer https at this address. Check the server address. "
        "A server on this computer (crmdesk-server) takes http:// instead."
    )
    assert dialog.base_url_field.isVisible() and memory_keyring.passwords == {}


def test_a_pasted_endpoint_address_is_refused_at_the_address_field(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    dialog, _ = _dialog(qtbot, f"{account.base_url}/api/contact", account.token)
    dialog.sign_in_button.click()
    assert "Leave /api and what follows out of the server address" in dialog.message.text()
    assert dialog.base_url_field.isVisible() and not dialog.progress.isVisible()


def test_plain_http_to_a_remote_host_is_refused_in_the_dialog(
    qtbot: QtBot, qasync_loop: object, private_settings: object
) -> None:
    dialog, _ = _dialog(qtbot, "http://contact-api.example.com", "some-token")
    dialog.sign_in_button.click()
    assert dialog.message.isVisible()
    assert "Refusing plain http://" in dialog.message.text()
    assert dialog.base_url_field.isVisible()  # Advanced opened to show the field at fault
    assert not dialog.progress.isVisible()


def test_without_a_usable_keyring_the_token_is_kept_for_the_session_only(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the memory_keyring fixture restores afterwards
    dialog, credentials = _dialog(qtbot, account.base_url, account.token)
    assert not dialog.remember.isEnabled() and not dialog.remember.isChecked()
    assert dialog.keyring_notice.isVisible()
    assert "this session only" in dialog.keyring_notice.text()
    with qtbot.waitSignal(dialog.session_ready, timeout=15_000) as ready:
        dialog.sign_in_button.click()
    session, keep_sign_in = ready.args
    keep_sign_in()
    assert credentials.load("work") == account.token  # held in memory for this session
    assert Credentials().load("work") is None  # and nowhere a new run could find it
    credentials.forget("work")  # sign-out
    assert credentials.load("work") is None
    run(qtbot, session.aclose())


def test_a_server_the_settings_cannot_keep_gets_no_remembered_token(
    qtbot: QtBot, qasync_loop: object, private_settings: Path, account: Account, memory_keyring: MemoryKeyring
) -> None:
    # A settings folder that cannot be written: the next start would not know this (self-hosted) server and would
    # send a token from the keyring to the vendor's address. The token must stay in memory, and the rep be told.
    unwritable_settings(private_settings)
    told: list[str] = []
    credentials = Credentials()
    dialog = SignInDialog(credentials, Profiles(), "work", on_not_remembered=told.append)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.base_url_field.setText(account.base_url)
    qtbot.keyClicks(dialog.token_field, account.token)
    assert dialog.remember.isChecked()
    with qtbot.waitSignal(dialog.session_ready, timeout=15_000) as ready:
        dialog.sign_in_button.click()
    session, keep_sign_in = ready.args
    keep_sign_in()
    assert credentials.load("work") == account.token  # this session works
    assert told and told[0].startswith("CRMDesk cannot write its settings file (")
    assert "not in the keyring" in told[0]
    qtbot.wait(200)  # the keyring write runs in a worker
    assert memory_keyring.passwords == {}
    run(qtbot, session.aclose())


@pytest.mark.parametrize("file_names", ["this server", "another server"])
def test_a_settings_file_that_cannot_be_written_keeps_a_token_only_if_it_names_this_server_already(
    qtbot: QtBot,
    qasync_loop: object,
    private_settings: Path,
    account: Account,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    file_names: str,
) -> None:
    """A read-only settings file (locked by an administrator): the next start reads it as it is. One that names this
    server, for the profile and for its token, lets a new token for it be remembered; one naming another does not."""
    named = account.base_url if file_names == "this server" else "http://127.0.0.1:9"
    Profiles().set_base_url("work", named)
    Profiles().set_token_remembered("work", True, server=named)
    monkeypatch.setattr(Profiles, "set_base_url", lambda self, profile, base_url: False)  # the write fails
    told: list[str] = []
    dialog = SignInDialog(Credentials(), Profiles(), "work", on_not_remembered=told.append)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.base_url_field.setText(account.base_url)
    qtbot.keyClicks(dialog.token_field, account.token)
    with qtbot.waitSignal(dialog.session_ready, timeout=15_000) as ready:
        dialog.sign_in_button.click()
    session, keep_sign_in = ready.args
    keep_sign_in()
    if file_names == "this server":
        qtbot.waitUntil(lambda: memory_keyring.passwords == {(SERVICE, "work"): account.token}, timeout=5_000)
        assert told == []
    else:
        qtbot.wait(200)  # the keyring write runs in a worker
        assert memory_keyring.passwords == {} and told and "cannot write its settings file" in told[0]
    run(qtbot, session.aclose())


@pytest.mark.parametrize("remember", [True, False])
def test_sign_out_forgets_the_token(remember: bool, memory_keyring: MemoryKeyring) -> None:
    credentials = Credentials()
    assert credentials.save("work", "tok-123", remember=remember) is remember
    assert (memory_keyring.passwords.get((SERVICE, "work")) == "tok-123") is remember
    credentials.forget("work")
    assert credentials.load("work") is None
    assert memory_keyring.passwords == {}


class WriteGatedKeyring(MemoryKeyring):
    """A keyring whose writes each wait for the test's say-so, like one waiting to be unlocked; it notes the threads."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed = threading.Semaphore(0)
        self.written_on: list[str] = []

    def let_through(self, writes: int = 1) -> None:
        self.allowed.release(writes)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._wait()
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._wait()
        super().delete_password(service, username)

    def _wait(self) -> None:
        self.written_on.append(threading.current_thread().name)
        assert self.allowed.acquire(timeout=20), "the test never let this write through"


def test_keyring_writes_leave_the_ui_thread_free_and_keep_their_order(qtbot: QtBot) -> None:
    backend = WriteGatedKeyring()
    keyring.set_keyring(backend)  # the memory_keyring fixture restores afterwards
    try:
        credentials = Credentials()
        credentials.save_in_background("work", "tok-old", remember=True)
        credentials.forget_in_background("work")  # sign-out
        done: list[bool] = []
        credentials.save_in_background("work", "tok-new", remember=True, on_done=done.append)  # sign-in again
        # All three calls returned while the keyring had not answered; the new token is usable already.
        assert credentials.load("work") == "tok-new"
        assert backend.passwords == {}
        backend.let_through()  # the first sign-in's write lands
        qtbot.waitUntil(lambda: backend.passwords == {(SERVICE, "work"): "tok-old"}, timeout=5_000)
        assert credentials.load("work") == "tok-new"  # a late keyring write never changes what this session holds
        backend.let_through(2)
        qtbot.waitUntil(lambda: done == [True], timeout=5_000)
        # In the order they were asked for: the sign-out's delete never removes the token stored after it.
        assert backend.passwords == {(SERVICE, "work"): "tok-new"}
        assert backend.written_on == ["crmdesk-keyring-save", "crmdesk-keyring-forget", "crmdesk-keyring-save"]
        assert credentials.load("work") == "tok-new"
    finally:
        backend.let_through(3)


def test_wrapped_texts_keep_their_lines_when_progress_and_messages_appear(
    qtbot: QtBot, qasync_loop: object, private_settings: object
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the memory_keyring fixture restores afterwards
    dialog, _credentials = _dialog(qtbot, f"http://127.0.0.1:{closed_port()}", "t" * 24)
    assert dialog.keyring_notice.isVisible()

    def clipped() -> list[str]:
        labels = [dialog.keyring_notice, dialog.message]
        return [
            label.text()
            for label in labels
            if label.isVisible() and label.height() < label.heightForWidth(label.width())
        ]

    qtbot.waitUntil(lambda: dialog.keyring_notice.height() > 0)
    assert clipped() == []
    dialog.set_busy(True, "Checking the token with 127.0.0.1…")
    qtbot.waitUntil(lambda: dialog.progress.isVisible())
    qtbot.wait(50)  # layouts settle
    assert clipped() == []
    dialog.set_busy(False)
    dialog.show_message("Cannot reach 127.0.0.1:9. Check the server address and your connection, then try again.")
    qtbot.wait(50)
    assert clipped() == []


def test_the_token_and_address_fields_line_up(qtbot: QtBot, private_settings: object) -> None:
    from PySide6.QtCore import QPoint

    dialog, _credentials = _dialog(qtbot, "https://contact-api.example.com", "t" * 24)
    dialog.advanced.click()
    qtbot.waitUntil(dialog.base_url_field.isVisible)
    qtbot.wait(20)  # layouts settle
    token_x = dialog.token_field.mapTo(dialog, QPoint(0, 0)).x()
    assert dialog.base_url_field.mapTo(dialog, QPoint(0, 0)).x() == token_x
    assert dialog.base_url_field.width() == dialog.token_field.width()


def test_keyboard_focus_shows_on_the_flat_advanced_toggle(qtbot: QtBot, private_settings: object) -> None:
    from PySide6.QtCore import Qt

    dialog, _credentials = _dialog(qtbot, "https://contact-api.example.com", "t" * 24)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.token_field.hasFocus)
    unfocused = dialog.advanced.grab().toImage()
    dialog.advanced.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(dialog.advanced.hasFocus)
    assert dialog.advanced.grab().toImage() != unfocused


def test_the_reason_sign_in_opened_with_reads_as_an_error_like_any_other(
    qtbot: QtBot, private_settings: object
) -> None:
    reason = "The server no longer accepts the token for this profile. Sign in again."
    opened_with = SignInDialog(Credentials(), Profiles(), "work", message=reason)
    qtbot.addWidget(opened_with)
    later, _credentials = _dialog(qtbot, "https://contact-api.example.com", "t" * 24)
    later.show_message(reason)
    colour = opened_with.message.palette().color(opened_with.message.foregroundRole())
    assert colour == later.message.palette().color(later.message.foregroundRole())
    assert colour != opened_with.palette().color(opened_with.foregroundRole())
    assert colour == error_colour(later.palette()), "the red of every other error in the app"


@pytest.mark.parametrize("profile", ["team-b", "default"])
def test_the_dialog_says_which_profile_it_signs_in_to_when_there_can_be_several(
    qtbot: QtBot, private_settings: object, profile: str
) -> None:
    """A manager with two teams (--profile) must not paste one team's token into the other's profile unawares."""
    from PySide6.QtWidgets import QLabel

    dialog, _ = _dialog(qtbot, "https://contact-api.8mgenius.com.br", "", profile=profile)
    title = dialog.findChild(QLabel, "signInTitle")
    assert title is not None
    if profile == "default":  # the one profile most reps have: nothing to tell apart
        assert (dialog.windowTitle(), title.text()) == ("Sign in to CRMDesk", "Sign in with your API token")
    else:
        assert (dialog.windowTitle(), title.text()) == (
            "Sign in to CRMDesk: profile team-b",
            "Sign in to profile team-b",
        )
