"""One CRMDesk per data folder: the lock, the requests a later start leaves, and a crashed owner's lock."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
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
    received: list[object] = []
    holder.requested.connect(received.append)
    holder.listen()

    def later_start(search: str | None) -> bool:
        # A later start waits for its request to be taken; the holder takes it on its event loop, so wait aside.
        answered: list[bool] = []
        request = {"search": search, "demo": search is None, "profile": None, "baseUrl": None}
        thread = threading.Thread(target=lambda: answered.append(hand_over(tmp_path, request)))
        thread.start()
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
        return answered == [True]

    assert later_start("ana@example.com")
    assert later_start(None)
    assert received == [
        {"search": "ana@example.com", "profile": None, "baseUrl": None, "demo": False},
        {"search": None, "profile": None, "baseUrl": None, "demo": True},
    ]
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


def test_a_request_nobody_takes_is_withdrawn_and_reported(tmp_path: Path) -> None:
    holder = Instance(tmp_path)
    assert holder.claim()  # held, but never listening: a copy that hangs, or a lock left on another computer
    assert not hand_over(tmp_path, {"search": "ana@example.com"}, wait=0.3)
    assert list((tmp_path / REQUESTS_DIR).iterdir()) == []  # nothing left to surprise the next copy
    holder.release()


@pytest.mark.parametrize(
    "left",
    ["", "garbage\n", f"{os.getpid()}\ncrmdesk\nanother-computer.example\n"],
    ids=["empty", "garbled", "another computer"],
)
def test_a_lock_qt_cannot_judge_is_taken_over_when_the_rep_says_so(tmp_path: Path, left: str) -> None:
    (tmp_path / LOCK_NAME).write_text(left, encoding="utf-8")
    instance = Instance(tmp_path)
    if not instance.claim():
        assert instance.take_over()
    assert not Instance(tmp_path).claim()  # now really held, by this one
    instance.release()
