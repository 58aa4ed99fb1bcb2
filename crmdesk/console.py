"""Standard output for an app that may have no console.

A windowed program on Windows (the PyInstaller bundle, built with ``console=False``, and the ``crmdesk``
gui-script, which runs under pythonw) starts with ``sys.stdout`` and ``sys.stderr`` set to None. Every
``print`` or ``sys.stderr.write`` would then raise AttributeError, and what the command-line forms say (``--help``,
``--version``, an argument error, ``--self-test``, the ``server`` commands, a new account's token) would be lost.

Command-line forms call :func:`attach` first: on Windows, the program then writes to the console of the
command prompt it was started from, if any. Every start calls :func:`ensure_streams`, so that a stream with
nowhere to go swallows what is written to it instead of raising.
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: AttachConsole's "the console of the parent process" (DWORD -1).
_ATTACH_PARENT_PROCESS = 0xFFFFFFFF


def attach() -> None:
    """Give a missing ``sys.stdout`` or ``sys.stderr`` the parent's console (Windows), else a sink."""
    if sys.stdout is None or sys.stderr is None:
        if sys.platform == "win32":
            _attach_parent_console()
    ensure_streams()


def ensure_streams() -> None:
    """Replace a missing ``sys.stdout`` or ``sys.stderr`` by one that discards what is written."""
    if sys.stdout is None:
        sys.stdout = _sink()
    if sys.stderr is None:
        sys.stderr = _sink()


def _sink() -> Any:
    return open(os.devnull, "w", encoding="utf-8")  # open for the life of the process


def _attach_parent_console() -> None:  # pragma: no cover  (Windows only)
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    if not kernel32.AttachConsole(_ATTACH_PARENT_PROCESS):
        return  # started from Explorer or a shortcut: there is no console to write to
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            try:
                stream = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)
            except OSError:
                continue
            setattr(sys, name, stream)
