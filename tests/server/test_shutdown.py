"""How the server stops: when its parent is gone (``--watch-stdin``), and within a bound however clients behave."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from crmdesk.server.cli import LISTENING_PREFIX
from tests.server.conftest import client_for
from tests.support.live_server import Account, LiveServer

#: Stopping gives requests in progress ``crmdesk.server.cli.SHUTDOWN_GRACE_SECONDS`` (2) to finish, then drops them.
GRACE_AT_LEAST, STOPPED_WITHIN = 1.0, 5.0

SERVE = ["-m", "crmdesk.server", "serve", "--host", "127.0.0.1", "--port", "0", "--watch-stdin"]


@pytest.mark.parametrize("stdin", ["at end of file", "closed"])
def test_watch_stdin_with_stdin_closed_at_start_stops_cleanly_and_says_why(tmp_path: Path, stdin: str) -> None:
    command = [sys.executable, *SERVE, "--db", str(tmp_path / "s.sqlite3")]
    if stdin == "closed":
        if sys.platform == "win32":
            pytest.skip("needs a POSIX shell to start a process with file descriptor 0 closed")
        command = ["sh", "-c", 'exec "$0" "$@" <&-', *command]
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20, check=False)
    assert done.returncode == 0 and LISTENING_PREFIX not in done.stdout, done.stderr
    assert done.stderr == (
        "crmdesk-server: stdin was closed at start, so --watch-stdin stopped the server before it served\n"
    )


@pytest.mark.parametrize("stop", ["SIGTERM", "stdin closed"])
def test_a_client_that_keeps_a_request_open_cannot_hold_up_stopping(tmp_path: Path, stop: str) -> None:
    if stop == "SIGTERM" and sys.platform == "win32":
        pytest.skip("no SIGTERM on Windows")
    with LiveServer(tmp_path / "stall.sqlite3") as server:
        account = server.add_account()
        process = server.process
        assert process is not None
        host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as client:
            # Headers promising a body that never comes. The server's "100 Continue" shows the handler has started
            # and now waits for the body: the request is in progress, not merely a connection.
            client.sendall(
                b"POST /api/contact HTTP/1.1\r\nHost: crm\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
                b"Expect: 100-continue\r\nAuthorization: Bearer " + account.token.encode() + b"\r\n\r\n"
            )
            assert client.recv(100).startswith(b"HTTP/1.1 100 Continue")
            started = time.monotonic()
            if stop == "SIGTERM":
                process.send_signal(signal.SIGTERM)
            else:
                assert process.stdin is not None
                process.stdin.close()
            try:
                process.wait(timeout=STOPPED_WITHIN + 10)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the server still ran {STOPPED_WITHIN + 10} s after {stop}")
            took = time.monotonic() - started
    assert GRACE_AT_LEAST < took < STOPPED_WITHIN, took
    assert "Traceback" not in server.stderr, server.stderr


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT", "stdin closed"])
def test_a_copy_of_the_database_file_alone_taken_after_stopping_holds_every_write(tmp_path: Path, stop: str) -> None:
    """An operator's backup after ``systemctl stop`` (SIGTERM) or Ctrl+C copies the database file, not its -wal."""
    if stop != "stdin closed" and sys.platform == "win32":
        pytest.skip("no POSIX signals on Windows")
    db = tmp_path / "kept.sqlite3"
    with LiveServer(db) as server:
        account = server.add_account()
        # The last connection to close moves the log into the file, so the server's must be the last.
        server.store.close()
        with client_for(account) as api:
            created = api.post("/api/contact", json={"name": "Ana Costa", "phone": "1", "note": "Called back"})
        assert created.status_code == 201, created.text
        process = server.process
        assert process is not None
        if stop == "stdin closed":
            assert process.stdin is not None
            process.stdin.close()
        else:
            process.send_signal(signal.SIGTERM if stop == "SIGTERM" else signal.SIGINT)
        process.wait(timeout=STOPPED_WITHIN + 10)
        assert "Traceback" not in server.stderr, server.stderr
    backup = tmp_path / "backup.sqlite3"
    shutil.copyfile(db, backup)
    with contextlib.closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("SELECT first_name, last_name FROM contacts").fetchall() == [("Ana", "Costa")]


def test_an_idle_connection_outlives_the_clients_keep_alive(account: Account) -> None:
    """A client reusing a connection in the moment the server closes it loses the request as sent (a retry for a
    lookup, an unknown outcome for a note): the server keeps idle connections longer than the app (and httpx by
    default) keeps them."""
    from crmdesk.api.client import KEEPALIVE_EXPIRY_S
    from crmdesk.server.cli import KEEP_ALIVE_SECONDS

    assert KEEPALIVE_EXPIRY_S < 5 < KEEP_ALIVE_SECONDS
    local_ports = []
    with httpx.Client(
        base_url=account.base_url,
        headers={"Authorization": f"Bearer {account.token}"},
        limits=httpx.Limits(keepalive_expiry=60),
    ) as api:
        for pause in (0, 6):  # past uvicorn's default of 5 s
            time.sleep(pause)
            answer = api.get("/api/contact", params={"uid": "NOSUCH01"})
            assert answer.status_code == 404
            local_ports.append(answer.extensions["network_stream"].get_extra_info("socket").getsockname()[1])
    assert local_ports[0] == local_ports[1], "the same connection served both"
