"""Demo mode: the bundled Contact API server as a child process on a loopback port, with its own database.

A child process rather than a thread: the server's Python work would otherwise compete with the UI thread
for the GIL and stall it. Inside a PyInstaller bundle ``sys.executable`` is CRMDesk itself, which runs the
server when its first argument is ``server`` (see :mod:`crmdesk.app`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import sys

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Qt, QTimer, Signal

from crmdesk.paths import data_dir, os_error_text
from crmdesk.services.credentials import TOKEN_ENV

log = logging.getLogger("crmdesk.services.demo")

_LISTENING = re.compile(r"crmdesk-server: listening on (http://\S+)")
START_TIMEOUT_MS = 30_000
STOP_GRACE_S = 5.0  # longer than the server waits for its requests as it stops


def server_command() -> tuple[str, list[str]]:
    """Program and leading arguments that start the bundled server's CLI."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["server"]
    return sys.executable, ["-m", "crmdesk.server"]


class DemoServer(QObject):
    """Starts and stops the demo server.

    Signals:
        started(str): the server listens at this base URL.
        failed(str): it could not start (or died); a sentence for the user.
    """

    started = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: The demo account's token for this run only; fresh each time so no other local process can guess it.
        self.token = secrets.token_urlsafe(24)
        self.base_url: str | None = None
        self._process: QProcess | None = None
        self._stdout = ""
        self._stderr_tail = ""
        self._stopping = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._start_timed_out)

    def start(self) -> None:
        """Launch the server; returns at once, reporting through ``started`` or ``failed``."""
        if self._process is not None:
            return
        program, args = server_command()
        try:
            db = data_dir() / "demo.sqlite3"
        except OSError as exc:
            # No folder for the demo's database: reported as any failed start is, after this call returns.
            why = self.tr("The demo cannot keep its contacts in CRMDesk's data folder: {0}.").format(os_error_text(exc))
            QTimer.singleShot(0, self, lambda: self._fail(why))
            return
        args += ["serve", "--demo", "--host", "127.0.0.1", "--port", "0", "--watch-stdin", "--db", str(db)]
        env = QProcessEnvironment.systemEnvironment()
        env.remove(TOKEN_ENV)  # a real account's token, which the demo's server has no business holding
        env.insert("CRMDESK_DEMO_TOKEN", self.token)
        env.insert("PYTHONUNBUFFERED", "1")  # the "listening" line must arrive at once, not when a buffer fills
        process = QProcess(self)
        process.setProcessEnvironment(env)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        # Queued: QProcess reports some failures (no pipes left to open) inside start(), and this start reports only
        # after it returns, when the app has its window to say it in.
        process.errorOccurred.connect(self._error, Qt.ConnectionType.QueuedConnection)
        process.finished.connect(self._finished)
        self._process = process
        log.info("Starting the demo server: %s %s", program, " ".join(args))
        process.start(program, args)
        self._timer.start(START_TIMEOUT_MS)

    def is_running(self) -> bool:
        return self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning

    def _read_stdout(self) -> None:
        if self._process is None or self._stopping:
            return  # a server being stopped while it starts (the user left the demo) must not report in
        self._stdout += bytes(self._process.readAllStandardOutput().data()).decode("utf-8", "replace")
        if self.base_url is None:
            match = _LISTENING.search(self._stdout)
            if match:
                self._timer.stop()
                self.base_url = match.group(1).rstrip("/")
                log.info("Demo server listening at %s", self.base_url)
                self.started.emit(self.base_url)
        if len(self._stdout) > 4096:  # keep only what the next match could need
            self._stdout = self._stdout[-1024:]

    def _read_stderr(self) -> None:
        if self._process is None:
            return
        text = bytes(self._process.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            log.debug("demo server: %s", line)
        self._stderr_tail = (self._stderr_tail + text)[-2000:]

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._fail(self.tr("The demo server could not be started."))

    def _finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        if self._stopping:
            return
        detail = self._stderr_tail.strip().splitlines()[-1:] or [""]
        if self.base_url is None:
            self._fail(
                self.tr("The demo server stopped while starting (exit code {0}). {1}").format(exit_code, detail[0])
            )
        else:
            self._fail(self.tr("The demo server stopped unexpectedly (exit code {0}).").format(exit_code))

    def _start_timed_out(self) -> None:
        self._fail(self.tr("The demo server did not start within {0} seconds.").format(START_TIMEOUT_MS // 1000))

    def _fail(self, message: str) -> None:
        self._timer.stop()
        log.info("Demo server failed: %s", message)
        self.failed.emit(message)

    async def stop(self) -> None:
        """Stop the server: close its stdin (it exits by itself), then terminate, then kill.

        A stopped DemoServer is done with: it deletes itself. Callers connect closures over it to its own signals,
        which only Qt holds, so neither Python's collector nor a parent would ever free it (one per demo start).
        """
        process = self._process
        self._timer.stop()
        if process is not None:
            self._stopping = True
            if process.state() != QProcess.ProcessState.NotRunning:
                for action in (process.closeWriteChannel, process.terminate, process.kill):
                    action()
                    if await self._wait_finished(process, STOP_GRACE_S):
                        break
            self._process = None
            process.deleteLater()
        self.deleteLater()

    @staticmethod
    async def _wait_finished(process: QProcess, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def finished() -> None:
            if not done.done():
                done.set_result(None)

        process.finished.connect(finished)
        try:
            if process.state() == QProcess.ProcessState.NotRunning:
                return True
            await asyncio.wait_for(done, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            process.finished.disconnect(finished)
