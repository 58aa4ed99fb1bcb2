"""The bundled Contact API server as a real subprocess on a loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from crmdesk.paths import DATA_DIR_ENV
from crmdesk.server import demo_data
from crmdesk.server.cli import LISTENING_PREFIX
from crmdesk.server.config import sqlite_url
from crmdesk.server.store import Store

STARTUP_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class Account:
    """An account on a live server: what a client needs to talk to it."""

    name: str
    token: str
    base_url: str


class LiveServerError(RuntimeError):
    """The server did not start; the message carries its stderr."""


class LiveServer:
    """Runs ``python -m crmdesk.server serve`` on ``127.0.0.1`` with ``--port 0`` and ``--watch-stdin``.

    ``base_url`` is known once :meth:`start` returns. :meth:`restart` reuses the database file but may get
    a new port, so read ``base_url`` again after it. Accounts are added straight into the same database
    file, which the running server sees at once (a token lookup that misses always asks the database).
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        rate_limit: str = "off",
        demo: bool = False,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.db_path = Path(db_path)
        self.rate_limit = rate_limit
        self.demo = demo
        self.extra_env = dict(env or {})
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self._base_url: str | None = None
        self._stderr_lines: list[str] = []
        self._stdout_lines: list[str] = []
        self._store: Store | None = None

    # --- Lifetime ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise LiveServerError("the server is not running")
        return self._base_url

    @property
    def stderr(self) -> str:
        return "".join(self._stderr_lines)

    @property
    def stdout(self) -> str:
        return "".join(self._stdout_lines)

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "crmdesk.server", "serve", "--db", str(self.db_path)]
        args += ["--host", "127.0.0.1", "--port", "0", "--rate-limit", self.rate_limit, "--watch-stdin"]
        if self.demo:
            args.append("--demo")
        return args + self.extra_args

    def start(self) -> LiveServer:
        if self.process is not None:
            raise LiveServerError("the server is already running")
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.setdefault(DATA_DIR_ENV, str(self.db_path.parent))
        env.update(self.extra_env)
        self._stderr_lines = []
        self._stdout_lines = []
        process = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.process = process
        found = threading.Event()

        def read_stdout() -> None:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.decode(errors="replace")
                self._stdout_lines.append(line)
                if line.startswith(LISTENING_PREFIX) and self._base_url is None:
                    self._base_url = line[len(LISTENING_PREFIX) :].strip()
                    found.set()
            found.set()  # end of output: the process is gone

        def read_stderr() -> None:
            assert process.stderr is not None
            for raw in process.stderr:
                self._stderr_lines.append(raw.decode(errors="replace"))

        self._base_url = None
        threading.Thread(target=read_stdout, daemon=True).start()
        threading.Thread(target=read_stderr, daemon=True).start()
        if not found.wait(STARTUP_TIMEOUT) or self._base_url is None:
            self._terminate(process, kill=True)
            time.sleep(0.1)  # let the reader threads collect the last stderr lines
            raise LiveServerError(
                f"the server did not start within {STARTUP_TIMEOUT:.0f}s (exit code {process.poll()}):\n{self.stderr}"
            )
        return self

    def _terminate(self, process: subprocess.Popen[bytes], *, kill: bool) -> None:
        if process.poll() is None:
            if kill:
                process.send_signal(signal.SIGKILL)
            else:
                # Closing stdin is the clean shutdown the desktop app relies on, so tests use it too.
                assert process.stdin is not None
                try:
                    process.stdin.close()
                except OSError:
                    pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self.process = None
        self._base_url = None

    def stop(self) -> int | None:
        """Shut down cleanly (by closing stdin) and return the exit code."""
        process = self.process
        if process is None:
            return None
        self._terminate(process, kill=False)
        return process.returncode

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or clean up."""
        if self.process is not None:
            self._terminate(self.process, kill=True)

    def restart(self) -> LiveServer:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- Data --------------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """A Store on the server's database file, for setting up data behind the API's back."""
        if self._store is None:
            self._store = Store(sqlite_url(self.db_path))
        return self._store

    def add_account(
        self,
        name: str | None = None,
        plan: str = "pro",
        token: str | None = None,
        time_zone: str = "UTC",
        stages: Sequence[str] = demo_data.STAGES,
        qualities: Sequence[str] = demo_data.QUALITIES,
        members: Sequence[tuple[str, str]] = demo_data.MEMBERS,
    ) -> Account:
        """Create an account (by default pro, with the Demo stages, qualities and team members)."""
        name = name or f"Test {secrets.token_hex(6)}"
        token = token or f"test-{secrets.token_urlsafe(16)}"
        self.store.add_account(name, plan, token=token, time_zone=time_zone)
        if stages:
            self.store.add_stages(name, stages)
        if qualities:
            self.store.add_qualities(name, qualities)
        for email, full in members:
            self.store.add_member(name, email, full)
        return Account(name=name, token=token, base_url=self.base_url)
