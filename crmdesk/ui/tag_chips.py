"""The contact's tags as coloured chips in a flow layout, with an input that adds one through tag/add."""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QRectF, QSize, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

from crmdesk.contract import ContractError, validate_tag
from crmdesk.services.pasted import tag_names
from crmdesk.ui.flow_layout import FlowLayout
from crmdesk.ui.focus_ring import FocusRingScrollArea
from crmdesk.ui.messages import plain_tooltip, show_inline_error, user_message
from crmdesk.ui.notes_timeline import REPEAT_S
from crmdesk.ui.one_line import keep_one_line

#: Hidden chips kept for the next contact's tags (reused rather than made again); more are deleted.
SPARE_CHIPS = 40


def with_tag(text: str, tag: str) -> str:
    """``text`` of a tag box (comma-separated tags) with ``tag`` added at its end, unless it is there already."""
    parts = [part.strip() for part in text.split(",")]
    if tag in parts:
        return text
    kept = text.rstrip().rstrip(",").rstrip()
    return f"{kept}, {tag}" if kept else tag


def chip_colours(name: str, palette: QPalette) -> tuple[QColor, QColor]:
    """Background and text colour for a tag: the hue comes from a stable hash, lightness from the palette."""
    hue = zlib.crc32(name.casefold().encode("utf-8")) % 360
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    if dark:
        return QColor.fromHsl(hue, 110, 70), QColor.fromHsl(hue, 60, 225)
    return QColor.fromHsl(hue, 150, 222), QColor.fromHsl(hue, 120, 50)


class TagChip(QLabel):
    """One rounded chip; a pending chip is shown in italics until the server confirms it.

    The chip paints its own rounded background and lets QLabel draw the text on it. A style sheet did the same,
    but applying one re-polishes the widget, and chips are reused from one contact to the next: every contact
    shown re-polished its chips. Colours and the italic state are now a palette and a font, changed only when
    they differ.
    """

    RADIUS = 9.0
    #: The widest a chip's text gets: a tag may have 100 characters, and the notes' column can be 280 px wide.
    WIDEST_TEXT = 240

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tagChip")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setContentsMargins(9, 2, 9, 2)
        self.name = name
        self.pending = False
        self._background = QColor()
        self._scheme = QPalette(parent.palette() if parent is not None else self.palette())
        self.set_tag(name, pending=False)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.set_tag(self.name, pending=self.pending)  # shortened again in the new font

    def set_tag(self, name: str, *, pending: bool) -> None:
        self.name = name
        self.pending = pending
        text = name + (" …" if pending else "")
        shown = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, self.WIDEST_TEXT)
        self.setText(shown)
        self.setAccessibleName(name)
        # The chip area's tooltip (why a chip has no remove button), after the whole name of one shortened.
        area = self.parentWidget()
        area_tip = area.toolTip() if area is not None else ""
        tip = plain_tooltip(f"{name}\n\n{area_tip}") if shown != text else area_tip
        if self.toolTip() != tip:
            self.setToolTip(tip)
        if self.font().italic() != pending:
            font = QFont(self.font())
            font.setItalic(pending)
            self.setFont(font)
        self.restyle()

    def colours(self) -> tuple[QColor, QColor]:
        """The chip's background and text colour, as painted."""
        return QColor(self._background), self.palette().color(QPalette.ColorRole.WindowText)

    def restyle(self, palette: QPalette | None = None) -> None:
        # The chip's text colour is its own palette's, so the owner passes the scheme it follows.
        if palette is not None:
            self._scheme = QPalette(palette)
        background, text = chip_colours(self.name, self._scheme)
        if (background, text) == self.colours():
            return
        self._background = background
        own = QPalette(self.palette())
        own.setColor(QPalette.ColorRole.WindowText, text)
        self.setPalette(own)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._background)
        painter.drawRoundedRect(QRectF(self.rect()), self.RADIUS, self.RADIUS)
        painter.end()
        super().paintEvent(event)


