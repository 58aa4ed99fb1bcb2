"""Helpers for the shell tests (sign-in, search, main window): sessions, windows and seeded contacts."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact, ContactRef
from crmdesk.services.profiles import Profiles
from crmdesk.services.registry import Registry
from crmdesk.services.session import Session
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account

T = TypeVar("T")


def run(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: int = 15_000) -> T:
    """Run ``coro`` on the session's qasync loop while the test waits (never blocking the loop)."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_contacts(qtbot: QtBot, account: Account, *contacts: dict[str, Any]) -> list[ContactRef]:
    async def go() -> list[ContactRef]:
        async with ContactApi(account.base_url, account.token) as api:
            return [await api.create_contact(**fields) for fields in contacts]

    return run(qtbot, go())


def on_server(qtbot: QtBot, account: Account, **lookup: str) -> Contact:
    """The one contact ``lookup`` (uid=, email= or phone=) finds, as the server holds it."""

    async def read() -> Contact:
        async with ContactApi(account.base_url, account.token) as api:
            contact = await api.get_contact(**lookup)
            assert isinstance(contact, Contact)
            return contact

    return run(qtbot, read())


def open_window(qtbot: QtBot, account: Account, profile: str = "work", **session_kwargs: Any) -> MainWindow:
    session = Session(profile, account.base_url, account.token, **session_kwargs)
    registry = Registry.load(profile)
    window = MainWindow(session, registry, Profiles())
    # A test that fails before its close_window() still closes the window and its connections; a client left
    # open would surface later as an unclosed-socket warning in whichever test the garbage collector ran in.
    qtbot.addWidget(window, before_close_func=lambda widget: close_window(qtbot, widget))
    window.show()
    qtbot.waitExposed(window)
    return window


def close_window(qtbot: QtBot, window: MainWindow) -> None:
    if window.property("closedByTest"):
        return
    window.setProperty("closedByTest", True)
    window.search.shutdown()
    window.close_without_prompt()
    run(qtbot, window.session.aclose())


@contextmanager
def dark_scheme() -> Iterator[None]:
    """The desktop switched to dark while the app runs (the app's own dark palette), and back afterwards."""
    from crmdesk.app import _dark_palette

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    try:
        app.setPalette(_dark_palette())
        QApplication.processEvents()
        yield
    finally:
        app.setPalette(before)


def unwritable_settings(private_settings: Path) -> None:
    """Point QSettings at a folder that cannot be made (a file stands where its parent should be): every write
    fails, as with a read-only or full disk."""
    from PySide6.QtCore import QSettings

    blocker = private_settings.parent / "a file"
    blocker.write_text("where the settings folder's parent should be", encoding="utf-8")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(blocker / "settings"))
