"""The contact's note history as a timeline grouped by day, with the input for a new note above it."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import date, datetime, tzinfo

from PySide6.QtCore import QDate, QDateTime, QEvent, QLocale, QObject, Qt, QTime, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from crmdesk.contract import ContractError, NoteEntry, check_note_reads_back, validate_note
from crmdesk.ui import shortcuts
from crmdesk.ui.focus_ring import FocusRingScrollArea, RingedPlainTextEdit
from crmdesk.ui.formatting import account_stamps_to_local, user_locale
from crmdesk.ui.icons import icon
from crmdesk.ui.messages import show_inline_error, user_message
from crmdesk.ui.scaled_font import scale_font
from crmdesk.ui.tool_button import FlatButton, ToolButton
from crmdesk.ui.wrapped_label import WrappedLabel


class NoteInput(RingedPlainTextEdit):
    """A multi-line note editor that submits on Ctrl+Enter (``shortcuts.ADD_NOTE``).

    Signals:
        submitted(): the user pressed the add-note keys.
    """

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Handled here, not by a QShortcut, so the keys work wherever the editor has focus and never
        # insert a line break first.
        pressed = QKeySequence(event.keyCombination())
        if any(pressed.matches(sequence) == QKeySequence.SequenceMatch.ExactMatch for sequence in _ADD_KEYS):
            event.accept()
            self.submitted.emit()
            return
        super().keyPressEvent(event)


_ADD_KEYS = shortcuts.ADD_NOTE.sequences()


#: A note longer than this shows its beginning, with a button for the rest: a pasted email thread is long, and
#: laying a hundred such notes out in full froze the window for a fifth of a second at each contact shown.
LONG_NOTE_CHARS = 1000
#: An empty box submitted this soon after a note was taken from it is the same press repeated, not a new note.
REPEAT_S = 1.0
#: How much of a long note shows until the rep asks for the rest.
LONG_NOTE_SHOWN = 700


def note_beginning(text: str) -> str:
    """The part of a long note shown at first: up to LONG_NOTE_SHOWN characters, ended at a space if there is
    one near the end, and an ellipsis; a note no longer than LONG_NOTE_CHARS, whole."""
    if len(text) <= LONG_NOTE_CHARS:
        return text
    cut = text[:LONG_NOTE_SHOWN]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > LONG_NOTE_SHOWN * 0.8:
        cut = cut[:space]
    return cut.rstrip() + " …"


class NoteEntryWidget(QFrame):
    """One note: its time above its text, and a button for the rest of a long one. The text is always plain
    text, never HTML."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteEntry")
        self.time_label = QLabel(self)
        self.time_label.setObjectName("noteTime")
        self.time_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        scale_font(self.time_label, 0.9, smallest=7.0)
        self.text_label = WrappedLabel(self)
        self.text_label.setObjectName("noteText")
        self.text_label.setTextFormat(Qt.TextFormat.PlainText)
        self.text_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 2, 0, 6)
        layout.setSpacing(1)
        self.whole_button = FlatButton(self.tr("Show the whole note"), self)
        self.whole_button.setObjectName("wholeNote")
        self.whole_button.setIcon(icon("chevron-down"))  # as "Show older notes" has: it opens more
        self.whole_button.setProperty("iconName", "chevron-down")  # the contact view tints it for a new scheme
        self.whole_button.hide()
        layout.addWidget(self.time_label)
        layout.addWidget(self.text_label)
        layout.addWidget(self.whole_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.entry: NoteEntry | None = None

    def show_entry(self, entry: NoteEntry, time_text: str, tooltip: str, *, whole: bool = False) -> None:
        """Show ``entry``; a long one in part (see :func:`note_beginning`) unless ``whole``."""
        self.entry = entry
        self.time_label.setText(time_text)  # QLabel ignores a text equal to the one it shows
        if self.time_label.toolTip() != tooltip:
            self.time_label.setToolTip(tooltip)
        shown = entry.text if whole else note_beginning(entry.text)
        self.text_label.setText(shown)
        cut = not whole and len(entry.text) > LONG_NOTE_CHARS
        if cut:  # every such button reads alike: a screen reader hears which note it opens
            name = self.tr("Show the whole note of {0}").format(time_text) if time_text else ""
            if self.whole_button.accessibleName() != name:
                self.whole_button.setAccessibleName(name)
        if self.whole_button.isHidden() == cut:  # showing or hiding it relayouts the row: only when it changes
            self.whole_button.setVisible(cut)


def day_label(day: date, today: date, locale: QLocale) -> str:
    """ "Today", "Yesterday", the weekday within the last week, else the locale's long date."""
    delta = (today - day).days
    qdate = QDate(day.year, day.month, day.day)
    if delta == 0:
        return _tr("Today")
    if delta == 1:
        return _tr("Yesterday")
    if 1 < delta < 7:
        return locale.dayName(qdate.dayOfWeek(), QLocale.FormatType.LongFormat)
    return locale.toString(qdate, QLocale.FormatType.LongFormat)


def _tr(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("NotesTimeline", text)


#: Notes shown at first, and how many more each "Show older notes" adds. Every shown note is a few widgets: a
#: contact with hundreds of notes took seconds to open, and as long again for each note added.
NOTES_PAGE = 100


class NotesTimeline(QWidget):
    """The note input and the timeline of a contact's notes, newest first unless toggled.

    Signals:
        note_requested(str): the user asked to add this note; a pending entry is already shown.
        spare_changed(): the height the notes leave unused (:meth:`spare_height`) may have changed.
    """

    note_requested = Signal(str)
    spare_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notes")
        self._notes: list[NoteEntry] = []
        self._submitted_at = -math.inf  # when a note was last taken from the box (see submit)
        self._pending: list[str] = []
        self._confirmed: list[str] = []  # pending notes confirmed, until the notes read with them are shown
        self._newest_first = True
        self._entries: list[NoteEntryWidget] = []
        self._headers: list[QLabel] = []
        self._shape: list[str] | None = None  # the kinds of rows the layout holds, in order
        self._built_on: date | None = None  # the date the day headings were named on
        self._limit = NOTES_PAGE  # stored notes shown; "Show older notes" raises it
        self._time_cache: dict[tuple[datetime, str], tuple[str, str]] = {}
        self._whole: set[tuple[datetime | None, str]] = set()  # long notes of this contact the rep opened whole
        #: The zone the account stamps notes in (None: taken to be this computer's); shown in local time.
        self._account_zone: tzinfo | None = None

        self.input = NoteInput(self)
        self.input.setObjectName("noteInput")
        self.input.setPlaceholderText(self.tr("Write a note… (Ctrl+Enter to add)"))
        # Said before the note goes, not after: the API takes no edit and no removal.
        added_for_good = self.tr("Once added, a note cannot be changed or removed: the Contact API allows neither.")
        self.input.setToolTip(added_for_good)
        self.input.setTabChangesFocus(True)
        self.input.set_visible_lines(3, 14)
        self.input.submitted.connect(self.submit)
        self.input.textChanged.connect(self._typing)
        self.add_button = QPushButton(self.tr("Add note"), self)
        self.add_button.setObjectName("addNote")
        self.add_button.setToolTip(f"{shortcuts.ADD_NOTE.label()}\n{added_for_good}")
        self.add_button.clicked.connect(self.submit)
        self.order_button = ToolButton(self)
        self.order_button.setObjectName("notesOrder")
        self.order_button.setCheckable(True)
        self.order_button.setAutoRaise(True)
        # The arrows say it is a control, not a caption: it flips the timeline's order.
        self.order_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.order_button.setIcon(icon("sort"))
        self.order_button.toggled.connect(lambda oldest: self.set_newest_first(not oldest))
        QWidget.setTabOrder(self.order_button, self.add_button)  # left to right, as they sit
        self._message = QLabel(self)
        self._message.setObjectName("noteMessage")
        self._message.setWordWrap(True)
        self._message.setVisible(False)
        self._count = QLabel(self)
        self._count.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self._container = QWidget()
        self._list = QVBoxLayout(self._container)
        self._list.setContentsMargins(0, 0, 4, 0)
        self._list.setSpacing(2)
        self._empty = QLabel(self.tr("No notes yet. Write what was said on the call above."), self._container)
        self._empty.setWordWrap(True)
        self._empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.more_button = FlatButton(parent=self._container)
        self.more_button.setObjectName("moreNotes")
        self.more_button.setIcon(icon("chevron-down"))
        self.more_button.setProperty("iconName", "chevron-down")  # the contact view tints it anew for a new scheme
        self.more_button.clicked.connect(self.show_more)
        self.more_button.hide()
        self._scroll = FocusRingScrollArea(self)
        self._scroll.setObjectName("notesScroll")
        self._scroll.setAccessibleName(self.tr("Notes"))  # a Tab stop: unnamed, a screen reader said nothing there
        self._scroll.setWidgetResizable(True)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(self._container)
        # The notes' own height or the room they have changes what they leave unused.
        self._container.installEventFilter(self)
        self._scroll.viewport().installEventFilter(self)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self._count)
        buttons.addStretch(1)
        buttons.addWidget(self.order_button)
        buttons.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.input)
        layout.addWidget(self._message)  # right under the box it is about
        layout.addLayout(buttons)
        layout.addWidget(self._scroll, 1)
        self._update_order_button()
        self._rebuild()

    # --- Public -----------------------------------------------------------------------------------

    def set_notes(self, notes: Sequence[NoteEntry], *, keep_pending: bool = False, pending: Sequence[str] = ()) -> None:
        """Show a contact's parsed notes (oldest first, as the contact holds them).

        Pending entries go, unless ``keep_pending`` (the same contact, read again): then they stay until their own
        answers. Another contact's notes come with the ``pending`` ones still on their way to it (the rep came back
        to it).
        """
        self._notes = list(notes)
        if not keep_pending:
            # Shown as on their way until their own answers: a stored note with the same words may be an older one.
            self._pending = list(pending)
            self._whole.clear()
            self._limit = NOTES_PAGE  # another contact: its latest notes first
        # A note on its way stays so until its own answer (confirm or fail): a stored note with the same words may
        # be an older one (yesterday's "Left voicemail"), and a rep who saw it vanish would send it again, for good.
        # The rep's own notes, confirmed, stay whole as they were shown while they were sent.
        for text in self._confirmed:
            note = next((note for note in reversed(self._notes) if note.text.strip() == text.strip()), None)
            if note is not None:
                self._whole.add((note.timestamp, note.text))
        self._confirmed.clear()
        self._rebuild()
        if not keep_pending:
            self._release_spares()

    def show_more(self) -> None:
        """Show the next page of stored notes.

        Newest first, they come in below, where the button was. Oldest first, they come in above the note the rep
        was reading, which stays where it was on screen, as a chat's history does; the rep scrolls up to them.
        """
        entries = self.entry_widgets()
        anchor = entries[0] if entries and not self._newest_first and self.isVisible() else None
        was_at = anchor.y() - self._scroll.verticalScrollBar().value() if anchor is not None else 0
        added = min(NOTES_PAGE, self.hidden_count())
        self._limit += NOTES_PAGE
        self._rebuild()
        if anchor is not None:
            # The widgets are reused in place, so the note that was first is now shown by the one ``added`` further.
            self._settle_layout()
            now = self.entry_widgets()[added]
            self._scroll.verticalScrollBar().setValue(now.y() - was_at)

    def hidden_count(self) -> int:
        """Stored notes not shown until "Show older notes" is pressed."""
        return max(0, len(self._notes) - self._limit)

    def add_pending(self, text: str) -> None:
        self._pending.append(text)
        self._rebuild()
        # The note goes first (newest first) or last (oldest first): in sight either way, wherever the rep had
        # scrolled to.
        entries = self.entry_widgets()
        if entries and self.isVisible():
            self._settle_layout()
            self._scroll.ensureWidgetVisible(entries[0] if self._newest_first else entries[-1], 0, 0)

    def confirm(self, text: str) -> None:
        """The note ``text`` was stored: its pending entry goes (the contact's notes, read again, show it)."""
        if text in self._pending:
            self._pending.remove(text)
            self._confirmed.append(text)

    def fail(self, text: str) -> None:
        """The note was not stored: drop its pending entry and give the text back to the input."""
        if text in self._pending:
            self._pending.remove(text)
            self._rebuild()
        current = self.input.toPlainText()
        self.input.setPlainText(text if not current.strip() else f"{text}\n\n{current}")

    def set_newest_first(self, newest_first: bool) -> None:
        if newest_first == self._newest_first:
            return
        self._newest_first = newest_first
        self.order_button.blockSignals(True)
        self.order_button.setChecked(not newest_first)
        self.order_button.blockSignals(False)
        self._update_order_button()
        self._rebuild()

    def newest_first(self) -> bool:
        return self._newest_first

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.order_button.setIcon(icon("sort"))  # tinted for the new scheme

    def focus_timeline(self) -> None:
        """Put the keyboard focus on the notes themselves (keys scroll them; letters go nowhere)."""
        self._scroll.setFocus(Qt.FocusReason.OtherFocusReason)

    def spare_height(self) -> int:
        """The height of the timeline's box that its notes leave unused, or, when negative, how much more it
        would take to show them without scrolling."""
        viewport = self._scroll.viewport()
        container = self._container
        width = viewport.width()
        needed = container.heightForWidth(width) if container.hasHeightForWidth() else -1
        if needed < 0:
            needed = container.sizeHint().height()
        return viewport.height() - needed

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self.spare_changed.emit()
        return super().eventFilter(watched, event)

    def set_account_zone(self, zone: tzinfo | None) -> None:
        """The zone the account writes note timestamps in; entries are grouped and shown in local time."""
        if zone == self._account_zone:
            return
        self._account_zone = zone
        self._time_cache.clear()
        self._rebuild()

    def entry_widgets(self) -> list[NoteEntryWidget]:
        """The visible entries in display order."""
        return [widget for widget in self._entries if not widget.isHidden()]

    def day_headers(self) -> list[str]:
        return [label.text() for label in self._headers if not label.isHidden()]

    def focus_input(self) -> None:
        self.input.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def set_message(self, text: str) -> None:
        """Why the typed note was not taken (empty hides it), in red under the box; typing again clears it."""
        show_inline_error(self._message, text)

    def _typing(self) -> None:
        if self._message.isVisible():  # the message was about the text being changed now
            self.set_message("")

    def submit(self) -> None:
        typed = self.input.toPlainText()
        if not typed.strip() and time.monotonic() - self._submitted_at < REPEAT_S:
            return  # Ctrl+Enter or a click pressed twice: the note went with the first, the box is empty by design
        try:
            text = check_note_reads_back(validate_note(typed))
        except ContractError as exc:
            self.set_message(user_message(exc))
            return
        self.set_message("")
        self.input.clear()
        self._submitted_at = time.monotonic()
        self.add_pending(text)
        self.note_requested.emit(text)

    # --- Internals --------------------------------------------------------------------------------

    def _update_order_button(self) -> None:
        self.order_button.setText(self.tr("Newest first") if self._newest_first else self.tr("Oldest first"))
        self.order_button.setToolTip(self.tr("Click to change the order of the notes"))

    def _settle_layout(self) -> None:
        """Lay the rows out, and let the scroll area resize the container to them now rather than in a later turn,
        so that a row's position and the scroll bar's range are already what the rep will see."""
        self._list.activate()
        QApplication.sendEvent(self._scroll, QEvent(QEvent.Type.LayoutRequest))

    def refresh_day(self) -> None:
        """Rename the day headings if the date has changed since they were made ("Today" became yesterday)."""
        if datetime.now().date() != self._built_on:
            self._rebuild()

    def _rebuild(self) -> None:
        locale = user_locale()
        today = self._built_on = datetime.now().date()
        # Undated text (only a vendor could send it) sorts as oldest; pending notes are newer than all.
        # The latest notes are shown in either order; the button for older ones sits where they would be.
        hidden = max(0, len(self._notes) - self._limit)
        # Converted in order, from the note above the first shown: a stamp in a repeated hour reads by its neighbours.
        above = max(0, hidden - 1)
        local = account_stamps_to_local([entry.timestamp for entry in self._notes[above:]], self._account_zone)
        dated = list(zip(self._notes[hidden:], local[hidden - above :], strict=True))
        if self._newest_first:
            dated.reverse()
        rows: list[tuple[str, tuple[NoteEntry, datetime | None] | str]] = []
        pending_rows: list[tuple[str, tuple[NoteEntry, datetime | None] | str]] = [
            ("pending", text) for text in self._pending
        ]
        if self._newest_first:
            rows.extend(reversed(pending_rows))
        elif hidden:
            rows.append(("more", ""))
        last_day: date | str | None = "none"
        for entry, stamp in dated:
            day = stamp.date() if stamp is not None else None
            if day != last_day:
                rows.append(("header", _tr("Undated") if day is None else day_label(day, today, locale)))
                last_day = day
            rows.append(("entry", (entry, stamp)))
        if hidden and self._newest_first:
            rows.append(("more", ""))
        if not self._newest_first:
            rows.extend(pending_rows)

        # The widgets are reused in place. Only when the sequence of headers and entries differs from what the
        # layout holds is it refilled; otherwise the texts change and nothing is laid out again.
        shape = [kind if kind in ("header", "more") else "entry" for kind, _ in rows]
        relayout = shape != self._shape
        if relayout:
            # removeWidget deletes each layout item. An item only taken out (takeAt) lives on in PySide, and a
            # widget added again keeps answering to that old item: its new one's size cache was never cleared,
            # so a note that grew (opened whole, another contact's longer note) kept its old height, cut off.
            while self._list.count():
                item = self._list.itemAt(0)
                widget = item.widget() if item is not None else None
                if widget is None:
                    self._list.takeAt(0)  # the stretch under the rows: no widget answers to it
                else:
                    self._list.removeWidget(widget)
        entry_index = header_index = 0
        for kind, value in rows:
            if kind == "more":
                self.more_button.setText(self.tr("Show older notes ({count} more)").format(count=hidden))
                chevron = "chevron-down" if self._newest_first else "chevron-up"  # towards the notes it adds
                if self.more_button.property("iconName") != chevron:
                    self.more_button.setIcon(icon(chevron))
                    self.more_button.setProperty("iconName", chevron)
                if relayout:
                    self._list.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignLeft)
                    self.more_button.show()
                continue
            if kind == "header":
                assert isinstance(value, str)
                header = self._header(header_index)
                header_index += 1
                header.setText(value)
                if relayout:
                    self._list.addWidget(header)
                    if header.isHidden():  # showing a shown widget again still costs a relayout
                        header.show()
                continue
            widget = self._entry(entry_index)
            entry_index += 1
            if kind == "pending":
                assert isinstance(value, str)
                widget.show_entry(NoteEntry(None, value), self.tr("Sending…"), "", whole=True)
            else:
                assert isinstance(value, tuple)
                entry, stamp = value
                time_text, tooltip = self._time_texts(stamp, locale)
                widget.show_entry(entry, time_text, tooltip, whole=(entry.timestamp, entry.text) in self._whole)
            if relayout:
                self._list.addWidget(widget)
                if widget.isHidden():
                    widget.show()
        if relayout:
            for spare in (*self._entries[entry_index:], *self._headers[header_index:]):
                if not spare.isHidden():
                    spare.hide()
            if not hidden and not self.more_button.isHidden():
                self.more_button.hide()
            self._list.addWidget(self._empty)
            self._empty.setVisible(not rows)
            self._list.addStretch(1)
            self._shape = shape
        total = len(self._notes) + len(self._pending)
        self._count.setText(self.tr("1 note") if total == 1 else self.tr("{count} notes").format(count=total))

    def _time_texts(self, stamp: datetime | None, locale: QLocale) -> tuple[str, str]:
        """A note's time and its tooltip, from its stamp in local time (see account_stamps_to_local)."""
        if stamp is None:
            return "", ""
        # Formatting through QLocale is the slow part of showing a timeline; a note's texts never change.
        key = (stamp, locale.name())
        cached = self._time_cache.get(key)
        if cached is None:
            moment = QDateTime(QDate(stamp.year, stamp.month, stamp.day), QTime(stamp.hour, stamp.minute))
            time_text = locale.toString(moment.time(), QLocale.FormatType.ShortFormat)
            if self._account_zone is None:
                # Shown as written, which is this computer's time only if the account shares its zone: the long
                # form would name this computer's zone as if that were known.
                written = f"{locale.toString(moment.date(), QLocale.FormatType.LongFormat)}, {time_text}"
                tooltip = self.tr(
                    "{moment}, as the server wrote it. The account's time zone is not known yet: choose it in "
                    "Settings. A note you add teaches CRMDesk its offset if it differs from this computer's."
                ).format(moment=written)
            else:
                tooltip = locale.toString(moment, QLocale.FormatType.LongFormat)
            cached = (time_text, tooltip)
            if len(self._time_cache) > 2000:
                self._time_cache.clear()
            self._time_cache[key] = cached
        return cached

    def _release_spares(self) -> None:
        """Let go of the rows a long history opened with "Show older notes" left unused (a contact with thousands
        of notes left thousands of rows behind, ~20 kB each); a page's worth stays for the next contact."""
        keep = max(len(self.entry_widgets()), NOTES_PAGE + 10)
        for spare in self._entries[keep:]:
            spare.deleteLater()
        del self._entries[keep:]
        keep = max(len(self.day_headers()), NOTES_PAGE + 10)
        for header in self._headers[keep:]:
            header.deleteLater()
        del self._headers[keep:]

    def _entry(self, index: int) -> NoteEntryWidget:
        while len(self._entries) <= index:
            widget = NoteEntryWidget(self._container)
            widget.whole_button.clicked.connect(lambda _checked=False, widget=widget: self._show_whole(widget))
            self._entries.append(widget)
        return self._entries[index]

    def _show_whole(self, widget: NoteEntryWidget) -> None:
        entry = widget.entry
        if entry is None:
            return
        self._whole.add((entry.timestamp, entry.text))
        if widget.whole_button.hasFocus():
            # The button goes: focus stays with the notes (a Tab stop of its own) rather than jumping on to the
            # next note's button, where a second key press would open that note too.
            self._scroll.setFocus(Qt.FocusReason.OtherFocusReason)
        widget.show_entry(entry, widget.time_label.text(), widget.time_label.toolTip(), whole=True)

    def _header(self, index: int) -> QLabel:
        while len(self._headers) <= index:
            # Wrapped: at its full width a long day in a large font ("Wednesday, September 24, 2025" at 16 pt)
            # widened every row past the view, whose horizontal scroll bar is off, cutting the notes' text off; cut
            # short instead, it lost its year. A WrappedLabel keeps each height it measures, so wrapping costs the
            # layout little (a QLabel lays the text out at every question).
            label = WrappedLabel(self._container)
            label.setObjectName("noteDay")
            bold = QFont(label.font())
            bold.setBold(True)
            label.setFont(bold)
            label.setContentsMargins(0, 6, 0, 0)
            self._headers.append(label)
        return self._headers[index]
