"""One CRMDesk per data folder: the lock, the requests a later start leaves, and a crashed owner's lock."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from crmdesk.services.instance import LOCK_NAME, REQUESTS_DIR, Instance


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
        answered: list[str] = []
        request = {"search": search, "demo": search is None, "profile": None, "baseUrl": None}
        thread = threading.Thread(target=lambda: answered.append(Instance(tmp_path).hand_over(request)))
        thread.start()
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
        return answered == ["taken"]

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
    later = Instance(tmp_path)
    assert later.hand_over({"search": "ana@example.com"}, wait=0.3) == "unanswered"
    assert list((tmp_path / REQUESTS_DIR).iterdir()) == []  # nothing left to surprise the next copy
    assert later.holder_is_here()  # running here: its lock is not to be broken
    assert not later.take_over()
    holder.release()


def test_a_later_start_takes_the_folder_when_the_holder_lets_go_while_it_waits(qtbot: QtBot, tmp_path: Path) -> None:
    # The holder was quitting: it takes no more requests, and gives the folder up once its window has closed.
    holder = Instance(tmp_path)
    assert holder.claim()
    outcome: list[str] = []
    later = Instance(tmp_path)
    thread = threading.Thread(target=lambda: outcome.append(later.hand_over({"search": None}, wait=10)))
    thread.start()
    qtbot.wait(200)
    holder.release()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5_000)
    assert outcome == ["claimed"]
    assert list((tmp_path / REQUESTS_DIR).iterdir()) == []
    assert not Instance(tmp_path).claim()
    later.release()


@pytest.mark.parametrize(
    "left",
    ["", "garbage\n", f"{os.getpid()}\ncrmdesk\nanother-computer.example\n"],
    ids=["empty", "garbled", "another computer"],
)
def test_a_lock_qt_cannot_judge_is_taken_over_when_the_rep_says_so(tmp_path: Path, left: str) -> None:
    (tmp_path / LOCK_NAME).write_text(left, encoding="utf-8")
    instance = Instance(tmp_path)
    if not instance.claim():
        assert not instance.holder_is_here()
        assert instance.take_over()
    assert not Instance(tmp_path).claim()  # now really held, by this one
    instance.release()


def test_a_holder_here_is_known_by_its_process_when_the_computer_was_renamed(tmp_path: Path) -> None:
    # The lock keeps the name the computer had when it was taken (a laptop on another network since): the holder
    # still runs here, and its lock must not be offered for breaking.
    holder = Instance(tmp_path)
    assert holder.claim()
    lock = tmp_path / LOCK_NAME
    _pid, host, _app = holder._lock.getLockInfo()
    with lock.open("r+", encoding="utf-8") as held:  # the same file, still locked by the holder: only the name changes
        renamed = held.read().replace(f"\n{host}\n", "\nthe-old-name.example\n")
        held.seek(0)
        held.write(renamed)
        held.truncate()
    later = Instance(tmp_path)
    assert not later.claim()
    assert later.holder_is_here()
    assert not later.take_over()
    assert lock.read_text(encoding="utf-8") == renamed  # not broken
    holder.release()


def test_judging_a_lock_never_removes_it(tmp_path: Path) -> None:
    # A copy just starting creates the file a moment before it locks it: a look in that moment must leave it be.
    lock = tmp_path / LOCK_NAME
    lock.write_text(f"{os.getpid()}\ncrmdesk\n{socket.gethostname()}\n", encoding="utf-8")
    assert not Instance(tmp_path).holder_is_here()
    assert lock.exists()


def test_two_starts_told_to_open_anyway_leave_one_holder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both asked about a garbled lock, both answered "Open anyway". The second looked before the first took the
    # folder (nobody held it then), and must still not break the first one's lock once it has.
    (tmp_path / LOCK_NAME).write_text("garbage", encoding="utf-8")
    first, second = Instance(tmp_path), Instance(tmp_path)
    assert first.take_over()
    monkeypatch.setattr(second, "holder_is_here", lambda: False)  # its look came just before
    assert not second.take_over()
    monkeypatch.undo()
    assert second.holder_is_here()
    assert not Instance(tmp_path).claim()  # the first still holds it
    first.release()


@pytest.mark.skipif(
    not Path("/proc/locks").exists(), reason="Linux lists held locks in /proc/locks; elsewhere a lock is tried"
)
def test_on_linux_the_holder_is_judged_without_taking_any_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Taking even a moment's lock to look made a copy starting at that moment fail to take its own.
    import fcntl

    def refuse(*_args: object) -> None:
        raise AssertionError("the lock was touched")

    monkeypatch.setattr(fcntl, "flock", refuse)
    holder = Instance(tmp_path)
    monkeypatch.undo()
    assert holder.claim()
    monkeypatch.setattr(fcntl, "flock", refuse)
    assert Instance(tmp_path).holder_is_here()
    monkeypatch.undo()
    holder.release()
    (tmp_path / LOCK_NAME).write_text("garbage", encoding="utf-8")
    monkeypatch.setattr(fcntl, "flock", refuse)
    assert not Instance(tmp_path).holder_is_here()


@pytest.mark.skipif(
    not Path("/proc/locks").exists(), reason="Linux lists held locks in /proc/locks; elsewhere a lock is tried"
)
def test_a_holder_on_btrfs_is_found_though_proc_locks_names_another_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # btrfs (and overlay mounts across filesystems) show /proc/locks another device number than stat does.
    from crmdesk.services import instance as instance_module

    holder = Instance(tmp_path)
    assert holder.claim()  # this process holds it, and keeps the file open while it does
    inode = (tmp_path / LOCK_NAME).stat().st_ino
    monkeypatch.setattr(instance_module, "_flocked_files", lambda: [(os.getpid(), (0, 44), inode)])
    assert Instance(tmp_path).holder_is_here()
    monkeypatch.setattr(instance_module, "_flocked_files", lambda: [(2**22 + 7, (0, 44), inode)])  # no such process
    assert not Instance(tmp_path).holder_is_here()
    holder.release()
