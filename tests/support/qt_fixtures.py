"""Fixtures for tests that touch Qt: one qasync loop for the session, an in-memory keyring, private settings.

The pattern (see shared pitfalls): a single session-scoped ``qasync.QEventLoop(qapp, already_running=True)``
drives ``@asyncSlot`` coroutines while tests wait with ``qtbot.waitSignal`` / ``qtbot.waitUntil``. Never
create a loop per test and never call ``qtbot.wait*`` from inside a coroutine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict, so no test can reach the real system keyring."""

    priority: float = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(f"no password for {service}/{username}") from None


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def unfrozen_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app freezes start-up's objects after its window settles; in the suite that would freeze every test's."""
    from crmdesk import heap

    monkeypatch.setattr(heap, "_frozen", True)  # as if done already: freeze_startup_objects() freezes nothing


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own user data directory (recent lists, registries, demo database).

    Patched apart from the test's own ``monkeypatch``: a test that calls ``monkeypatch.undo()`` to put back what
    it patched would otherwise put back the user's real data folder too, and write a demo database there.
    """
    path = tmp_path / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRMDESK_DATA_DIR", str(path))
        patch.delenv("CRMDESK_TOKEN", raising=False)
        yield path


@pytest.fixture
def private_settings(tmp_path: Path) -> Iterator[Path]:
    """QSettings written to a temporary folder instead of the user's configuration."""
    from PySide6.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName("crmdesk")
    QCoreApplication.setApplicationName("crmdesk-tests")
    path = tmp_path / "settings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(path))
    yield path


@pytest.fixture(scope="session")
def qasync_loop(qapp: object) -> Iterator[asyncio.AbstractEventLoop]:
    """The one qasync loop of the session; tasks run whenever Qt processes events."""
    import qasync
    from PySide6.QtWidgets import QApplication

    assert isinstance(qapp, QApplication)
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    # Let cancelled tasks finish their clean-up before the loop goes away.
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def fail_on_unexpected_warnings(caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that logs a WARNING or worse it did not ask for (mark it ``expected_warnings``)."""
    caplog.set_level(logging.INFO)
    yield
    if request.node.get_closest_marker("expected_warnings"):
        return
    unexpected = [
        f"{record.name}: {record.getMessage()}"
        for when in ("setup", "call")
        for record in caplog.get_records(when)
        if record.levelno >= logging.WARNING
    ]
    if unexpected:
        pytest.fail("Unexpected warnings were logged:\n" + "\n".join(unexpected), pytrace=False)
