"""The editable contact form: one fitting editor per contract field, dirty marks, and messages under fields."""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QDate, QEvent, QLocale, QObject, QSize, Qt, QTime, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QDropEvent,
    QFocusEvent,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from crmdesk.api.models import Contact
from crmdesk.contract import (
    ContractError,
    available_time_zones,
    canonical_time_zone,
    check_identity,
    equivalent,
    is_time_zone,
    validate_field,
)
from crmdesk.services import phone as phone_numbers
from crmdesk.services.pasted import ascii_digits, ascii_number, email_in, without_marks
from crmdesk.ui.announce import announce
from crmdesk.ui.focus_ring import RingedPlainTextEdit
from crmdesk.ui.formatting import format_currency, iso_date, plain_amount, user_locale
from crmdesk.ui.icons import icon
from crmdesk.ui.messages import error_colour, plain_tooltip, user_message
from crmdesk.ui.one_line import keep_one_line
from crmdesk.ui.staged import BuildSteps
from crmdesk.ui.tool_button import ToolButton

#: The contract fields the form edits, in tab order. Stage, quality and owner live in the header.
FORM_FIELDS: tuple[str, ...] = (
    "firstName",
    "lastName",
    "email",
    "phone",
    "businessName",
    "address",
    "city",
    "state",
    "zipcode",
    "birthday",
    "timeZone",
    "value",
    "snapshot",
)


def _zone_info(name: str) -> zoneinfo.ZoneInfo | None:
    for candidate in (name, canonical_time_zone(name)):
        # is_time_zone: "localtime" or "Factory" would load, and show the computer's clock or UTC as the contact's.
        if candidate and is_time_zone(candidate):
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return None


class ValueEdit(QLineEdit):
    """The deal value: shown as money in the team's currency (or as a number) while not focused, the raw string
    while editing.

    The API keeps ``value`` a string, so the raw text is the truth; the money text is only a display. What the rep
    types is read in their locale and sent as a plain number ("12.000,50" from a German rep goes as "12000.50"),
    so that every teammate reads the same amount; a value loaded and left alone is sent back as it was.

    Signals:
        normalised(): leaving the field turned what was typed into the plain number it will be sent as.
        left(): the focus left the field (after any ``normalised``).
    """

    normalised = Signal()
    left = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._raw = ""
        self._loaded = ""
        self._currency = ""
        keep_one_line(self)
        self.textEdited.connect(self._edited)
        self._explain()

    def set_currency(self, code: str) -> None:
        """The ISO 4217 code the team's values are in (Settings), or ``""`` to show them as numbers."""
        if code != self._currency:
            self._currency = code
            self._explain()
            self._show()

    def _explain(self) -> None:
        if self._currency:
            self.setToolTip(self.tr("In {code}, the team's currency (Settings).").format(code=self._currency))
        else:
            self.setToolTip(
                self.tr("The Contact API does not say the currency: choose your team's in Settings to show it.")
            )

    def raw_value(self) -> str:
        return self._raw

    def currency(self) -> str:
        return self._currency

    def api_value(self) -> str:
        """What Save sends: the typed amount as a plain number, or the text as it is when it reads as none (or two)
        amounts, or has not been touched."""
        if self._raw == self._loaded:
            return self._raw
        return plain_amount(self._raw, user_locale(), self._currency) or self._raw

    def set_raw_value(self, text: str) -> None:
        self._raw = self._loaded = text
        self._show()

    def reads_as_amount(self) -> bool:
        """Whether Save sends what the rep wrote as a plain number. A value loaded and left alone, or none, is
        sent as it is and counts as read."""
        raw = self._raw.strip()
        return self._raw == self._loaded or not raw or plain_amount(raw, user_locale(), self._currency) is not None

    def formatted(self) -> str:
        return format_currency(self._raw, user_locale(), self._currency)

    def _edited(self) -> None:
        self._raw = self.text()  # as keep_one_line left it

    def _show(self) -> None:
        editing = self.hasFocus()
        self.blockSignals(True)
        self.setText(self._raw if editing else self.formatted())
        if not editing:
            self.setCursorPosition(0)
        self.blockSignals(False)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._show()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        plain = self.api_value()
        if plain != self._raw:
            self._raw = plain
            self.normalised.emit()
        self._show()
        self.left.emit()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.hasFocus() or self.isReadOnly():
            super().dropEvent(event)
            return
        # Unfocused, the field shows the currency display ("$12,000.00"): a drop would land in it and be kept as
        # the value. The raw value goes in for the drop (placed where the pointer is in it), then the display.
        self.blockSignals(True)
        self.setText(self._raw)
        self.blockSignals(False)
        super().dropEvent(event)  # textEdited: the raw value takes the drop
        self._show()


class SnapshotEdit(RingedPlainTextEdit):
    """The multi-line snapshot: a few lines tall, growing with its text up to a cap, then scrolling.

    A fixed, content-driven height keeps the form compact (Save stays right under it) instead of the editor
    swallowing all spare height of the column.
    """

    MIN_LINES = 5
    MAX_LINES = 9

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def visual_lines(self) -> int:
        # QPlainTextDocumentLayout measures its height in (wrapped) lines, not pixels.
        return max(1, math.ceil(self.document().documentLayout().documentSize().height()))

    def _fit(self, *_args: object) -> None:
        lines = min(max(self.visual_lines(), self.MIN_LINES), self.MAX_LINES)
        margins = self.contentsMargins()
        height = (
            lines * self.fontMetrics().lineSpacing()
            + 2 * self.document().documentMargin()
            + margins.top()
            + margins.bottom()
        )
        self.setFixedHeight(math.ceil(height))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A new width rewraps the text without a documentSizeChanged signal.
        self._fit()


