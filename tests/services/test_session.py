"""A session's waiting states: a token still in the keyring, or a demo server that has no address yet."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from crmdesk.services.session import Session

TOKEN = "demo-session-token-0123456789"  # a made-up token of the accepted shape


def test_a_demo_session_waits_for_its_address_and_token_and_then_has_a_client(qtbot: QtBot) -> None:
    session = Session("demo", None, None, demo=True)
    assert not session.is_ready() and session.base_url is None and session.host == ""
    with pytest.raises(RuntimeError):
        _ = session.api
    with pytest.raises(ValueError, match="address"):
        session.provide_token(TOKEN)  # a token alone is not enough: there is no server to send it to yet
    assert not session.is_ready()
    with qtbot.waitSignal(session.ready, timeout=1_000):
        session.provide_token(TOKEN, "http://127.0.0.1:8123")
    assert session.is_ready() and session.host == "127.0.0.1:8123"
    assert session.base_url is not None and session.base_url.rstrip("/") == "http://127.0.0.1:8123"
    assert session.api.base_url.rstrip("/") == "http://127.0.0.1:8123"


def test_a_refused_address_leaves_the_session_waiting_as_it_was() -> None:
    session = Session("demo", None, None, demo=True)
    with pytest.raises(ValueError, match="http"):
        session.provide_token(TOKEN, "http://crm.example.com")  # plain http off this machine is refused
    assert not session.is_ready() and session.base_url is None


def test_a_keyring_session_keeps_the_address_it_was_made_with() -> None:
    session = Session("work", "https://crm.example.com", None)
    session.provide_token(TOKEN)
    assert session.is_ready() and session.base_url == "https://crm.example.com"


def test_a_token_without_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="address"):
        Session("work", None, TOKEN)
