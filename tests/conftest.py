"""Test set-up shared by every suite: headless Qt, strict logging, and the bundled server on loopback."""

from __future__ import annotations

import os

# Qt reads this when the first QGuiApplication is created; set it before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