class TimeZoneCombo(QComboBox):
    """An editable IANA zone picker; the zone list is loaded on first use because listing tzdata is slow."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(15)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self._loaded = False
        self._read_only = False

    def set_read_only(self, read_only: bool) -> None:
        """Lock the zone during a save. Disabling the combo would move the cursor on to the next field."""
        self._read_only = read_only
        line = self.lineEdit()
        assert line is not None  # the combo is editable
        line.setReadOnly(read_only)

    def ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        text = self.currentText()
        self.blockSignals(True)
        self.addItems(available_time_zones())
        self.setCurrentIndex(-1)
        self.setEditText(text)
        self.blockSignals(False)
        completer = QCompleter(available_time_zones(), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompleter(completer)
        # The list is as wide as its longest zone, not as the field: "America/Argentina/ComodRivadavia" and its
        # neighbours differ only at their ends.
        view = self.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + view.verticalScrollBar().sizeHint().width() + 8)

    def showPopup(self) -> None:
        if self._read_only:
            return
        self.ensure_loaded()
        # Open at the zone in the field, not at the top of the list.
        index = self.findText(self.currentText().strip())
        if index >= 0 and index != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(index)
            self.blockSignals(False)
        super().showPopup()

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.ensure_loaded()
        super().focusInEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # The arrow and page keys step through the list, which would change a locked zone.
        if self._read_only and event.key() in _STEP_KEYS:
            event.ignore()
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._read_only:
            event.ignore()  # the form scrolls instead
            return
        super().wheelEvent(event)


_STEP_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


class _ClearableLine(QLineEdit):
    """A line edit with a clear button whose size hint is the same empty or not.

    Qt leaves the clear button's room out of the hint while the button hides, which it does over an empty field;
    the form's columns are sized by their fields' hints, so the notes column beside the form moved 16 px sideways
    between a contact with a birthday and one without, and in the middle of an edit when a save put one in.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setClearButtonEnabled(True)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        if not self.text():
            # The room QLineEdit gives a side widget: its icon, 6 px around it, and the margin beside it.
            style = self.style()
            icon = style.pixelMetric(QStyle.PixelMetric.PM_LineEditIconSize, None, self)
            hint.setWidth(
                hint.width() + icon + 6 + style.pixelMetric(QStyle.PixelMetric.PM_LineEditIconMargin, None, self)
            )
        return hint


class BirthdayEdit(QWidget):
    """A YYYY-MM-DD line edit that may stay empty, with a calendar popup button beside it. A date typed the way the
    rep's locale writes dates ("25/12/1990", "25.12.90") is taken, and written YYYY-MM-DD on leaving the field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = _ClearableLine(self)
        keep_one_line(self.line)
        self.line.setObjectName("birthday")
        self.line.setPlaceholderText(self.tr("YYYY-MM-DD"))
        self.line.editingFinished.connect(self.write_as_stored)
        self._put = ""  # what the form last showed here (see value)
        self.button = ToolButton(self)
        self.button.setIcon(icon("contact-calendar"))
        self.button.setProperty("iconName", "contact-calendar")
        self.button.setAccessibleName(self.tr("Pick the birthday from a calendar"))
        self.button.setToolTip(self.button.accessibleName())
        self.button.setAutoRaise(True)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # The calendar is made when the menu first opens: it was the costliest widget of the form to build, and
        # most contacts are shown without anyone picking a birthday.
        self.calendar: QCalendarWidget | None = None
        menu = QMenu(self.button)
        menu.aboutToShow.connect(self._prepare_calendar)
        self.button.setMenu(menu)
        self._menu = menu
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.line)

    def _prepare_calendar(self) -> None:
        if self.calendar is None:
            # A thin frame in the muted text colour: the menu's own edge vanishes against a dark window.
            frame = QFrame()
            frame.setFrameStyle(QFrame.Shape.Box | QFrame.Shadow.Plain)
            frame.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.calendar = QCalendarWidget(frame)
            self.calendar.setGridVisible(False)
            self.calendar.clicked.connect(self._picked)
            self.calendar.activated.connect(self._picked)  # Enter on a day chosen with the arrow keys
            box = QVBoxLayout(frame)
            box.setContentsMargins(1, 1, 1, 1)
            box.addWidget(self.calendar)
            action = QWidgetAction(self._menu)
            action.setDefaultWidget(frame)  # the action owns it from here
            self._menu.addAction(action)
            self._tint_calendar()
        parsed = QDate.fromString(self.line.text().strip(), "yyyy-MM-dd")
        self.calendar.setSelectedDate(parsed if parsed.isValid() else QDate(1990, 1, 1))

    def _tint_calendar(self) -> None:
        """Follow the palette where QCalendarWidget does not: its month arrows and its red weekends."""
        calendar = self.calendar
        if calendar is None:
            return
        palette = calendar.palette()
        on_bar = palette.color(QPalette.ColorRole.HighlightedText)  # the month bar is the highlight colour
        back, forward = "chevron-left", "chevron-right"
        if calendar.layoutDirection() == Qt.LayoutDirection.RightToLeft:
            back, forward = forward, back  # the previous month is to the right, where reading starts
        for name, icon_name in (("qt_calendar_prevmonth", back), ("qt_calendar_nextmonth", forward)):
            arrow = calendar.findChild(QToolButton, name)
            if arrow is not None:
                arrow.setIcon(icon(icon_name, color=on_bar))
        weekend = QTextCharFormat()
        weekend.setForeground(palette.brush(QPalette.ColorRole.Text))  # Qt's pure red is harsh on a dark field
        for day in (Qt.DayOfWeek.Saturday, Qt.DayOfWeek.Sunday):
            calendar.setWeekdayTextFormat(day, weekend)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._tint_calendar()

    def value(self) -> str:
        """The birthday as the API takes it: a date typed the rep's way, or in another script's digits, as
        YYYY-MM-DD; anything else as typed, for the form to say what is wrong with it. What the form put here (a
        stored value, even one another tool wrote otherwise) is itself: reading it is no edit."""
        text = self.line.text()
        if text == self._put:
            return text
        return iso_date(ascii_number(text), user_locale()) or text

    def put(self, text: str) -> None:
        """Show ``text`` as the form's own (the stored birthday, or an edit it restores)."""
        self._put = text
        self.line.setText(text)

    def format_hint(self) -> str:
        """How a birthday may be typed, for a text that is no date: ISO, and the locale's own order."""
        locale = user_locale()
        pattern = locale.dateFormat(QLocale.FormatType.ShortFormat)
        example = without_marks(QDate(1990, 12, 25).toString(re.sub(r"y+", "yyyy", pattern)))
        if example.startswith("1990") or iso_date(ascii_number(example), locale) != "1990-12-25":
            return self.tr("Type the date as 1990-12-25.")  # year first, or a form with words ("25.12.1990 г.")
        return self.tr("Type the date as 1990-12-25 or {example}.").format(example=example)

    def write_as_stored(self) -> None:
        """Write the date the rep typed as it is sent and stored (see :meth:`value`), as an edit Ctrl+Z takes back:
        the rep sees which date it was read as."""
        value = self.value()
        if value != self.line.text() and not self.line.isReadOnly():
            self.line.selectAll()
            self.line.insert(value)

    def _picked(self, day: QDate) -> None:
        self._menu.close()
        self.line.setText(day.toString("yyyy-MM-dd"))
        self.line.editingFinished.emit()


