"""The composition root: command line, QApplication, wiring of windows and services, clean exit.

Start-up stays light on purpose: nothing here imports the bundled server, SQLAlchemy, phonenumbers or even
asyncio before the first window shows. Qt's event loop runs the app; asyncio joins it through qasync once the
window is up (crmdesk.services.event_loop).

``crmdesk server ARGS...`` runs the bundled server's CLI instead of the app; demo mode uses it to start the
server as a child process from inside a PyInstaller bundle.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from crmdesk import __version__

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtGui import QSessionManager
    from PySide6.QtWidgets import QApplication, QWidget

    from crmdesk.services.demo import DemoServer
    from crmdesk.services.instance import Instance
    from crmdesk.services.session import Session
    from crmdesk.ui.main_window import ContactViewFactory, MainWindow
    from crmdesk.ui.sign_in import SignInDialog

log = logging.getLogger("crmdesk")

#: "dark" or "light" forces the colour scheme (screenshots, and users whose desktop reports none).
COLOR_SCHEME_ENV = "CRMDESK_COLOR_SCHEME"
#: "1" prints "event: window-shown" / "event: contact-shown" / "event: demo-ready" / "event: demo-failed" on stdout,
#: for benchmarks timing the real app and for the README check.
REPORT_EVENTS_ENV = "CRMDESK_REPORT_EVENTS"
SELF_TEST_DEADLINE_S = 60


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="crmdesk",
        description="CRMDesk: contacts of the 8mGenius Contact API.",
        # The installed bundle has no crmdesk-server of its own: its server is reached through the app.
        epilog="crmdesk server COMMAND ...  runs the bundled Contact API server, as crmdesk-server does;\n"
        "                            crmdesk server --help lists its commands.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--demo", action="store_true", help="try the app with sample contacts on a local server")
    parser.add_argument("--base-url", metavar="URL", help="the Contact API's address (default: the vendor's)")
    parser.add_argument("--profile", metavar="NAME", help="which account profile to use")
    parser.add_argument("--version", action="version", version=f"crmdesk {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start the demo, run one search, print the keyring backend and Qt platform, and exit",
    )
    parser.add_argument("--search", metavar="QUERY", help="open the contact with this UID, email or phone at start")
    # For the start-up benchmark: quit once the main window has shown and processed one event.
    parser.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    args, _qt_args = parser.parse_known_args(argv)  # Qt's own options (-platform, -style) pass through
    if args.profile is not None:
        from crmdesk.paths import is_valid_profile_name

        if not is_valid_profile_name(args.profile):
            parser.error(
                f"invalid profile name {args.profile!r}: use letters, digits, '.', '_' or '-' (on Windows, not "
                "ending in '.' and not a device name such as CON or NUL)"
            )
        from crmdesk.services.profiles import DEMO_PROFILE

        if args.profile.casefold() == DEMO_PROFILE:
            # The demo keeps its Recent list and its sample team's settings there: a real account would share them.
            parser.error(f"the profile name {args.profile!r} is the demo's own: use --demo for it, or another name")
    return args


class _LogFile(logging.Handler):
    """The rotating log file, opened when the first record arrives.

    A normal start logs nothing before its window shows, and ``logging.handlers`` (with the socket, pickle and
    queue modules it imports) cost ~5 ms of that start; an app that never logs leaves no empty file either.

    A file that cannot be opened or written (a read-only data folder, a full disk) must neither stop the app
    nor print logging's traceback to the console for every record: the console is told once, the file is
    left alone for ``RETRY_S`` seconds, then tried again, so that logging resumes once there is room.
    """

    RETRY_S = 60.0

    def __init__(self, path: Path, formatter: logging.Formatter) -> None:
        super().__init__()
        self.path = path
        self._formatter = formatter
        self._file: logging.Handler | None = None
        self._resting_until = 0.0  # time.monotonic() before which the file is not tried again
        self._told = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            if self._resting_until and time.monotonic() < self._resting_until:
                return
            import logging.handlers

            try:
                self._file = logging.handlers.RotatingFileHandler(
                    self.path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
                )
            except OSError as exc:
                self._give_up_for_now(exc)
                return
            self._file.setFormatter(self._formatter)
            self._file.handleError = self._write_failed  # type: ignore[method-assign]
        self._file.handle(record)

    def _write_failed(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            logging.Handler.handleError(self, record)  # a faulty record (bad format arguments), not the file
            return
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.close()  # a full disk can refuse the flush on close as well
            except OSError:
                pass
        self._give_up_for_now(exc)

    def _give_up_for_now(self, exc: BaseException | None) -> None:
        self._resting_until = time.monotonic() + self.RETRY_S
        if self._told or sys.stderr is None:  # a windowed bundle on Windows or macOS has no console
            return
        self._told = True
        from crmdesk.paths import os_error_text

        why = os_error_text(exc) if isinstance(exc, OSError) else str(exc)  # OSError from the open
        try:
            sys.stderr.write(f"crmdesk: cannot write the log file {self.path} ({why}); problems go to this console\n")
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
        super().close()


def setup_logging() -> None:
    from crmdesk.paths import log_dir
    from crmdesk.redaction import RedactingFormatter

    root = logging.getLogger("crmdesk")
    root.setLevel(logging.INFO)
    try:
        path = log_dir() / "crmdesk.log"
    except OSError:
        pass  # as above: no log file, the console still gets the problems
    else:
        root.addHandler(_LogFile(path, RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")))
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(RedactingFormatter("crmdesk: %(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)


#: Qt messages that say nothing to a user and would only look like trouble on the console.
_QUIET_QT_MESSAGES = ("This plugin does not support propagateSizeHints()", "This plugin does not support raise()")


def install_qt_message_handler() -> None:
    """Route Qt's own messages into our log, so they land in the log file with everything else."""
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("crmdesk.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        level = logging.DEBUG if message in _QUIET_QT_MESSAGES else levels.get(kind, logging.INFO)
        qt_log.log(level, "%s", message)

    qInstallMessageHandler(handler)


def apply_color_scheme(app: QApplication) -> None:
    """Honour CRMDESK_COLOR_SCHEME=dark|light when the desktop gives no (or the other) scheme."""
    from PySide6.QtCore import Qt

    wanted = os.environ.get(COLOR_SCHEME_ENV, "").strip().lower()
    schemes = {"dark": Qt.ColorScheme.Dark, "light": Qt.ColorScheme.Light}
    if wanted not in schemes:
        return
    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+: asks the platform theme, which may decline
        hints.setColorScheme(schemes[wanted])
    if hints.colorScheme() != schemes[wanted]:
        # No platform theme to switch (bare X servers, some desktops): Fusion with a palette of that scheme.
        app.setStyle("Fusion")
        app.setPalette(_dark_palette() if wanted == "dark" else _light_palette(app.style().standardPalette()))


def _light_palette(standard: Any) -> Any:
    """Fusion's own light palette, with muted text dark enough to read at small sizes (4.5:1 on the window)."""
    from PySide6.QtGui import QColor, QPalette

    # Fusion's placeholder is half-transparent black: about #777 on the window, under 4 : 1 for the note times,
    # the section titles and the sidebar's second lines that use it.
    standard.setColor(QPalette.ColorRole.PlaceholderText, QColor("#6b6b6b"))
    # Fusion's disabled text is #bebebe, 1.6 : 1 on the window; the Account menu names the profile and its server
    # in a disabled entry. 3 : 1 reads, and still looks unavailable beside black.
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        standard.setColor(QPalette.ColorGroup.Disabled, role, QColor("#858585"))
    # Muted stays dimmer than the disabled values: a greyed-out contact (being deleted) read its empty fields'
    # hints and its "Created…" line darker than its names.
    standard.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.PlaceholderText, QColor("#a6a6a6"))
    return standard


