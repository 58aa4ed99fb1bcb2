"""Which keyring may remember a token: never one that would keep it in a plain file, even behind keyring's chainer."""

from __future__ import annotations

import keyring
import keyring.backend
import pytest
from keyring.backends.chainer import ChainerBackend

from crmdesk.services.credentials import keyring_status
from tests.support.qt_fixtures import MemoryKeyring


class PlainFile(MemoryKeyring):
    """Stands for keyrings.alt's PlaintextKeyring: viable, and ranked below what keyring recommends."""

    priority = 0.5


class EncryptedFile(MemoryKeyring):
    priority = 0.6


class SystemKeyring(MemoryKeyring):
    """Stands for the Secret Service, Keychain or Windows Credential Locker."""

    priority = 5


def chain(monkeypatch: pytest.MonkeyPatch, *backends: keyring.backend.KeyringBackend) -> ChainerBackend:
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: list(backends))
    chainer = ChainerBackend()
    assert keyring.core.recommended(chainer)  # the chainer vouches for itself whatever it chains
    keyring.set_keyring(chainer)  # the memory_keyring fixture restores the backend afterwards
    return chainer


def test_a_chain_of_file_keyrings_is_not_used_to_remember_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    chain(monkeypatch, PlainFile(), EncryptedFile())
    status = keyring_status()
    assert not status.usable
    assert "this session only" in status.reason


def test_a_chain_that_stores_in_the_system_keyring_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    system, plain = SystemKeyring(), PlainFile()
    chainer = chain(monkeypatch, system, plain)
    assert keyring_status().usable
    chainer.set_password("crmdesk", "work", "test-token-not-real")
    assert system.passwords and not plain.passwords  # where the status said it would go
