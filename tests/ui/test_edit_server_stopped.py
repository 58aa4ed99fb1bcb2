"""A server that stops in the middle of a save: the edits survive, and the same save succeeds after a restart.

The server is restarted on the same loopback port (the ``--port`` given after LiveServer's own ``--port 0``
wins), so the view keeps its ContactApi exactly as a user's app would keep its session.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.errors import NetworkError
from tests.support.live_server import LiveServer
from tests.ui.contact_support import (
    close_api,
    create_contact,
    demo_registry,
    make_api,
    make_view,
    read_back,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "own.sqlite3", extra_args=["--port", str(_free_port())])
    with server:
        yield server


def test_edits_survive_a_server_stopped_mid_save_and_save_after_restart(
    qtbot: QtBot, qasync_loop: object, own_server: LiveServer
) -> None:
    account = own_server.add_account()
    # No retries: the test wants the failure now, not after the client's backoff.
    api: ContactApi = make_api(account.base_url, account.token, max_retries=0, timeout=5.0)
    try:
        contact = create_contact(qtbot, api, name="Rita Lee", email="rita@example.com")
        service, view = make_view(qtbot, api, demo_registry())
        view.show_contact(contact)
        city = view.findChild(QLineEdit, "city")
        business = view.findChild(QLineEdit, "businessName")
        assert city is not None and business is not None
        city.setFocus()
        qtbot.keyClicks(city, "Santos")
        business.setFocus()
        qtbot.keyClicks(business, "Rita Discos")

        with qtbot.waitSignal(view.error_raised, timeout=15_000) as raised:
            view.save()
            # The save is in flight: the form is locked, then the server goes away under it.
            assert city.isReadOnly() and business.isReadOnly()
            own_server.stop()
        assert isinstance(raised.args[0], NetworkError)
        assert (city.text(), business.text()) == ("Santos", "Rita Discos")
        assert not city.isReadOnly() and view.has_unsaved_changes() and view.save_button.isEnabled()
        assert view.form_status.text().startswith("Not saved:")

        own_server.start()
        assert own_server.base_url == account.base_url, "restarted on the same port"
        with qtbot.waitSignal(service.saved, timeout=15_000):
            view.save_button.click()
        server = read_back(qtbot, api, contact.uid)
        assert (server.city, server.businessName) == ("Santos", "Rita Discos")
        assert not view.has_unsaved_changes()
    finally:
        close_api(qtbot, api)
