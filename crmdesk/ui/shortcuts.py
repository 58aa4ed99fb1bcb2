"""Every keyboard shortcut of the app in one table, so actions and the Help window never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QKeySequence


@dataclass(frozen=True, slots=True)
class Shortcut:
    keys: tuple[str, ...]
    description: str

    def sequences(self) -> list[QKeySequence]:
        return [QKeySequence(key) for key in self.keys]

    def label(self) -> str:
        return ", ".join(QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) for key in self.keys)


def _t(text: str) -> str:
    return QCoreApplication.translate("Shortcuts", text)


# Keys are portable strings; Qt maps Ctrl to Cmd on macOS.
FOCUS_SEARCH = Shortcut(("Ctrl+F", "Ctrl+L"), "Search by UID, email or phone")
NEW_CONTACT = Shortcut(("Ctrl+N",), "New contact")
SAVE = Shortcut(("Ctrl+S",), "Save changes")
REVERT = Shortcut(("Ctrl+R",), "Revert unsaved changes, or leave a new contact")
RELOAD = Shortcut(("F5",), "Reload the contact from the server")
ADD_NOTE = Shortcut(("Ctrl+Return", "Ctrl+Enter"), "Add the note being written")
FOCUS_NOTE = Shortcut(("Ctrl+J",), "Write a note")
FOCUS_TAG = Shortcut(("Ctrl+T",), "Add a tag")
STAGE = Shortcut(("Ctrl+1",), "Change the stage")
QUALITY = Shortcut(("Ctrl+2",), "Change the quality")
OWNER = Shortcut(("Ctrl+3",), "Change the owner")
COPY_UID = Shortcut(("Ctrl+Shift+C",), "Copy the contact's UID")
DELETE_CONTACT = Shortcut(("Ctrl+Delete",), "Delete the contact")
SETTINGS = Shortcut(("Ctrl+,",), "Settings")
SHORTCUTS_HELP = Shortcut(("F1",), "Keyboard shortcuts")
QUIT = Shortcut(("Ctrl+Q",), "Quit")
# Keys of the search field itself (crmdesk/ui/search_field.py), listed for the rep beside the window's.
SEARCH_STOP = Shortcut(("Esc",), "In the search field: clear it and stop a slow lookup")
SEARCH_KIND = Shortcut(("Alt+Down", "F4"), "In the search field: choose what to search by")

ALL: tuple[Shortcut, ...] = (
    FOCUS_SEARCH,
    SEARCH_STOP,
    SEARCH_KIND,
    NEW_CONTACT,
    SAVE,
    REVERT,
    RELOAD,
    ADD_NOTE,
    FOCUS_NOTE,
    FOCUS_TAG,
    STAGE,
    QUALITY,
    OWNER,
    COPY_UID,
    DELETE_CONTACT,
    SETTINGS,
    SHORTCUTS_HELP,
    QUIT,
)


def translated_description(shortcut: Shortcut) -> str:
    return _t(shortcut.description)