class _TagInput(QLineEdit):
    """The box new tags are typed in. Enter is handled here: a completer whose suggestion was chosen with Enter
    would otherwise put that suggestion back in the box after it was added and the box cleared."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)  # emits returnPressed for Enter
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class _ChipScroll(FocusRingScrollArea):
    """The chips, as tall as their rows up to :attr:`MAX_ROWS` rows or the room given (:meth:`set_room`), then
    scrolled.

    A contact may carry a hundred tags: laid out in full they pushed the notes off the column, and the rows past
    its end could not be reached at all, a tag just added among them. Where the notes leave the column's height
    unused, the contact view gives that room to the chips.
    """

    MAX_ROWS = 4

    def __init__(self, area: QWidget, flow: FlowLayout, parent: QWidget) -> None:
        super().__init__(parent)
        self._flow = flow
        self.setObjectName("tagScroll")
        self.setAccessibleName(self.tr("Tags"))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidgetResizable(True)
        # Up to the room given, never less than its rows up to MAX_ROWS: while the window shrinks, the layout
        # takes the extra rows back before the contact view shares the column out again.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._room = 0  # height the contact view lets the chips take past MAX_ROWS rows (0: none)
        # A Tab stop only while there is more to see than its rows show: then the keyboard scrolls it (with the
        # focus ring); the chips themselves cannot be acted on.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalScrollBar().rangeChanged.connect(self._scrollable_changed)
        self.setWidget(area)
        self.viewport().setAutoFillBackground(False)
        area.setAutoFillBackground(False)

    def _row_height(self) -> int:
        # A chip's own height: its text's and its margins, which at a large font is more than the font's height.
        for index in range(self._flow.count()):
            item = self._flow.itemAt(index)
            chip = item.widget() if item is not None else None
            if isinstance(chip, TagChip):
                return chip.sizeHint().height()
        return self.fontMetrics().height() + 4

    def full_height(self) -> int:
        """The height every row of chips takes at the present width, frame included."""
        width = self.viewport().width() if self.isVisible() else self.width()
        return max(self._row_height(), self._flow.heightForWidth(max(width, 1))) + 2 * self.frameWidth()

    def _rows_height(self, rows: int) -> int:
        return rows * self._row_height() + (rows - 1) * self._flow.verticalSpacing() + 2 * self.frameWidth()

    def least_height(self) -> int:
        """The height of its rows up to MAX_ROWS, frame included: what it keeps however little room there is."""
        return min(self.full_height(), self._rows_height(self.MAX_ROWS))

    def set_room(self, height: int) -> None:
        """Let the chips be up to ``height`` px tall (frame included), when that is more than MAX_ROWS rows."""
        if height != self._room:
            self._room = height
            self.updateGeometry()

    def _scrollable_changed(self, _low: int, high: int) -> None:
        if high == 0 and self.hasFocus():
            self.focusNextChild()  # no longer a Tab stop: the focus goes on to the tag box, not nowhere
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if high > 0 else Qt.FocusPolicy.NoFocus)

    def sizeHint(self) -> QSize:
        height = self.full_height()
        if height > self._room:
            # Whole rows: a row cut at the bottom edge would look like a drawing fault, not like more to scroll to.
            pitch = self._row_height() + self._flow.verticalSpacing()
            rows = (self._room - 2 * self.frameWidth() + self._flow.verticalSpacing()) // pitch
            height = max(self.least_height(), self._rows_height(rows))
        return QSize(super().sizeHint().width(), height)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.least_height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # the rows it takes depend on its width


class TagChips(QWidget):
    """Chips plus an "add a tag" input with a completer over the profile's known tags.

    Signals:
        tag_requested(str): the user asked to add this tag; its chip is already shown as pending.
    """

    tag_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tags")
        no_remove = self.tr("Tags cannot be removed: the Contact API has no way to remove a tag from a contact.")
        self._chip_area = QWidget(self)
        self._chip_area.setToolTip(no_remove)
        self._flow = FlowLayout(self._chip_area, margin=0, h_spacing=6, v_spacing=6)
        self._chips: list[TagChip] = []
        self._submitted_at = -math.inf  # when tags were last taken from the box (see _submit)
        self._spare: list[TagChip] = []  # hidden chips out of the layout, reused by the next contact's tags
        self._empty = QLabel(self.tr("No tags yet."), self._chip_area)
        self._empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._flow.addWidget(self._empty)
        # Made before the tag box: the Tab order is the order of making, and the chips sit above the box.
        self._scroll = _ChipScroll(self._chip_area, self._flow, self)

        self.input = _TagInput(self)
        keep_one_line(self.input, separator=", ")  # tags pasted one per line, or as a spreadsheet row, are a list
        self.input.textEdited.connect(self._typing)
        self.input.setObjectName("tagInput")
        self.input.setPlaceholderText(self.tr("Add a tag… (Enter; commas separate tags)"))
        self.input.setToolTip(self.tr("Type a tag and press Enter to add it.") + "\n" + no_remove)
        self.input.setClearButtonEnabled(True)
        self._known = QStringListModel(self)  # what the box suggests: the known tags this contact has not
        self._known_tags: list[str] = []
        self._suggestions_stale = False  # the chips changed since the suggestions were picked (see _typing)
        completer = QCompleter(self._known, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.input.setCompleter(completer)
        self.input.returnPressed.connect(self._submit)

        self._message = QLabel(self)
        self._message.setObjectName("tagMessage")
        self._message.setWordWrap(True)
        self._message.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self._scroll)
        layout.addWidget(self.input)
        layout.addWidget(self._message)

    # --- Public -----------------------------------------------------------------------------------

    def hide_suggestions(self) -> None:
        """Close the list of known tags offered while typing, if it is open."""
        completer = self.input.completer()
        suggestions = completer.popup() if completer is not None else None
        if suggestions is not None and suggestions.isVisible():
            suggestions.hide()

    def overflows(self) -> bool:
        """Whether the chips take more than MAX_ROWS rows, so that more room would show more of them."""
        return self._scroll.full_height() > self._scroll.least_height()

    def chips_height(self) -> int:
        """The height the chips' box has now."""
        return self._scroll.height()

    def set_room(self, height: int) -> None:
        """Let the chips' box grow to ``height`` px where it has more rows than fit in MAX_ROWS (see ContactView)."""
        self._scroll.set_room(height)

    def set_known_tags(self, tags: Iterable[str]) -> None:
        self._known_tags = sorted(set(tags), key=str.casefold)
        self._suggestions_stale = True

    def set_tags(self, tags: Iterable[str], *, keep_pending: bool = False, pending: Iterable[str] = ()) -> None:
        """Show exactly these confirmed tags; chips are reused, extra ones removed.

        ``keep_pending`` (the same contact, read again) keeps the chips of tags still on their way after them;
        another contact's tags come with the ``pending`` ones still on their way to it (the rep came back to it).
        """
        names = list(tags)
        confirmed = {name.casefold() for name in names}
        shown = set(confirmed)
        for name in self.pending_tags() if keep_pending else pending:
            if name.casefold() not in shown:
                shown.add(name.casefold())  # the same tag sent twice is one chip
                names.append(name)
        # Showing a chip lays out every chip before it (Qt activates the parent's layout for each child shown):
        # a contact with 1,000 tags, which only pile up since the API cannot remove one, took 1.6 s to open. The
        # chips are laid out once, after the last.
        self._flow.setEnabled(False)
        try:
            while len(self._chips) > len(names):
                self._remove_chip(self._chips[-1])
            self._suggestions_stale = True  # reused chips take the next contact's tags
            for chip, name in zip(self._chips, names, strict=False):
                chip.set_tag(name, pending=name.casefold() not in confirmed)
            for name in names[len(self._chips) :]:
                self._append_chip(name, pending=name.casefold() not in confirmed)
        finally:
            self._flow.setEnabled(True)
        # Spares beyond a few go: one heavily tagged contact would otherwise keep its chips for the session.
        for chip in self._spare[SPARE_CHIPS:]:
            chip.deleteLater()
        del self._spare[SPARE_CHIPS:]
        self._update_empty()
        if not keep_pending:
            self._scroll.verticalScrollBar().setValue(0)  # another contact's tags start at their first row

    def add_pending(self, tag: str) -> None:
        if self._find(tag) is None:
            chip = self._append_chip(tag, pending=True)
            self._update_empty()
            self._bring_into_view(chip)

    def confirm(self, tag: str, stored: str | None = None) -> None:
        """``tag`` was added; ``stored`` is how the account spells it (tags match case-insensitively)."""
        name = stored or tag
        chip = self._find(tag)
        if chip is not None:
            chip.set_tag(name, pending=False)
        else:  # sent before the contact was left and opened again: it was not among the tags read then
            chip = self._append_chip(name, pending=False)
            self._update_empty()
        self._bring_into_view(chip)

    def fail(self, tag: str) -> None:
        """The server did not take ``tag``: drop its chip and give the text back so nothing typed is lost."""
        chip = self._find(tag)
        if chip is not None and chip.pending:
            self._remove_chip(chip)
            self._update_empty()
        text = with_tag(self.input.text(), tag)
        if text != self.input.text():
            cursor = self.input.cursorPosition() if self.input.text().strip() else len(text)
            self.input.setText(text)
            self.input.setCursorPosition(cursor)  # where the rep may be typing another tag

    def tag_names(self) -> list[str]:
        return [chip.name for chip in self._chips]

    def pending_tags(self) -> list[str]:
        return [chip.name for chip in self._chips if chip.pending]

    def chips(self) -> list[TagChip]:
        return list(self._chips)

    def focus_input(self) -> None:
        self.input.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def set_message(self, text: str) -> None:
        """Why the typed tag was not taken (empty hides it), in red under the box; typing again clears it."""
        show_inline_error(self._message, text)

    # --- Internals --------------------------------------------------------------------------------

    def _typing(self) -> None:
        if self._message.isVisible():  # the message was about the text being changed now
            self.set_message("")
        if self._suggestions_stale:
            # Picked at the first key after the chips changed rather than at every change (each contact shown):
            # QLineEdit emits textEdited before its completer looks, so the list is current for this key.
            present = {chip.name.casefold() for chip in self._chips}
            self._known.setStringList([tag for tag in self._known_tags if tag.casefold() not in present])
            self._suggestions_stale = False

    def _submit(self) -> None:
        # Commas separate tags, as in the new-contact form (whose tags come here when it opens an existing one).
        # Nothing but commas and spaces is no tag: "," would be stored, and the API cannot remove a tag.
        if not self.input.text().strip() and time.monotonic() - self._submitted_at < REPEAT_S:
            return  # Enter pressed twice: the tag went with the first, the box is empty by design
        parts = tag_names(self.input.text()) or [""]
        try:
            tags = [validate_tag(part) for part in parts]
        except ContractError as exc:
            self.set_message(user_message(exc))
            return
        self.set_message("")
        self.input.clear()
        self._submitted_at = time.monotonic()
        self.hide_suggestions()  # Enter was pressed on a suggestion: it is added, so the list goes too
        for tag in tags:
            if self._find(tag) is not None:
                continue  # already on the contact; the server would change nothing
            self.add_pending(tag)
            self.tag_requested.emit(tag)

    def _find(self, tag: str) -> TagChip | None:
        return next((chip for chip in self._chips if chip.name.casefold() == tag.casefold()), None)

    def _append_chip(self, name: str, *, pending: bool) -> TagChip:
        self._suggestions_stale = True
        if self._spare:
            chip = self._spare.pop()
        else:
            chip = TagChip(name, self._chip_area)
        chip.set_tag(name, pending=pending)
        self._flow.addWidget(chip)
        self._chips.append(chip)
        chip.show()
        return chip

    def _bring_into_view(self, chip: TagChip) -> None:
        """Scroll a tag just added (or confirmed) into view, once the chips have been laid out with it."""

        def scroll() -> None:
            if chip in self._chips:
                self._flow.activate()
                self._scroll.ensureWidgetVisible(chip, 0, 0)

        QTimer.singleShot(0, self, scroll)

    def _remove_chip(self, chip: TagChip) -> None:
        self._suggestions_stale = True
        # Out of the layout (a hidden item would still take spacing) and kept for the next contact's tags.
        self._flow.removeWidget(chip)
        self._chips.remove(chip)
        chip.hide()
        self._spare.append(chip)

    def _update_empty(self) -> None:
        self._empty.setVisible(not self._chips)
        self._flow.invalidate()
        self._scroll.updateGeometry()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for chip in (*self._chips, *self._spare):
                chip.restyle(self.palette())
