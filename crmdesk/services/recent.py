"""The Recent list: contacts opened in a profile, most recent first, kept as JSON in the profile's folder."""

from __future__ import annotations

import json
import logging
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from crmdesk.paths import os_error_text, profile_dir, write_atomically

log = logging.getLogger("crmdesk.services.recent")

MAX_RECENT = 30

#: How long a change waits before it is written: opening contacts in a row costs one write, not one each, and
#: none of them on the way to showing the contact.
WRITE_DELAY_MS = 300


@dataclass(frozen=True, slots=True)
class RecentEntry:
    uid: str
    name: str
    email: str = ""
    phone: str = ""


class _RecentFile:
    """The JSON file and the entries still to be written to it; plain Python, so it outlives the QObject."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: the profile's folder could not be made, and the list is kept in memory only
        self.unwritten: list[RecentEntry] | None = None

    def read(self) -> list[RecentEntry]:
        if self.path is None:
            return []
        try:
            raw: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError, RecursionError) as exc:
            # A damaged list (nested deeper than Python follows, too) is not worth stopping for; it refills as
            # contacts are opened.
            log.info("Ignoring unreadable recent list %s: %s", self.path, exc)
            return []
        entries: list[RecentEntry] = []
        for item in raw if isinstance(raw, list) else []:
            if isinstance(item, dict) and isinstance(item.get("uid"), str) and item["uid"]:
                entries.append(
                    RecentEntry(
                        uid=item["uid"],
                        name=str(item.get("name") or ""),
                        email=str(item.get("email") or ""),
                        phone=str(item.get("phone") or ""),
                    )
                )
        return entries[:MAX_RECENT]

    def flush(self, *_args: object) -> None:
        entries, self.unwritten = self.unwritten, None
        if entries is None or self.path is None:
            return
        _pending.discard(self)
        data = json.dumps([asdict(entry) for entry in entries], ensure_ascii=False, indent=1)
        try:
            write_atomically(self.path, data)
        except OSError as exc:
            log.warning("Could not save the recent list: %s", exc)
            if self.unwritten is None:  # kept for the next write (a later change, the quit), unless newer came
                self.unwritten = entries
                _pending.add(self)


#: Files with entries not yet written, so that a list opened on the same profile reads what this one holds.
_pending: weakref.WeakSet[_RecentFile] = weakref.WeakSet()


class RecentList(QObject):
    """Recently opened contacts of one profile.

    A change reaches the disk :data:`WRITE_DELAY_MS` later (coalesced with the changes after it); what is pending
    is written when the app quits, when this object is deleted, on :meth:`flush`, and before another list of
    the same profile reads the file.

    Signals:
        changed(): the list changed (added, moved to the top, removed).
    """

    changed = Signal()

    def __init__(self, profile: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: Why the profile's folder could not be made (the list lasts until the app quits), or None.
        self.unwritable: str | None = None
        try:
            path: Path | None = profile_dir(profile) / "recent.json"
        except OSError as exc:
            log.warning("Cannot use the folder of profile %s: %s", profile, exc)
            path, self.unwritable = None, os_error_text(exc)
        self._file = _RecentFile(path)
        for other in list(_pending):
            if other.path == self._file.path:
                other.flush()
        self._entries: list[RecentEntry] = self._file.read()
        self._write_timer = QTimer(self)
        self._write_timer.setSingleShot(True)
        self._write_timer.setInterval(WRITE_DELAY_MS)
        self._write_timer.timeout.connect(self._file.flush)
        self.destroyed.connect(self._file.flush)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._file.flush)

    def flush(self) -> None:
        """Write a pending change now."""
        self._write_timer.stop()
        self._file.flush()

    def has_unwritten_changes(self) -> bool:
        return self._file.unwritten is not None

    def _write_soon(self) -> None:
        self._file.unwritten = list(self._entries)
        _pending.add(self._file)
        self._write_timer.start()

    def entries(self) -> list[RecentEntry]:
        return list(self._entries)

    def add(self, uid: str, name: str, email: str = "", phone: str = "") -> None:
        entry = RecentEntry(uid, name, email, phone)
        if self._entries and self._entries[0] == entry:
            return  # reopening the top entry changes nothing
        self._entries = [entry, *(e for e in self._entries if e.uid != uid)][:MAX_RECENT]
        self._write_soon()
        self.changed.emit()

    def update(self, uid: str, name: str, email: str = "", phone: str = "") -> None:
        """What an entry shows, after a save or a reload changed it; its place in the list stays."""
        entry = RecentEntry(uid, name, email, phone)
        for index, old in enumerate(self._entries):
            if old.uid == uid:
                if old != entry:
                    self._entries[index] = entry
                    self._write_soon()
                    self.changed.emit()
                return

    def clear(self) -> None:
        """Forget every entry now, file and all (signing out: the list names the account's customers)."""
        self._write_timer.stop()
        self._file.unwritten = None
        _pending.discard(self._file)
        if self._file.path is not None:
            try:
                self._file.path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("Could not remove the recent list: %s", exc)
        if self._entries:
            self._entries = []
            self.changed.emit()

    def remove(self, uid: str) -> None:
        kept = [e for e in self._entries if e.uid != uid]
        if len(kept) != len(self._entries):
            self._entries = kept
            self._write_soon()
            self.changed.emit()
