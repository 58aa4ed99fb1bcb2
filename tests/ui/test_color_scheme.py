"""The dark palette the app brings where the desktop offers none: every text readable, every field visible."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette

from crmdesk.app import _dark_palette


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def _contrast(one: QColor, other: QColor) -> float:
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


ROLE = QPalette.ColorRole


@pytest.mark.parametrize(
    ("text", "background", "least"),
    [
        (ROLE.WindowText, ROLE.Window, 7.0),
        (ROLE.Text, ROLE.Base, 7.0),
        (ROLE.ButtonText, ROLE.Button, 7.0),
        (ROLE.PlaceholderText, ROLE.Base, 3.0),  # hints and the muted sidebar lines
        (ROLE.PlaceholderText, ROLE.Window, 3.0),
        (ROLE.HighlightedText, ROLE.Highlight, 3.0),
    ],
)
def test_dark_palette_text_is_readable(
    qapp: object, text: QPalette.ColorRole, background: QPalette.ColorRole, least: float
) -> None:
    palette = _dark_palette()
    assert _contrast(palette.color(text), palette.color(background)) >= least


def test_dark_palette_fields_stand_out_from_the_window(qapp: object) -> None:
    # Fusion outlines a field in a darker shade of the window, which vanishes against a dark field: the fields are
    # lighter than the window instead, so an empty one still reads as a box to type in.
    palette = _dark_palette()
    base, window = palette.color(ROLE.Base), palette.color(ROLE.Window)
    assert _luminance(base) > _luminance(window) and _contrast(base, window) >= 1.15