def _dark_palette() -> Any:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    role = QPalette.ColorRole
    colours = {
        role.Window: "#2b2d31",
        role.WindowText: "#e6e6e6",
        role.Base: "#36383e",
        role.AlternateBase: "#3b3d43",
        role.ToolTipBase: "#3a3d42",
        role.ToolTipText: "#e6e6e6",
        role.PlaceholderText: "#a0a4ab",  # muted text, 5.5 : 1 on the window and 4.7 : 1 in a field
        role.Text: "#e6e6e6",
        role.Button: "#34373c",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff6b6b",
        role.Light: "#45484e",
        role.Midlight: "#3a3d42",
        role.Mid: "#2f3236",
        role.Dark: "#1a1b1e",
        role.Shadow: "#111214",
        role.Highlight: "#3b82f6",
        role.HighlightedText: "#ffffff",
        role.Link: "#7aa7ff",
        role.LinkVisited: "#b99aff",
    }
    for colour_role, value in colours.items():
        palette.setColor(colour_role, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    # 3 : 1 on what Fusion draws a button with (#404346, lighter than Button) and on a menu (#3a3c43), as light
    # mode's: #7a7e86 read 2.4 : 1 on a disabled Save. Still plainly dimmer than enabled text.
    for colour_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, colour_role, QColor("#8e929a"))
    palette.setColor(disabled, role.PlaceholderText, QColor("#6f737b"))  # dimmer than the disabled values
    palette.setColor(disabled, role.Base, QColor("#303237"))
    palette.setColor(disabled, role.Button, QColor("#2f3236"))
    return palette


