"""What a signed-in start loads before its window shows: nothing only the contact view, a request or the demo needs.

The cold-start budget (issue 7, tests/perf) depends on it, and an innocent module-level import anywhere on the
path from ``python -m crmdesk`` to the main window would undo it silently. The app runs in a subprocess, as a rep
starts it (token from CRMDESK_TOKEN, a base URL given); a small driver records ``sys.modules`` when the main
window receives its first show event, i.e. with everything the window was built from, before anything the app
deliberately loads after the first show (the contact view's modules, httpx, asyncio).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crmdesk.services.profiles import DEFAULT_PROFILE
from tests.support.live_server import Account

# Each costs start-up time (and memory) and is only needed later: the bundled server and its stack (demo mode),
# the form's validators (the contact view, built after the first show), the HTTP stack and asyncio with qasync
# (the first request; preloaded after the first show) and the keyring (not used when the token comes from the
# environment). The log file's handlers load with the first record, the error banner with the first message, the
# client and its models with the first request (the session checks the address and the token itself).
NOT_BEFORE_THE_WINDOW = (
    "asyncio",
    "qasync",
    "ssl",
    "logging.handlers",
    "crmdesk.ui.banner",
    "crmdesk.api.client",
    "crmdesk.api.models",
    "crmdesk.server",
    "sqlalchemy",
    "starlette",
    "uvicorn",
    "phonenumbers",
    "email_validator",
    "crmdesk.ui.contact_view",
    "httpx",
    "httpcore",
    "certifi",
    "keyring",
    "zoneinfo",
    "datetime",
)

_DRIVER = """
import json, sys
from crmdesk import app

modules = []
original_open_window = app.AppController.open_window


def open_window(self, session):
    from crmdesk.ui import main_window

    original_show_event = main_window.MainWindow.showEvent

    def show_event(window, event):
        if not modules:
            modules.extend(sorted(name for name, module in sys.modules.items() if module is not None))
            print("modules: " + json.dumps(modules), flush=True)
        original_show_event(window, event)

    main_window.MainWindow.showEvent = show_event
    original_open_window(self, session)


app.AppController.open_window = open_window
sys.exit(app.main(sys.argv[1:]))
"""


def _signed_in_start(driver: str, tmp_path: Path, *, demo: bool = False) -> subprocess.CompletedProcess[str]:
    """``driver`` run as the app, signed in with a token from the environment (or in demo mode), quitting once the
    window shows."""
    env = dict(os.environ)
    env.update(
        {
            "QT_QPA_PLATFORM": "offscreen",
            "CRMDESK_DATA_DIR": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "HOME": str(tmp_path / "home"),
            "CRMDESK_TOKEN": "tok_startup-test",
        }
    )
    # Nothing listens on port 9 (discard): the window shows all the same, and no request is made.
    cmd = [sys.executable, "-c", driver, "--base-url", "http://127.0.0.1:9", "--exit-when-shown"]
    if demo:
        del env["CRMDESK_TOKEN"]
        cmd = [sys.executable, "-c", driver, "--demo", "--exit-when-shown"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(
    "profile",
    ["fresh", "knowing its account's zone", "leaving another server"],
    ids=["fresh profile", "profile knowing its account's zone", "profile switching servers"],
)
def test_a_signed_in_start_loads_none_of_the_late_modules_before_the_window_shows(tmp_path: Path, profile: str) -> None:
    folder = tmp_path / "data" / "profiles" / DEFAULT_PROFILE
    if profile != "fresh":  # the registry read before the window shows names a time zone: zoneinfo still waits
        folder.mkdir(parents=True)
        registry = {"version": 1, "stages": ["Won"], "accountTimeZone": "America/Sao_Paulo"}
        (folder / "registry.json").write_text(json.dumps(registry))
        # The server these (crmdesk/services/server_files.py) are for: this start's, or another it sets them aside for.
        server = "http://127.0.0.1:9" if profile == "knowing its account's zone" else "https://crm.example.com"
        (folder / "server.json").write_text(json.dumps({"baseUrl": server}))
        (folder / "recent.json").write_text(json.dumps([{"uid": "AAAA1111", "name": "Ana Lima"}]))
    result = _signed_in_start(_DRIVER, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("modules: ")]
    assert lines, f"the main window never showed:\n{result.stdout}\n{result.stderr}"
    loaded = json.loads(lines[0].removeprefix("modules: "))
    assert "crmdesk.ui.main_window" in loaded  # the snapshot is the real start-up, not an empty process
    early = sorted(
        name for name in loaded for late in NOT_BEFORE_THE_WINDOW if name == late or name.startswith(late + ".")
    )
    assert early == []
    if profile == "leaving another server":  # the test did start what it says
        assert (folder / "servers").is_dir() and not (folder / "recent.json").exists()


def test_a_demo_start_reads_no_time_zone_data_before_the_window_shows(tmp_path: Path) -> None:
    # The demo's registry knows its account's zone; naming it must not load the zone database on the way.
    result = _signed_in_start(_DRIVER, tmp_path, demo=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("modules: ")]
    assert lines, f"the main window never showed:\n{result.stdout}\n{result.stderr}"
    loaded = json.loads(lines[0].removeprefix("modules: "))
    assert "crmdesk.server.demo_data" in loaded  # the demo's window, with its registry filled in
    assert [name for name in loaded if name in ("zoneinfo", "datetime")] == []


_EXIT_DRIVER = """
import atexit, sys, threading
from crmdesk import app


def report():
    alive = sorted(thread.name for thread in threading.enumerate() if thread is not threading.main_thread())
    print("alive at exit: " + ",".join(alive), flush=True)


atexit.register(report)  # runs after the interpreter has waited for non-daemon threads
sys.exit(app.main(sys.argv[1:]))
"""


def test_a_quit_right_after_start_waits_for_the_preload_threads(tmp_path: Path) -> None:
    # The window loads its contact view, asyncio and httpx in worker threads after it shows. A daemon thread still
    # creating PySide types while the interpreter finalised crashed the app (SIGSEGV) about one quit in ten.
    for _ in range(3):
        result = _signed_in_start(_EXIT_DRIVER, tmp_path)
        assert result.returncode == 0, result.stderr
        lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
        assert lines.get("alive at exit") == ""


_FIRST_REQUEST_DRIVER = """
import asyncio, json, sys
from crmdesk.api.client import ContactApi, load_http_stack

load_http_stack()
before = set(sys.modules)


async def first_request():
    api = ContactApi(sys.argv[1], sys.argv[2])
    try:
        await api.verify()
    finally:
        await api.aclose()


asyncio.run(first_request())
print("imported: " + json.dumps(sorted(set(sys.modules) - before)), flush=True)
"""

# The packages a request runs through. What the preload misses, the first search imports on the UI thread.
HTTP_STACK = ("httpx", "httpcore", "h11", "anyio", "sniffio", "certifi")


def test_the_http_preload_leaves_the_first_request_nothing_to_import(tmp_path: Path, account: Account) -> None:
    cmd = [sys.executable, "-c", _FIRST_REQUEST_DRIVER, account.base_url, account.token]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("imported: ")]
    imported = json.loads(line.removeprefix("imported: "))
    late = [name for name in imported if name.split(".")[0] in HTTP_STACK]
    assert late == []
