"""How the server stops: when its parent is gone (``--watch-stdin``), and within a bound however clients behave."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from crmdesk.server.cli import LISTENING_PREFIX, SHUTDOWN_GRACE_SECONDS
from crmdesk.server.store import BUSY_TIMEOUT_MS
from crmdesk.services.demo import STOP_GRACE_S
from tests.server.conftest import client_for, create
from tests.support.live_server import Account, LiveServer

#: Stopping gives requests in progress ``SHUTDOWN_GRACE_SECONDS`` to finish, then drops them.
GRACE_AT_LEAST, STOPPED_WITHIN = SHUTDOWN_GRACE_SECONDS - 1.0, SHUTDOWN_GRACE_SECONDS + 3.0


def stop_as(process: subprocess.Popen[bytes], stop: str) -> None:
    """Tell the server to stop as ``stop`` names it: "SIGTERM" (a service manager), "SIGINT..." (Ctrl+C), or
    "stdin closed" (the desktop app ending)."""
    if stop == "stdin closed":
        assert process.stdin is not None
        process.stdin.close()
    else:
        process.send_signal(signal.SIGTERM if stop == "SIGTERM" else signal.SIGINT)


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
            stop_as(process, stop)
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
        stop_as(process, stop)
        process.wait(timeout=STOPPED_WITHIN + 10)
        assert "Traceback" not in server.stderr, server.stderr
    backup = tmp_path / "backup.sqlite3"
    shutil.copyfile(db, backup)
    with contextlib.closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("SELECT first_name, last_name FROM contacts").fetchall() == [("Ana", "Costa")]


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT", "stdin closed", "SIGINT again and again"])
@pytest.mark.parametrize("lock_released", [True, False])
def test_a_change_waiting_for_another_programs_lock_as_the_server_stops_gets_its_true_answer(
    tmp_path: Path, stop: str, lock_released: bool
) -> None:
    """Stopping while a change waits for an operator's lock on the file: the change's answer says what became of
    it (saved once the lock goes, or refused as busy), and nothing is written after the database has closed. Ctrl+C
    pressed again and again stops waiting for other requests, not for the change's answer."""
    if stop != "stdin closed" and sys.platform == "win32":
        pytest.skip("no POSIX signals on Windows")
    assert BUSY_TIMEOUT_MS / 1000 < SHUTDOWN_GRACE_SECONDS < STOP_GRACE_S  # the wait fits in both graces
    db = tmp_path / "held.sqlite3"
    with LiveServer(db) as server:
        account = server.add_account()
        server.store.close()  # the last connection to close moves the log into the file: the server's must be
        with client_for(account) as api:
            created = api.post("/api/contact", json={"name": "Ana Costa", "phone": "1"})
            uid = created.json()["data"]["uid"]
        other = sqlite3.connect(db, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(max_workers=1) as pool:
            with client_for(account) as api:
                note = pool.submit(api.post, "/api/contact/note/add", json={"uid": uid, "note": "Called back"})
                time.sleep(0.5)  # the change waits for the lock now
                process = server.process
                assert process is not None
                stop_as(process, stop)
                if stop == "SIGINT again and again":
                    for pause in (0.2, 0.5):
                        time.sleep(pause)
                        process.send_signal(signal.SIGINT)
                if lock_released:
                    time.sleep(1.0)
                    other.rollback()
                process.wait(timeout=STOPPED_WITHIN)
                answer = note.result(timeout=STOPPED_WITHIN)
        if not lock_released:
            other.rollback()
        other.close()
        assert "Traceback" not in server.stderr, server.stderr
    assert answer.headers["content-type"] == "application/json", answer.text
    if lock_released:
        assert answer.status_code == 200 and answer.json()["data"]["note"] == "Called back"
    else:
        assert answer.status_code == 500 and answer.json()["error"].startswith("Its database is busy")
    assert not Path(f"{db}-wal").exists(), "the database was not closed after the change"
    backup = tmp_path / "backup.sqlite3"
    shutil.copyfile(db, backup)
    with contextlib.closing(sqlite3.connect(backup)) as copy:
        notes = [text for (text,) in copy.execute("SELECT text FROM notes")]
    assert notes == (["Called back"] if lock_released else [])


@pytest.mark.parametrize("stop", ["SIGTERM", "stdin closed"])
def test_a_change_that_arrives_once_stopping_began_is_refused_and_not_made(tmp_path: Path, stop: str) -> None:
    """A slow client's body arriving after stopping began: the change is refused before anything happens, rather
    than made after the server has stopped waiting to answer it (while another program holds the lock, that could
    be seconds later, with the answer already lost)."""
    if stop == "SIGTERM" and sys.platform == "win32":
        pytest.skip("no SIGTERM on Windows")
    db = tmp_path / "late.sqlite3"
    with LiveServer(db) as server:
        account = server.add_account()
        with client_for(account) as api:
            uid = create(api, name="Ana Costa", phone="1")
        process = server.process
        assert process is not None
        body = json.dumps({"uid": uid, "note": "Called back"}).encode()
        host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
        other = sqlite3.connect(db, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        try:
            with socket.create_connection((host, int(port)), timeout=10) as client:
                client.sendall(
                    b"POST /api/contact/note/add HTTP/1.1\r\nHost: crm\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\nAuthorization: Bearer {account.token}\r\n\r\n".encode()
                )
                time.sleep(0.3)  # the request is in progress, waiting for its body
                stop_as(process, stop)
                time.sleep(0.5)
                client.sendall(body)
                answer = b""
                while chunk := client.recv(65536):
                    answer += chunk
        finally:
            other.rollback()
            other.close()
        process.wait(timeout=STOPPED_WITHIN)
        assert "Traceback" not in server.stderr, server.stderr
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 500 "), answer
    assert json.loads(payload) == {
        "success": False,
        "error": "The server is stopping, so nothing was changed",
        "code": "SERVER_ERROR",
    }
    with contextlib.closing(sqlite3.connect(db)) as copy:
        assert copy.execute("SELECT count(*) FROM notes").fetchone() == (0,)


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
