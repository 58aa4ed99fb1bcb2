"""A tiny loopback HTTP server that plays scripted raw answers, for fault tests that need real sockets.

Each accepted request takes the next step of the script: a raw response, a silence that outlasts the
client's timeout, a connection reset in the middle of a body, or a body without end. The server records
every request it reads, so a test can assert how many attempts the client made and what it sent.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """Send these bytes as the whole response and keep the connection open for the next request."""

    raw: bytes


@dataclass(frozen=True)
class Hang:
    """Read the request, then say nothing for ``seconds`` (longer than the client's timeout)."""

    seconds: float = 30.0


@dataclass(frozen=True)
class Reset:
    """Send ``partial`` (e.g. headers and half a body), then reset the connection (RST, not FIN)."""

    partial: bytes = b""


@dataclass(frozen=True)
class Drip:
    """Send ``head`` (a status line and headers promising a body), then one byte of body every ``every`` seconds:
    a server that never stalls long enough for a per-read timeout, and never finishes."""

    head: bytes
    every: float = 0.1


@dataclass(frozen=True)
class Flood:
    """Send ``head`` (a status line and headers of a body that lasts until the connection closes), then the same
    ``chunk`` again and again, as fast as the client takes it, until the client hangs up: an answer without end."""

    head: bytes
    chunk: bytes = b" " * 65536


Step = Reply | Hang | Reset | Drip | Flood


def http_response(status: int, body: bytes | str, headers: dict[str, str] | None = None, reason: str = "X") -> bytes:
    data = body.encode() if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(data)}"]
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(http_response(status, json.dumps(payload), {"Content-Type": "application/json", **(headers or {})}))


@dataclass
class Recorded:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FaultServer:
    """``async with FaultServer([...]) as server:`` then point a client at ``server.base_url``."""

    script: Sequence[Step]
    requests: list[Recorded] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    # Hangs end on this rather than by cancellation: asyncio's stream server logs a cancelled handler
    # as an error, which the suite treats as a failure.
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> FaultServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        self._stopping.set()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    return
                index = len(self.requests)
                self.requests.append(request)
                step = self.script[index] if index < len(self.script) else self.script[-1]
                if isinstance(step, Reply):
                    writer.write(step.raw)
                    await writer.drain()
                elif isinstance(step, Drip):
                    writer.write(step.head)
                    while not self._stopping.is_set():
                        await writer.drain()
                        try:
                            await asyncio.wait_for(self._stopping.wait(), step.every)
                        except TimeoutError:
                            writer.write(b" ")
                    return
                elif isinstance(step, Flood):
                    writer.write(step.head)
                    while not self._stopping.is_set():
                        writer.write(step.chunk)
                        await writer.drain()  # raises ConnectionError once the client has gone
                    return
                elif isinstance(step, Hang):
                    try:
                        await asyncio.wait_for(self._stopping.wait(), step.seconds)
                    except TimeoutError:
                        pass
                    return
                else:
                    writer.write(step.partial)
                    await writer.drain()
                    sock = writer.get_extra_info("socket")
                    # SO_LINGER with a zero timeout makes close() send RST: the client sees a reset.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()
            self._writers.discard(writer)
            self._tasks.discard(task)

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> Recorded | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return Recorded(method, target, headers, body)
