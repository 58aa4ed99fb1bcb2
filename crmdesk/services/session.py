"""The signed-in session: which profile and server, and the one ContactApi the whole app shares."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from crmdesk.api.address import check_base_url, check_token, normalised_base_url
from crmdesk.api.errors import AuthError
from crmdesk.redaction import register_secret
from crmdesk.services.tasks import TaskSlots

if TYPE_CHECKING:
    from collections.abc import Mapping

    from crmdesk.api.client import ContactApi, RetryEvent

log = logging.getLogger("crmdesk.services.session")


def check_server_address(base_url: str) -> None:
    """Raise ValueError, saying why, for an address the app will not send a token to (plain http:// off-host)."""
    check_base_url(base_url)


def _load_http_stack() -> None:
    try:
        from crmdesk.api.client import load_http_stack

        load_http_stack()
    except Exception:  # the first request loads it again and reports whatever is wrong
        log.debug("Preloading the HTTP stack failed", exc_info=True)


class Session(QObject):
    """One signed-in account (or the demo). Owns the app's single :class:`ContactApi`.

    A session made with ``token=None`` is *waiting*, so the window can show meanwhile: its token is still being
    read from the keyring (which can take a noticeable moment, or wait for the user to unlock it), or, for the
    demo, its server is still starting and has no address yet (``base_url=None``). It has no client until
    :meth:`provide_token`; :meth:`is_ready` says which, and ``ready`` is emitted once.

    Signals:
        ready(): a waiting session got its token.
        retrying(str, float, bool): the client waits before trying a request again: why ("Rate limited",
            "Network problem"...), for how many seconds, and whether the request is held before being sent at all
            (the client's own rate limiter) rather than after a failed attempt.
        auth_failed(): the server stopped accepting the token; the app goes back to sign-in.
    """

    ready = Signal()
    retrying = Signal(str, float, bool)
    auth_failed = Signal()

    def __init__(
        self,
        profile: str,
        base_url: str | None,
        token: str | None,
        *,
        demo: bool = False,
        client_options: Mapping[str, Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``client_options`` go to the ContactApi as keyword arguments (``timeout``, ``max_retries``, an httpx
        ``transport``): a self-hosted server's needs, and the tests' seam for faults."""
        super().__init__(parent)
        self._client_options = dict(client_options or {})
        if base_url is None and token is not None:
            raise ValueError("a session with a token needs its server's address")
        self.profile = profile
        self.demo = demo
        # Checked here, so a refused address or a malformed token stops the session before any window shows; the
        # client itself (with its models and the contract, ~15 ms of imports) is made on first use.
        self.base_url = None if base_url is None else normalised_base_url(base_url)
        self._token: str | None = None
        if token is not None:
            self._token = self._checked(token)
        self._api: ContactApi | None = None
        self._api_lock = threading.Lock()  # the preload thread may make it while the UI thread asks for it
        self._preloading_stack = False
        self._preloading_client = False

    @staticmethod
    def _checked(token: str) -> str:
        token = check_token(token)
        register_secret(token)
        return token

    def is_ready(self) -> bool:
        """Whether the session has its token (a waiting session does not yet)."""
        return self._token is not None

    def provide_token(self, token: str, base_url: str | None = None) -> None:
        """Give a waiting session its token, and its address if it was made without one.

        ValueError for a malformed token or a refused address: the session keeps waiting, unchanged.
        """
        if self._token is not None:
            raise RuntimeError("this session already has a token")
        if base_url is None and self.base_url is None:
            raise ValueError("this session is still waiting for its server's address")
        address = self.base_url if base_url is None else normalised_base_url(base_url)
        checked = self._checked(token)
        # The address first: a session with a token is ready, and whoever sees it ready needs both.
        self.base_url = address
        self._token = checked
        self.ready.emit()

    def adopt(self, other: Session) -> None:
        """Carry on with ``other``'s token (signing in again to the same account keeps this session)."""
        if other._token is None:
            raise ValueError("the other session has no token to give")
        if self._token is None:
            self.provide_token(other._token)
        else:
            self.api.adopt_token(other.api)

    @property
    def api(self) -> ContactApi:
        """The session's one ContactApi. A waiting session has none yet (see :meth:`is_ready`)."""
        if self._token is None:
            raise RuntimeError("the session is still waiting for its token")
        if self._api is None:
            with self._api_lock:
                if self._api is None:
                    from crmdesk.api.client import ContactApi

                    token, base_url = self._token, self.base_url
                    assert token is not None and base_url is not None  # provide_token sets both
                    self._api = ContactApi(base_url, token, on_retry=self._on_retry, **self._client_options)
        return self._api

    def preload(self) -> None:
        """Load the client and the HTTP stack (httpx, TLS settings) in a worker thread, ahead of the first request.

        The app calls this once its window has shown (a waiting session's, once the contact view is built or
        the session is ready). A request made before the thread is done is never lost:
        it imports whatever is still missing itself (waiting on the import lock at worst). A waiting session
        loads the HTTP stack now and makes its client once it has its token. Calling it again does nothing more.
        """
        from crmdesk.services.background import run_in_thread

        if self._token is None:
            if not self._preloading_stack:
                self._preloading_stack = True
                # No client before the token (and, for the demo, the server's address), but the HTTP stack can
                # load meanwhile: the first request then only has to open its connection.
                run_in_thread(_load_http_stack, name="crmdesk-http-preload")
                self.ready.connect(self.preload, Qt.ConnectionType.SingleShotConnection)
            return
        if not self._preloading_client:
            self._preloading_client = True
            run_in_thread(self._preload, name="crmdesk-http-preload")

    def _preload(self) -> None:
        try:
            self.api.preload()
        except Exception:  # the first request loads it again and reports whatever is wrong
            log.debug("Preloading the HTTP client failed", exc_info=True)

    @property
    def host(self) -> str:
        """The server's host and port; empty while a demo session waits for its server to start."""
        if self.base_url is None:
            return ""
        parts = urlsplit(self.base_url)
        return parts.netloc or self.base_url

    def _on_retry(self, event: RetryEvent) -> None:
        log.info("Retrying %s %s after attempt %d: %s", event.method, event.path, event.attempt, event.message)
        from crmdesk.api.client import retry_reason_text

        self.retrying.emit(retry_reason_text(event.reason), float(event.delay), event.held)

    def note_error(self, error: BaseException) -> bool:
        """Routes an error seen anywhere in the app; returns True when it ended the session (401)."""
        if isinstance(error, AuthError):
            self.auth_failed.emit()
            return True
        return False

    async def aclose(self) -> None:
        if self._api is not None:
            await self._api.aclose()


class SignIn(QObject):
    """Checks a token with one cheap request before the app accepts it.

    Signals:
        succeeded(object): the token works; the argument is the new :class:`Session` (its ContactApi is open).
        failed(object): the exception that says why not (AuthError, PlanError, NetworkError, ValueError for a
            refused address or malformed token).
        busy_changed(bool): a check started or ended.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._slots = TaskSlots(self.failed.emit)

    def attempt(self, profile: str, base_url: str, token: str) -> None:
        try:
            session = Session(profile, base_url, token)
        except ValueError as exc:  # refused address or malformed token: nothing to send
            self.failed.emit(exc)
            return

        async def check() -> Session:
            try:
                await session.api.verify()
            except BaseException:
                await session.aclose()
                raise
            return session

        def finished() -> None:
            if shiboken6.isValid(self):  # a dialog closed during the check took this object with it
                self.busy_changed.emit(False)

        self.busy_changed.emit(True)
        self._slots.start("verify", check(), self.succeeded.emit, self.failed.emit, finished)

    def cancel(self) -> list[Any]:
        return self._slots.cancel_all()
