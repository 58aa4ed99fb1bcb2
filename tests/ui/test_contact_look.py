"""Colours that follow the palette: tag chips and field messages stay readable in light and dark schemes."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from pytestqt.qtbot import QtBot

from crmdesk.ui.contact_form import error_colour
from crmdesk.ui.tag_chips import chip_colours


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _palette(window: str) -> QPalette:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(window))
    return palette


@pytest.mark.parametrize("window", ["#efefef", "#2b2b2b"])
def test_tag_chip_text_reads_on_its_background(qapp: object, window: str) -> None:
    palette = _palette(window)
    for name in ["Hot Lead", "Website", "Q1 2024", "Food & Beverage", "VIP", "cold", "Referral", "ÉÑ"]:
        background, text = chip_colours(name, palette)
        assert contrast(background, text) >= 4.5, (name, window)
    assert chip_colours("Hot Lead", palette) == chip_colours("hot lead", palette), "stable and case-blind"


@pytest.mark.parametrize("window", ["#efefef", "#2b2b2b"])
def test_field_message_colour_reads_on_the_window(qapp: object, window: str) -> None:
    palette = _palette(window)
    assert contrast(error_colour(palette), QColor(window)) >= 4.5


def test_chips_restyle_when_the_palette_changes(qtbot: QtBot) -> None:
    from crmdesk.ui.tag_chips import TagChips

    chips = TagChips()
    qtbot.addWidget(chips)
    chips.set_tags(["Hot Lead"])
    light = chips.chips()[0].styleSheet()
    chips.setPalette(_palette("#202020"))
    assert chips.chips()[0].styleSheet() != light
