"""Which keyring may remember a token: never one that would keep it in a plain file, even behind keyring's chainer."""

from __future__ import annotations

import keyring
import keyring.backend
import pytest
from keyring.backends.chainer import ChainerBackend

from crmdesk.services.credentials import keyring_status


class _Stored(keyring.backend.KeyringBackend):
    priority: float = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


class PlainFile(_Stored):
    """Stands for keyrings.alt's PlaintextKeyring: viable, and ranked below what keyring recommends."""

    priority = 0.5


class EncryptedFile(_Stored):
    priority = 0.6


class SystemKeyring(_Stored):
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
