"""Programs the app starts from a bundle get the user's library paths and Qt plugin paths, not the bundle's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from crmdesk.services.launch import users_environment


def test_outside_a_bundle_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/mine")
    before = dict(os.environ)
    with users_environment():
        assert dict(os.environ) == before


def test_in_a_bundle_the_programs_started_get_the_users_paths_and_the_app_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "crmdesk" / "_internal"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{bundle}:/opt/mine")  # as the bootloader sets it
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/opt/mine")  # and keeps the user's
    monkeypatch.delenv("DYLD_LIBRARY_PATH", raising=False)
    monkeypatch.delenv("DYLD_LIBRARY_PATH_ORIG", raising=False)
    monkeypatch.setenv("QT_PLUGIN_PATH", os.pathsep.join([str(bundle / "PySide6" / "plugins"), "/usr/lib/qt6/plugins"]))
    monkeypatch.setenv("QML2_IMPORT_PATH", str(bundle / "PySide6" / "qml"))
    monkeypatch.setenv("_PYI_APPLICATION_HOME_DIR", str(bundle))
    monkeypatch.setenv("MY_SETTING", "kept")
    before = dict(os.environ)
    with users_environment():
        assert os.environ["LD_LIBRARY_PATH"] == "/opt/mine"
        assert os.environ["QT_PLUGIN_PATH"] == "/usr/lib/qt6/plugins"
        assert "QML2_IMPORT_PATH" not in os.environ and "_PYI_APPLICATION_HOME_DIR" not in os.environ
        assert os.environ["MY_SETTING"] == "kept"
    assert dict(os.environ) == before  # the app goes on with its own

    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG")  # the user had none
    monkeypatch.setenv("QT_PLUGIN_PATH", f"{bundle}2/plugins")  # beside the bundle, not in it
    with users_environment():
        assert "LD_LIBRARY_PATH" not in os.environ
        assert os.environ["QT_PLUGIN_PATH"] == f"{bundle}2/plugins"


@pytest.mark.skipif(os.name != "posix", reason="the test unsets a variable below Python's copy with unsetenv")
def test_a_variable_qt_took_out_does_not_come_back_for_the_next_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Qt takes the launcher's DESKTOP_STARTUP_ID out of the process's environment at start; writing Python's copy
    of the whole environment back after a link gave it to every program started later."""
    import subprocess

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path / "_internal"))
    monkeypatch.setenv("DESKTOP_STARTUP_ID", "launcher-123")
    os.unsetenv("DESKTOP_STARTUP_ID")  # as Qt's xcb plugin does: below os.environ, which still holds it
    with users_environment():
        pass

    def seen_by_a_program() -> str:
        shell = ["sh", "-c", "echo ${DESKTOP_STARTUP_ID-unset}"]
        return subprocess.run(shell, capture_output=True, text=True, check=True).stdout.strip()

    assert seen_by_a_program() == "unset"
    assert os.environ["LD_LIBRARY_PATH"] == str(tmp_path / "_internal")  # the app's own, back
