"""Finds the files under ``resources/`` from a source checkout, an installed wheel and a PyInstaller bundle."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    here = Path(__file__).resolve().parent
    candidates = [
        here / "resources",  # installed wheel: hatch force-includes resources/ into the package
        here.parent / "resources",  # source checkout
    ]
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        candidates.insert(0, Path(bundle_root) / "crmdesk" / "resources")
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    raise FileNotFoundError("CRMDesk's resources folder is missing; looked in: " + ", ".join(map(str, candidates)))


def resource_path(*parts: str) -> Path:
    """The path of a file under resources/, e.g. ``resource_path("icons", "search.svg")``."""
    return resources_dir().joinpath(*parts)