class _LockedTyping(QObject):
    """Watches the form's editors while they are locked for a save, and says when the rep types or pastes into
    one (see :meth:`ContactForm.set_busy`)."""

    def __init__(self, form: ContactForm) -> None:
        super().__init__(form)
        self._form = form

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            text = event.text()
            edits = bool(text) and text.isprintable()
            edits = edits or event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete)
            if edits or event.matches(QKeySequence.StandardKey.Paste):
                self._form.typed_while_locked.emit()
        return False


@dataclass
class FieldSlot:
    """One field of the form: how to read, write and lock its editor, and where its marks go."""

    name: str
    editor: QWidget
    label: QLabel
    get: Callable[[], str]
    put: Callable[[str], None]
    lock: Callable[[bool], None]
    accent: QFrame
    message: QLabel


class ContactForm(QWidget):
    """The fields of one contact, with dirty tracking and validation at each field.

    Signals:
        state_changed(): the set of changed fields or of invalid fields changed.
        typed_while_locked(): the rep typed or pasted into a field locked while a save is on its way; nothing of it
            was taken.
        link_failed(str): nothing on this computer opened the email, call or WhatsApp link (what it was, to say).
    """

    state_changed = Signal()
    typed_while_locked = Signal()
    link_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, staged: bool = False) -> None:
        """``staged`` builds nothing but the grid; :meth:`build_step` then adds the fields in five parts (each a few
        ms), or :meth:`ensure_built` at once. Nothing else may be called before the form is built."""
        super().__init__(parent)
        self.setObjectName("contactForm")
        self._baseline: dict[str, str] = dict.fromkeys(FORM_FIELDS, "")
        # What each editor gives back for its stored value: Qt does not hand every text back as given (a snapshot's
        # "\r\n" comes back "\n", a no-break space a space; PySide drops a leading U+FEFF), and such a field is
        # not an edit of the rep's, nor to be rewritten by a save of another field.
        self._shown: dict[str, str] = dict.fromkeys(FORM_FIELDS, "")
        self._errors: dict[str, str] = {}
        self._server_messages: dict[str, str] = {}
        #: Fields the rep is editing that someone else changed on the server since they were loaded: field → what
        #: to say. Shown like a server's refusal, gone once the field is edited again, the edit reverted or saved.
        self._conflicts: dict[str, str] = {}
        self._hints: dict[str, str] = {}
        # Errors shown in the hint colour: they still block saving, but the user has not got to them yet. A new
        # contact needs a name and an email or a phone; each is asked for quietly until the rep has been to one
        # of its fields or tries to create the contact. Typing a first name is no mistake in the email field.
        self._quiet: set[str] = set()
        self._names_touched = False
        self._reach_touched = False  # the email or the phone field, edited since the form was loaded
        # The text each field was last checked with, and the verdict (None when valid). Values loaded from the
        # server are entered as valid without running the validators: only what the user types is checked.
        self._checked: dict[str, tuple[str, str | None]] = {}
        # What each field's marks show now, so a refresh touches only the widgets whose marks change.
        self._marks: dict[str, tuple[str, bool, bool]] = {}
        self._loading = False
        self._blank = True
        self._busy = False
        self._locked_typing = _LockedTyping(self)
        self.phone_region = "US"
        self.slots: dict[str, FieldSlot] = {}
        self._rows: dict[str, QHBoxLayout] = {}
        self._extra_boxes: dict[QWidget, QWidget] = {}

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        # The right-hand fields hold dates and amounts that must show whole ("1985-03-14", "$12,000.00"): without a
        # floor, a narrow window squeezed them to ~70 px while the left column kept its time-zone row.
        grid.setColumnMinimumWidth(3, self.fontMetrics().horizontalAdvance("$000,000.00") + 48)
        self._grid = grid
        self._build_steps = BuildSteps(
            self._build_lines, self._build_address_lines, self._build_more_fields, self._build_value, self._build_rest
        )
        if not staged:
            self.ensure_built()

    def build_step(self) -> bool:
        """Build the next part of the form; True while parts remain."""
        return self._build_steps.run_next()

    def ensure_built(self) -> None:
        self._build_steps.run_all()

    def _build_lines(self) -> None:
        tr = self.tr
        self._line("firstName", tr("&First name"), 0, 0)
        self._line("lastName", tr("&Last name"), 0, 2)
        # Email and phone get whole rows: with their action buttons beside them, half a row clips a long
        # address or an international number at 1280×800.
        self._line("email", tr("&Email"), 1, 0, span=3)
        self._line("phone", tr("&Phone"), 2, 0, span=3)
        self._line("businessName", tr("&Business"), 3, 0, span=3)

    def _build_address_lines(self) -> None:
        tr = self.tr
        self._line("address", tr("A&ddress"), 4, 0, span=3)
        self._line("city", tr("&City"), 5, 0)
        self._line("state", tr("S&tate"), 5, 2)
        self._line("zipcode", tr("&ZIP code"), 6, 0)

    def _build_more_fields(self) -> None:
        self._birthday(6, 2)
        self._time_zone(7, 0)

    def _build_value(self) -> None:
        self._value(7, 2)
        self._snapshot(8, 0)

    def _build_rest(self) -> None:
        tr = self.tr
        email, phone = self.editor("email"), self.editor("phone")
        assert isinstance(email, QLineEdit) and isinstance(phone, QLineEdit)
        self.mail_button = self._action_button(email, "mail", tr("Write an email"), self._open_mail)
        self.call_button = self._action_button(phone, "phone", tr("Call"), self._open_tel)
        self.whatsapp_button = self._action_button(phone, "whatsapp", tr("Open in WhatsApp"), self._open_whatsapp)
        # Made after every field, the buttons would come last in the Tab order, after Snapshot: each goes right
        # after its field instead, where it sits.
        QWidget.setTabOrder(email, self.mail_button)
        QWidget.setTabOrder(phone, self.call_button)
        QWidget.setTabOrder(self.call_button, self.whatsapp_button)
        email.editingFinished.connect(self.normalise_email)
        phone.editingFinished.connect(self.normalise_phone)

        self._clock = QTimer(self)
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self._update_local_time)
        self._clock.start()
        self._validate()

    # --- Construction -----------------------------------------------------------------------------

    def _place(
        self,
        name: str,
        text: str,
        row: int,
        column: int,
        editor: QWidget,
        focus: QWidget,
        get: Callable[[], str],
        put: Callable[[str], None],
        lock: Callable[[bool], None],
        span: int = 1,
        extra: QWidget | None = None,
    ) -> FieldSlot:
        label = QLabel(text, self)
        label.setBuddy(focus)
        # The label names the editor for a screen reader only when they are siblings; the editor sits in a box.
        focus.setAccessibleName(re.sub(r"&(.)", r"\1", text))
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        accent = QFrame(self)
        accent.setFixedWidth(3)
        accent.setAutoFillBackground(True)
        size_policy = accent.sizePolicy()
        size_policy.setRetainSizeWhenHidden(True)
        accent.setSizePolicy(size_policy)
        accent.setToolTip(self.tr("Changed since it was loaded"))
        accent.hide()
        message = QLabel(self)
        message.setObjectName(f"{name}Message")
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setContentsMargins(6, 0, 0, 0)  # under the editor's text, past the accent bar
        message.hide()
        box = QWidget(self)
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(1)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.setSpacing(3)
        line.addWidget(accent)
        line.addWidget(editor, 1)
        if extra is not None:
            line.addWidget(extra)
        outer.addLayout(line)
        outer.addWidget(message)
        self._rows[name] = line
        self._grid.addWidget(label, row, column, Qt.AlignmentFlag.AlignTop)
        if isinstance(editor, QPlainTextEdit):
            self._grid.addWidget(box, row, column + 1, 1, span)
        else:
            # Top-aligned so a message under one field does not shift its neighbour in the same row.
            self._grid.addWidget(box, row, column + 1, 1, span, Qt.AlignmentFlag.AlignTop)
        label.setMinimumHeight(editor.sizeHint().height() if not isinstance(editor, QPlainTextEdit) else 0)
        slot = FieldSlot(name, focus, label, get, put, lock, accent, message)
        self.slots[name] = slot
        return slot

    def _line(self, name: str, text: str, row: int, column: int, span: int = 1) -> QLineEdit:
        edit = QLineEdit(self)
        keep_one_line(edit)
        edit.setObjectName(name)
        # No maxLength: Qt counts it in UTF-16 units, so it would cut a loaded name of emoji (each two units) that
        # the contract's character limit allows, and the cut would then be saved. The limit speaks under the field.
        edit.textChanged.connect(self._edited)
        self._place(name, text, row, column, edit, edit, edit.text, edit.setText, edit.setReadOnly, span)
        return edit

    def _birthday(self, row: int, column: int) -> None:
        widget = BirthdayEdit(self)
        widget.line.textChanged.connect(self._edited)

        def lock(busy: bool) -> None:
            widget.line.setReadOnly(busy)
            widget.button.setEnabled(not busy)

        self._place("birthday", self.tr("Bi&rthday"), row, column, widget, widget.line, widget.value, widget.put,
                    lock)  # fmt: skip
        self.birthday_edit = widget

    def _time_zone(self, row: int, column: int) -> None:
        combo = TimeZoneCombo(self)
        combo.setObjectName("timeZone")
        line = combo.lineEdit()
        assert line is not None  # the combo is editable
        keep_one_line(line, combo)
        line.setPlaceholderText(self.tr("e.g. Europe/Paris"))  # whole at the field's width (not "…/Sao_Paulo")
        combo.editTextChanged.connect(self._edited)
        combo.editTextChanged.connect(self._update_local_time)
        # The field shows ~12 characters: "America/Argentina/Buenos_Aires" and ".../ComodRivadavia" look alike in it.
        combo.editTextChanged.connect(lambda text: combo.setToolTip(plain_tooltip(text.strip())))
        line.editingFinished.connect(self.normalise_time_zone)
        self.local_time = QLabel(self)
        self.local_time.setObjectName("localTime")
        self.local_time.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        # As wide as the longest time it shows, so a new contact's time (or none) does not relayout the whole grid.
        sample = self.tr("%1 there").replace(
            "%1", user_locale().toString(QTime(23, 59), QLocale.FormatType.ShortFormat)
        )
        widest = max(
            sample, sample.replace("23", "12").replace("59", "00"), key=self.local_time.fontMetrics().horizontalAdvance
        )
        self.local_time.setMinimumWidth(self.local_time.fontMetrics().horizontalAdvance(widest + "  "))

        def put(text: str) -> None:
            combo.setCurrentIndex(-1)
            combo.setEditText(text)

        self._place("timeZone", self.tr("Ti&me zone"), row, column, combo, combo, combo.currentText, put,
                    combo.set_read_only, extra=self.local_time)  # fmt: skip
        self.time_zone_combo = combo

    def _value(self, row: int, column: int) -> None:
        edit = ValueEdit(self)
        edit.setObjectName("value")
        edit.setPlaceholderText(self.tr("e.g. 5000"))
        edit.textEdited.connect(self._edited)
        edit.normalised.connect(self._edited)
        edit.left.connect(self._value_left)
        self._place("value", self.tr("&Value"), row, column, edit, edit, edit.api_value, edit.set_raw_value,
                    edit.setReadOnly)  # fmt: skip
        self.value_edit = edit

    def _snapshot(self, row: int, column: int) -> None:
        edit = SnapshotEdit(self)
        edit.setObjectName("snapshot")
        edit.setTabChangesFocus(True)
        edit.setPlaceholderText(self.tr("Where this contact stands, in a few lines"))
        edit.textChanged.connect(self._edited)
        self.snapshot_edit = edit
        self._place("snapshot", self.tr("S&napshot"), row, column, edit, edit, edit.toPlainText, edit.setPlainText,
                    edit.setReadOnly, span=3)  # fmt: skip

    def _action_button(self, editor: QLineEdit, icon_name: str, text: str, slot: Callable[[], None]) -> QToolButton:
        button = ToolButton(self)
        button.setIcon(icon(icon_name))
        button.setProperty("iconName", icon_name)
        button.setIconSize(QSize(16, 16))
        button.setAutoRaise(True)
        button.setAccessibleName(text)
        button.setToolTip(text)
        button.setObjectName(f"{editor.objectName()}{icon_name.capitalize()}Action")
        button.clicked.connect(slot)
        self._rows[editor.objectName()].addWidget(button)
        return button

    def add_extra_row(self, label: QLabel, widget: QWidget) -> None:
        """Append a row that is not a contract field (create mode's tags and first note), aligned with the rest."""
        row = self._grid.rowCount()
        label.setParent(self)
        widget.setParent(self)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        label.setMinimumHeight(QLineEdit().sizeHint().height())
        box = QWidget(self)
        layout = QHBoxLayout(box)
        # Indented like the field editors, which sit right of their (hidden) accent bar.
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(widget)
        self._grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
        self._grid.addWidget(box, row, 1, 1, 3)
        self._extra_boxes[widget] = box

    def set_extra_rows_visible(self, visible: bool) -> None:
        for box in self._extra_boxes.values():
            box.setVisible(visible)

    # --- Reading and writing ----------------------------------------------------------------------

    def editor(self, name: str) -> QWidget:
        return self.slots[name].editor

    def values(self) -> dict[str, str]:
        return {name: slot.get() for name, slot in self.slots.items()}

    def label_text(self, name: str) -> str:
        """A field's label as read ("First name"), without its mnemonic's ampersand."""
        return self.slots[name].label.text().replace("&&", "\0").replace("&", "").replace("\0", "&")

    def baseline(self) -> dict[str, str]:
        return dict(self._baseline)

    def changes(self) -> dict[str, str]:
        """The fields whose trimmed text differs from what was loaded: exactly what Save sends."""
        current = self.values()
        return {
            name: current[name].strip() for name in FORM_FIELDS if current[name].strip() != self._shown[name].strip()
        }

    def is_dirty(self) -> bool:
        return bool(self.changes())

    def is_valid(self) -> bool:
        return not self._errors and not self._blank

    def is_blank(self) -> bool:
        """Nothing typed and nothing loaded: the form cannot be saved, but has nothing to mark either."""
        return self._blank

    def errors(self) -> dict[str, str]:
        return dict(self._errors)

    def message(self, name: str) -> str:
        return self.slots[name].message.text() if not self.slots[name].message.isHidden() else ""

    def load(
        self, contact: Contact | None, *, keep_edits: bool = False, ours: Mapping[str, Sequence[str]] | None = None
    ) -> list[str]:
        """Show ``contact`` as the new baseline. ``keep_edits`` keeps what the user changed and not yet saved.

        Returns the fields kept as edited whose stored value someone else changed since the last load (not to what
        the rep typed, nor to ``ours``, what saves of the rep's whose answers were lost sent): each is marked with
        what it holds now, since saving would replace it.
        """
        ours = ours or {}
        edits = self.changes() if keep_edits else {}
        loaded_before = dict(self._baseline)
        self._loading = True
        try:
            for name in FORM_FIELDS:
                value = getattr(contact, name) if contact is not None else ""
                self._baseline[name] = value
                self._checked[name] = (value, None)  # the server stored it, so it passed the contract there
                slot = self.slots[name]
                if name in edits:
                    if value != loaded_before[name]:
                        self._shown[name] = value  # changed elsewhere under an edit: the editor has the edit
                    # Left as the rep has it, not put back trimmed ("Rua das " is on its way to "Rua das Flores"),
                    # and its cursor where they are typing.
                    continue
                current = slot.get()
                if value == loaded_before[name] and current == self._shown[name]:
                    continue  # nothing new, and the editor shows it: neither touched nor repainted
                if current.strip() != value.strip():
                    slot.put(value)
                # Else the editor shows it already, maybe with spaces the rep is typing on (a save's own answer):
                # left as it is, its cursor included.
                self._shown[name] = slot.get()
        finally:
            self._loading = False
        self._names_touched = self._reach_touched = False
        self._show_starts()
        self._server_messages.clear()
        self._hints.clear()
        conflicts: dict[str, str] = {}
        for name, typed in edits.items():
            theirs = self._baseline[name].strip()
            if equivalent(name, theirs, typed) or any(equivalent(name, theirs, value) for value in ours.get(name, ())):
                continue  # what this rep typed, or saved before: nothing left to decide
            if not equivalent(name, theirs, loaded_before[name]):
                conflicts[name] = self._conflict_text(theirs)
            elif name in self._conflicts:
                conflicts[name] = self._conflicts[name]  # told at an earlier load, and not settled since
        self._conflicts = conflicts
        self._validate()
        self._update_local_time()
        return list(conflicts)

    def conflicts(self) -> list[str]:
        """The fields marked as changed elsewhere since the rep began editing them (see :meth:`load`)."""
        return list(self._conflicts)

    def conflict_marks(self) -> dict[str, str]:
        return dict(self._conflicts)

    def restore_conflict_marks(self, marks: Mapping[str, str]) -> None:
        """Mark again the fields of ``marks`` (from :meth:`conflict_marks`) that are still changed: Undo revert
        brings back edits, and with them what was at stake."""
        changed = self.changes()
        # Worded anew: a reload since may have brought another value from elsewhere.
        self._conflicts.update(
            {name: self._conflict_text(self._baseline[name].strip()) for name in marks if name in changed}
        )
        self._refresh_marks()

    def _conflict_text(self, theirs: str) -> str:
        if not theirs:
            return self.tr("Cleared elsewhere; saving keeps yours.")
        shown = " ".join(theirs.split())
        if len(shown) > 60:
            shown = shown[:59].rstrip() + "…"
        return self.tr("Changed elsewhere to “{0}”; saving keeps yours.").format(shown)

    def fill(self, values: Mapping[str, str]) -> None:
        """Type values into fields as the user would (a new contact started from a search): they count as edits."""
        for name, value in values.items():
            if name in self.slots:
                self.slots[name].put(value)
        self._validate()

    def revert(self) -> None:
        self._loading = True
        try:
            for name in FORM_FIELDS:
                self.slots[name].put(self._baseline[name])
                self._shown[name] = self.slots[name].get()
        finally:
            self._loading = False
        self._show_starts()
        self._server_messages.clear()
        self._conflicts.clear()
        self._hints.clear()
        self._validate()

    def _show_starts(self) -> None:
        """Scroll every loaded value to its beginning: setText leaves the cursor at the end, so a long email
        would show "…ana.oliveira@padariasol.com.br" cut at the left, hiding the part that identifies someone."""
        for slot in self.slots.values():
            line = slot.editor.lineEdit() if isinstance(slot.editor, QComboBox) else slot.editor
            if line is None or line.hasFocus():
                continue  # the rep is typing there: the cursor stays where they type (a save, a reload)
            if isinstance(line, QLineEdit):
                line.setCursorPosition(0)
            elif isinstance(line, QPlainTextEdit):
                line.moveCursor(QTextCursor.MoveOperation.Start)

    def set_server_message(self, name: str, text: str) -> None:
        """Show the server's reason under a field after a rejected save; it goes when the field is edited."""
        self._server_messages[name] = text
        self._refresh_marks()

    def set_busy(self, busy: bool) -> None:
        """Lock every editor while a save is in flight, so nothing typed meanwhile can be lost. A locked field
        looks and takes focus as any other: typing into it says so (``typed_while_locked``), or on a slow link the
        rep would type a whole address that never appears."""
        self._busy = busy
        for slot in self.slots.values():
            slot.lock(busy)
            focus = slot.label.buddy()  # the widget the keys go to (a birthday's line, not its box)
            if focus is None:
                continue
            if busy:
                focus.installEventFilter(self._locked_typing)
            else:
                focus.removeEventFilter(self._locked_typing)

    def is_busy(self) -> bool:
        return self._busy

    def focus_first_conflict(self) -> None:
        for name in FORM_FIELDS:
            if name in self._conflicts:
                self.slots[name].editor.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def focus_first_invalid(self) -> None:
        """Put the cursor in the first field that stops saving; an error shown quietly until now turns red, and
        so does any the form finds later (on a blank form there is none yet)."""
        self._names_touched = self._reach_touched = True
        if self._quiet:
            self._quiet = set()
            self._refresh_marks()
        for name in FORM_FIELDS:
            if name in self._errors or name in self._server_messages:
                self.slots[name].editor.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    # --- Validation -------------------------------------------------------------------------------

    def _edited(self, *_args: object) -> None:
        if self._loading:
            return
        sender = self.sender()
        for name, slot in self.slots.items():
            if slot.editor is sender or (name == "birthday" and sender is self.birthday_edit.line):
                self._server_messages.pop(name, None)
                self._conflicts.pop(name, None)
                self._hints.pop(name, None)
                self._names_touched = self._names_touched or name in ("firstName", "lastName")
                self._reach_touched = self._reach_touched or name in ("email", "phone")
        self._validate()

    def _validate(self) -> None:
        values = self.values()
        errors: dict[str, str] = {}
        quiet: set[str] = set()
        for name in FORM_FIELDS:
            text = values[name]
            if not text.strip():
                continue
            checked = self._checked.get(name)
            if checked is None or checked[0] != text:
                try:
                    validate_field(name, text)
                    checked = (text, None)
                except ContractError as exc:
                    if name == "timeZone" and canonical_time_zone(text) is not None:
                        # Only its case differs: leaving the field, or saving, writes the zone's own spelling.
                        checked = (text, None)
                    elif name == "birthday" and "YYYY-MM-DD" in exc.message:
                        checked = (text, self.birthday_edit.format_hint())
                    else:
                        checked = (text, user_message(exc))
                self._checked[name] = checked
            if checked[1] is not None:
                errors[name] = checked[1]
        # A blank form (create mode before any typing) cannot be saved, but scolding it helps nobody. A loaded
        # contact whose fields were all cleared is different: Save is off, so the form must say why.
        self._blank = not any(value.strip() for value in (*values.values(), *self._baseline.values()))
        try:
            if not self._blank:
                check_identity({name: value.strip() for name, value in values.items()})
        except ContractError as exc:
            new = not any(value.strip() for value in self._baseline.values())
            if exc.field == "name":
                errors.setdefault("firstName", self.tr("A contact needs a first or a last name."))
                if new and not self._names_touched:
                    quiet.add("firstName")
            else:
                errors.setdefault("email", self.tr("Enter an email or a phone."))
                errors.setdefault("phone", self.tr("Enter a phone or an email."))
                if new and not self._reach_touched:
                    quiet.update(("email", "phone"))
        self._errors = errors
        self._quiet = quiet & errors.keys()
        # Writing, calling or messaging needs an address or number that is there and well formed.
        email_ok = bool(values["email"].strip()) and "email" not in errors
        phone_ok = bool(values["phone"].strip()) and "phone" not in errors
        for button, usable in (
            (self.mail_button, email_ok),
            (self.call_button, phone_ok),
            (self.whatsapp_button, phone_ok),
        ):
            if button.isEnabled() != usable:
                button.setEnabled(usable)
        self._refresh_marks()
        self.state_changed.emit()

    def _refresh_marks(self, *, force: bool = False) -> None:
        changes = self.changes()
        red: QColor | None = None
        for name, slot in self.slots.items():
            text = (
                self._errors.get(name)
                or self._server_messages.get(name)
                or self._conflicts.get(name)
                or self._hints.get(name, "")
            )
            quiet = name in self._quiet or name not in self._errors
            is_hint = quiet and name not in self._server_messages and name not in self._conflicts
            changed = name in changes
            marks = (text, is_hint, changed)
            if not force and self._marks.get(name) == marks:
                continue  # setting a palette or font, even an equal one, costs a relayout and a repaint
            self._marks[name] = marks
            palette = slot.message.palette()
            if is_hint:
                colour = palette.color(QPalette.ColorRole.PlaceholderText)
            else:
                red = red or error_colour(self.palette())
                colour = red
            palette.setColor(QPalette.ColorRole.WindowText, colour)
            slot.message.setPalette(palette)
            slot.message.setText(text)
            slot.message.setVisible(bool(text))
            slot.editor.setAccessibleDescription(text)  # read with the field's name when it gets focus
            # The bar beside the editor marks a change in the highlight colour, and a value to fix in the error red.
            to_fix = bool(text) and not is_hint
            accent_palette = slot.accent.palette()
            if to_fix:
                red = red or error_colour(self.palette())
            accent = red if to_fix and red is not None else self.palette().color(QPalette.ColorRole.Highlight)
            accent_palette.setColor(QPalette.ColorRole.Window, accent)
            slot.accent.setPalette(accent_palette)
            if to_fix and text == self._conflicts.get(name):
                slot.accent.setToolTip(self.tr("Changed elsewhere since you began editing it"))
            else:
                slot.accent.setToolTip(
                    self.tr("Fix this before saving") if to_fix else self.tr("Changed since it was loaded")
                )
            slot.accent.setVisible(changed or to_fix)
            font = slot.label.font()
            font.setItalic(changed)
            slot.label.setFont(font)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._build_steps.done:
            # The reds and the accent follow a light/dark switch; a form still being built has no marks yet (a
            # switch during start-up raised here, field by missing field).
            self._refresh_marks(force=True)

    # --- Phone and actions ------------------------------------------------------------------------

    def normalise(self) -> None:
        """Write the email, the phone, the birthday and the time zone as they are stored, as leaving their fields
        does. Save and Create call this: a shortcut saves without the cursor leaving the field."""
        self.normalise_email()
        self.normalise_phone()
        if not self._busy:
            self.birthday_edit.write_as_stored()
        self.normalise_time_zone()
        self._value_left()  # saved from inside Value: its hint comes as the save sets out, not after it

    def _value_left(self) -> None:
        """Say so when what was written in Value is no amount the app can read: the API keeps any text there, so
        it would be saved as written, and a teammate's tool adding up values would not read it."""
        if self.value_edit.reads_as_amount():
            self._hints.pop("value", None)
        else:
            currency = self.value_edit.currency()
            where = self.tr(" in {code}").format(code=currency) if currency else ""
            hint = self.tr("Not read as an amount{where}: saved as written. Write only the number, e.g. 1234.56.")
            hint = hint.format(where=where)
            if self._hints.get("value") != hint:
                announce(self.value_edit, hint)  # the focus has moved on: a screen reader would not hear it
            self._hints["value"] = hint
        self._refresh_marks()

    def normalise_email(self) -> None:
        """Keep only the address of an email pasted with what surrounded it ("Ana Lima <ana@example.com>", a
        mailto: link, quotes, a direction mark a web page put around it). Text whose address is malformed itself
        stays as it is, and its message says why."""
        edit = self.editor("email")
        assert isinstance(edit, QLineEdit)
        text = edit.text().strip()
        if self._busy or not text or text == self._shown["email"].strip():
            return
        address = email_in(text)
        if address is None or address == text:
            return
        try:
            validate_field("email", address)
        except ContractError:
            return
        # An edit, as typing it so would be, that Ctrl+Z takes back (setText would clear the field's undo history).
        edit.selectAll()
        edit.insert(address)

    def normalise_time_zone(self) -> None:
        """Spell a zone typed in another case as tzdata does ("europe/paris": "Europe/Paris")."""
        text = self.time_zone_combo.currentText().strip()
        if self._busy or not text or text == self._shown["timeZone"].strip():
            return
        canonical = canonical_time_zone(text)
        if canonical is not None and canonical != text:
            self.time_zone_combo.setEditText(canonical)  # an edit, as typing it so would be

    def normalise_phone(self) -> None:
        """Write the phone as an international number, as leaving the field does; Save calls it too, since a
        shortcut saves without the cursor leaving the field."""
        edit = self.editor("phone")
        assert isinstance(edit, QLineEdit)
        text = edit.text().strip()
        if self._busy or not text or text == self._shown["phone"].strip():
            return
        # The API reads a number's ASCII digits only: one pasted in another script's digits, or wrapped in a chat
        # app's direction marks, is written plainly even where it is no valid number.
        plain = ascii_digits(without_marks(text)).strip()
        if plain != text:
            edit.setText(plain)
            text = plain
        result = phone_numbers.normalise(text, self.phone_region)
        if result.e164 is not None:
            if result.e164 != text:
                edit.setText(result.e164)  # an edit: it drops the field's hint
            if phone_numbers.split_extension(result.e164)[1]:
                # The API looks a phone up by all its digits, so the main number alone will not find this one.
                self._hints["phone"] = self.tr("Kept with its extension: a search by phone needs the extension too.")
            else:
                self._hints.pop("phone", None)
        else:
            # A hint, not an error: the API takes any number with a digit, and extensions or short codes exist.
            self._hints["phone"] = result.message or ""
        self._refresh_marks()

    def _open_mail(self) -> None:
        address = self.values()["email"].strip()
        if address:
            self._open(f"mailto:{address}", self.tr("email links"))

    def _open_tel(self) -> None:
        number = self.values()["phone"].strip()
        if number:
            self._open(phone_numbers.tel_url(number), self.tr("phone links"))

    def _open_whatsapp(self) -> None:
        number = self.values()["phone"].strip()
        if number:
            self._open(phone_numbers.whatsapp_url(number), self.tr("WhatsApp links"))

    def _open(self, url: str, what: str) -> None:
        # Where nothing can open the link (on Linux, no xdg-open), Qt answers False, and the button would seem to do
        # nothing. An opener that starts and then finds no program for the link is not seen from here.
        from crmdesk.services.launch import users_environment

        with users_environment():  # the program started gets the user's libraries, not the bundle's
            opened = QDesktopServices.openUrl(QUrl(url))
        if not opened:
            self.link_failed.emit(what)

    def action_urls(self) -> dict[str, str]:
        """The links the email and phone buttons open, for the current values."""
        values = self.values()
        return {
            "mailto": f"mailto:{values['email'].strip()}",
            "tel": phone_numbers.tel_url(values["phone"]),
            "whatsapp": phone_numbers.whatsapp_url(values["phone"]),
        }

    def refresh_local_time(self) -> None:
        """Show the contact's local time now, and count the next refresh from now (see ContactView.refresh_clocks)."""
        self._update_local_time()
        self._clock.start()

    def _update_local_time(self, *_args: object) -> None:
        name = self.values()["timeZone"].strip()
        zone = _zone_info(name) if name else None
        text = ""
        if zone is not None:
            now = datetime.now(zone)
            local = user_locale().toString(QTime(now.hour, now.minute), QLocale.FormatType.ShortFormat)
            text = self.tr("%1 there").replace("%1", local)
        self.local_time.setText(text)
