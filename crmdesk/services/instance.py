"""One CRMDesk per data folder: a second start hands what it was asked for to the first, and ends.

Two copies on one data folder each write the profile's registry and Recent list from their own memory, so the
one that saves last silently drops what the other learned or was told in Settings, and two demos share one demo
database whose token each replaces. A rep who starts the app again (a second click on its icon, a phone tool
running ``crmdesk --search NUMBER``) means the copy already open: the second start leaves a request in the data
folder's ``instance`` folder, and the first brings its window forward and runs the search.

The lock is a :class:`QLockFile`: it holds the owner's process id, so the lock of a copy that crashed on this
computer is taken over. One Qt cannot judge (left on another computer sharing the folder, garbled, or naming a
process id since reused) shows as a holder that does not take the request: the later start then asks the rep,
who can open CRMDesk anyway.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QLockFile, QObject, Signal

log = logging.getLogger("crmdesk.services.instance")

LOCK_NAME = "crmdesk.lock"
REQUESTS_DIR = "instance"
#: How long a later start waits for the open copy to take its request before asking the rep what to do.
ANSWER_WAIT_S = 5.0


class Instance(QObject):
    """This process's claim on a data folder, and the requests later starts leave there.

    Signals:
        requested(object): a later start asked for something: a dict with ``search``, ``profile`` and
            ``baseUrl`` (text, or None) and ``demo`` (bool), as its command line gave them.
    """

    requested = Signal(object)

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folder = folder
        self._lock = QLockFile(str(folder / LOCK_NAME))
        self._lock.setStaleLockTime(0)  # never stale by age (the app runs all day); a dead owner's lock still is
        self._watcher: QFileSystemWatcher | None = None
        #: False while this copy is going (its window closed): requests are left for the lock's next holder.
        self.accepting: Callable[[], bool] = lambda: True

    def claim(self) -> bool:
        """True if this process is the only CRMDesk on the folder now (or the folder cannot hold a lock at all)."""
        if self._lock.tryLock(0):
            return True
        if self._lock.error() == QLockFile.LockError.LockFailedError:
            return False
        # A folder that cannot be written cannot be shared by mistake either: nothing there is saved.
        log.warning("Cannot take the lock in %s (error %s); running without it", self._folder, self._lock.error())
        return True

    def holder_is_here(self) -> bool:
        """Whether a running process holds the lock: busy or hung, it must not be broken. Changes nothing.

        Qt keeps an operating-system lock on the file while it holds it (flock on POSIX; the file held open on
        Windows), whatever names the lock carries. So a lock left on another computer sharing the folder, one
        garbled by a power cut, or one naming a process id since reused, is held by nobody here; the holder of a
        lock that is, runs. Linux lists the locks held (/proc/locks), which is read without touching the file:
        taking even a moment's lock to find out would make a copy starting at that moment fail to take its own.
        """
        path = self._folder / LOCK_NAME
        try:
            status = path.stat()
        except OSError:
            return False
        held = _flocked_files()
        if held is not None:
            device = (os.major(status.st_dev), os.minor(status.st_dev))
            for pid, locked_device, inode in held:
                # btrfs and some overlay mounts show /proc/locks another device number than stat does: there
                # the holder is asked whether it has this very file open.
                if inode == status.st_ino and (locked_device == device or _has_open(pid, path)):
                    return True
            return False
        try:
            fd = os.open(path, os.O_RDWR)
        except PermissionError:
            return True  # held open by its copy (Windows)
        except OSError:
            return False
        try:
            if os.name != "posix":
                return False
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def take_over(self) -> bool:
        """Claim the folder from a lock nobody holds (the rep said CRMDesk is not running): False if a copy holds
        it after all (one started meanwhile, say). Qt removes the file only while nobody holds it."""
        if self._lock.tryLock(0):
            return True
        if self.holder_is_here():
            return False
        self._lock.removeStaleLockFile()
        return self._lock.tryLock(0)

    def hand_over(self, request: dict[str, Any], *, wait: float | None = None) -> str:
        """Leave ``request`` (see :attr:`requested`) for the holder; wait up to ``wait`` seconds (ANSWER_WAIT_S).

        "taken" when the holder took it; "claimed" when the holder let the folder go meanwhile (it was quitting)
        and this start now holds it; "unanswered" when nobody took it: the holder hangs or is busy, or is not
        running at all (a lock left on another computer sharing the folder, or garbled by a power cut). A request
        not taken is withdrawn, so that it does not surprise the next copy that listens.
        """
        import time
        import uuid  # only a later start pays for it

        requests = self._folder / REQUESTS_DIR
        path = requests / f"{uuid.uuid4().hex}.json"
        if sys.platform == "win32":
            self._let_holder_come_forward()
        try:
            requests.mkdir(exist_ok=True)
            temporary = path.with_name(path.name + ".part")  # written whole before it gets the name read
            temporary.write_text(json.dumps(request), encoding="utf-8")
            os.replace(temporary, path)
        except OSError as exc:
            log.warning("Cannot hand the start over to the open CRMDesk: %s", exc)
            return "unanswered"
        deadline = time.monotonic() + (ANSWER_WAIT_S if wait is None else wait)
        while path.exists():
            if self._lock.tryLock(0):
                _remove(path)
                return "claimed"
            if time.monotonic() > deadline:
                _remove(path)
                return "unanswered"
            time.sleep(0.05)
        return "taken"

    def _let_holder_come_forward(self) -> None:  # pragma: no cover  (Windows only)
        """Windows lets a window come to the front only from the process the user is working in, or one it
        allows: this start is that process (the rep just ran it), and it allows the copy that holds the lock, so
        that its window can come forward rather than only flash in the taskbar."""
        import ctypes

        pid, _host, _app = self._lock.getLockInfo()  # (0, "", "") when the lock file cannot be read
        if pid > 0:
            ctypes.windll.user32.AllowSetForegroundWindow(pid)  # type: ignore[attr-defined]

    def listen(self) -> None:
        """Start taking requests from later starts."""
        if self._watcher is not None or not self._lock.isLocked():
            return
        requests = self._folder / REQUESTS_DIR
        try:
            requests.mkdir(exist_ok=True)
        except OSError as exc:
            log.warning("Cannot take requests from later starts in %s: %s", requests, exc)
            return
        self._watcher = QFileSystemWatcher([str(requests)], self)
        self._watcher.directoryChanged.connect(self._read_requests)
        self._read_requests()  # one left while this copy was starting

    def release(self) -> None:
        """Stop taking requests and give the folder up; the app's ``main`` calls it on the UI thread at the end."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            import shiboken6

            shiboken6.delete(watcher)  # now, on this thread: its notifier must not outlive Qt's event loop
        self._lock.unlock()

    def _read_requests(self, *_args: object) -> None:
        if not self.accepting():
            return
        requests = self._folder / REQUESTS_DIR
        try:
            names = sorted(entry for entry in requests.iterdir() if entry.suffix == ".json")
        except OSError:
            return
        for path in names:
            try:
                raw: Any = json.loads(path.read_text(encoding="utf-8"))
                path.unlink()
            except (OSError, ValueError, RecursionError) as exc:
                log.info("Ignoring the request %s: %s", path, exc)
                _remove(path)
                continue
            raw = raw if isinstance(raw, dict) else {}
            request: dict[str, Any] = {key: _text_or_none(raw.get(key)) for key in ("search", "profile", "baseUrl")}
            request["demo"] = raw.get("demo") is True
            self.requested.emit(request)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _flocked_files() -> list[tuple[int, tuple[int, int], int]] | None:
    """(pid, (major, minor), inode) of every flock held, from Linux's /proc/locks; None elsewhere."""
    try:
        text = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    held = []
    for line in text.splitlines():
        fields = line.replace("->", " ").split()
        if len(fields) >= 6 and fields[1] == "FLOCK":
            try:
                major, minor, inode = fields[5].split(":")
                held.append((int(fields[4]), (int(major, 16), int(minor, 16)), int(inode)))
            except ValueError:
                continue
    return held


def _has_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (Linux, a process of this user)."""
    target = os.path.realpath(path)
    try:
        return any(os.path.realpath(fd) == target for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:  # held open elsewhere (Windows): left for whoever reads next
        log.info("Cannot remove %s: %s", path, exc)
