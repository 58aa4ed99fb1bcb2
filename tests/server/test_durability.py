"""A server killed with SIGKILL in the middle of a burst of writes loses none it acknowledged."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx

from tests.server.conftest import client_for
from tests.support.live_server import LiveServer


def test_kill_during_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "durable.sqlite3") as server:
        account = server.add_account()
        acknowledged: list[tuple[str, str]] = []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(worker: int) -> None:
            with client_for(account) as api:
                serial = 0
                while not stop.is_set():
                    serial += 1
                    note = f"worker {worker} write {serial}"
                    try:
                        created = api.post(
                            "/api/contact", json={"name": f"W{worker} N{serial}", "phone": "1", "note": note}
                        )
                    except httpx.HTTPError:
                        return  # the server died under us; this write was never acknowledged
                    if created.status_code == 201:
                        with lock:
                            acknowledged.append((created.json()["data"]["uid"], note))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        assert len(acknowledged) >= 60

        server.start()  # a new port: the account's base_url is the old server's
        with client_for(replace(account, base_url=server.base_url)) as api:
            for uid, note in acknowledged:
                answer = api.get("/api/contact", params={"uid": uid})
                assert answer.status_code == 200, uid
                assert answer.json()["data"]["notes"].endswith(note)
