"""A keyring backend for the start-up benchmark: it holds one token, given in BENCH_KEYRING_TOKEN.

Named in PYTHON_KEYRING_BACKEND, it stands in for the system keyring so the benchmark can time a start whose
token is remembered. keyring then skips looking for backends, which on a desktop adds to what it times.
"""

from __future__ import annotations

import os

import keyring.backend


class BenchKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return os.environ.get("BENCH_KEYRING_TOKEN") if service == "crmdesk" else None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("the benchmark keyring is read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("the benchmark keyring is read-only")
