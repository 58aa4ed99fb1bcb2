"""One CRMDesk per data folder: the lock, the requests a later start leaves, and a crashed owner's lock."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pytestqt.qtbot import QtBot

from crmdesk.services.instance import LOCK_NAME, REQUESTS_DIR, Instance, hand_over


def test_a_second_claim_on_a_held_folder_fails_and_succeeds_once_the_first_lets_go(tmp_path: Path) -> None:
    first, second = Instance(tmp_path), Instance(tmp_path)
    assert first.claim()
    assert not second.claim()
    first.release()
    assert second.claim()
    second.release()


def test_a_request_left_by_a_later_start_reaches_the_holder_once(qtbot: QtBot, tmp_path: Path) -> None:
    holder = Instance(tmp_path)
    assert holder.claim()
    # Left while the holder was still starting: read as soon as it listens.
    assert hand_over(tmp_path, search="ana@example.com")
    received: list[object] = []
    holder.requested.connect(received.append)
    holder.listen()
    assert received == [{"search": "ana@example.com"}]
    # Left while it listens: read when the folder changes.
    assert hand_over(tmp_path, search=None)
    qtbot.waitUntil(lambda: len(received) == 2, timeout=5000)
    assert received[1] == {"search": None}
    assert list((tmp_path / REQUESTS_DIR).iterdir()) == []  # each read once, then gone
    (tmp_path / REQUESTS_DIR / "junk.json").write_text("{not json", encoding="utf-8")
    qtbot.waitUntil(lambda: not (tmp_path / REQUESTS_DIR / "junk.json").exists(), timeout=5000)
    assert len(received) == 2
    holder.release()


def test_the_lock_of_a_copy_that_crashed_is_taken_over(tmp_path: Path) -> None:
    # QLockFile's own format: pid, app name, host name. A process id that no longer runs on this host.
    dead = 2**22 + 12345
    while True:
        try:
            os.kill(dead, 0)
        except ProcessLookupError:
            break
        dead += 1
    (tmp_path / LOCK_NAME).write_text(f"{dead}\ncrmdesk\n{socket.gethostname()}\n", encoding="utf-8")
    instance = Instance(tmp_path)
    assert instance.claim()
    instance.release()
