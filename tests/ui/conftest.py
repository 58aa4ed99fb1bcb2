"""Fixtures the contact-view tests share: a client for a fresh account that records what it sends, and a registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.services.registry import Registry
from tests.support.live_server import Account
from tests.ui.contact_support import RecordingTransport, close_api, demo_registry, make_api


@pytest.fixture
def transport() -> RecordingTransport:
    """The real loopback transport, remembering every request so a test can check what went out."""
    return RecordingTransport()


@pytest.fixture
def api(qtbot: QtBot, qasync_loop: object, account: Account, transport: RecordingTransport) -> Iterator[ContactApi]:
    client = make_api(account.base_url, account.token, transport=transport)
    yield client
    close_api(qtbot, client)


@pytest.fixture
def registry() -> Registry:
    return demo_registry()


@pytest.fixture
def utc_computer() -> Iterator[None]:
    """This computer's clock in UTC, so that times converted to local time are known in advance."""
    import time

    with pytest.MonkeyPatch.context() as patch:  # its own: the test's undo() leaves it, its end leaves theirs
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


@pytest.fixture
def screen_reader(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """What the app has a screen reader say, as (text, urgent), with one taken to be running (Orca, NVDA,
    VoiceOver): without one, announcements are not sent at all."""
    from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

    spoken: list[tuple[str, bool]] = []

    def update(event: object) -> None:
        if isinstance(event, QAccessibleAnnouncementEvent):
            urgent = event.politeness() == QAccessible.AnnouncementPoliteness.Assertive
            spoken.append((event.message(), urgent))

    monkeypatch.setattr(QAccessible, "isActive", lambda: True)
    monkeypatch.setattr(QAccessible, "updateAccessibility", update)
    return spoken
