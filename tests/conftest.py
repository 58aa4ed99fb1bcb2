"""Test set-up shared by every suite: headless Qt, strict logging, and the bundled server on loopback."""

from __future__ import annotations

import os

# Qt reads these when the first QGuiApplication is created and qasync when it is imported.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

pytest_plugins = ["tests.support.qt_fixtures", "tests.support.server_fixtures"]
