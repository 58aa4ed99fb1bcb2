"""Pytest fixtures that put the real bundled server behind tests.

- ``live_server`` (session): one :class:`~tests.support.live_server.LiveServer` subprocess on a loopback
  port with the rate limit off, its database in a temporary folder, seeded with ``--demo`` and
  ``CRMDESK_DEMO_TOKEN=test-demo-token``.
- ``account`` (function): a fresh pro account on ``live_server`` with the Demo stages, qualities and team
  members and no contacts. It is an :class:`~tests.support.live_server.Account` with ``.base_url`` and
  ``.token``; no other test sees its data.
- ``demo_account`` (session): the seeded Demo account (token ``test-demo-token``). Tests may read its
  contacts (see ``crmdesk.server.demo_data``) but must not change them, since every test shares them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmdesk.server import demo_data
from tests.support.live_server import Account, LiveServer

DEMO_TOKEN = "test-demo-token"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("live-server")
    server = LiveServer(
        folder / "server.sqlite3",
        rate_limit="off",
        demo=True,
        env={"CRMDESK_DEMO_TOKEN": DEMO_TOKEN, "CRMDESK_DATA_DIR": str(folder)},
    )
    with server:
        yield server


@pytest.fixture
def account(live_server: LiveServer) -> Account:
    return live_server.add_account()


@pytest.fixture(scope="session")
def demo_account(live_server: LiveServer) -> Account:
    return Account(name=demo_data.ACCOUNT_NAME, token=DEMO_TOKEN, base_url=live_server.base_url)
