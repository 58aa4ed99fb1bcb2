"""Colours that follow the palette: tag chips and field messages stay readable in light and dark schemes."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from pytestqt.qtbot import QtBot

from crmdesk.app import _dark_palette, _light_palette
from crmdesk.ui.messages import error_colour
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
    light = chips.chips()[0].colours()
    assert light == chip_colours("Hot Lead", chips.palette())
    chips.setPalette(_palette("#202020"))
    dark = chips.chips()[0].colours()
    assert dark != light and dark == chip_colours("Hot Lead", _palette("#202020"))


def test_a_chip_is_painted_in_its_colours_with_its_text(qtbot: QtBot) -> None:
    from crmdesk.ui.tag_chips import TagChips

    chips = TagChips()
    qtbot.addWidget(chips)
    chips.set_tags(["Website"])
    chip = chips.chips()[0]
    chip.resize(chip.sizeHint())
    image = chip.grab().toImage()
    background, text = chip.colours()
    # The middle of the left padding is background; the corner, outside the rounded edge, is not.
    assert image.pixelColor(4, image.height() // 2).rgb() == background.rgb()
    assert image.pixelColor(0, 0).rgb() != background.rgb()
    # The text is drawn on it, in the text colour (antialiased glyphs: the darkest pixel is the text colour).
    row = [image.pixelColor(x, image.height() // 2) for x in range(image.width())]
    assert min(row, key=lambda colour: colour.lightness()).lightness() <= text.lightness() + 20
    # The padding of the style sheet it replaces: 9 px either side of the text, 2 px above and below.
    assert chip.sizeHint().width() == chip.fontMetrics().horizontalAdvance("Website") + 18


def test_a_pending_chip_is_italic_until_confirmed(qtbot: QtBot) -> None:
    from crmdesk.ui.tag_chips import TagChips

    chips = TagChips()
    qtbot.addWidget(chips)
    chips.add_pending("Hot Lead")
    chip = chips.chips()[0]
    assert chip.font().italic() and chip.text().endswith("…")
    chips.confirm("Hot Lead")
    assert not chip.font().italic() and chip.text() == "Hot Lead"


def test_a_long_tag_fits_the_notes_column_and_shows_whole_in_its_tooltip(qtbot: QtBot) -> None:
    from crmdesk.ui.tag_chips import TagChips

    chips = TagChips()
    qtbot.addWidget(chips)
    long_name = "Interested in the enterprise plan after the trade fair in São Paulo, call back in March " + "x" * 14
    chips.set_tags(["Hot Lead", long_name])
    short, long_chip = chips.chips()
    chips.resize(280, 200)  # the notes' column at its narrowest
    chips.show()
    qtbot.waitExposed(chips)
    assert long_chip.sizeHint().width() <= 280 and "…" in long_chip.text()
    assert long_chip.toolTip().startswith(long_name + "\n") and long_chip.accessibleName() == long_name
    assert short.text() == "Hot Lead" and not short.toolTip().startswith("Hot Lead")  # shown whole already
    chips.set_tags(["Hot Lead", "VIP"])  # the chip, reused for a short tag, drops the long name
    assert chips.chips()[1].toolTip() == short.toolTip()


# --- The dark palette the app brings where the desktop offers none ---------------------------------------

ROLE = QPalette.ColorRole


@pytest.mark.parametrize(
    ("text", "background", "least"),
    [
        (ROLE.WindowText, ROLE.Window, 7.0),
        (ROLE.Text, ROLE.Base, 7.0),
        (ROLE.ButtonText, ROLE.Button, 7.0),
        # Hints in fields, and the muted small text: note times, section titles, the sidebar's second lines.
        (ROLE.PlaceholderText, ROLE.Base, 4.5),
        (ROLE.PlaceholderText, ROLE.Window, 4.5),
        (ROLE.HighlightedText, ROLE.Highlight, 3.0),
    ],
)
def test_dark_palette_text_is_readable(
    qapp: object, text: QPalette.ColorRole, background: QPalette.ColorRole, least: float
) -> None:
    palette = _dark_palette()
    assert contrast(palette.color(text), palette.color(background)) >= least


def test_the_light_palette_the_app_brings_keeps_muted_text_readable(qapp: object) -> None:
    from PySide6.QtWidgets import QApplication, QStyleFactory

    fusion = QStyleFactory.create("Fusion")
    assert fusion is not None and isinstance(qapp, QApplication)
    palette = _light_palette(fusion.standardPalette())
    for background in (ROLE.Window, ROLE.Base):
        assert contrast(palette.color(ROLE.PlaceholderText), palette.color(background)) >= 4.5


def test_dark_palette_fields_stand_out_from_the_window(qapp: object) -> None:
    # Fusion outlines a field in a darker shade of the window, which vanishes against a dark field: the fields are
    # lighter than the window instead, so an empty one still reads as a box to type in.
    palette = _dark_palette()
    base, window = palette.color(ROLE.Base), palette.color(ROLE.Window)
    assert _luminance(base) > _luminance(window) and contrast(base, window) >= 1.15
