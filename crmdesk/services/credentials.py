"""Where a profile's API token lives: the system keyring, or this session's memory when no keyring is usable.

The token is never written to a file and never logged. A keyring backend that is the ``fail`` or ``null``
backend, or that keyring itself does not recommend (``keyrings.alt``'s plaintext file, for one), counts as
unavailable, and the token is then kept for this session only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

# keyring is imported where it is used: loading it scans entry points for backends, which a start with
# CRMDESK_TOKEN or the demo never needs, and start-up time is budgeted.
if TYPE_CHECKING:
    import keyring.backend

log = logging.getLogger("crmdesk.services.credentials")

SERVICE = "crmdesk"

#: A token for this session only, given in the environment by a script (never stored, see the app's start).
TOKEN_ENV = "CRMDESK_TOKEN"

#: Backends that never store anything (fail raises, null swallows).
_UNUSABLE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null")


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    usable: bool
    backend_name: str
    #: Why the keyring cannot be used, in a sentence for the sign-in dialog; empty when usable.
    reason: str = ""


def backend_name(backend: keyring.backend.KeyringBackend | None = None) -> str:
    import keyring

    backend = backend if backend is not None else keyring.get_keyring()
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def keyring_status() -> KeyringStatus:
    """Whether tokens can be remembered on this computer."""
    import keyring
    import keyring.core

    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        # PYTHON_KEYRING_BACKEND, or keyringrc.cfg, names a backend that is not installed or cannot start (a
        # Secret Service without D-Bus): keyring raises while choosing it, and the app ended before any window.
        log.warning("The keyring backend could not be loaded (%s: %s)", type(exc).__name__, exc)
        return KeyringStatus(
            False,
            "unloadable",
            "The keyring set up on this computer could not be loaded, so the token is kept for this session only.",
        )
    name = backend_name(backend)
    unusable = any(name.startswith(prefix) for prefix in _UNUSABLE_BACKENDS)
    try:
        recommended = bool(keyring.core.recommended(_storing_backend(backend)))
    except Exception:  # a broken backend must not stop sign-in; it just cannot be used
        recommended = False
    if unusable or not recommended:
        return KeyringStatus(
            False,
            name,
            "No secure keyring is available on this computer, so the token is kept for this session only.",
        )
    return KeyringStatus(True, name)


def _storing_backend(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
    """The backend a token given to ``backend`` ends up in.

    keyring's chainer, chosen when two or more backends are installed, ranks itself high whatever it chains, and
    stores in the first of them: with only file-based ones installed (keyrings.alt), that one may keep the token
    in plain text, and the chainer's own rank must not vouch for it.
    """
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        chained = list(backend.backends)
        return chained[0] if chained else backend
    return backend


_T = TypeVar("_T")


def _answer(call: Callable[[], _T]) -> _T:
    """``call()``, a keyring operation; whatever a backend raises comes out as a ``keyring.errors.KeyringError``.

    Backends raise more than keyring's own errors: Windows' raises OSError subclasses, the Secret Service's D-Bus
    errors of its own. Each means the same to the app: the keyring did not answer.
    """
    _keyring_module, errors = _keyring()
    try:
        return call()
    except errors.KeyringError:
        raise
    except Exception as exc:
        raise errors.KeyringError(f"{type(exc).__name__}: {exc}") from exc


def _keyring() -> tuple[Any, Any]:
    import keyring
    import keyring.errors

    return keyring, keyring.errors


class Credentials:
    """Tokens per profile. Tokens kept "for this session" live only in this object's memory."""

    def __init__(self) -> None:
        self._session_tokens: dict[str, str] = {}
        self._last_write: threading.Event | None = None  # set once the latest background write is done

    def status(self) -> KeyringStatus:
        return keyring_status()

    def load(self, profile: str, *, raise_errors: bool = False) -> str | None:
        """The profile's token from this session or the keyring, or ``None`` when there is none.

        A keyring that fails to answer (locked and not unlocked, a broken backend) also reads as ``None``, unless
        ``raise_errors`` asks for its ``keyring.errors.KeyringError`` instead.
        """
        token = self._session_tokens.get(profile)
        if token:
            return token
        if not keyring_status().usable:
            if raise_errors:  # a token remembered earlier may be there; this computer cannot reach it now
                raise _keyring()[1].KeyringError(keyring_status().reason or "no usable keyring")
            return None
        keyring, errors = _keyring()
        try:
            return _answer(lambda: keyring.get_password(SERVICE, profile)) or None
        except errors.KeyringError as exc:
            log.info("Could not read the token from the keyring (%s)", type(exc).__name__)
            if raise_errors:
                raise
            return None

    def save(self, profile: str, token: str, *, remember: bool) -> bool:
        """Keep ``token`` for ``profile``; returns True when it went into the keyring.

        Without ``remember``, or without a usable keyring, the token stays in memory for this session only, and
        one the keyring held for the profile is removed.
        """
        self._session_tokens[profile] = token
        return self._store_in_keyring(profile, token, remember=remember)

    def _store_in_keyring(self, profile: str, token: str, *, remember: bool) -> bool:
        if not remember:
            # A sign-in not to be remembered replaces the profile's: a token the keyring still holds for it is
            # another server's or an older one, and a later start must not find it.
            self._delete_from_keyring(profile)
            return False
        if not keyring_status().usable:
            return False
        keyring, errors = _keyring()
        try:
            _answer(lambda: keyring.set_password(SERVICE, profile, token))
        except errors.KeyringError as exc:
            log.info("Could not store the token in the keyring (%s); keeping it for this session", type(exc).__name__)
            return False
        return True

    def save_in_background(
        self, profile: str, token: str, *, remember: bool, on_done: Callable[[bool], None] | None = None
    ) -> None:
        """:meth:`save` for the UI thread: the token is usable at once, the keyring write happens in a worker.

        A keyring may take a while to answer (loading its backend, a prompt to unlock it), and the window must not
        freeze meanwhile. ``on_done(stored)`` runs on the UI thread afterwards.
        """
        self._session_tokens[profile] = token
        self._write_in_order(
            lambda: self._store_in_keyring(profile, token, remember=remember), on_done, "crmdesk-keyring-save"
        )

    def forget_in_background(self, profile: str, on_done: Callable[[bool], None] | None = None) -> None:
        """:meth:`forget` for the UI thread: the token is gone from memory at once, from the keyring in a worker.

        ``on_done(removed)`` runs on the UI thread afterwards; ``removed`` is False when the keyring refused."""
        self._session_tokens.pop(profile, None)
        self._write_in_order(lambda: self._delete_from_keyring(profile), on_done, "crmdesk-keyring-forget")

    def _write_in_order(self, write: Callable[[], Any], on_done: Callable[[Any], None] | None, name: str) -> None:
        # Each write waits for the one before it, so a sign-out followed by a sign-in on the same profile can never
        # end with the sign-out's delete removing the new token. Workers touch only the keyring: what this session
        # holds in memory was settled on the UI thread, in the order the user acted.
        from crmdesk.services.background import run_in_thread

        previous, done = self._last_write, threading.Event()
        self._last_write = done

        def work() -> Any:
            if previous is not None:
                previous.wait()
            try:
                return write()
            finally:
                done.set()

        # A daemon, like the token reader: a keyring may wait for the user to unlock it for as long as they like.
        run_in_thread(work, on_done, name=name, daemon=True)

    def forget(self, profile: str) -> None:
        """Sign out: drop the token from memory and from the keyring."""
        self._session_tokens.pop(profile, None)
        self._delete_from_keyring(profile)

    def _delete_from_keyring(self, profile: str) -> bool:
        """Remove the profile's token from the keyring; False when the keyring refused (it may still hold it)."""
        if not keyring_status().usable:
            return True
        keyring, errors = _keyring()
        try:
            _answer(lambda: keyring.delete_password(SERVICE, profile))
        except errors.PasswordDeleteError:
            pass  # nothing was stored for this profile
        except errors.KeyringError as exc:
            log.info("Could not remove the token from the keyring (%s)", type(exc).__name__)
            return False
        return True
