"""The Recent list: contacts opened in a profile, most recent first, kept as JSON in the profile's folder."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from crmdesk.paths import profile_dir

log = logging.getLogger("crmdesk.services.recent")

MAX_RECENT = 30


@dataclass(frozen=True, slots=True)
class RecentEntry:
    uid: str
    name: str
    email: str = ""
    phone: str = ""


class RecentList(QObject):
    """Recently opened contacts of one profile.

    Signals:
        changed(): the list changed (added, moved to the top, removed).
    """

    changed = Signal()

    def __init__(self, profile: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path: Path = profile_dir(profile) / "recent.json"
        self._entries: list[RecentEntry] = self._read()

    def _read(self) -> list[RecentEntry]:
        try:
            raw: Any = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            # A damaged list is not worth stopping for; it refills as contacts are opened.
            log.info("Ignoring unreadable recent list %s: %s", self._path, exc)
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

    def _write(self) -> None:
        data = json.dumps([asdict(entry) for entry in self._entries], ensure_ascii=False, indent=1)
        tmp = self._path.with_suffix(".tmp")
        try:
            tmp.write_text(data, encoding="utf-8")
            tmp.replace(self._path)  # atomic, so a crash never leaves half a file
        except OSError as exc:
            log.info("Could not save the recent list: %s", exc)

    def entries(self) -> list[RecentEntry]:
        return list(self._entries)

    def add(self, uid: str, name: str, email: str = "", phone: str = "") -> None:
        entry = RecentEntry(uid, name, email, phone)
        self._entries = [entry, *(e for e in self._entries if e.uid != uid)][:MAX_RECENT]
        self._write()
        self.changed.emit()

    def remove(self, uid: str) -> None:
        kept = [e for e in self._entries if e.uid != uid]
        if len(kept) != len(self._entries):
            self._entries = kept
            self._write()
            self.changed.emit()
