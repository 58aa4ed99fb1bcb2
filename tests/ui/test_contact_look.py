"""Colours that follow the palette: tag chips and field messages stay readable in light and dark schemes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from crmdesk.app import _dark_palette, _light_palette
from crmdesk.ui.contact_form import ContactForm
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


def test_many_tags_take_four_rows_and_scroll_and_a_tag_just_added_is_in_view(qtbot: QtBot) -> None:
    """A hundred tags laid out in full pushed the notes off the column, and rows past its end (a tag just added
    among them) could not be reached at all."""
    from PySide6.QtWidgets import QScrollArea

    from crmdesk.ui.tag_chips import TagChips

    chips = TagChips()
    qtbot.addWidget(chips)
    chips.set_tags([f"Trade fair 2024 follow-up {n:02d}" for n in range(60)])
    chips.resize(300, chips.sizeHint().height())
    chips.show()
    qtbot.waitExposed(chips)
    scroll = chips.findChild(QScrollArea, "tagScroll")
    assert scroll is not None
    row = chips.chips()[0].sizeHint().height()
    frame = 2 * scroll.frameWidth()  # room for the focus ring
    assert 4 * row <= scroll.height() - frame <= 4 * row + 3 * 6 + 4  # four rows and their spacing, not sixty
    assert scroll.verticalScrollBar().maximum() > 0  # the rest is a scroll away
    # ...for the keyboard too: then it is a Tab stop, named, and its keys scroll it.
    assert scroll.focusPolicy() == Qt.FocusPolicy.StrongFocus and scroll.accessibleName() == "Tags"
    chips.activateWindow()
    qtbot.waitUntil(chips.isActiveWindow)
    scroll.setFocus(Qt.FocusReason.TabFocusReason)
    bar = scroll.verticalScrollBar()
    for _page in range(20):
        qtbot.keyClick(scroll, Qt.Key.Key_PageDown)
    assert bar.value() == bar.maximum()  # down to the last row
    for _page in range(20):
        qtbot.keyClick(scroll, Qt.Key.Key_PageUp)
    assert bar.value() == 0

    chips.add_pending("Brand New Tag")
    new = chips.chips()[-1]
    qtbot.waitUntil(lambda: not new.visibleRegion().isEmpty())
    assert new.visibleRegion().boundingRect() == new.rect()  # whole, not sliced by the edge

    chips.set_tags(["VIP", *(f"Partner tag {n:02d}" for n in range(40))])  # another contact
    assert scroll.verticalScrollBar().value() == 0
    chips.set_tags(["VIP"])
    qtbot.waitUntil(lambda: scroll.height() < 2 * row)  # one row of tags takes one row
    # With nothing to scroll it is no Tab stop: from the tag box, Tab goes on to what follows.
    assert scroll.focusPolicy() == Qt.FocusPolicy.NoFocus


def test_tab_reaches_the_tags_before_their_box_and_leaves_them_when_they_stop_scrolling(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QLineEdit, QScrollArea, QVBoxLayout, QWidget

    from crmdesk.ui.tag_chips import TagChips

    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    above, chips, below = QLineEdit(host), TagChips(host), QLineEdit(host)
    for widget in (above, chips, below):
        layout.addWidget(widget)
    chips.set_tags([f"Trade fair 2024 follow-up {n:02d}" for n in range(60)])
    host.resize(300, 500)
    host.show()
    host.activateWindow()
    qtbot.waitUntil(host.isActiveWindow)
    scroll = chips.findChild(QScrollArea, "tagScroll")
    assert scroll is not None
    qtbot.waitUntil(lambda: scroll.focusPolicy() == Qt.FocusPolicy.StrongFocus)
    above.setFocus()
    qtbot.keyClick(above, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is scroll  # the chips, shown above the box, come first
    qtbot.keyClick(scroll, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is chips.input
    qtbot.keyClick(chips.input, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is scroll
    chips.set_tags(["VIP"])  # another contact's one tag: nothing to scroll, no Tab stop, and not left on it
    qtbot.waitUntil(lambda: scroll.focusPolicy() == Qt.FocusPolicy.NoFocus)
    assert isinstance(QApplication.focusWidget(), QLineEdit) and QApplication.focusWidget() is chips.input


@pytest.mark.parametrize("points", [9, 16, 20])
def test_four_rows_of_tags_show_whole_at_any_font_size(qtbot: QtBot, points: int) -> None:
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QScrollArea

    from crmdesk.ui.tag_chips import TagChips

    chips = TagChips()
    qtbot.addWidget(chips)
    font = QFont(chips.font())
    font.setPointSize(points)
    chips.setFont(font)
    chips.set_tags(["Hot Lead", "Website", "VIP", "Partner"])
    row = chips.chips()[0].sizeHint().height()
    chips.resize(row * 4, 400)  # narrow: one chip a row, four rows
    chips.show()
    qtbot.waitExposed(chips)
    scroll = chips.findChild(QScrollArea, "tagScroll")
    assert scroll is not None
    qtbot.waitUntil(lambda: chips.chips()[3].y() > chips.chips()[2].y())
    assert scroll.verticalScrollBar().maximum() == 0  # four rows fit: nothing to scroll, nothing cut


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


def test_dark_disabled_text_reads_on_the_button_fusion_draws(qtbot: QtBot) -> None:
    # A disabled Save, Revert or Sign in, and the Account menu's profile line: Fusion fills a button lighter than
    # the palette's Button, and #7a7e86 read 2.4 : 1 there, under the 3 : 1 light mode keeps.
    from collections import Counter

    from PySide6.QtWidgets import QPushButton, QStyleFactory

    button = QPushButton("Save")
    qtbot.addWidget(button)
    button.setStyle(QStyleFactory.create("Fusion"))
    palette = _dark_palette()
    button.setPalette(palette)
    button.setEnabled(False)
    button.resize(100, 30)
    image = button.grab().toImage()
    fill = Counter(image.pixelColor(x, y).name() for x in range(5, 95) for y in range(5, 25)).most_common(1)[0][0]
    disabled = palette.color(QPalette.ColorGroup.Disabled, ROLE.ButtonText)
    assert contrast(disabled, QColor(fill)) >= 3.0, fill
    assert contrast(palette.color(ROLE.ButtonText), disabled) >= 2.0, "and still plainly unavailable"


def test_the_light_palette_the_app_brings_keeps_muted_text_readable(qapp: object) -> None:
    from PySide6.QtWidgets import QApplication, QStyleFactory

    fusion = QStyleFactory.create("Fusion")
    assert fusion is not None and isinstance(qapp, QApplication)
    palette = _light_palette(fusion.standardPalette())
    for background in (ROLE.Window, ROLE.Base):
        assert contrast(palette.color(ROLE.PlaceholderText), palette.color(background)) >= 4.5


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_greyed_out_hints_stay_dimmer_than_greyed_out_values(qapp: object, scheme: str) -> None:
    # A contact being deleted is greyed out whole: its empty fields' hints ("YYYY-MM-DD") and muted lines ("UID",
    # "Created…") must not stand out more than the names and values, or an empty field reads as a filled one.
    from PySide6.QtWidgets import QStyleFactory

    fusion = QStyleFactory.create("Fusion")
    assert fusion is not None
    palette = _light_palette(fusion.standardPalette()) if scheme == "light" else _dark_palette()
    disabled = QPalette.ColorGroup.Disabled
    for background in (ROLE.Base, ROLE.Window):
        ground = palette.color(disabled, background)
        hint, value = palette.color(disabled, ROLE.PlaceholderText), palette.color(disabled, ROLE.Text)
        assert contrast(hint, ground) < contrast(value, ground), (background, hint.name(), value.name())
        # ...and the enabled hint stays the more readable of the two hints.
        assert contrast(palette.color(ROLE.PlaceholderText), palette.color(background)) > contrast(hint, ground)


def test_dark_palette_fields_stand_out_from_the_window(qapp: object) -> None:
    # Fusion outlines a field in a darker shade of the window, which vanishes against a dark field: the fields are
    # lighter than the window instead, so an empty one still reads as a box to type in.
    palette = _dark_palette()
    base, window = palette.color(ROLE.Base), palette.color(ROLE.Window)
    assert _luminance(base) > _luminance(window) and contrast(base, window) >= 1.15


@pytest.mark.parametrize("editor", ["snapshot", "note box"])
def test_a_multi_line_field_shows_it_has_focus(qtbot: QtBot, editor: str) -> None:
    """One-line fields show a ring in the highlight colour; the snapshot and the note box showed only a caret, so
    a keyboard user entering one lost their place."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from crmdesk.ui.contact_form import SnapshotEdit
    from crmdesk.ui.notes_timeline import NoteInput

    host = QWidget()
    qtbot.addWidget(host)
    field = SnapshotEdit(host) if editor == "snapshot" else NoteInput(host)
    other = QLineEdit(host)
    layout = QVBoxLayout(host)
    layout.addWidget(field)
    layout.addWidget(other)
    host.resize(300, 200)
    host.show()
    qtbot.waitExposed(host)
    highlight = field.palette().color(QPalette.ColorRole.Highlight)

    def left_edge() -> QColor:
        return field.grab().toImage().pixelColor(0, field.height() // 2)

    other.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(other.hasFocus)
    unfocused = left_edge()
    host.activateWindow()
    field.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(field.hasFocus)
    assert contrast(left_edge(), highlight) < 1.2 and contrast(unfocused, highlight) > 1.5


def test_the_focused_row_of_a_sidebar_list_stands_out_in_dark(qtbot: QtBot) -> None:
    """Fusion's focus frame on an item is a tint of the highlight, 1.6 : 1 on the dark window: a keyboard user
    could not tell which Recent or Results row had focus."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QListWidget

    from crmdesk.ui import main_window

    rows = main_window._sidebar_list("recentList", "Recent contacts", None)  # type: ignore[arg-type]
    qtbot.addWidget(rows)
    rows.setPalette(_dark_palette())
    rows.setItemDelegate(main_window._ContactRowDelegate(rows))
    for name in ("Ana Lima\nana@example.com", "Bruno Reis\nbruno@example.com"):
        rows.addItem(name)
    rows.resize(240, 200)
    rows.show()
    qtbot.waitExposed(rows)
    rows.setFocus(Qt.FocusReason.TabFocusReason)
    rows.setCurrentRow(1)
    rows.clearSelection()  # focus, not selection: the row the arrow keys are on
    qtbot.waitUntil(rows.hasFocus)
    assert isinstance(rows, QListWidget)
    area = rows.visualItemRect(rows.item(1))
    image = rows.viewport().grab().toImage()
    window = _dark_palette().color(QPalette.ColorRole.Window)
    edge = image.pixelColor(area.left() + 1, area.center().y())
    assert contrast(edge, window) >= 3, edge.name()


def test_disabled_text_in_light_stays_readable() -> None:
    """The Account menu's first entry (the profile and its server) is disabled; it was #bebebe on #efefef."""
    from PySide6.QtWidgets import QApplication

    palette = _light_palette(QApplication.style().standardPalette())
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        assert contrast(palette.color(disabled, role), palette.color(QPalette.ColorRole.Window)) >= 3


def test_tag_chips_start_at_the_right_in_a_right_to_left_layout(qtbot: QtBot) -> None:
    """In Arabic or Hebrew the first tag belongs at the right edge, where reading starts; it sat at the left."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QWidget

    from crmdesk.ui.flow_layout import FlowLayout

    host = QWidget()
    qtbot.addWidget(host)
    layout = FlowLayout(host)
    layout.setContentsMargins(0, 0, 0, 0)
    chips = [QLabel(text, host) for text in ("Hot Lead", "Website", "Q1")]
    for chip in chips:
        layout.addWidget(chip)
    host.resize(400, 100)
    host.show()
    qtbot.waitExposed(host)
    assert chips[0].x() == 0 and chips[0].x() < chips[1].x() < chips[2].x()
    host.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    qtbot.waitUntil(lambda: chips[0].geometry().right() == host.width() - 1)
    assert chips[0].x() > chips[1].x() > chips[2].x()


def test_a_light_dark_switch_while_the_form_is_still_being_built_is_taken_in_stride(qtbot: QtBot) -> None:
    """The form is built in steps after the window shows; a scheme switch in between raised in its changeEvent
    for every field not built yet."""
    form = ContactForm(staged=True)
    qtbot.addWidget(form)
    form.build_step()
    form.setPalette(_dark_palette())  # a PaletteChange, as a switch to dark sends
    form.ensure_built()
    form.setPalette(_light_palette(QApplication.style().standardPalette()))
    assert form.message("firstName") == ""
