"""Helpers for the contact-view tests: run a coroutine on the session loop, a recording transport, the view."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact
from crmdesk.server import demo_data
from crmdesk.services.contact import ContactService
from crmdesk.services.registry import Registry
from crmdesk.ui.contact_view import ContactView

T = TypeVar("T")
QObjectT = TypeVar("QObjectT", bound=QObject)


def run(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: int = 10_000) -> T:
    """Run ``coro`` on the session's qasync loop while the test waits like a user would (never blocking)."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@dataclass
class Sent:
    method: str
    path: str
    body: dict[str, Any] | None


@dataclass
class RecordingTransport(httpx.AsyncBaseTransport):
    """A real loopback transport that also remembers what went out, to prove what Save sends."""

    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    sent: list[Sent] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        body = json.loads(request.content) if request.content else None
        self.sent.append(Sent(request.method, request.url.path, body))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def writes(self) -> list[Sent]:
        return [item for item in self.sent if item.method != "GET"]


@dataclass
class FailingTransport(httpx.AsyncBaseTransport):
    """A real loopback transport, except that requests to ``route`` ("METHOD /path") fail ``times`` times with
    ``status`` and the API's error body, as a vendor server having a bad moment would answer."""

    route: str
    status: int = 500
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    inner: httpx.AsyncHTTPTransport = field(default_factory=httpx.AsyncHTTPTransport)
    failed: int = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if f"{request.method} {request.url.path}" == self.route and self.failed < self.times:
            self.failed += 1
            await request.aread()
            body = {"success": False, "error": "Internal error", "code": "SERVER_ERROR"}
            return httpx.Response(self.status, json=body, headers=self.headers)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class HeldTransport(httpx.AsyncBaseTransport):
    """A real loopback transport that holds requests to ``route`` ("METHOD /path", or several) until
    :meth:`release`: a slow server, without a test guessing how slow. ``held`` counts the requests that have
    waited. ``inner`` may be another test transport (a :class:`FailingTransport`: slow, then failing).
    With ``late_answer`` the request reaches the server at once and only its answer is held: the server has
    done the work, and the client does not know yet. With ``limit``, only that many requests are ever held: the
    later ones (a save's read of the contact after a held reload, say) go through; with ``after``, that many go
    through (while held) before the first is held."""

    route: str | Sequence[str]
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    late_answer: bool = False
    limit: int | None = None
    #: Requests to ``route`` let through before any is held (a note's read of the contact before it is sent, say).
    after: int = 0
    held: int = 0
    _seen: int = 0
    _gate: asyncio.Event = field(default_factory=asyncio.Event)

    def hold(self) -> None:
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        routes = (self.route,) if isinstance(self.route, str) else self.route
        spent = self.limit is not None and self.held >= self.limit
        if f"{request.method} {request.url.path}" not in routes or self._gate.is_set() or spent:
            return await self.inner.handle_async_request(request)
        self._seen += 1
        if self._seen <= self.after:
            return await self.inner.handle_async_request(request)
        if self.late_answer:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            self.held += 1
            await self._gate.wait()
            return response
        self.held += 1
        await self._gate.wait()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Replace what ``edit`` holds by typing, as a rep does (an empty ``text`` deletes it)."""
    edit.setFocus()
    edit.selectAll()
    if text:
        qtbot.keyClicks(edit, text)
    else:
        qtbot.keyClick(edit, Qt.Key.Key_Delete)


def drag_across(label: QLabel) -> str:
    """What a rep does to copy part of a label's text: point at it, press, drag halfway, release; the selection."""
    row = label.fontMetrics().height() // 2 + 1
    start, end = QPoint(2, row), QPoint(label.width() // 2, row)
    QTest.mouseMove(label, start)
    QTest.mousePress(label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(label, end)
    QTest.mouseRelease(label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    return label.selectedText()


def make_api(base_url: str, token: str, **kwargs: Any) -> ContactApi:
    return ContactApi(base_url, token, **kwargs)


def close_api(qtbot: QtBot, api: ContactApi) -> None:
    run(qtbot, api.aclose())


def create_contact(qtbot: QtBot, api: ContactApi, **fields: Any) -> Contact:
    ref = run(qtbot, api.create_contact(**fields))
    contact = run(qtbot, api.get_contact(uid=ref.uid))
    assert isinstance(contact, Contact)
    return contact


def read_back(qtbot: QtBot, api: ContactApi, uid: str) -> Contact:
    contact = run(qtbot, api.get_contact(uid=uid))
    assert isinstance(contact, Contact)
    return contact


def demo_registry(profile: str = "tests") -> Registry:
    registry = Registry.load(profile)
    registry.merge(
        stages=demo_data.STAGES,
        qualities=demo_data.QUALITIES,
        members=dict(demo_data.MEMBERS),
        currency=demo_data.CURRENCY,
    )
    return registry


def make_view(qtbot: QtBot, api: ContactApi, registry: Registry) -> tuple[ContactService, ContactView]:
    service = ContactService(lambda: api, registry)
    view = ContactView(service, registry)
    qtbot.addWidget(view)
    view.resize(1000, 680)
    view.show()
    return service, view


def child(parent: QObject, kind: type[QObjectT], name: str) -> QObjectT:
    """``parent``'s child of type ``kind`` named ``name``, which the test needs to exist."""
    found = parent.findChild(kind, name)
    assert found is not None, name
    return found


def line(view: ContactView, name: str) -> QLineEdit:
    """The contact view's one-line editor of the field ``name``."""
    widget = view.findChild(QLineEdit, name)
    assert widget is not None, name
    return widget


def save(qtbot: QtBot, view: ContactView) -> Contact:
    """Press Save and wait for the contact as the server stored it."""
    with qtbot.waitSignal(view.service.saved, timeout=10_000) as saved:
        view.save_button.click()
    contact = saved.args[0]
    assert isinstance(contact, Contact)
    return contact
