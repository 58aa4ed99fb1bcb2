"""How the server stops: when its parent is gone (``--watch-stdin``), and within a bound however clients behave."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crmdesk.server.cli import LISTENING_PREFIX

SERVE = ["-m", "crmdesk.server", "serve", "--host", "127.0.0.1", "--port", "0", "--watch-stdin"]


@pytest.mark.parametrize("stdin", ["at end of file", "closed"])
def test_watch_stdin_with_stdin_closed_at_start_stops_cleanly_and_says_why(tmp_path: Path, stdin: str) -> None:
    command = [sys.executable, *SERVE, "--db", str(tmp_path / "s.sqlite3")]
    if stdin == "closed":
        if sys.platform == "win32":
            pytest.skip("needs a POSIX shell to start a process with file descriptor 0 closed")
        command = ["sh", "-c", 'exec "$0" "$@" <&-', *command]
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20, check=False)
    assert done.returncode == 0 and LISTENING_PREFIX not in done.stdout, done.stderr
    assert done.stderr == (
        "crmdesk-server: stdin was closed at start, so --watch-stdin stopped the server before it served\n"
    )