class AppController:
    """Wires sign-in, demo mode, sessions and main windows together, and owns the app's clean exit.

    :meth:`start` opens the first window (no asyncio needed); :meth:`finish` shuts everything down and then
    calls ``on_exit`` with the exit code (the app passes ``QApplication.exit``).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        contact_view_factory: ContactViewFactory | None = None,
        on_exit: Callable[[int], None] | None = None,
    ) -> None:
        from crmdesk.services.credentials import Credentials
        from crmdesk.services.profiles import Profiles

        self.args = args
        self.credentials = Credentials()
        self.profiles = Profiles()
        self.profile: str = args.profile or self.profiles.last_used()
        self.session: Session | None = None
        self.window: MainWindow | None = None
        self.sign_in: SignInDialog | None = None
        self.demo: DemoServer | None = None
        self._environment_session: Session | None = None  # made with CRMDESK_TOKEN: it never touches the keyring
        self.exit_code: int | None = None
        self._contact_view_factory = contact_view_factory
        self._on_exit = on_exit
        #: This process's claim on the data folder (set by ``main``), whose later starts' requests it answers.
        self.instance: Instance | None = None
        #: True once shutdown() has run to its end.
        self.shut_down = False
        self._closing_sessions: list[Session] = []
        self._error_box: object = None  # the last unexpected error shown with no window open
        self._stopping_demos: list[DemoServer] = []  # demo servers told to stop, until they have
        # Sessions signed in while the app asks whether to drop a window's edits for them.
        self._replacements: list[Session] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._shutting_down = False
        # A later start's search that came while this window's sign-out was under way, and which sign-out that
        # was: it waits in the window's search field, and goes to the next window only if that sign-out really
        # happens (it may yet fail) and the rep has not run it here meanwhile.
        self._handed_over: tuple[str, int] | None = None

    # --- life -----------------------------------------------------------------------------------

    def finish(self, code: int = 0) -> None:
        """End the run with ``code``: shut down cleanly, then call ``on_exit``. The first call decides the code."""
        if self.exit_code is not None or self._shutting_down:
            return  # already ending (a second shutdown would cancel the first one's task)
        self.exit_code = code
        ending = self._end(code)
        try:
            self._spawn(ending)
        except Exception:
            # No event loop for a clean shutdown (asyncio's support failed to load): end now rather than never.
            ending.close()
            log.exception("Could not shut down cleanly; ending now")
            if self._on_exit is not None:
                self._on_exit(code)

    async def _end(self, code: int) -> None:
        try:
            await self.shutdown()
        finally:
            if self._on_exit is not None:
                self._on_exit(code)

    def start(self) -> None:
        if self.args.self_test:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(SELF_TEST_DEADLINE_S * 1000, self._self_test_timed_out)
        if self.args.demo or self.args.self_test:
            self.start_demo()
            return
        from crmdesk.services.credentials import TOKEN_ENV

        # Read once and taken out of the environment: the programs the app starts (the browser or mail program
        # behind a link, a phone app) inherit it, and have no business with the account's token.
        env_token = os.environ.pop(TOKEN_ENV, "").strip()
        base_url = self.args.base_url or self.profiles.base_url(self.profile)
        if env_token:
            # For scripted runs and benchmarks: used for this session only, never stored, and the keyring is left
            # alone (a stale variable must not cost the rep the token they remembered).
            self._open_session_or_sign_in(base_url, env_token, from_environment=True)
            return
        if self.profiles.token_remembered(self.profile):
            # Reading the keyring costs ~150 ms before its first answer (longer if it has to be unlocked): the
            # window shows now with a session that waits for its token, read in a worker thread.
            self._open_remembered(base_url, None)
            return
        # No hint (first start, a token remembered by an older version, or one the keyring would not remove when the
        # rep signed in without Remember): read the keyring before anything shows.
        stored = self.credentials.load(self.profile)
        if stored and not self.profiles.token_server(self.profile):
            from PySide6.QtCore import QCoreApplication

            self.show_sign_in(
                QCoreApplication.translate(
                    "AppController",
                    "A token is saved for profile {0}, but not which server it was given for, so it is not sent "
                    "anywhere. Sign in again.",
                ).format(self.profile)
            )
            return
        if stored:
            self.profiles.set_token_remembered(self.profile, True)
            self._open_remembered(base_url, stored)
            return
        self.show_sign_in()

    def _open_remembered(self, base_url: str, token: str | None) -> None:
        """Open the profile with the token it remembers (``None``: read from the keyring meanwhile), if
        ``base_url`` is the server that token was given for. A --base-url naming another (a shortcut or a phone
        tool set up for another server) would hand it the account's token unasked: sign-in asks for that
        server's instead, as the sign-in dialog itself never sends a stored token elsewhere."""
        from crmdesk.api.address import normalised_base_url, same_server

        given_for = self.profiles.token_server(self.profile)
        try:
            normalised_base_url(base_url)
            refused = False
        except ValueError:
            refused = True  # an address that cannot be used: the session refuses it, and sign-in says why
        if refused or same_server(base_url, given_for):
            self._open_session_or_sign_in(base_url, token)
            return
        from PySide6.QtCore import QCoreApplication

        if self.args.base_url and same_server(self.profiles.base_url(self.profile), given_for):
            text = QCoreApplication.translate(
                "AppController",
                "The token saved for profile {0} is for {1}, so it is not sent to {2}. Sign in with that server's "
                "token, or start without --base-url.",
            )
        else:  # the profile was signed in to another server since, and its keyring still holds this one's token
            text = QCoreApplication.translate(
                "AppController",
                "The token saved for profile {0} is for {1}, so it is not sent to {2}, where the profile signs in "
                "now. Sign in with that server's token, or start with --base-url {1}.",
            )
        self.show_sign_in(text.format(self.profile, given_for or "another server", base_url))

    def _open_session_or_sign_in(self, base_url: str, token: str | None, *, from_environment: bool = False) -> None:
        from crmdesk.services.session import Session

        try:
            session = Session(self.profile, base_url, token)
        except ValueError as exc:
            self.show_sign_in(str(exc))
            return
        if from_environment:
            self._environment_session = session
        self.open_window(session)
        if not session.is_ready():
            from PySide6.QtCore import QTimer

            # Started once the window has processed its first events: the thread would otherwise compete with
            # the first paint for the GIL.
            QTimer.singleShot(0, lambda: self._read_remembered_token(session))

    def _read_remembered_token(self, session: Session) -> None:
        from crmdesk.services.background import run_in_thread

        credentials, profile = self.credentials, session.profile

        def read() -> str | Exception | None:
            try:
                return credentials.load(profile, raise_errors=True)
            except Exception as exc:  # the keyring failed to answer: not the same as "no token"
                return exc

        # A daemon: the keyring may wait for the user to unlock it for as long as they like.
        run_in_thread(
            read,
            lambda token: self._remembered_token_read(session, token),
            name="crmdesk-token-reader",
            daemon=True,
        )

    def _remembered_token_read(self, session: Session, token: object) -> None:
        from PySide6.QtCore import QCoreApplication

        if self.exit_code is not None or self._shutting_down:
            return  # the app is ending: start nothing, open no dialog
        if session is not self.session or session.is_ready():
            return  # signed out or signed in again meanwhile
        if isinstance(token, str):
            try:
                session.provide_token(token)
            except ValueError:
                log.info("The token in the keyring for profile %s is malformed", session.profile)
            else:
                return
        if isinstance(token, Exception):
            # Locked and not unlocked, or a backend failing: the token may well still be there next time.
            message = QCoreApplication.translate(
                "AppController",
                "Could not read the saved token for profile {0} from the system keyring ({1}). Sign in to continue.",
            ).format(session.profile, type(token).__name__)
        else:
            self.profiles.set_token_remembered(session.profile, False)
            message = QCoreApplication.translate(
                "AppController", "No saved token was found for profile {0}. Sign in to continue."
            ).format(session.profile)
        if self.window is not None:
            self.window.stop_waiting(message)  # it said the keyring was being read
        self.show_sign_in(message)

    # --- sign-in --------------------------------------------------------------------------------

    def show_sign_in(self, message: str = "") -> None:
        from crmdesk.ui.sign_in import SignInDialog

        if self.sign_in is not None:
            self.sign_in.show_message(message)
            self.sign_in.raise_()
            return
        dialog = SignInDialog(
            self.credentials,
            self.profiles,
            self.profile,
            message=message,
            parent=self.window,
            on_not_remembered=self._not_remembered,
        )
        if self.args.base_url:
            dialog.base_url_field.setText(self.args.base_url)
        dialog.session_ready.connect(self._signed_in)
        dialog.demo_requested.connect(self.start_demo)
        dialog.rejected.connect(self._sign_in_cancelled)
        self.sign_in = dialog
        dialog.open()  # never exec(): a nested loop inside a running task breaks qasync

    def _signed_in(self, session: Session, keep_sign_in: Callable[[], None]) -> None:
        from crmdesk.api.address import same_server

        self._drop_sign_in()
        if self.demo is not None:
            # Signed in to an account from the demo (or while its server started): the demo is over.
            demo, self.demo = self.demo, None
            self._stop_demo(demo)
        current = self.session
        if (
            self.window is not None
            and current is not None
            and not current.demo
            and current.profile == session.profile
            and same_server(current.base_url or "", session.base_url or "")
        ):
            # Signing in again after a 401 (or when the keyring had no token) for the same account: keep the window,
            # the open contact and any unsaved edits, and let the existing session carry on with the new token.
            keep_sign_in()
            current.adopt(session)
            if current is self._environment_session:
                # Its token now comes from the rep (and the keyring, if remembered): sign-out and a 401 forget it.
                self._environment_session = None
            self.profiles.set_last_used(session.profile)  # signed in to by the rep: what a plain start opens
            self._spawn(session.aclose())
            return
        self.open_window(session, keep_sign_in)

    def _sign_in_cancelled(self) -> None:
        self._drop_sign_in()
        if self.window is None and (self.demo is None or self.session is None):
            self.finish(0)
        elif self.session is not None and not self.session.is_ready():
            self.finish(0)  # a window still waiting for a token it will never get can do nothing

    def _drop_sign_in(self) -> None:
        dialog, self.sign_in = self.sign_in, None
        if dialog is not None:
            dialog.hide()
            dialog.deleteLater()

    # --- demo -----------------------------------------------------------------------------------

    def start_demo(self) -> None:
        from crmdesk.services.demo import DemoServer

        if self.demo is not None and self.demo.is_running():
            return
        demo = self.demo = DemoServer()
        # Bound to this server: one the user has left (or replaced) while it started has nothing more to say.
        demo.started.connect(lambda base_url: self._demo_started(base_url) if demo is self.demo else None)
        demo.failed.connect(lambda message: self._demo_failed(message) if demo is self.demo else None)
        session = self.session
        waiting_demo = self.window is not None and session is not None and session.demo and not session.is_ready()
        # First: the server's start (~0.25 s of Python in a process of its own) then overlaps the window's build
        # below. It reports only through the event loop, once this call has returned.
        demo.start()
        if self.window is None or waiting_demo:
            # The window shows at once, waiting for the server's address, rather than after the server's start
            # (~0.5 s): its first paint then happens before anything else is on screen, not as one long stall of
            # a "starting" dialog, and a search typed meanwhile runs once the server is up. From the sign-in
            # dialog too: the dialog goes, and comes back with the reason if the server does not start.
            self._drop_sign_in()
            if self.window is None:
                from crmdesk.services.profiles import DEMO_PROFILE
                from crmdesk.services.session import Session

                self.open_window(Session(DEMO_PROFILE, None, None, demo=True))
            else:
                self.window.explain_the_wait()  # trying again after a failure: no longer the failure's text
        elif self.sign_in is not None:
            # An account's window (its token refused) stays until the demo is up: it is replaced then, after a
            # question if it holds unsaved edits, so a demo that fails to start leaves it as it was.
            self.sign_in.set_busy(True, self.sign_in.tr("Starting the demo server…"))

    def _restart_demo(self, window: MainWindow) -> None:
        """The window whose demo server stopped has settled its edits and writes: replace it without asking."""
        if window is self.window:
            self.start_demo()

    def _demo_started(self, base_url: str) -> None:
        from crmdesk.services.profiles import DEMO_PROFILE
        from crmdesk.services.session import Session

        assert self.demo is not None
        if self.sign_in is not None:
            self.sign_in.set_busy(False)
            self._drop_sign_in()
        waiting = self.session
        if waiting is not None and waiting.demo and not waiting.is_ready():
            waiting.provide_token(self.demo.token, base_url)
        else:
            self.open_window(Session(DEMO_PROFILE, base_url, self.demo.token, demo=True))
        if self.args.self_test:
            self._run_self_test()

    def _demo_failed(self, message: str) -> None:
        log.error("Demo mode failed: %s", message)
        if os.environ.get(REPORT_EVENTS_ENV) == "1":
            _report("demo-failed")
        # A server that did not start in time may still be running: it must not turn up later, and "Try the
        # demo" must start a new one.
        demo, self.demo = self.demo, None
        if demo is not None:
            self._stop_demo(demo)
        if self.args.self_test:
            self._self_test_failed(message)
            return
        if self.window is not None and self.session is not None and self.session.demo:
            if self.session.is_ready():
                self.window.show_demo_stopped(message)  # its banner offers to restart it
                return
            # A window still waiting for a server that will not come: it says so, and sign-in (or the demo
            # again) is offered over it.
            self.window.stop_waiting(message)
        if self.sign_in is None:
            self.show_sign_in(message)
        else:
            self.sign_in.set_busy(False)
            self.sign_in.show_message(message)

    # --- main window ----------------------------------------------------------------------------

    def open_window(self, session: Session, keep_sign_in: Callable[[], None] | None = None) -> None:
        """Open ``session``'s window in place of the one open now. ``keep_sign_in`` (from the sign-in dialog) keeps
        the profile's address and token for the next start; it is called only once the window does open."""
        old = self.window
        if old is not None and old.has_unsaved_changes():
            # Sign-in and the demo replace a window only after its token was refused (signing out asks about
            # unsaved edits before the window goes), so the edits cannot be saved any more: they go only if the
            # rep says so.
            self._confirm_replacing(old, session, keep_sign_in)
            return
        self._open_window_now(session, keep_sign_in)

    def _confirm_replacing(self, old: MainWindow, session: Session, keep_sign_in: Callable[[], None] | None) -> None:
        from PySide6.QtCore import QCoreApplication, Qt
        from PySide6.QtWidgets import QAbstractButton, QMessageBox

        def tr(text: str) -> str:
            return QCoreApplication.translate("AppController", text)

        box = QMessageBox(old)
        box.setObjectName("replaceWindowDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(tr("Unsaved changes"))
        box.setText(tr("Discard the unsaved changes in this window?"))
        target = tr("the demo") if session.demo else tr("profile {0}").format(session.profile)
        # A demo window is replaced when its server stopped and was restarted; any other, when its token was refused.
        why = tr("its demo server stopped") if old.session.demo else tr("the server refused its token")
        box.setInformativeText(
            tr("Opening {0} closes this window. Its changes cannot be saved: {1}.").format(target, why)
        )
        box.setStandardButtons(QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._replacements.append(session)  # closed by shutdown() if the app ends while the question is open

        def answered(button: QAbstractButton) -> None:
            if session in self._replacements:
                self._replacements.remove(session)
            if self._shutting_down:
                return
            if box.standardButton(button) == QMessageBox.StandardButton.Discard and self.window is old:
                if old.unsaved is not None:
                    old.unsaved.discard()  # not offered back as work a crash left
                self._open_window_now(session, keep_sign_in)
                return
            # Kept: the window stays as it was, with its edits and its "Sign in again" banner, and the profile as it
            # was: its address and its token in the keyring are still the old window's.
            self._spawn(session.aclose())
            if session.demo and self.demo is not None:
                demo, self.demo = self.demo, None
                self._stop_demo(demo)

        box.buttonClicked.connect(answered)
        box.open()

    def _open_window_now(self, session: Session, keep_sign_in: Callable[[], None] | None = None) -> None:
        from crmdesk.services.registry import Registry
        from crmdesk.ui.main_window import MainWindow

        settings_server = self.profiles.base_url(session.profile)  # before the sign-in is kept
        if session is not self._environment_session:
            # What a plain start (the desktop icon, a phone tool's --search) opens next: the profile used last, not
            # the one signed in to last. A scripted run with a token from the environment leaves it as it was.
            self.profiles.set_last_used(session.profile)
        registry = Registry.load(session.profile)
        if session.demo:
            # Imported here only: the server package is never loaded by a signed-in (non-demo) start.
            from crmdesk.server import demo_data

            registry.merge(
                stages=demo_data.STAGES,
                qualities=demo_data.QUALITIES,
                members=dict(demo_data.MEMBERS),
                account_time_zone=demo_data.TIME_ZONE,  # its notes are stamped in São Paulo time
                currency=demo_data.CURRENCY,
            )
        old_window, old_session = self.window, self.session
        if old_window is not None and old_window.unsaved is not None:
            # Its file as things are now, before the new window reads it: nothing unsaved, no file to offer.
            old_window.unsaved.finish()
        if not session.demo and session.base_url is not None:
            from crmdesk.services import server_files

            if old_window is not None:
                old_window.recent.flush()  # written now, so that it goes aside with the rest if the server changed
            kept_zone = server_files.use_server(
                session.profile,
                session.base_url,
                settings_server=settings_server,
                account_time_zone=registry.account_time_zone(),
            )
            if kept_zone is not None:  # another server: its account's zone, as known when the profile left it
                registry.merge(account_time_zone=kept_zone)
        window = MainWindow(session, registry, self.profiles, self._contact_view_factory)
        if session.demo:
            from collections import Counter

            from crmdesk.server import demo_data

            # The API lists no contacts: a first look at the demo needs a few to start from, by name. Each is found
            # by its email, which no other sample shares (a shared one lists both, to show several matches).
            emails = Counter(sample.get("email", "") for sample in demo_data.CONTACTS)
            samples = [sample for sample in demo_data.CONTACTS if emails[sample.get("email", "")] == 1]
            window.offer_examples(
                [
                    (f"{sample['firstName']} {sample['lastName']}", sample["email"], sample["uid"])
                    for sample in samples[:4]
                ]
            )
        registry.setParent(window)
        session.setParent(window)
        session.auth_failed.connect(self._auth_failed)
        window.sign_out_requested.connect(self._sign_out)
        window.sign_in_requested.connect(self.show_sign_in)
        window.demo_restart_requested.connect(lambda: self._restart_demo(window))
        window.closed.connect(lambda: self._window_closed(window))
        self.window, self.session = window, session
        if keep_sign_in is not None:
            keep_sign_in()  # now: what it has to tell (a keyring that refused the token) goes to this window
        window.show()
        if old_window is not None:
            self._retire(old_window, old_session)
        self._after_show(window)

    def _after_show(self, window: MainWindow) -> None:
        from PySide6.QtCore import Qt, QTimer

        from crmdesk import heap

        reporting = os.environ.get(REPORT_EVENTS_ENV) == "1"
        if reporting:
            window.contact_opened.connect(lambda _contact: _report("contact-shown"))
            if window.session.demo:  # the demo's server answered with its address: searches can be sent
                if window.session.is_ready():
                    _report("demo-ready")
                else:
                    window.session.ready.connect(lambda: _report("demo-ready"), Qt.ConnectionType.SingleShotConnection)

        def shown() -> None:  # runs once the window has processed its first events
            if reporting:
                _report("window-shown")
            # httpx and the TLS settings were left out of start-up; load them now, in a worker thread, so the
            # first search does not pay for them (~110 ms for the HTTP stack, ~80 ms more for https's CA bundle,
            # whose loading releases the GIL). An Enter pressed before that is done still searches: the request
            # imports what is missing itself.
            session = window.session
            if session.is_ready():
                session.preload()
            else:
                # Nothing is sent before a waiting session is ready (its token, or the demo server, is on its
                # way): the stack then loads once the contact view is built, not in the same turns as its build
                # steps, or when the session is ready if that comes first.
                window.contact_view_ready.connect(session.preload, Qt.ConnectionType.SingleShotConnection)
                session.ready.connect(session.preload, Qt.ConnectionType.SingleShotConnection)
            # After a delay that outlasts the preloads and the staged contact view, take start-up's objects out of
            # collections. Tied to the window: a window retired before then leaves it to the next one.
            QTimer.singleShot(heap.STARTUP_SETTLE_MS, window, heap.freeze_startup_objects)
            if self.args.exit_when_shown:
                self.finish(0)
            elif self.args.search and not self.args.self_test:
                query, self.args.search = self.args.search, None  # only the first window opens it
                window.request_search(query)

        QTimer.singleShot(0, shown)

    def answer_later_start(self, request: dict[str, Any]) -> None:
        """CRMDesk was started again on this data folder: bring this copy forward, and run its search.

        A search waits for a window that can take it: while only sign-in is up it runs in the window that opens
        next, as ``--search`` does; while a question is open (unsaved changes), it is put in the search field for
        the rep to send once they have answered.
        """
        from PySide6.QtWidgets import QApplication

        query = request.get("search")
        window = self.window
        if window is not None:
            window.keep_open()
        other = self._other_than_open(request)
        if other is not None:
            # Another account, server or the demo: the rep's open work would have to be put away first, which
            # is theirs to do. Its search was meant for that account, not this one.
            query = None
            text = f"CRMDesk was started again for {other[0]}, but it is open here. {other[1]}"
            if window is not None:
                from crmdesk.ui.errors import Severity

                window.show_notice(text, Severity.INFO)
            elif self.sign_in is not None:
                self.sign_in.show_message(text, error=False)
        if query and (window is None or self._shutting_down):
            self.args.search = query
        elif query and window is not None and window.signing_out():
            # The sign-out may still fail (its save, a question the rep cancels): the search waits here, in sight,
            # and follows to the next window only if the sign-out goes through (see _sign_out).
            window.search_field.setText(query)
            self._handed_over = (query, window.sign_out_asked)
        elif query and window is not None:
            if QApplication.activeModalWidget() is not None:
                window.search_field.setText(query)
            else:
                window.request_search(query)
        self._bring_forward(window if window is not None else self.sign_in)

    @staticmethod
    def _bring_forward(window: QWidget | None) -> None:
        """Bring ``window`` and any modal dialog over it to the front, out of the taskbar if minimized (a maximized
        window stays maximized)."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        for target in (window, QApplication.activeModalWidget()):
            if target is None:
                continue
            target.setWindowState(target.windowState() & ~Qt.WindowState.WindowMinimized)
            target.show()
            target.raise_()
            target.activateWindow()

    def commit_data(self, manager: QSessionManager) -> None:
        """The computer is about to sign out, shut down or restart, and asks each app first (Windows always does;
        a desktop's session manager may). Ending now would lose what closing the window asks about (an unsaved
        edit, a note or tag typed but not added) or waits for (a change on its way to the server): the end is held
        back, the window comes forward and closes the ordinary way, with its questions, and the rep tries again.

        Without leave to interact nothing can be asked, and the session ends as it would have; what is unsaved is
        written to the profile's folder at once (the process may be ended before Qt quits), and the next start
        offers it back."""
        from PySide6.QtCore import QTimer

        window = self.window
        if window is not None and window.unsaved is not None:
            # The file as things are now: the end may not leave the app a second to write it (a revert since the
            # last write must not come back at the next start).
            window.unsaved.flush()
        if window is None or not window.would_lose_work():
            return
        if not manager.allowsInteraction():
            log.warning(
                "The computer's session is ending with changes not saved, and gave no leave to ask about them; "
                "they are kept for the next start"
            )
            return
        manager.cancel()
        log.info("Held back the end of the computer's session: closing the window would lose changes")
        self._bring_forward(window)
        # Asked once the session manager's call has returned (Windows waits for its answer only briefly).
        QTimer.singleShot(0, window, window.close)

    def takes_later_starts(self) -> bool:
        """False once this copy is going (its window closed, or shutting down): a request would be lost with it.
        Left in place, it goes to the start that made it, which takes the folder once this copy lets go."""
        window = self.window
        closed = window is not None and not window.isVisible() and self.sign_in is None
        return not (self._shutting_down or self.exit_code is not None or closed)

    def _other_than_open(self, request: dict[str, Any]) -> tuple[str, str] | None:
        """What a later start asked for that this copy is not open for (the demo, a profile, a server), and how
        the rep gets there; None if this copy is what it asked for."""
        session = self.session
        in_demo = session is not None and session.demo
        wanted = []
        if request.get("demo") and not in_demo:
            wanted.append("the demo")
        profile = request.get("profile")
        if not profile and not request.get("demo") and in_demo:
            # A plain start (a phone tool's --search) is for the profile a start opens, not the demo left open:
            # a real caller looked up among the sample contacts would read "No contact matches".
            profile = self.profiles.last_used() or self.profile
        other_profile = bool(profile and profile != (session.profile if session is not None else self.profile))
        if other_profile:
            wanted.append(f"profile {profile}")
        base_url = request.get("baseUrl")
        if base_url and not in_demo and not request.get("demo"):
            from crmdesk.api.address import same_server

            if session is not None and session.base_url:
                current = session.base_url
            elif self.sign_in is not None:  # at sign-in (after a sign-out, say): the server it would sign in to
                current = self.sign_in.base_url_field.text().strip()
            else:
                current = self.profiles.base_url(self.profile)
            if not same_server(base_url, current):
                wanted.append(base_url)
        if not wanted:
            return None
        if in_demo and not request.get("demo") and self.window is not None and profile == self.profile:
            # Leaving the demo opens self.profile; another profile takes a new start.
            how = "To switch, use Leave the demo in the account menu, or quit and start it again."
        elif request.get("demo") and not in_demo and self.window is None:
            how = "To switch, choose Try the demo here, or quit and start it again."
        elif self.window is None and not other_profile:
            # Its search is not kept: the window this dialog opens may be for either server.
            how = "To switch, sign in to it here (under Advanced) and search again, or quit and start it again."
        else:
            # Not Sign out: it stays in this profile, forgets its token, and removes the Recent lists the profile
            # keeps for its other servers. A new start signs in to what was asked for, and sets this one's aside.
            how = "To switch, quit CRMDesk and start it again."
        return " and ".join(wanted), how

    def _retire(self, window: MainWindow, session: Session | None) -> None:
        """Close a replaced window without prompting and close its client in the background."""
        window.closed.disconnect()
        window.close_without_prompt()
        # A lookup on its way would answer to the deleted window (a RuntimeError logged as unexpected). Writes were
        # waited for, or the rep chose to leave them.
        window.search.shutdown()
        if session is not None:
            session.setParent(None)
            self._closing_sessions.append(session)
            self._spawn(self._close_session(session))
        window.deleteLater()

    async def _close_session(self, session: Session) -> None:
        await session.aclose()
        if session in self._closing_sessions:
            self._closing_sessions.remove(session)

    def _stop_demo(self, demo: DemoServer) -> None:
        """Stop a demo server that is done with, in the background; :meth:`shutdown` sees it through."""
        self._stopping_demos.append(demo)

        async def stop() -> None:
            await demo.stop()
            self._stopping_demos.remove(demo)  # not when cancelled: shutdown then stops it itself

        self._spawn(stop())

    def _spawn(self, coro: Any) -> None:
        from crmdesk.services import event_loop

        task = event_loop.start(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _window_closed(self, window: MainWindow) -> None:
        if window is self.window:
            self.finish(0)

    def _owns_stored_token(self, session: Session | None) -> bool:
        """Whether ending ``session`` should forget the profile's remembered token: not for the demo, nor for a
        token given in the environment, which never came from the keyring."""
        return session is not None and not session.demo and session is not self._environment_session

    def _auth_failed(self) -> None:
        if self._owns_stored_token(self.session):
            assert self.session is not None
            profile = self.session.profile
            # The stored token no longer works; keep nobody's dead token around.
            self.credentials.forget_in_background(
                profile, lambda removed: self._forgotten(profile, removed, refused_by_server=True)
            )
            self.profiles.set_token_remembered(profile, False)
        from PySide6.QtCore import QCoreApplication

        self.show_sign_in(
            QCoreApplication.translate(
                "AppController", "The server no longer accepts the token for this profile. Sign in again."
            )
        )

    def _sign_out(self) -> None:
        window, session = self.window, self.session
        handed_over, self._handed_over = self._handed_over, None
        if handed_over is not None and window is not None:
            query, asked = handed_over
            same_sign_out = window.sign_out_asked == asked  # not one the rep asked for later, after it failed
            waiting = window.search_field.text() == query and window.last_searched() != query
            if same_sign_out and waiting:
                self.args.search = query  # for the window that opens next (see answer_later_start)
        if session is not None and self._owns_stored_token(session):
            profile = session.profile
            self.credentials.forget_in_background(
                profile, lambda removed: self._forgotten(profile, removed, refused_by_server=False)
            )
            self.profiles.set_token_remembered(profile, False)
        if window is not None and session is not None and not session.demo:
            # Recent names the account's customers, with their emails and phones: whoever signs in next on this
            # computer, perhaps to another account, must not find them.
            window.recent.clear()
            if window.unsaved is not None:
                window.unsaved.forget()  # nothing is left unsaved now, and what an earlier run left goes too
            if self._owns_stored_token(session):
                # Not for a token from the environment: the profile's own server is still signed in (its token
                # stays in the keyring), and its Recent list is set aside only while this run lasts.
                from crmdesk.services import server_files

                server_files.forget_other_servers_recent(session.profile)
        self.window, self.session = None, None
        if window is not None:
            self._retire(window, session)
        if session is not None and session.demo and self.demo is not None:
            demo, self.demo = self.demo, None
            self._stop_demo(demo)
        if session is not None and session.demo and self.profiles.token_remembered(self.profile):
            # Leaving the demo: the rep's own profile opens as a start does, its token read from the keyring
            # (the sign-in dialog asked them to paste it again).
            self._open_remembered(self.args.base_url or self.profiles.base_url(self.profile), None)
            return
        self.show_sign_in()

    def _not_remembered(self, message: str) -> None:
        if self.window is not None:
            from crmdesk.ui.errors import Severity

            self.window.show_notice(message, Severity.WARNING)

    def _forgotten(self, profile: str, removed: bool, *, refused_by_server: bool) -> None:
        """After the keyring delete of sign-out or of a token the server refused (401): say so when the
        keyring refused it, since the token is still there for the next start."""
        if removed or self.sign_in is None:
            return
        from PySide6.QtCore import QCoreApplication

        from crmdesk.services.credentials import SERVICE

        if refused_by_server:
            text = QCoreApplication.translate(
                "AppController",
                "The server no longer accepts the token for profile {0}, and the system keyring refused to remove "
                "it (is it locked?), so the next start will try it again. Sign in again, or remove it in your "
                "keyring manager (service {1}, account {0}).",
            )
        else:
            text = QCoreApplication.translate(
                "AppController",
                "Signed out, but the system keyring refused to remove the token for profile {0}, so the next "
                "start will sign in with it. Remove it in your keyring manager (service {1}, account {0}).",
            )
        self.sign_in.show_message(text.format(profile, SERVICE))

    # --- self-test ------------------------------------------------------------------------------

    def _run_self_test(self) -> None:
        from crmdesk.server import demo_data

        assert self.window is not None
        email = demo_data.CONTACTS[0]["email"]
        search = self.window.search

        def found(contact: Any) -> None:
            if getattr(contact, "email", "").lower() != email.lower():
                self._self_test_failed(f"searched {email}, got {getattr(contact, 'email', contact)!r}")
                return
            from PySide6.QtGui import QGuiApplication

            from crmdesk.services.credentials import keyring_status

            # Through the status, which copes with a backend that cannot load (and names it "unloadable").
            print(f"keyring backend: {keyring_status().backend_name}")
            print(f"Qt platform: {QGuiApplication.platformName()}")
            print(f"found: {contact.name} <{contact.email}> ({contact.uid})")
            print("self-test ok", flush=True)
            self.finish(0)

        search.found.connect(found)
        search.not_found.connect(lambda query: self._self_test_failed(f"the demo contact {query} was not found"))
        search.several_found.connect(lambda rows: self._self_test_failed(f"{len(rows)} contacts matched {email}"))
        search.failed.connect(lambda error: self._self_test_failed(f"search failed: {error!r}"))
        self.window.request_search(email)

    def _self_test_failed(self, reason: str) -> None:
        try:
            print(f"crmdesk: self-test failed: {reason}", file=sys.stderr, flush=True)
        finally:
            self.finish(1)  # whatever became of the message: a self-test that failed must end, and say so

    def _self_test_timed_out(self) -> None:
        self._self_test_failed(f"not done within {SELF_TEST_DEADLINE_S} s")

    # --- errors ---------------------------------------------------------------------------------

    def excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Unexpected exceptions (from slots, callbacks, tasks): logged, and shown without a modal loop."""
        if issubclass(exc_type, KeyboardInterrupt):
            self.finish(130)
            return
        log.error("Unexpected error", exc_info=(exc_type, exc, tb))
        if self.window is not None:
            self.window.show_error(exc)
            return
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        from crmdesk.ui.errors import describe
        from crmdesk.ui.messages import plain_box

        box = QMessageBox(QMessageBox.Icon.Critical, "CRMDesk", describe(exc).text, QMessageBox.StandardButton.Ok)
        plain_box(box)  # an error's text may quote the server
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()  # non-modal; exec() here could re-enter a running task
        self._error_box = box  # held: a box without a parent window goes with its last Python reference

    # --- shutdown -------------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Cancel every task, close every HTTP client and stop the demo server; prints nothing. Idempotent."""
        import asyncio

        self._shutting_down = True
        self._drop_sign_in()
        window, self.window = self.window, None
        if window is not None:
            window.closed.disconnect()
            if window.isVisible():
                window.close_without_prompt()
        if self.instance is not None:
            # The window has written what it keeps: a start from here on opens a copy of its own rather than
            # handing its request to one that is going (closing the clients and the demo server takes seconds).
            self.instance.release()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        sessions = [s for s in (self.session, *self._replacements, *self._closing_sessions) if s is not None]
        self._replacements.clear()
        self.session = None
        for session in sessions:
            try:
                await session.aclose()
            except Exception:
                log.exception("Closing the HTTP client failed")
        # A demo left just before (its stop was among the tasks cancelled) is stopped here too: left to quit with
        # the app, Qt would kill its server before the server could close its database.
        demos = [*self._stopping_demos, *([self.demo] if self.demo is not None else [])]
        self._stopping_demos.clear()
        self.demo = None
        for demo in demos:
            await demo.stop()
        if window is not None:
            window.deleteLater()
        self.shut_down = True


def _report(event: str) -> None:
    print(f"event: {event}", flush=True)


def _self_test_data_folder() -> str:
    """A data folder of the self-test's own (its log stays in the rep's): its demo must not reseed the demo
    database (and replace the token) of a CRMDesk open on the rep's folder, nor leave its profile behind there."""
    import tempfile

    from crmdesk.paths import DATA_DIR_ENV

    folder = tempfile.mkdtemp(prefix="crmdesk-self-test-")
    os.environ[DATA_DIR_ENV] = folder  # inherited by the demo's server process
    return folder


def _claim_data_folder(
    args: argparse.Namespace, ask: Callable[[str, bool], bool] | None = None
) -> tuple[Instance | None, bool]:
    """This process's claim on the data folder, and whether this start was handed to another CRMDesk (so ends).

    No claim is made for ``--self-test``, which runs in a folder of its own, nor on a data folder that cannot be
    made: nothing there can be shared by mistake. ``ask(text, offer)``
    tells the rep why this start cannot go ahead; with ``offer`` it offers to open anyway (True: do). Tests give
    their own answer.
    """
    if args.self_test:
        return None, False
    from crmdesk.paths import data_dir
    from crmdesk.services.instance import Instance

    try:
        folder = data_dir()
    except OSError:
        return None, False
    instance = Instance(folder)
    if instance.claim():
        return instance, False
    ask = ask or _ask_open_anyway
    request = {"search": args.search, "demo": bool(args.demo), "profile": args.profile, "baseUrl": args.base_url}
    outcome = instance.hand_over(request)
    if outcome == "claimed":  # it was quitting, and has let the folder go
        return instance, False
    if outcome == "taken":
        print("CRMDesk is already open: this start was handed to its window.", file=sys.stderr)
        return None, True
    if instance.holder_is_here():
        # Running on this computer, but busy (a keyring waiting to be unlocked, a slow start) or hung: breaking its
        # lock would put two copies on one folder.
        ask(
            "CRMDesk is already open on this computer, but did not answer (it may be waiting for the keyring to "
            "be unlocked). Try again in a moment; if it does not come forward, quit it first.",
            False,
        )
        return None, True
    if not ask(
        "CRMDesk seems to be open already, but does not answer. If it is not running (it may have ended abruptly, "
        "or on another computer sharing this folder), open it anyway.",
        True,
    ):
        return None, True
    if instance.take_over():
        return instance, False
    # A copy holds the folder after all (started while the rep was deciding): it takes this start, or the rep is
    # told; two copies on one folder are what the lock is there to prevent.
    outcome = instance.hand_over(request)
    if outcome == "claimed":
        return instance, False
    if outcome == "unanswered":
        ask("CRMDesk could not open: another copy holds its data folder. Try again in a moment.", False)
    return None, True


def _ask_open_anyway(text: str, offer: bool) -> bool:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, "CRMDesk", text)
    open_anyway = box.addButton("Open anyway", QMessageBox.ButtonRole.AcceptRole) if offer else None
    box.addButton(QMessageBox.StandardButton.Cancel if offer else QMessageBox.StandardButton.Ok)
    box.exec()
    return open_anyway is not None and box.clickedButton() is open_anyway


def _run_server(argv: Sequence[str]) -> int:
    from crmdesk.server.cli import main as server_main

    return server_main(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from crmdesk import console

    # A windowed start on Windows has no stdout or stderr: --help, --version, an argument error, --self-test
    # and the server commands write to the command prompt that started it, if any, and nothing raises for want
    # of a stream.
    console.attach()
    from crmdesk import heap

    # Until start-up has settled (see heap.freeze_startup_objects); the server's, until it listens.
    heap.hold_collections()
    if argv[:1] == ["server"]:
        # Hidden: the demo's child process inside a PyInstaller bundle, where sys.executable is this app.
        return _run_server(argv[1:])
    args = parse_args(argv)
    # httpx imports its command-line tool (click, rich, pygments) at import time whenever those happen to be
    # installed, which costs ~150 ms of start-up for a tool the app never runs; httpx has a documented fallback
    # for their absence, so mark its CLI module unavailable before crmdesk.api pulls httpx in.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from crmdesk.services import event_loop

    setup_logging()
    install_qt_message_handler()
    # After the log file is placed: what the self-test did stays in the log, for whoever asked for it.
    self_test_folder = _self_test_data_folder() if args.self_test else None

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    assert isinstance(app, QApplication)
    app.setOrganizationName("crmdesk")
    app.setApplicationName("crmdesk")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # the controller decides when the app is done
    apply_color_scheme(app)
    from crmdesk.ui.icons import app_icon

    app.setWindowIcon(app_icon())

    instance, handed_over = _claim_data_folder(args)
    if handed_over:
        return 0
    controller = AppController(args, on_exit=app.exit)
    # Qt asks for a direct connection: the session manager's question is answered before the call returns.
    app.commitDataRequest.connect(controller.commit_data, Qt.ConnectionType.DirectConnection)
    if instance is not None:
        controller.instance = instance
        instance.requested.connect(controller.answer_later_start)
        instance.accepting = controller.takes_later_starts
        # Requests are taken on the event loop, from its first turn: the watcher need not delay the first paint.
        QTimer.singleShot(0, instance.listen)
    previous_hook = sys.excepthook
    sys.excepthook = controller.excepthook
    try:
        controller.start()
        # asyncio and qasync load in a worker thread once the first window is painting, then join Qt's loop.
        QTimer.singleShot(0, event_loop.preload)
        # Each main window freezes start-up's objects once it has settled; sitting at sign-in, this does.
        QTimer.singleShot(4 * heap.STARTUP_SETTLE_MS, heap.freeze_startup_objects)
        code = app.exec()
        # When something other than finish() ended Qt's loop, shut down now: no task, HTTP client or demo server
        # outlives the app.
        event_loop.close(None if controller.shut_down else controller.shutdown())
    finally:
        sys.excepthook = previous_hook
        if instance is not None:
            instance.release()
        if self_test_folder is not None:
            import shutil

            shutil.rmtree(self_test_folder, ignore_errors=True)
    if controller.exit_code is not None:
        code = controller.exit_code
    log.info("CRMDesk exited with code %s", code)
    return code
