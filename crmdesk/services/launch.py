"""The environment the programs the app starts get: the user's, not the bundle's.

A PyInstaller bundle runs with ``LD_LIBRARY_PATH`` (``DYLD_LIBRARY_PATH`` on macOS) pointing at its own copies
of Qt and other libraries, ``QT_PLUGIN_PATH`` at its Qt plugins, and ``_PYI_*`` variables for its bootloader.
A mail program behind a ``mailto:`` link, or a phone app, inherits all of it: on a system whose libraries differ
(a KDE mail program built against another Qt), it could load the bundle's instead of its own, or not start. While
such a program is started, the bundle's values give way to those the user had: the library paths PyInstaller
kept as ``NAME_ORIG``, and the search paths without the bundle's folders. (PyInstaller's PySide6 hook replaces
``QT_PLUGIN_PATH`` without keeping the user's value, which cannot be given back.)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: Set by the bootloader to the bundle's library folder; the user's value is kept in NAME_ORIG.
_LIBRARY_PATHS = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH")
#: Search paths the bundle's runtime hooks put its own folders into.
_BUNDLE_SEARCH_PATHS = ("QT_PLUGIN_PATH", "QML2_IMPORT_PATH", "QML_IMPORT_PATH")


@contextmanager
def users_environment() -> Iterator[None]:
    """Within the block, the process environment is the user's as far as the bundle changed it; outside a
    bundle, nothing changes. Restored afterwards: the app itself keeps using its own."""
    bundle = getattr(sys, "_MEIPASS", None) if getattr(sys, "frozen", False) else None
    if bundle is None:
        yield
        return
    wanted: dict[str, str | None] = {}  # name: the user's value, or None for none
    for name in _LIBRARY_PATHS:
        wanted[name] = os.environ.get(f"{name}_ORIG")
    inside = os.path.normcase(os.path.abspath(bundle))

    def in_bundle(entry: str) -> bool:
        path = os.path.normcase(os.path.abspath(entry))
        return path == inside or path.startswith(inside + os.sep)

    for name in _BUNDLE_SEARCH_PATHS:
        if name in os.environ:
            kept = [entry for entry in os.environ[name].split(os.pathsep) if entry and not in_bundle(entry)]
            wanted[name] = os.pathsep.join(kept) or None
    for name in os.environ:
        if name.startswith("_PYI_"):
            wanted[name] = None
    # Only what changes is put back afterwards, as it was: a variable Qt took out since the start (the launcher's
    # DESKTOP_STARTUP_ID) must not come back for the next program.
    before = {name: os.environ.get(name) for name, value in wanted.items() if os.environ.get(name) != value}
    try:
        for name in before:
            _set(name, wanted[name])
        yield
    finally:
        for name, value in before.items():
            _set(name, value)


def _set(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
