"""The contact view: header with stage, quality and owner, the form, tags and notes; create, save and delete.

Nothing the user typed may be lost: a failed save keeps every edit, a failed tag or note gives its text back,
and every navigation away goes through :meth:`ContactView.resolve_unsaved`.
"""

from __future__ import annotations

import dataclasses
import html
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.api.errors import NotFoundError, ValidationError
from crmdesk.api.models import Contact, ContactSummary
from crmdesk.contract import (
    ContractError,
    check_note_reads_back,
    full_name,
    phone_digits,
    validate_note,
    validate_tags,
)
from crmdesk.services.contact import ContactService, note_copies
from crmdesk.services.pasted import tag_names
from crmdesk.services.recovery import Draft, NewContact, SentNote, UnsavedEdits, UnsavedWork
from crmdesk.services.registry import Registry
from crmdesk.ui import shortcuts
from crmdesk.ui.announce import announce
from crmdesk.ui.contact_form import FORM_FIELDS, ContactForm
from crmdesk.ui.elided_label import ElidedLabel
from crmdesk.ui.focus_ring import RingedPlainTextEdit
from crmdesk.ui.formatting import (
    exact_moment,
    format_moment,
    phone_region,
    relative_moment,
    time_zone,
    user_locale,
    widest_moment,
)
from crmdesk.ui.icons import icon
from crmdesk.ui.messages import plain_box, show_inline_error, user_message
from crmdesk.ui.notes_timeline import NotesTimeline
from crmdesk.ui.one_line import keep_one_line
from crmdesk.ui.scaled_font import scale_font
from crmdesk.ui.selectable_label import SelectableLabel
from crmdesk.ui.staged import BuildSteps
from crmdesk.ui.tag_chips import TagChips, with_tag
from crmdesk.ui.tool_button import FlatButton, ToolButton

log = logging.getLogger("crmdesk.ui.contact_view")

HEADER_FIELDS = ("stageName", "qualityName", "ownerEmail")
# Between the form and the tags and notes: beside each other, each side keeps this much; stacked, half each.
_BODY_GAP = 8
#: Side by side, the form's widest until the rep drags the handle: on a full-HD screen three fifths of the view
#: stretched a 10-character birthday over ~380 px and left the notes a narrow column; the rest goes to them.
_FORM_WIDEST = 760
#: Stacked, the tags and notes get at least this height (room for about three notes) under the form; a window
#: shorter than both scrolls the body as a whole.
_STACKED_SIDE_HEIGHT = 320
_NO_LIMIT = 16_777_215  # QWIDGETSIZE_MAX


class ContactHeader(QWidget):
    """The contact's name, identity and times, its actions, and the stage, quality and owner dropdowns.

    The dropdowns sit beside the title when the header is wide enough for both, and under it otherwise. Side by
    side the header needs ~870 px, so with the sidebar the window could not be narrower than ~1090 px: wider than
    a 1024-px screen, or than half of a 1920-px one, where a rep keeps CRMDesk beside the phone app. The header's
    minimum width is the stacked arrangement's whichever is shown, so the window can always be narrowed past the
    point where the dropdowns move under the title; they move back once there is room again. Neither minimum
    depends on the contact shown (the title's parts keep fixed minimums), so switching contacts never moves them.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("contactHeader")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(8)  # between the title and the dropdowns, when they are stacked
        self._grid.setColumnStretch(0, 1)
        self._parts: tuple[QLayout, QLayout] | None = None  # the title and the actions, beside each other
        self.dropdowns: QWidget | None = None
        self._stacked: bool | None = None
        # Qt hands a resize or a layout request to the widget's layout before its event filters, so a switch of
        # arrangement costs the layout a second pass; the switch only happens when the width crosses the line.
        self.installEventFilter(self)

    def set_parts(self, title: QLayout, actions: QLayout, dropdowns: QWidget) -> None:
        self._grid.addLayout(title, 0, 0)
        self._grid.addLayout(actions, 0, 1, Qt.AlignmentFlag.AlignTop)
        self._parts = (title, actions)
        self.dropdowns = dropdowns
        self._arrange()

    def is_stacked(self) -> bool:
        """Whether the dropdowns are under the title (True) or beside it (False)."""
        return bool(self._stacked)

    def _minimum_widths(self) -> tuple[int, int]:
        """The stacked and the side-by-side arrangements' minimum widths."""
        assert self._parts is not None and self.dropdowns is not None
        title, actions = self._parts
        spacing = self._grid.horizontalSpacing()
        beside_title = title.minimumSize().width() + spacing + actions.minimumSize().width()
        widest = self.dropdowns.minimumSizeHint().width()
        return max(beside_title, widest), beside_title + spacing + widest

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if self._parts is None:
            return hint
        return QSize(self._minimum_widths()[0], hint.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A new size, or parts that appeared or changed their minimum (the times row shows with the first contact).
        if watched is self and event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._arrange()
        return super().eventFilter(watched, event)

    def _arrange(self) -> None:
        dropdowns = self.dropdowns
        if dropdowns is None:
            return
        stacked = self.width() < self._minimum_widths()[1]
        if stacked == self._stacked:
            return
        self._stacked = stacked
        self._grid.removeWidget(dropdowns)
        if stacked:
            self._grid.addWidget(dropdowns, 1, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
        else:
            self._grid.addWidget(dropdowns, 0, 2)
        self.updateGeometry()


#: Ways of leaving a contact, by weight (see :meth:`ContactView.resolve_unsaved`).
OPEN_ANOTHER, LEAVE_WINDOW, SIGN_OUT = 0, 1, 2


class ContactView(QWidget):
    """Shows one contact and edits it, or creates a new one.

    Signals:
        contact_opened(Contact): a contact was shown (for the Recent list).
        contact_created(Contact): a new contact was created and is now shown.
        contact_deleted(str): the uid of a contact that was deleted; the view is empty now.
        deleted_elsewhere(str, str): the uid and name of the open contact, which a save found deleted by someone
            else; the form keeps what the rep typed (see :meth:`create_from_form`).
        open_requested(str): the user asked to open this uid (the duplicate guard's "Open existing").
        lookup_requested(str): the user asked to look this up (a demo sample's link in the empty view).
        error_withdrawn(object): the failure whose Retry is this callable is about a form that is gone (a new
            contact left, a save answered since): its banner should go.
        new_contact_requested(): the empty state's "New contact" button was pressed.
        error_raised(exception, retry, context): something failed that the banner should explain; ``retry``
            repeats what failed (the banner's Retry), or is None where repeating is up to the rep; ``context`` says
            what failed ("Not saved.", "Tag “VIP” not added to Ana Lima.").
        status_message(str): a short note for the status bar ("Saved", "Tag added"...).
        search_wanted(): the focus should go to the search field, its text selected (a deletion set off).
        save_waited_for(str): a way of leaving (a close, a sign-out, another contact) waits for the save or create
            on its way; what to say meanwhile ("Saving the changes first…").
        save_wait_ended(int): nothing waits for a save any more (it went on, or failed and the rep decides); the
            weight of the leave that waited.
        work_changed(): what :meth:`unsaved_work` returns may have changed (typing, a save, another contact).
        new_form_shown(): a restored new-contact form was put back.
    """

    contact_opened = Signal(object)
    contact_created = Signal(object)
    contact_deleted = Signal(str)
    deleted_elsewhere = Signal(str, str)
    open_requested = Signal(str)
    lookup_requested = Signal(str)
    error_withdrawn = Signal(object)
    new_contact_requested = Signal()
    error_raised = Signal(object, object, str)
    status_message = Signal(str)
    search_wanted = Signal()
    save_waited_for = Signal(str)
    save_wait_ended = Signal(int)
    work_changed = Signal()
    new_form_shown = Signal()

    def __init__(
        self, service: ContactService, registry: Registry, parent: QWidget | None = None, *, staged: bool = False
    ) -> None:
        """``staged`` builds only the empty state now; the caller then runs :meth:`build_step` once per turn of
        the event loop (each a few ms, so the window keeps painting), or :meth:`ensure_built` to finish at once.
        """
        super().__init__(parent)
        self.setObjectName("contactView")
        self.service = service
        self.registry = registry
        self._mode = "empty"  # "empty", "view" or "create"
        self._then_after_save: Callable[[], None] | None = None  # see _after_save
        # A leave's open question: the box, and the weight and action of the leave its answer carries on.
        self._leave_question: list[Any] | None = None
        self._after_save_weight = OPEN_ANOTHER  # how weighty a way of leaving _after_save is (see resolve_unsaved)
        self._before_create: Contact | None = None  # the contact the new-contact form's Cancel goes back to
        self._create_sent: dict[str, object] = {}  # the fields of the last create sent
        # Those of a create whose answer was lost (it may exist): the next duplicate check looks for it too.
        self._unconfirmed_creates: list[dict[str, object]] = []
        self._create_retry: Callable[[], None] | None = None  # the Retry a failed create's banner offers
        self._save_retry: Callable[[], None] | None = None  # the Retry a failed save's banner offers
        self._created_anyway: set[str] = set()  # contacts this form's rep chose to create beside: never "ours"
        self._reverted: dict[str, str] | None = None  # the edits Revert just dropped, while Undo can bring them back
        self._reverted_marks: dict[str, str] = {}  # and the fields among them marked as changed elsewhere
        self._say_reloaded = True  # whether the next reload's answer says "Reloaded" (see reload)
        # Per (uid, field), a stage, quality or owner picked and on its way: shown over what a read says meanwhile
        # (a save answering first would otherwise put the old stage back while the change is still being sent).
        self._pending_combo: dict[tuple[str, str], str] = {}
        self._unasked_failures = 0  # deletions and header changes that failed (see unasked_failures)
        self._superseded_picks: set[tuple[str, str]] = set()  # (uid, field) picked again while on its way
        # Notes and tags typed but not yet added, per contact: they wait for the rep's return, never follow them to
        # the next contact. The inputs hold the drafts of ``_draft_uid``; ``_drafts`` keeps everyone else's.
        self._drafts: dict[str, tuple[str, str]] = {}
        self._draft_uid: str | None = None
        self._names: dict[str, str] = {}  # uid → how the contact is named in messages, for those shown
        # The tags confirmed for the open contact since its chips last had none on the way: "VIP, Hot Lead" typed
        # at once is said as one message, not as the last tag alone.
        self._tags_confirmed: tuple[str, list[str]] | None = None
        self._deleted: set[str] = set()  # contacts deleted here: no draft is kept for them
        # What an earlier run left unsaved, put back by restore_work, for contacts not read since: edits go into
        # the form when the contact opens; notes and tags that were on their way go back into the boxes if the
        # server does not hold them.
        self._restored: dict[str, UnsavedEdits] = {}
        #: Edits of a contact left while its deletion was on its way: back in its form should the deletion fail.
        self._kept_while_deleting: dict[str, UnsavedEdits] = {}
        self._restored_sent: dict[str, Draft] = {}  # what was on its way to each (sent notes and tags, picks)
        self._restored_new: list[NewContact] = []  # new-contact forms waiting for New contact (see restore_work)
        # Contacts whose note box holds a note that may have been added (its answer was lost): said under the box.
        # Per contact, those notes' texts: the warning holds while the box still holds one of them.
        self._unsure_notes: dict[str, list[str]] = {}
        self._filling_combos = False
        self.dialog: QMessageBox | None = None
        self._body_arranged = False
        self._form_share = 0.6  # of the width side by side; a drag of the handle changes it
        self._form_share_dragged = False
        self._last_update: datetime | None = None
        # "Updated 5 min ago" must not stay "5 min ago" while the window sits open all afternoon.
        self._relative_clock = QTimer(self)
        self._relative_clock.setInterval(60_000)
        self._relative_clock.timeout.connect(self._minute_passed)

        self._build_steps = BuildSteps(
            self._build_page_header,
            self._build_header_buttons,
            self._build_header_controls,
            self._build_form,
            self._build_form_column,
            self._build_side,
            self._finish_build,
            self._warm_up_header,
            self._warm_up_form,
            self._warm_up_rest,
        )
        self._build_empty()
        if not staged:
            self.ensure_built()

    # --- Construction -----------------------------------------------------------------------------

    def is_built(self) -> bool:
        return self._build_steps.done

    def build_step(self) -> bool:
        """Build the next part of the view; True while parts remain."""
        return self._build_steps.run_next()

    def ensure_built(self) -> None:
        self._build_steps.run_all()

    def _finish_build(self) -> None:
        self._connect()
        self._refresh_registry()
        self.clear()

    # Done now, while nothing is open, what the first contact shown would otherwise do for the first time: polish
    # the page's ~100 widgets and build the locale's long date format. In one turn that was 10–20 ms here, a
    # stall of a frame or more while the demo's window waits for its server; in three, each fits a frame.

    def _warm_up_header(self) -> None:
        self.header.ensurePolished()
        self.side.ensurePolished()

    def _warm_up_form(self) -> None:
        self.form_column.ensurePolished()

    def _warm_up_rest(self) -> None:
        self.page.ensurePolished()
        exact_moment(datetime.now().astimezone(), user_locale())

    def _build_empty(self) -> None:
        tr = self.tr
        self.progress = QProgressBar(self)
        self.progress.setObjectName("contactProgress")
        self.progress.setRange(0, 0)
        self.progress.setFixedHeight(3)
        self.progress.setTextVisible(False)
        # Its 3 px kept while hidden: shown for each request, it pushed the whole contact down and back.
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(policy)
        self.progress.setVisible(False)
        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.progress)
        outer.addWidget(self.stack, 1)

        # Empty state: a calm hint of what to do.
        self.empty_page = QWidget()
        self.empty_page.setObjectName("emptyState")
        empty = QVBoxLayout(self.empty_page)
        empty.addStretch(1)
        title = QLabel(tr("No contact open"), self.empty_page)
        scale_font(title, 1.5)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(self.empty_page)
        hint.setObjectName("emptyHint")
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        hint.setText(tr("Find a contact by UID, email or phone to see and edit it, or start a new one."))
        # Keys right-aligned against their descriptions, so the list reads as a table, not ragged lines.
        keys = QGridLayout()
        keys.setHorizontalSpacing(12)
        keys.setVerticalSpacing(4)
        self.empty_keys: list[QLabel] = []
        for row, shortcut in enumerate(
            # What can be done with no contact open: Save, say, could not.
            (shortcuts.FOCUS_SEARCH, shortcuts.NEW_CONTACT, shortcuts.SHORTCUTS_HELP)
        ):
            key = QLabel(shortcut.label(), self.empty_page)
            key.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            bold = QFont(key.font())
            bold.setBold(True)
            key.setFont(bold)
            what = QLabel(shortcuts.translated_description(shortcut), self.empty_page)
            what.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            keys.addWidget(key, row, 0)
            keys.addWidget(what, row, 1)
            self.empty_keys.append(key)
        keys_box = QHBoxLayout()
        keys_box.addStretch(1)
        keys_box.addLayout(keys)
        keys_box.addStretch(1)
        self.empty_hint = hint
        self.empty_examples: QLabel | None = None  # see show_examples
        self.new_button = QPushButton(icon("plus"), tr("New contact"), self.empty_page)
        self.new_button.setProperty("iconName", "plus")
        self.new_button.setObjectName("newContactButton")
        self.new_button.clicked.connect(self.new_contact_requested.emit)
        empty.addWidget(title)
        empty.addSpacing(8)
        self._empty_layout = empty
        self._wait_note: QLabel | None = None
        empty.addWidget(hint)
        empty.addSpacing(10)
        empty.addLayout(keys_box)
        empty.addSpacing(14)
        empty.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty.addStretch(2)
        self.stack.addWidget(self.empty_page)

    def show_examples(self, examples: Sequence[tuple[str, str]]) -> None:
        """Offer contacts to open from the empty state, each by its name with the query that finds it: the demo's
        samples. The Contact API cannot list contacts, so a first look would otherwise need an email or UID that
        nobody new knows. A click looks the contact up as typed in the search field, which then shows how. Called
        again, the offer becomes the new list (none: it goes)."""
        label = self.empty_examples
        if label is None:
            if not examples:
                return
            label = QLabel(self.empty_page)
            label.setObjectName("emptyExamples")
            label.setTextFormat(Qt.TextFormat.RichText)  # links made here, from escaped names
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            label.setTextInteractionFlags(
                Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
            )
            label.linkActivated.connect(self.lookup_requested.emit)
            label.setContentsMargins(0, 6, 0, 0)
            self._empty_layout.insertWidget(self._empty_layout.indexOf(self.empty_hint) + 1, label)
            self.empty_examples = label
        links = " · ".join(
            f'<a href="{html.escape(query, quote=True)}">{html.escape(name)}</a>' for name, query in examples
        )
        label.setText(html.escape(self.tr("Sample contacts to open:")) + " " + links if examples else "")
        label.setVisible(bool(examples))

    def show_waiting(self, text: str | None) -> None:
        """Say in the empty state why nothing can be opened yet (the session is starting); ``None`` when it can."""
        note = self._wait_note
        if text is None:
            if note is not None:
                self._wait_note = None
                note.hide()
                note.deleteLater()
            return
        if note is None:
            note = self._wait_note = QLabel(self.empty_page)
            note.setObjectName("sessionWait")
            note.setTextFormat(Qt.TextFormat.PlainText)
            note.setAlignment(Qt.AlignmentFlag.AlignCenter)
            note.setWordWrap(True)
            note.setContentsMargins(0, 0, 0, 6)  # apart from the hint under it, which is for later
            self._empty_layout.insertWidget(self._empty_layout.indexOf(self.empty_hint), note)
        note.setText(text)

    def _build_page_header(self) -> None:
        # The contact page, added to the stack once complete (its parts are built in separate steps).
        self.page = QWidget()
        page = QVBoxLayout(self.page)
        page.setContentsMargins(12, 8, 12, 8)
        page.setSpacing(8)
        page.addWidget(self._build_header())
        line = QFrame(self.page)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)
        line.setForegroundRole(QPalette.ColorRole.Mid)
        page.addWidget(line)
        self._page_layout = page

    def _build_form(self) -> None:
        self.form = ContactForm(staged=True)
        self._build_steps.run_next_first(self._build_form_part)

    def _build_form_part(self) -> None:
        """One of the form's own steps per turn, until it is complete."""
        if self.form.build_step():
            self._build_steps.run_next_first(self._build_form_part)
        else:
            self.form.state_changed.connect(self._update_buttons)
            self.form.typed_while_locked.connect(self._typed_while_saving)
            self.form.link_failed.connect(
                lambda what: self.status_message.emit(
                    self.tr("No program on this computer opens {0}: set one up in the system's settings.").format(what)
                )
            )

    def _build_form_column(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, _BODY_GAP, 0)
        left_layout.addWidget(self.form)
        left_layout.addWidget(self._build_create_extras())
        left_layout.addLayout(self._build_buttons())
        # Spare height goes below Save, so the buttons sit right under the fields they act on.
        left_layout.addStretch(1)
        # Fallback only: at 1280×800 the form fits without scrolling.
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Every field in it takes focus and is scrolled into view; the area itself would be a Tab stop that shows
        # nothing.
        self.form_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.form_scroll.setWidget(left)
        self.form_column, self._form_column_layout = left, left_layout

    def _build_side(self) -> None:
        tr = self.tr
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(_BODY_GAP, 0, 0, 0)
        right_layout.setSpacing(6)
        self.tags = TagChips(right)
        self.notes = NotesTimeline(right)
        tags_title = self._section(tr("Tags"), right)
        notes_title = self._section(tr("Notes"), right)
        # The section titles name the inputs below them for screen readers, as a form label would.
        tags_title.setBuddy(self.tags.input)
        notes_title.setBuddy(self.notes.input)
        right_layout.addWidget(tags_title)
        right_layout.addWidget(self.tags)
        right_layout.addSpacing(6)
        right_layout.addWidget(notes_title)
        right_layout.addWidget(self.notes, 1)
        self.side, self._side_layout = right, right_layout

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self.page)
        self.splitter.setObjectName("contactSplitter")
        self.splitter.addWidget(self.form_scroll)
        self.splitter.addWidget(right)
        right.setMinimumWidth(280)
        # Stacked, spare height goes to the notes; side by side, _arrange_body shares the width at each resize.
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.installEventFilter(self)
        # Stacked, the form's and the side's heights decide the split: a message line, a row of chips or a field's
        # error changes them without resizing anything, so their layout requests share the body out again.
        self._rearrange_soon = QTimer(self)
        self._rearrange_soon.setSingleShot(True)
        self._rearrange_soon.setInterval(0)
        self._rearrange_soon.timeout.connect(self._arrange_body)
        self.form_column.installEventFilter(self)
        right.installEventFilter(self)
        # Chips past their four rows take the column's height the notes leave unused (a contact with many tags
        # and few notes), shared out again once the layout has settled after a change of either.
        self._fit_tags_soon = QTimer(self)
        self._fit_tags_soon.setSingleShot(True)
        self._fit_tags_soon.setInterval(0)
        self._fit_tags_soon.timeout.connect(self._fit_tags)
        self.notes.spare_changed.connect(self._fit_tags_soon.start)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._keep_focus_in_view)
        self.splitter.splitterMoved.connect(self._remember_share)
        # Side by side the body fits the view; stacked and short of height, it scrolls as a whole under the
        # header, which stays in view with the name and the dropdowns.
        self.body_scroll = QScrollArea(self.page)
        self.body_scroll.setObjectName("contactBodyScroll")
        self.body_scroll.setWidgetResizable(True)
        self.body_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.body_scroll.setWidget(self.splitter)
        self._page_layout.addWidget(self.body_scroll, 1)
        self.stack.addWidget(self.page)

    def _section(self, text: str, parent: QWidget) -> QLabel:
        label = QLabel(text.upper(), parent)
        scale_font(label, 0.85, bold=True)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return label

    def _build_header(self) -> ContactHeader:
        """The header's title: name, business, UID and times (its controls are the next step)."""
        tr = self.tr
        header = ContactHeader(self.page)
        self.header = header

        # A name too long for the header ends in "…" (shown in full in its tooltip) rather than cut mid-letter; the
        # form's name fields are where it is selected and copied.
        self.name_label = ElidedLabel(header)
        self.name_label.setObjectName("fullName")
        scale_font(self.name_label, 1.6, bold=True)
        self.name_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # The name starts where the window's lines do, whatever its script: aligned by its own direction, an Arabic
        # name in an English window sat at the far right, away from the business, UID and times under it.
        start = Qt.AlignmentFlag.AlignRight if self.isRightToLeft() else Qt.AlignmentFlag.AlignLeft
        self.name_label.setAlignment(start | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter)

        # The business name and the two times differ in width from one contact to the next. Were the header's
        # minimum width to follow them, so would the contact view's: in a window where the view is at its minimum,
        # the main splitter would move the sidebar's edge at each contact, relayouting and repainting the whole
        # window twice. Elided labels keep the minimum fixed and end in "…" only when the window is that narrow.
        self.business_label = ElidedLabel(header)
        self.business_label.setObjectName("headerBusinessName")
        self.uid_label = SelectableLabel(header)
        self.uid_label.setObjectName("uid")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.uid_label.setFont(mono)
        self.copy_button = self._tool_button("copy", tr("Copy UID"), shortcuts.COPY_UID, self.copy_uid)
        self.copy_button.setObjectName("copyUid")
        identity = QHBoxLayout()
        identity.setSpacing(6)
        identity.addWidget(self.business_label)
        self.uid_caption = QLabel(tr("UID"), header)
        self.uid_caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.uid_caption.setBuddy(self.copy_button)
        identity.addWidget(self.uid_caption)
        identity.addWidget(self.uid_label)
        identity.addWidget(self.copy_button)
        identity.addStretch(1)

        self.created_caption = QLabel(tr("Created"), header)
        self.created_label = ElidedLabel(header)
        self.created_label.setObjectName("created")
        self.times_separator = QLabel("·", header)
        self.updated_caption = QLabel(tr("Updated"), header)
        self.updated_label = ElidedLabel(header)
        self.updated_label.setObjectName("lastUpdate")
        # The row's minimum width is fixed at what the widest date and time of the locale need (any month, any
        # hour), so neither the header's nor the contact view's minimum follows the contact's times. The labels
        # keep their natural widths inside it: no gap after a short date, and an ellipsis only beyond the widest.
        self.times_row = QWidget(header)
        times = QHBoxLayout(self.times_row)
        times.setContentsMargins(0, 0, 0, 0)
        times.setSpacing(6)
        self._time_widgets = (
            self.times_row,
            self.created_caption,
            self.created_label,
            self.times_separator,
            self.updated_caption,
            self.updated_label,
        )
        for widget in self._time_widgets[1:]:
            widget.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            times.addWidget(widget)
        times.addStretch(1)
        widest = widest_moment(user_locale(), self.created_label.fontMetrics().horizontalAdvance)
        self.created_label.setText(widest)
        self.updated_label.setText(widest)
        self.times_row.setMinimumWidth(times.sizeHint().width())
        self.created_label.clear()
        self.updated_label.clear()

        title = QVBoxLayout()
        title.setSpacing(2)
        title.addWidget(self.name_label)
        title.addLayout(identity)
        title.addWidget(self.times_row)

        self._header_title = title
        return header

    def _build_header_buttons(self) -> None:
        """The header's reload and delete buttons."""
        tr = self.tr
        self.reload_button = self._tool_button("contact-reload", tr("Reload from the server"), shortcuts.RELOAD,
                                               self.reload)  # fmt: skip
        self.delete_button = self._tool_button("contact-delete", tr("Delete contact"), shortcuts.DELETE_CONTACT,
                                               self.confirm_delete)  # fmt: skip
        self.delete_button.setObjectName("deleteContact")
        self._header_actions = actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.reload_button)
        actions.addWidget(self.delete_button)

    def _build_header_controls(self) -> None:
        """The header's stage, quality and owner dropdowns, and the header put together."""
        tr = self.tr
        header = self.header
        dropdowns = QWidget(header)
        combos = QFormLayout(dropdowns)
        combos.setContentsMargins(0, 0, 0, 0)
        combos.setHorizontalSpacing(8)
        combos.setVerticalSpacing(4)
        combos.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.stage_combo = self._combo("stageName")
        self.quality_combo = self._combo("qualityName")
        self.owner_combo = self._combo("ownerEmail")
        for text, combo in ((tr("&Stage"), self.stage_combo), (tr("&Quality"), self.quality_combo),
                            (tr("&Owner"), self.owner_combo)):  # fmt: skip
            label = QLabel(text, dropdowns)
            label.setBuddy(combo)
            combos.addRow(label, combo)
        self.combos = {"stageName": self.stage_combo, "qualityName": self.quality_combo, "ownerEmail": self.owner_combo}
        # Where the lists come from, said where the rep meets them: a new account's dropdowns hold only "No stage".
        sources = {
            "stageName": tr("Stages seen on contacts, and those added in Settings ({0})."),
            "qualityName": tr("Qualities seen on contacts, and those added in Settings ({0})."),
            "ownerEmail": tr("Team members seen on contacts, and those added in Settings ({0})."),
        }
        keys = {"stageName": shortcuts.STAGE, "qualityName": shortcuts.QUALITY, "ownerEmail": shortcuts.OWNER}
        for field, combo in self.combos.items():
            key = keys[field]
            combo.setToolTip(
                f"{shortcuts.translated_description(key)} ({key.label()})\n"
                f"{sources[field].format(shortcuts.SETTINGS.label())} {tr('The Contact API has no way to list them.')}"
            )

        header.set_parts(self._header_title, self._header_actions, dropdowns)

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        # Wide enough for "Jane Smith — sales@yourcompany.com" without clipping.
        combo.setMinimumContentsLength(34 if name == "ownerEmail" else 22)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.currentIndexChanged.connect(lambda _index, field=name: self._combo_changed(field))
        return combo

    def _tool_button(
        self, icon_name: str, text: str, shortcut: shortcuts.Shortcut, slot: Callable[[], None]
    ) -> QToolButton:
        # Made in the header, where it stays: a button made elsewhere would join the header's Tab order when its layout
        # joined the header, after the dropdowns made meanwhile. Made here, the order is the order of making: copy
        # the UID, reload, delete, then the stage, quality and owner dropdowns, as the header reads.
        button = ToolButton(self.header)
        button.setIcon(icon(icon_name))
        button.setProperty("iconName", icon_name)
        button.setAutoRaise(True)
        button.setAccessibleName(text)
        button.setToolTip(f"{text} ({shortcut.label()})")
        button.clicked.connect(slot)
        return button

    def _build_create_extras(self) -> QWidget:
        tr = self.tr
        self.new_tags = QLineEdit()
        keep_one_line(self.new_tags, separator=", ")
        self.new_tags.setObjectName("newTags")
        self.new_tags.setPlaceholderText(tr("Comma-separated, e.g. Hot Lead, Website"))
        self.new_note = RingedPlainTextEdit()
        self.new_note.setObjectName("newNote")
        self.new_note.setTabChangesFocus(True)
        self.new_note.setPlaceholderText(tr("What was said on the first call"))
        self.new_note.set_visible_lines(3, 12)
        tags_label = QLabel(tr("T&ags"))
        tags_label.setBuddy(self.new_tags)
        note_label = QLabel(tr("F&irst note"))
        note_label.setBuddy(self.new_note)
        self.form.add_extra_row(tags_label, self.new_tags)
        self.form.add_extra_row(note_label, self.new_note)
        self.new_tags.textChanged.connect(self._create_extras_edited)
        self.new_note.textChanged.connect(self._create_extras_edited)
        self._create_only: list[QWidget] = [tags_label, self.new_tags, note_label, self.new_note]
        self.create_message = QLabel()
        self.create_message.setObjectName("createMessage")
        self.create_message.setWordWrap(True)
        self.create_message.setTextFormat(Qt.TextFormat.PlainText)
        self.create_extras = self.create_message
        return self.create_message

    def _say_create(self, text: str, *, hint: bool = False) -> None:
        """Under the new-contact form: what it needs (``hint``, muted) or why Create did not go (red)."""
        if hint:
            self.create_message.setPalette(self.palette())
            self.create_message.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.create_message.setText(text)
        elif text:
            self.create_message.setForegroundRole(QPalette.ColorRole.WindowText)
            show_inline_error(self.create_message, text)
        else:
            self.create_message.clear()  # hidden or not: a fresh form must not show the last one's reason
        # An empty word-wrapped label still takes a line's height, a gap between the form and Create.
        self.create_message.setVisible(self._mode == "create" and bool(text))

    def _build_buttons(self) -> QHBoxLayout:
        tr = self.tr
        self.form_status = QLabel(self)
        self.form_status.setObjectName("formStatus")
        self.form_status.setWordWrap(True)
        self.form_status.setTextFormat(Qt.TextFormat.PlainText)
        self.revert_button = QPushButton(tr("Revert"), self)
        self.revert_button.setObjectName("revertButton")
        self.revert_button.setToolTip(shortcuts.REVERT.label())
        self.revert_button.clicked.connect(self.revert)
        # Revert cannot be undone in the fields themselves (their own undo ends at the reverted text), and Ctrl+R
        # is a browser's reload to many hands: what it dropped can be put back until the next edit.
        self.undo_revert_button = FlatButton(tr("Undo"), self)
        self.undo_revert_button.setObjectName("undoRevertButton")
        self.undo_revert_button.setIcon(icon("undo"))
        self.undo_revert_button.setProperty("iconName", "undo")  # tinted anew by changeEvent
        self.undo_revert_button.setToolTip(tr("Put back the changes just reverted"))
        self.undo_revert_button.clicked.connect(self.undo_revert)
        self.undo_revert_button.hide()
        self.save_button = QPushButton(tr("Save"), self)
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip(shortcuts.SAVE.label())
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        row = QHBoxLayout()
        row.setContentsMargins(0, 6, 0, 0)
        row.addWidget(self.form_status, 1)
        row.addWidget(self.undo_revert_button)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        return row

    def _connect(self) -> None:
        service = self.service
        service.contact_loaded.connect(self._on_loaded)
        service.load_failed.connect(self._on_load_failed)
        service.saved.connect(self._on_saved)
        service.save_failed.connect(self._on_save_failed)
        service.save_conflicted.connect(self._on_save_conflicted)
        service.duplicates_checked.connect(self._on_duplicates)
        service.created.connect(self._on_created)
        service.create_failed.connect(self._on_create_failed)
        service.deleted.connect(self._on_deleted)
        service.delete_failed.connect(self._on_delete_failed)
        service.tag_added.connect(self._on_tag_added)
        service.tag_failed.connect(self._on_tag_failed)
        service.note_added.connect(self._on_note_added)
        service.note_failed.connect(self._on_note_failed)
        service.note_unread.connect(self._on_note_unread)
        service.read_back_failed.connect(self._on_read_back_failed)
        service.field_changed.connect(self._on_field_changed)
        service.field_failed.connect(self._on_field_failed)
        service.busy_changed.connect(self._on_busy)
        self.registry.changed.connect(self._refresh_registry)
        self.tags.tag_requested.connect(self._tag_requested)
        self.notes.note_requested.connect(self._note_requested)
        # What the rep types and has not saved, for the copy kept on disk (see unsaved_work).
        for typed in (self.notes.input, self.new_note):
            typed.textChanged.connect(self._work_changed)
        for line in (self.tags.input, self.new_tags):
            line.textChanged.connect(self._work_changed)
        self.form.state_changed.connect(self._work_changed)
        for combo in self.combos.values():
            combo.currentIndexChanged.connect(self._work_changed)

        def bind(shortcut: shortcuts.Shortcut, slot: Callable[[], None]) -> None:
            for sequence in shortcut.sequences():
                key = QShortcut(QKeySequence(sequence), self)
                # Window-wide: Ctrl+J must reach the note input from the search field too. No other part of the
                # window binds these keys (see shortcuts.py).
                key.setContext(Qt.ShortcutContext.WindowShortcut)
                key.activated.connect(slot)

        bind(shortcuts.SAVE, self.save)
        bind(shortcuts.REVERT, self.revert)
        bind(shortcuts.RELOAD, self.reload)
        bind(shortcuts.FOCUS_NOTE, self.focus_note_input)
        bind(shortcuts.FOCUS_TAG, self.focus_tag_input)
        bind(shortcuts.STAGE, lambda: self._popup("stageName"))
        bind(shortcuts.QUALITY, lambda: self._popup("qualityName"))
        bind(shortcuts.OWNER, lambda: self._popup("ownerEmail"))
        bind(shortcuts.COPY_UID, self.copy_uid)
        bind(shortcuts.DELETE_CONTACT, self.confirm_delete)

    # --- The interface ----------------------------------------------------------------------------

    def show_contact(self, contact: Contact, *, read: bool = True) -> None:
        """Open ``contact`` (the caller already resolved unsaved edits): as just read from the server, unless
        ``read`` is false (a contact held from before, which the caller reads again)."""
        self._leaving_create()
        # With the notes and tags of ours stored since it was read: a read that set out before them may answer after.
        held = self.service.set_current(contact)
        assert held is not None
        if read:
            self.service.shown_as_read(held.uid)
        self._mode = "view"
        self._show(held, keep_edits=False)
        if read and held.uid in self.waiting_restore():
            self._apply_restored(held)
        self.contact_opened.emit(held)

    def start_create(self, prefill: dict[str, str] | None = None) -> None:
        """Switch to an empty form for a new contact, optionally pre-filled (e.g. with the searched email); without
        ``prefill``, a new-contact form restored from an earlier run and waiting comes back instead."""
        if prefill is None and self._restored_new:
            self._put_back_new_contact(self._restored_new.pop(0))
            return
        if self._mode != "create":
            self._before_create = self.service.current if self._mode == "view" else None
        self._leaving_create()
        self._forget_revert()
        self.service.set_current(None)
        self._mode = "create"
        self.stack.setCurrentWidget(self.page)
        self.form.set_busy(False)
        self.form.phone_region = self._phone_region()
        self.form.load(None)
        self.new_tags.clear()
        self.new_note.clear()
        self._say_create("")
        self._say_status("")  # a failed create's reason belongs to the form it failed for
        self._switch_drafts(None)
        self.tags.set_tags([])
        self.notes.set_notes([])
        self.name_label.setText(self.tr("New contact"))
        self.business_label.clear()
        self.uid_label.setText("—")
        self.created_label.setText("—")
        self.created_label.setToolTip("")
        self._last_update = None
        self._show_last_update()
        self._fill_combos(None)
        if prefill:
            # The cursor goes to First name next; the name is asked for quietly until the rep has been there.
            self.form.fill(prefill)
        self._update_mode_widgets()
        self.form.editor("firstName").setFocus(Qt.FocusReason.OtherFocusReason)

    def clear(self) -> None:
        self._leaving_create()
        self.service.set_current(None)
        self._switch_drafts(None)
        self._mode = "empty"
        self._after_save = None
        self.form.set_busy(False)
        self.form.load(None)
        self.stack.setCurrentWidget(self.empty_page)
        self._update_mode_widgets()

    def create_from_form(self) -> None:
        """A new contact from everything the open one held: the form (edits included), the stage, quality and
        owner, its tags and any typed, and a note typed but not added. For a contact deleted elsewhere."""
        values = {name: text for name, text in self.form.values().items() if text.strip()}
        header = {name: combo.currentData() for name, combo in self.combos.items()}
        tags, typed = ", ".join(self.tags.tag_names()), self.tags.input.text().strip()
        if typed:
            tags = with_tag(tags, typed)
        note = self.notes.input.toPlainText()
        self.notes.input.clear()  # it goes with the new form, not into a draft for a contact that is gone
        self.start_create(values)
        self._before_create = None  # leaving this form goes to the empty view: the old contact is gone
        for name, value in header.items():
            index = self.combos[name].findData(value) if value else -1
            if index >= 0:
                self.combos[name].setCurrentIndex(index)
        self.new_tags.setText(tags)
        self.new_note.setPlainText(note.strip())

    def _leaving_create(self) -> None:
        """The new-contact form goes (or starts afresh): a duplicate check still running must not create, and a
        failure's Retry must not act on the next form (the banner goes)."""
        if self._mode == "create":
            self.service.abandon_create()
        self._unconfirmed_creates.clear()
        self._created_anyway.clear()
        if self._create_retry is not None:
            self.error_withdrawn.emit(self._create_retry)
            self._create_retry = None

    def set_loading(self, loading: bool) -> None:
        self.progress.setVisible(loading or self.service.is_running("save"))

    def has_unsaved_changes(self) -> bool:
        if self._mode == "create":
            return self.form.is_dirty() or bool(self.new_tags.text().strip() or self.new_note.toPlainText().strip())
        if self._mode != "view" or not self.form.is_dirty():
            return False
        # A contact the rep chose to delete goes with its edits: its deletion is on its way, and a save could not
        # be sent (Save in a question about them would do nothing).
        uid = self.current_uid()
        return uid is None or not self._being_deleted(uid)

    def unsent_drafts(self) -> list[str]:
        """What was typed but not added, one phrase per contact ("a note for Ana Lima", "a note and a tag for
        Rafael Costa"): the open contact's boxes, and those kept for contacts left; and work restored from an
        earlier run for contacts not opened since."""
        drafts = dict(self._drafts)
        if self._draft_uid is not None:
            drafts[self._draft_uid] = (self.notes.input.toPlainText(), self.tags.input.text())
        phrases = [
            phrase
            for uid, (note, tag) in drafts.items()
            if (phrase := self._typed_phrase(self._names.get(uid, uid), note, tag))
        ]
        for uid in self.waiting_restore():
            name = self._names.get(uid, uid)
            phrases.append(
                self.tr("the work restored for {name}, which is put back when you open it").format(name=name)
            )
        for new in self._restored_new:
            phrases.append(
                self.tr("{what}, restored, which New contact brings back").format(what=self._new_contact_phrase(new))
            )
        return phrases

    def unsaved_work(self) -> UnsavedWork:
        """Everything here that closing would ask about, what is on its way to the server (it may not get there),
        and what was restored from an earlier run and not put back yet: what the disk keeps in case the app ends
        without asking (services/recovery.py)."""
        current_uid = self.current_uid()
        edits = [entry for uid, entry in self._restored.items() if uid != current_uid]
        new_contacts = list(self._restored_new)
        current = self.service.current
        if self._mode == "view" and current is not None and (changes := self.form.changes()):
            baseline = self.form.baseline()
            name = self._names.get(current.uid, current.uid)
            edits.insert(0, UnsavedEdits(current.uid, name, changes, {field: baseline[field] for field in changes}))
        elif self._mode == "create" and self.has_unsaved_changes():
            new_contacts.insert(
                0,
                NewContact(
                    {name: text for name, text in self.form.values().items() if text.strip()},
                    self.new_tags.text(),
                    self.new_note.toPlainText(),
                    {name: str(combo.currentData()) for name, combo in self.combos.items() if combo.currentData()},
                ),
            )
        typed = dict(self._drafts)
        if self._draft_uid is not None and self._draft_uid not in self._deleted:
            typed[self._draft_uid] = (self.notes.input.toPlainText(), self.tags.input.text())
        picks: dict[str, dict[str, str]] = {}
        for (uid, name), value in self._pending_combo.items():
            picks.setdefault(uid, {})[name] = value
        drafts = []
        for uid in dict.fromkeys([*typed, *self._restored_sent, *self.service.uids_sending(), *picks]):
            note, tag = typed.get(uid, ("", ""))
            earlier = self._restored_sent.get(uid, Draft(uid, ""))
            sending, tags = self.service.sending(uid)
            posted = self.service.posted_notes(uid)
            sent_notes = list(earlier.sent_notes)
            for text in sending:
                match = next((entry for entry in posted if entry[0] == text), None)
                if match is None:  # not gone out yet: certainly not stored
                    note = f"{text}\n\n{note}" if note.strip() else text
                else:
                    posted.remove(match)
                    sent_notes.append(SentNote(text, match[1]))
            draft = Draft(
                uid,
                self._names.get(uid, uid),
                note,
                tag,
                self._unsure_in(uid, note),
                tuple(sent_notes),
                (*earlier.sent_tags, *tags),
                {**earlier.picks, **picks.get(uid, {})},
            )
            if not draft.is_empty():
                drafts.append(draft)
        return UnsavedWork(tuple(edits), tuple(new_contacts), tuple(drafts))

    def restore_work(self, work: UnsavedWork, *, open_contact: bool = True) -> list[tuple[str, str]]:
        """Put back what an earlier run left unsaved: typed notes and tags into their contacts' boxes, the
        new-contact form as it was, and a contact's edits into its form. Edits, and what was on its way, wait for
        their contact to be read: a field changed meanwhile is marked as at a reload, and only what the server
        does not hold goes back. A contact already open stays (a phone tool's caller): the new-contact form then
        waits for New contact. With ``open_contact``, the contact of the first waiting work opens now, if nothing
        is open. Returns the uid and name of each other contact whose work is not on screen ("" and a phrase for a
        new contact waiting)."""
        for draft in work.drafts:
            self._names.setdefault(draft.uid, draft.name or draft.uid)
            if draft.uid == self._draft_uid:
                if draft.note.strip():
                    old = self.notes.input.toPlainText()
                    self.notes.input.setPlainText(f"{old}\n\n{draft.note}" if old.strip() else draft.note)
                if draft.tag.strip():
                    self.tags.input.setText(with_tag(self.tags.input.text(), draft.tag))
            elif draft.note.strip() or draft.tag.strip():
                self._keep_draft(draft.uid, note=draft.note, tag=draft.tag)
            if draft.unsure_notes:
                self._unsure_notes.setdefault(draft.uid, []).extend(draft.unsure_notes)
                if draft.uid == self._draft_uid:
                    self.notes.set_message(self._unsure_note_text())
            if draft.waits_for_a_read():
                earlier = self._restored_sent.get(draft.uid, Draft(draft.uid, draft.name))
                self._restored_sent[draft.uid] = Draft(
                    draft.uid,
                    draft.name,
                    sent_notes=earlier.sent_notes + draft.sent_notes,
                    sent_tags=earlier.sent_tags + draft.sent_tags,
                    picks={**earlier.picks, **draft.picks},
                )
        for entry in work.edits:
            self._names.setdefault(entry.uid, entry.name or entry.uid)
            self._restored[entry.uid] = entry
        waiting_new = list(work.new_contacts)
        if waiting_new and self._mode != "view":  # the contact open stays; New contact brings the form
            self._put_back_new_contact(waiting_new.pop(0))
        self._restored_new.extend(waiting_new)
        current = self.service.current
        if self._mode == "view" and current is not None and current.uid in self.waiting_restore():
            self._apply_restored(current)
        # Not on screen: what waits for a read, and notes and tags typed for contacts not open.
        waiting = list(dict.fromkeys([*self.waiting_restore(), *(d.uid for d in work.drafts if d.uid in self._drafts)]))
        if open_contact and waiting and self._mode == "empty":
            self.open_requested.emit(waiting.pop(0))
        self._work_changed()
        named = [(uid, self._names.get(uid, uid)) for uid in waiting]
        named.extend(("", self._new_contact_phrase(new)) for new in self._restored_new)
        return named

    def _put_back_new_contact(self, new: NewContact) -> None:
        self.start_create(dict(new.fields))
        self.new_form_shown.emit()
        self.new_tags.setText(new.tags)
        self.new_note.setPlainText(new.note)
        for name, value in new.header.items():
            if name in self.combos and (index := self.combos[name].findData(value)) >= 0:
                self.combos[name].setCurrentIndex(index)

    def _new_contact_phrase(self, new: NewContact) -> str:
        named = " ".join(new.fields.get(part, "") for part in ("firstName", "lastName")).strip()
        return self.tr("a new contact ({name})").format(name=named) if named else self.tr("a new contact")

    def waiting_restore(self) -> list[str]:
        """The contacts with restored work that goes back when they are next read."""
        return list(dict.fromkeys([*self._restored, *self._restored_sent]))

    def name_of(self, uid: str) -> str:
        """The name a contact had when last seen here, else its uid."""
        return self._names.get(uid, uid)

    def drop_restored(self, uid: str) -> str:
        """The contact of restored work was found deleted before it could go back: it goes, and the edits it
        held are returned in words for the rep to read ("" if there were none)."""
        sent = self._restored_sent.pop(uid, None)
        entry = self._restored.pop(uid, None)
        if entry is None and sent is None:
            return ""
        self._work_changed()
        if entry is None:
            return ""
        typed = "; ".join(
            f"{self.form.label_text(name) if name in FORM_FIELDS else name}: “{text}”"
            for name, text in entry.edits.items()
        )
        return self.tr(
            "{name} has been deleted elsewhere, so your unsaved changes to it could not be put back. They were: {typed}"
        ).format(name=entry.name or uid, typed=typed)

    def _apply_restored(self, contact: Contact) -> None:
        """Put the restored work for ``contact``, just read, back into its form and boxes; what the rep typed
        since it opened stays over it."""
        entry = self._restored.pop(contact.uid, None)
        sent = self._restored_sent.pop(contact.uid, Draft(contact.uid, ""))
        said: list[str] = []
        if entry is not None:
            typed_since = self.form.changes()
            typed = {name: text for name, text in entry.edits.items() if name in FORM_FIELDS}
            # Loaded first as it was when the rep began, then as it is: load() marks what changed meanwhile.
            then = {name: entry.base[name] for name in typed if name in entry.base}
            self.form.load(dataclasses.replace(contact, **cast(dict[str, Any], then)))
            self.form.fill(typed)
            self.form.load(contact, keep_edits=True)
            self.form.fill(typed_since)
            if self.form.is_dirty():
                said.append(
                    self.tr("Your unsaved changes are back. The marked fields were changed elsewhere meanwhile.")
                    if self.form.conflicts()
                    else self.tr("Your unsaved changes are back: check them and save.")
                )
        # Sent before the end, and answered or not: only what the server does not hold goes back, to add again.
        notes_back, unsure = [], False
        for note in sent.sent_notes:
            if note.copies_before is None:
                notes_back.append(note.text)  # cannot tell: it goes back, said as maybe added
                unsure = True
            elif note_copies(contact.notes, note.text) <= note.copies_before:
                notes_back.append(note.text)
        stored_tags = {tag.casefold() for tag in contact.tags}
        tags_back = [tag for tag in sent.sent_tags if tag.casefold() not in stored_tags]
        if notes_back:
            old = self.notes.input.toPlainText()
            self.notes.input.setPlainText("\n\n".join([*notes_back, old] if old.strip() else notes_back))
            if unsure:
                self._unsure_notes.setdefault(contact.uid, []).extend(notes_back)
                self.notes.set_message(self._unsure_note_text())
            else:
                self.notes.set_message(
                    self.tr("Sent as CRMDesk ended, this did not reach the server. Add it again if it still stands.")
                )
        if tags_back:
            text = self.tags.input.text()
            for tag in tags_back:
                text = with_tag(text, tag)
            self.tags.input.setText(text)
            self.tags.set_message(self.tr("Sent as CRMDesk ended, this did not reach the server. Add it again."))
        missed = [
            self.tr("{field} “{value}” was being set as CRMDesk ended and did not reach the server.").format(
                field=self._field_label(name), value=self._pick_text(name, value)
            )
            for name, value in sent.picks.items()
            if name in self.combos and str(getattr(contact, name, "")).casefold() != value.casefold()
        ]
        if said or missed:
            text = " ".join([*said, *missed])
            self._say_status(text, error=bool(missed) or bool(self.form.conflicts()))
            announce(self.form_status, text)
        self._work_changed()

    def _pick_text(self, name: str, value: str) -> str:
        index = self.combos[name].findData(value)
        return self.combos[name].itemText(index) if index >= 0 else value

    def _unsure_in(self, uid: str, note: str) -> tuple[str, ...]:
        """The notes that may have been added that ``note``, ``uid``'s note box, still holds (one rewritten is
        another note, and the warning would mislead)."""
        typed = " ".join(note.split())
        return tuple(
            text for text in self._unsure_notes.get(uid, ()) if text.strip() and " ".join(text.split()) in typed
        )

    def _unsure_note_text(self) -> str:
        return self.tr(
            "This note may have been added before: its answer was lost. Check the notes before adding it again."
        )

    def _work_changed(self, *_args: object) -> None:
        self.work_changed.emit()

    def _typed_phrase(self, name: str, note: str, tag: str) -> str:
        """ "a note for Ana Lima", "a note and a tag for …", "a tag for …", or "" with nothing typed."""
        if note.strip() and tag.strip():
            return self.tr("a note and a tag for {name}").format(name=name)
        if note.strip():
            return self.tr("a note for {name}").format(name=name)
        if tag.strip():
            return self.tr("a tag for {name}").format(name=name)
        return ""

    def describe_work(self, work: UnsavedWork) -> list[str]:
        """One phrase for each part of ``work`` (an earlier run's), in the words the leave questions use."""
        items = [self.tr("changes to {name}").format(name=entry.name or entry.uid) for entry in work.edits]
        items.extend(self._new_contact_phrase(new) for new in work.new_contacts)
        for draft in work.drafts:
            name = draft.name or draft.uid
            if typed := self._typed_phrase(name, draft.note, draft.tag):
                items.append(typed)
            if draft.waits_for_a_read():
                items.append(self.tr("what was on its way to {name} (checked against the server)").format(name=name))
        return items

    def resolve_leaving(self, then: Callable[[], None], *, weight: int = LEAVE_WINDOW) -> None:
        """Before the window or the session goes: unsaved edits as :meth:`resolve_unsaved`, then unsent drafts."""
        self.resolve_unsaved(lambda: self._resolve_drafts(then, weight), weight=weight)

    def _resolve_drafts(self, then: Callable[[], None], weight: int = LEAVE_WINDOW) -> None:
        phrases = self.unsent_drafts()
        if not phrases:
            then()
            return
        if self._join_leave_question(then, weight):
            return
        listed = (
            phrases[0]
            if len(phrases) == 1
            else self.tr("{first} and {last}").format(first=", ".join(phrases[:-1]), last=phrases[-1])
        )
        several = len(phrases) > 1 or " and a tag " in phrases[0]
        restored = self.waiting_restore()
        box = self._question(
            "draftsDialog",
            self.tr("Work not saved") if restored or self._restored_new else self.tr("Notes and tags not added"),
        )
        if restored or self._restored_new:
            box.setText(self.tr("Not added or saved yet: {items}.").format(items=listed))
            box.setInformativeText(
                self.tr("Leave without it, or go back to it?") if len(phrases) == 1 else
                self.tr("Leave without them, or go back to them?")
            )  # fmt: skip
        else:
            box.setText(
                (self.tr("You typed {items} and did not add them.") if several else
                 self.tr("You typed {items} and did not add it.")).format(items=listed)
            )  # fmt: skip
            box.setInformativeText(self.tr("Leave without adding, or go back and add what you typed?"))
        leave = box.addButton(
            (self.tr("Leave without it") if len(phrases) == 1 else self.tr("Leave without them"))
            if restored or self._restored_new else
            self.tr("Leave without adding"),
            QMessageBox.ButtonRole.DestructiveRole,
        )  # fmt: skip
        back = box.addButton(self.tr("Go back"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(back)
        box.setEscapeButton(back)

        def answered(button: QAbstractButton) -> None:
            leaving = self._leave_question_then(box)
            if button is not leave:
                # Back to the work: a contact restored and not opened yet opens, or the new contact's form.
                if restored and not self.has_unsaved_changes():
                    self.open_requested.emit(restored[0])
                elif self._restored_new and not self.has_unsaved_changes():
                    self._put_back_new_contact(self._restored_new.pop(0))
                return
            self._drafts.clear()
            self._restored.clear()
            self._restored_sent.clear()
            self._restored_new.clear()
            self._unsure_notes.clear()
            self.notes.input.clear()
            self.tags.input.clear()
            self._work_changed()
            leaving()

        self._ask(box, answered)
        self._leave_question = [box, weight, then]

    def _question(self, name: str, title: str, kind: QMessageBox.Icon = QMessageBox.Icon.Question) -> QMessageBox:
        box = QMessageBox(self)
        box.setObjectName(name)
        box.setIcon(kind)
        box.setWindowTitle(title)
        return box

    def _ask(self, box: QMessageBox, answered: Callable[[QAbstractButton], None]) -> None:
        """Show ``box`` without a nested event loop (see pitfalls); ``answered`` gets the button clicked."""
        box.buttonClicked.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = plain_box(box)  # they name contacts, whose names anyone may have written as markup
        box.open()

    def resolve_unsaved(self, then: Callable[[], None], *, weight: int = OPEN_ANOTHER) -> None:
        """Run ``then`` now if nothing is unsaved; else ask Save / Discard / Cancel without blocking.

        While a save or create is on its way, ``then`` waits for it. Of several ways of leaving asked for
        meanwhile, the weightiest is kept, the latest among equals: a sign-out over a close (which would leave
        the token stored) over opening another contact, and the contact searched last over the one before."""
        uid = self.current_uid()
        if uid is not None and self._being_deleted(uid) and (changes := self.form.changes()):
            # Nothing is asked (the rep chose to delete it, edits and all), but should the deletion fail, the
            # edits were not the rep's to lose: they wait for the contact, as restored work does.
            baseline = self.form.baseline()
            self._kept_while_deleting[uid] = UnsavedEdits(
                uid, self._names.get(uid, uid), changes, {name: baseline[name] for name in changes}
            )
        if not self.has_unsaved_changes():
            then()
            return
        creating = self._mode == "create" and self.service.is_running("create")
        if creating or (self._mode == "view" and self.service.is_running("save")):
            # Already on its way to the server: nothing is left to discard. Move on once it is stored (a new
            # contact then shows, and Recent lists it); if it fails, the form stays, saying why. The first way
            # of leaving asked for is kept: a sign-out must not be traded for a close that leaves the token.
            if self._after_save is None or weight >= self._after_save_weight:
                self._after_save, self._after_save_weight = then, weight
            what = self.tr("Creating the contact first…") if creating else self.tr("Saving the changes first…")
            self.save_waited_for.emit(what)  # said until it is over (a status message lasted 5 s)
            return
        if self._join_leave_question(then, weight):
            return
        box = self._question("unsavedDialog", self.tr("Unsaved changes"), QMessageBox.Icon.Question)
        creating = self._mode == "create"
        savable = self.form.is_valid()  # what Save (or Create) would send passes every check
        current = self.service.current
        who = (current.name or current.email or current.phone) if current is not None and not creating else ""
        if creating:
            text = self.tr("Create this contact before leaving?") if savable else self.tr("Discard this new contact?")
            more = (
                self.tr("If you don't create it, what you typed will be lost.")
                if savable
                else self.tr("It cannot be created yet: fix or fill in the marked fields.")
            )
            if self._unconfirmed_creates:
                more = self.tr(
                    "The first try may have created it (its answer was lost): Create checks for it first. If you "
                    "don't create it, what you typed here will be lost, and the banner's Retry looks the contact up."
                )
        else:
            text = self.tr("Save the changes to {name}?").format(name=who) if who else self.tr("Save the changes?")
            more = (
                self.tr("If you don't save, your changes will be lost.")
                if savable
                else self.tr("They cannot be saved yet: fix the marked fields, or discard them.")
            )
        box.setText(text)
        box.setInformativeText(more)
        buttons = QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        if savable:
            buttons |= QMessageBox.StandardButton.Save
        box.setStandardButtons(buttons)
        if savable:
            box.setDefaultButton(QMessageBox.StandardButton.Save)
            if creating:
                save_button = box.button(QMessageBox.StandardButton.Save)
                save_button.setText(self.tr("Create"))
        else:
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: QAbstractButton) -> None:
            role = box.standardButton(button)
            held = self._leave_question
            leaving, leaving_weight = (held[2], held[1]) if held is not None and held[0] is box else (then, weight)
            self._leave_question_then(box)
            if role == QMessageBox.StandardButton.Save:
                self._after_save, self._after_save_weight = leaving, leaving_weight
                if self._mode == "create":
                    self.submit_create()
                else:
                    self.save()
            elif role == QMessageBox.StandardButton.Discard:
                if self._mode == "create":
                    self.clear()
                else:
                    self.revert()
                leaving()

        self._ask(box, answered)
        self._leave_question = [box, weight, then]

    def focus_note_input(self) -> None:
        if self._mode == "view":
            self.notes.focus_input()
        elif self._mode == "create":
            self.new_note.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_tag_input(self) -> None:
        if self._mode == "view":
            self.tags.focus_input()
        elif self._mode == "create":
            self.new_tags.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def current_uid(self) -> str | None:
        current = self.service.current
        return current.uid if current is not None and self._mode == "view" else None

    def mode(self) -> str:
        return self._mode

    # --- Actions ----------------------------------------------------------------------------------

    def save(self) -> None:
        if self._mode == "create":
            self.submit_create()
            return
        uid = self.current_uid()
        if uid is None or self.form.is_busy() or self._being_deleted(uid):
            return
        self.form.normalise()
        changes = self.form.changes()
        if not changes:
            self._finish_pending_then()
            return
        if not self.form.is_valid():
            self._after_save = None
            self.form.focus_first_invalid()
            self._say_status(self.tr("Fix the marked fields to save."), error=True)
            return
        self.form.set_busy(True)
        self._say_status(self.tr("Saving…"))
        self._update_buttons()
        self.service.save(uid, changes, self.form.baseline())

    def _typed_while_saving(self) -> None:
        """The rep typed into a field locked while the save is on its way: nothing was taken, and that is said
        where the save's progress is, rather than the keys vanishing without a word."""
        if self._mode == "create":
            text = self.tr("Creating… the fields take typing again once it is created.")
        else:
            text = self.tr("Saving… the fields take typing again once it is saved.")
        if self.form_status.text() != text:
            self._say_status(text)
            announce(self.form_status, text)

    def revert(self) -> None:
        """Drop the form's changes; on the new-contact form, leave it (asking first if anything was typed)."""
        uid = self.current_uid()
        if self.form.is_busy() or (uid is not None and self._being_deleted(uid)):
            return  # Ctrl+R on a contact being deleted: its form is greyed out, and stays as it is
        if self._mode == "view":
            values = self.form.values()
            dropped = {name: values[name] for name in self.form.changes()}
            marks = self.form.conflict_marks()
            self.form.revert()
            if dropped:
                uid = self.current_uid()
                maybe = self.service.maybe_saved(uid) if uid is not None else {}
                if any(name in maybe for name in dropped):
                    # The last save's answer was lost, and nothing could tell whether it was done: the form now
                    # shows what was read before it, which the server may no longer hold.
                    self._say_status(self._reverted_maybe_saved())
                else:
                    self._say_status(self.tr("Changes reverted."))
                self._reverted = dropped
                self._reverted_marks = marks
                self.undo_revert_button.show()
            else:
                self.form_status.clear()
        elif self._mode == "create":
            previous = self._before_create
            self.resolve_unsaved(lambda: self._leave_create(previous))

    def undo_revert(self) -> None:
        """Put back the edits the last Revert dropped."""
        dropped, marks = self._reverted, self._reverted_marks
        self._forget_revert()
        if dropped and self._mode == "view" and not self.form.is_busy():
            self.form.fill(dropped)
            self.form.restore_conflict_marks(marks)  # what was at stake is again
            self.form_status.clear()
            self._update_buttons()

    def _forget_revert(self) -> None:
        if self._reverted is None:
            return
        self._reverted = None
        self._reverted_marks = {}
        self.undo_revert_button.hide()
        if self.form_status.text() in (self.tr("Changes reverted."), self._reverted_maybe_saved()):
            self.form_status.clear()

    def _reverted_maybe_saved(self) -> str:
        return self.tr("Reverted here only: the server may hold the lost save. F5 shows what it holds.")

    def _leave_create(self, previous: Contact | None) -> None:
        """Back to the contact shown before the new-contact form, or to the empty view."""
        self._before_create = None
        if self._mode == "create" or self._mode == "empty":
            if previous is not None:
                self.show_contact(previous, read=False)  # held from before: what a lost save stored is not in it
                # What the server stored meanwhile (a note or tag still on its way when the form opened) shows too.
                self.reload()
            else:
                self.clear()

    def reload(self, *, quiet: bool = False) -> None:
        """Read the open contact again (F5); ``quiet``: without saying "Reloaded" (a lookup of the open contact
        reads it again, and the lookup's own outcome is what the rep asked about)."""
        uid = self.current_uid()
        if uid is None:
            return
        # A quiet read replacing an F5 still on its way (a load supersedes the last) answers for that F5 too.
        self._say_reloaded = not quiet or (self._say_reloaded and self.service.is_running("load"))
        if self.service.is_running("save"):
            # The save answers with the contact as stored; a reload answering first would unlock the form
            # while the save is still on its way, and what was typed next would go when the save answers.
            self.status_message.emit(self.tr("Saving: the contact shows as stored once the save is done."))
            return
        if self._being_deleted(uid):
            # Its answer empties the view. A read finding it gone would say "deleted elsewhere", and offer to
            # create it again.
            return
        self.service.load(uid)

    def copy_uid(self) -> None:
        uid = self.current_uid()
        if uid:
            QGuiApplication.clipboard().setText(uid)
            self.status_message.emit(self.tr("Copied {uid}").format(uid=uid))

    def submit_create(self) -> None:
        """Create mode's Save: check the form, look for duplicates, then create."""
        if self._mode != "create" or self.form.is_busy():
            return
        self.form.normalise()  # before the duplicate check, which looks the number up as it is stored
        if not self.form.is_valid():
            self._after_save = None
            self.form.focus_first_invalid()
            # A blank form has nothing marked: say what it needs.
            self._say_create(self._needs_to_create() if self.form.is_blank() else self._fix_to_create())
            return
        try:
            self._create_fields()
        except ContractError as exc:
            self._after_save = None
            self._say_create(user_message(exc))
            return
        values = self.form.values()
        self.form.set_busy(True)
        self._say_status(self.tr("Checking for duplicates…"))
        self._update_buttons()
        # After creates whose answers were lost, what they sent too: the rep may have fixed a typo in the address.
        sent = [str(fields.get(name, "")) for fields in self._unconfirmed_creates for name in ("email", "phone")]
        self.service.check_duplicates(values["email"], values["phone"], also=sent)

    def _fix_to_create(self) -> str:
        return self.tr("Fix the marked fields to create the contact.")

    def _needs_to_create(self) -> str:
        return self.tr("A new contact needs a first or last name, and an email or a phone.")

    def _create_extras_edited(self) -> None:
        """A red line about the tags or the first note goes once they read well again."""
        shown = self.create_message.text()
        if self._mode != "create" or not shown or shown in (self._fix_to_create(), self._needs_to_create()):
            return
        try:
            self._create_fields()
        except ContractError:
            return
        self._say_create("")

    def confirm_delete(self) -> None:
        current = self.service.current
        if self._mode != "view" or current is None or self._being_deleted(current.uid):
            return
        box = self._question("deleteDialog", self.tr("Delete contact"), QMessageBox.Icon.Warning)
        who = current.name or current.email or current.phone or current.uid
        box.setText(self.tr("Delete {name} permanently?").format(name=who))
        box.setInformativeText(self.tr("Their notes and tags go too. This cannot be undone."))
        delete = box.addButton(self.tr("Delete"), QMessageBox.ButtonRole.DestructiveRole)
        # Desktops that put icons on dialog buttons mark Cancel with a red cross: the harmful one gets its own.
        delete.setIcon(icon("contact-delete"))
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        uid = current.uid

        def answered(button: QAbstractButton) -> None:
            if button is delete and self.current_uid() == uid:
                self.service.delete(uid)
                self.status_message.emit(self.tr("Deleting {name}…").format(name=who))
                self._update_mode_widgets()  # nothing more can be done to it: it is going
                self.search_wanted.emit()  # the focus cannot stay on it; the next lookup is typed over the last

        self._ask(box, answered)

    def _being_deleted(self, uid: str) -> bool:
        """Whether the rep's deletion of ``uid`` is on its way: until it answers, the contact shows greyed out. A
        save, a note, a tag or a stage sent meanwhile would find it gone and say it was deleted elsewhere."""
        return self.service.is_running(f"delete:{uid}")

    # --- Showing ----------------------------------------------------------------------------------

    def _show(self, contact: Contact, *, keep_edits: bool) -> None:
        same_contact = contact.uid == self._draft_uid
        if not same_contact:
            self._switch_drafts(contact.uid)
        self._names[contact.uid] = contact.name or contact.email or contact.phone or contact.uid
        self.stack.setCurrentWidget(self.page)
        self.form.phone_region = self._phone_region()
        self.form.set_busy(self.service.is_running("save"))  # a save on its way keeps the form locked
        self.form.load(contact, keep_edits=keep_edits, ours=self.service.maybe_saved(contact.uid))
        if not keep_edits:
            self._forget_revert()
        if not keep_edits and self.form_status.text():  # clear() relayouts the column even when already empty
            self.form_status.clear()
        self._show_header(contact)
        # The same contact again (reloaded, saved): tags and notes still on their way stay on show. Another: those
        # still on their way to it (sent before the rep left it, and now back) show as on their way.
        notes, tags = self.service.sending(contact.uid) if not same_contact else ([], [])
        self.tags.set_tags(contact.tags, keep_pending=same_contact, pending=tags)
        self.notes.set_notes(contact.notes, keep_pending=same_contact, pending=notes)
        self._update_mode_widgets()

    def _say_status(self, text: str, *, error: bool = False) -> None:
        """The line beside Save and Revert: progress and outcomes in the text colour, a failure in red."""
        if error:
            show_inline_error(self.form_status, text)
        else:
            self.form_status.setPalette(self.palette())
            self.form_status.setText(text)

    def _switch_drafts(self, uid: str | None) -> None:
        """Keep the note and tag typed for the contact being left, and bring back those typed for ``uid``."""
        if uid == self._draft_uid:
            return
        self._tags_confirmed = None  # tags announced for the contact left are not announced again on return
        left = self._draft_uid
        typing = left is not None and QApplication.focusWidget() in (self.notes.input, self.tags.input)
        kept = False
        if left is not None and left not in self._deleted:
            note, tag = self.notes.input.toPlainText(), self.tags.input.text()
            if note.strip() or tag.strip():
                self._drafts[left] = (note, tag)
                kept = True
            else:
                self._drafts.pop(left, None)
        if left is not None:
            self._stop_acting_on(left, typing=typing, kept=kept)
        note, tag = self._drafts.pop(uid, ("", "")) if uid is not None else ("", "")
        # Mostly both empty already: setting a text box, even to what it holds, relayouts and repaints it, at
        # every contact switch.
        if self.notes.input.toPlainText() != note:
            self.notes.input.setPlainText(note)
        if self.tags.input.text() != tag:
            self.tags.input.setText(tag)
        self.notes.set_message(self._unsure_note_text() if uid is not None and self._unsure_in(uid, note) else "")
        self.tags.set_message("")
        self._draft_uid = uid
        self._work_changed()

    def _stop_acting_on(self, uid: str, *, typing: bool, kept: bool) -> None:
        """What the rep had under way for the contact ``uid`` ends with it on show. Another contact can come on
        screen without the rep's doing: a phone tool's ``--search`` for an incoming call, or a slow lookup's late
        answer. Keys typed into the note or tag box, a pick in a stage, quality or owner list left open, and a
        Delete in a question naming the contact left, would otherwise all land on the one now shown."""
        name = self._names.get(uid, uid)
        if typing:
            # Out of the boxes, which now hold the new contact's drafts, onto the notes the rep reads: the rest of
            # the sentence typed goes nowhere rather than into another contact's note, which the API cannot take
            # back.
            self.notes.focus_timeline()
            if kept:
                self.status_message.emit(
                    self.tr("What you were typing for {name} is kept for when you open them again.").format(name=name)
                )
        if QApplication.activePopupWidget() is not None:
            # A list left open keeps taking the keys: a pick, or a tag suggestion and Enter, for the next contact.
            for combo in self.combos.values():
                combo.hidePopup()
            self.tags.hide_suggestions()
        box = self.dialog
        if box is not None and shiboken6.isValid(box) and box.objectName() == "deleteDialog" and box.isVisible():
            box.reject()
            self.status_message.emit(
                self.tr("{name} was not deleted: another contact opened while you were asked.").format(name=name)
            )

    def _keep_draft(self, uid: str, *, note: str = "", tag: str = "") -> None:
        """Give a note or tag that failed for a contact no longer open back to that contact's drafts."""
        if uid in self._deleted:
            return
        old_note, old_tag = self._drafts.get(uid, ("", ""))
        if note:
            old_note = note if not old_note.strip() else f"{note}\n\n{old_note}"
        if tag:
            old_tag = with_tag(old_tag, tag)
        self._drafts[uid] = (old_note, old_tag)
        self._work_changed()

    def _show_header(self, contact: Contact) -> None:
        locale = user_locale()
        self.name_label.setText(contact.name or contact.email or contact.phone or contact.uid)
        self.business_label.setText(contact.businessName)
        self.business_label.setVisible(bool(contact.businessName))
        self.uid_label.setText(contact.uid)
        self.created_label.setText(format_moment(contact.created, locale))
        self.created_label.setToolTip(exact_moment(contact.created, locale))
        self._last_update = contact.lastUpdate
        self._show_last_update()
        self._fill_combos(contact)

    def refresh_clocks(self) -> None:
        """Bring the times shown up to date now ("Updated 5 min ago", the notes' "Today", the contact's local time)
        and count their next refresh from now. Their timers run on a clock that stops while the computer sleeps:
        on waking, or after the computer's clock was set, they showed the old times for up to a minute."""
        if self._relative_clock.isActive():  # a contact is shown (see _show_last_update)
            self._minute_passed()
        if self._build_steps.done:
            self.form.refresh_local_time()

    def _minute_passed(self) -> None:
        self._show_last_update()
        if self._build_steps.done:  # the notes' day headings too: a contact left open past midnight
            self.notes.refresh_day()

    def _show_last_update(self) -> None:
        """Recent changes read best as "2 h ago"; the tooltip keeps the exact moment."""
        locale = user_locale()
        self.updated_label.setText(relative_moment(self._last_update, locale))
        self.updated_label.setToolTip(exact_moment(self._last_update, locale))
        if self._mode == "view":  # the notes' day headings follow it too, whether or not the update time is known
            self._relative_clock.start()
        else:
            self._relative_clock.stop()

    def _fill_combos(self, contact: Contact | None) -> None:
        self._filling_combos = True
        try:
            create = contact is None
            picked = {field: self._pending_combo.get((contact.uid, field)) for field in self.combos} if contact else {}
            stage = picked.get("stageName") or (contact.stageName if contact else "")
            quality = picked.get("qualityName") or (contact.qualityName if contact else "")
            owner = picked.get("ownerEmail") or (contact.ownerEmail if contact else "")
            self._fill(self.stage_combo, [(s, s) for s in self.registry.stages()], stage, self.tr("No stage"), create)
            self._fill(self.quality_combo, [(q, q) for q in self.registry.qualities()], quality,
                       self.tr("No quality"), create)  # fmt: skip
            owners = [(self._owner_text(email, name), email) for email, name in self.registry.members().items()]
            self._fill(self.owner_combo, owners, owner, self.tr("No owner"), create)
        finally:
            self._filling_combos = False

    def _owner_text(self, email: str, name: str) -> str:
        return f"{name} — {email}" if name else email

    def _fill(
        self, combo: QComboBox, items: list[tuple[str, str]], current: str, none_text: str, allow_none: bool
    ) -> None:
        known = {data.casefold() for _, data in items}
        if current and current.casefold() not in known:
            name = self.registry.member_name(current) if combo is self.owner_combo else ""
            items = [*items, (self._owner_text(current, name) if combo is self.owner_combo else current, current)]
        if allow_none or not current:
            items = [(none_text, ""), *items]
        combo.blockSignals(True)
        # The lists rarely change between contacts: refilling an unchanged one would only relayout and repaint it.
        if [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] != items:
            combo.clear()
            for text, data in items:
                combo.addItem(text, data)
        index = next((i for i, (_, data) in enumerate(items) if data.casefold() == current.casefold()), 0)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)

    def _refresh_registry(self) -> None:
        self.tags.set_known_tags(self.registry.tags())
        self.form.phone_region = self._phone_region()  # a region chosen in Settings counts from the next number
        self.form.value_edit.set_currency(self.registry.currency())
        self.notes.set_account_zone(time_zone(self.registry.account_time_zone()))
        if self._mode == "view" and self.service.current is not None:
            self._fill_combos(self.service.current)
        elif self._mode == "create":
            chosen = {name: str(combo.currentData() or "") for name, combo in self.combos.items()}
            self._fill_combos(None)
            for name, combo in self.combos.items():
                index = combo.findData(chosen[name])
                if index >= 0:
                    combo.setCurrentIndex(index)

    def _update_mode_widgets(self) -> None:
        viewing = self._mode == "view"
        for widget in self._create_only:
            widget.setVisible(self._mode == "create")
        self.create_message.setVisible(self._mode == "create" and bool(self.create_message.text()))
        self.form.set_extra_rows_visible(self._mode == "create")
        for widget in self._time_widgets:
            widget.setVisible(viewing)
        if not viewing:
            self._relative_clock.stop()
        self.side.setVisible(viewing)
        for widget in (self.copy_button, self.reload_button, self.delete_button, self.uid_caption, self.uid_label):
            widget.setVisible(viewing)
        creating = self._mode == "create"
        self.save_button.setText(self.tr("Create") if creating else self.tr("Save"))
        self.revert_button.setText(self.tr("Cancel") if creating else self.tr("Revert"))
        self.revert_button.setToolTip(
            self.tr("Leave the new contact ({0})").format(shortcuts.REVERT.label())
            if creating
            else shortcuts.REVERT.label()
        )
        self.revert_button.setVisible(viewing or creating)
        uid = self.current_uid()
        deleting = uid is not None and self._being_deleted(uid)
        if self.page.isEnabled() == deleting:
            self.page.setEnabled(not deleting)
        self._update_buttons()
        if self._body_arranged:  # the form's rows and the side column changed with the mode: share out again
            self._arrange_body()
        self._work_changed()

    def _update_buttons(self) -> None:
        busy = self.form.is_busy()
        valid = self.form.is_valid()
        if self._mode == "create":
            self.save_button.setEnabled(not busy and valid)
            self.revert_button.setEnabled(not busy)
            # While Create is off for want of a name or an email or phone, say so (a red message stays put).
            needs = self._needs_to_create()
            values = {name: text.strip() for name, text in self.form.values().items()}
            lacking = not (values["firstName"] or values["lastName"]) or not (values["email"] or values["phone"])
            wanted = needs if lacking else ""
            shown = self.create_message.text()
            if shown == self._fix_to_create() and valid:
                self._say_create("")  # the marked fields are fixed: the red line has had its say
                shown = ""
            if shown in ("", needs) and shown != wanted:
                self._say_create(wanted, hint=True)
        else:
            dirty = self.form.is_dirty()
            self.save_button.setEnabled(not busy and dirty and valid)
            self.revert_button.setEnabled(not busy and dirty)
            if dirty and self.form_status.text() in (self.tr("Saved"), self.tr("Created")):
                self.form_status.clear()  # told of the last save; beside new edits it would read as theirs
            if dirty and self._reverted is not None:
                self._forget_revert()  # new edits: Undo would now mix the two
        # A greyed-out Save says why when it is the marked fields that keep it so.
        marked = not valid and not self.form.is_blank()
        tip = self.tr("Fix the marked fields to save") if marked else shortcuts.SAVE.label()
        if self.save_button.toolTip() != tip:
            self.save_button.setToolTip(tip)

    def _popup(self, field: str) -> None:
        combo = self.combos[field]
        if not combo.isVisible() or not combo.isEnabled():
            return  # no contact open: the focus would go where nothing shows, and the rep's typing with it
        combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        combo.showPopup()

    def _phone_region(self) -> str:
        return phone_region(self.registry.phone_region())

    # --- Header dropdowns -------------------------------------------------------------------------

    def _combo_changed(self, field: str) -> None:
        if self._filling_combos or self._mode != "view":
            return
        current = self.service.current
        if current is None:
            return
        value = str(self.combos[field].currentData() or "")
        # A pick on its way counts: picking the stored stage back must be sent, or the first pick lands after all.
        previous = self._pending_combo.get((current.uid, field), getattr(current, field))
        if not value or value.casefold() == previous.casefold():
            if not value:
                self._revert_combo(field)  # the API cannot clear these; only a real value can be set
            return
        if (current.uid, field) in self._pending_combo:
            # This pick cancels the one on its way, which may have reached the server all the same: if this one
            # fails, the stored value is not known, and the contact is read again (see _on_field_failed).
            self._superseded_picks.add((current.uid, field))
        self._pending_combo[(current.uid, field)] = value
        setter = {"stageName": self.service.set_stage, "qualityName": self.service.set_quality,
                  "ownerEmail": self.service.set_owner}[field]  # fmt: skip
        setter(value)

    def _revert_combo(self, field: str) -> None:
        current = self.service.current
        if current is not None:
            self._filling_combos = True
            try:
                combo = self.combos[field]
                previous = getattr(current, field)
                index = next(
                    (i for i in range(combo.count()) if str(combo.itemData(i)).casefold() == previous.casefold()), 0
                )
                combo.setCurrentIndex(index)
            finally:
                self._filling_combos = False

    def _field_label(self, field: str) -> str:
        return {"stageName": self.tr("Stage"), "qualityName": self.tr("Quality"), "ownerEmail": self.tr("Owner")}[field]

    def _on_field_changed(self, uid: str, field: str, value: str) -> None:
        what = self._field_label(field)
        if self._pending_combo.get((uid, field), "").casefold() == value.casefold():  # none picked since
            del self._pending_combo[(uid, field)]
            self._superseded_picks.discard((uid, field))
        if uid != self.current_uid():
            name = self._names.get(uid, uid)
            self.status_message.emit(
                self.tr("{what} of {name} set to {value}").format(what=what, name=name, value=value)
            )
            return
        if self.service.current is not None:
            self._fill_combos(self.service.current)
        self.status_message.emit(self.tr("{what} set to {value}").format(what=what, value=value))

    def _on_field_failed(self, uid: str, field: str, value: str, error: object) -> None:
        self._unasked_failures += 1
        what = self._field_label(field)
        # A retry that found the contact gone tells more than the lost answer before it: it was deleted.
        may_have = getattr(error, "may_have_happened", False) and not isinstance(error, NotFoundError)
        superseded = False
        if self._pending_combo.get((uid, field), "").casefold() == value.casefold():
            del self._pending_combo[(uid, field)]
            superseded = (uid, field) in self._superseded_picks
            self._superseded_picks.discard((uid, field))
        if uid != self.current_uid():
            name = self._names.get(uid, uid)
            if may_have:
                context = self.tr("{what} of {name} may have been set to {value}: the answer was lost.").format(
                    what=what, name=name, value=value
                )
                self.error_raised.emit(error, self._read_again(uid), context)
                return
            context = self.tr("{what} of {name} not changed to {value}.").format(what=what, name=name, value=value)
            self.error_raised.emit(error, None, context)
            return
        self._revert_combo(field)
        if may_have:
            # The server may hold the new value: shown as last known, with Retry to read the contact again. Not
            # read again by itself: on a connection that loses answers, that read's own failure would replace
            # this message.
            context = self.tr("{what} may have been set to {value}: the answer was lost.").format(
                what=what, value=value
            )
            self.error_raised.emit(error, self.reload, context)
            return
        if isinstance(error, NotFoundError):
            self._gone(uid, self.tr("{name} was deleted elsewhere."))
            return
        self.error_raised.emit(error, None, self.tr("{what} not changed to {value}.").format(what=what, value=value))
        if superseded:
            # The pick this one replaced may have been stored before it was called off: what the server holds is
            # not known, so it is read again rather than the dropdown showing a stage the server may not have.
            self.reload()

    # --- Tags and notes ---------------------------------------------------------------------------

    def _tag_requested(self, tag: str) -> None:
        if self.current_uid() is None:
            self.tags.fail(tag)
            return
        self.service.add_tag(tag)

    def _on_tag_added(self, tag: str, contact: Contact) -> None:
        if contact.uid != self.current_uid():
            name = self._names.get(contact.uid, contact.uid)
            self.status_message.emit(self.tr("Tag “{tag}” added to {name}").format(tag=tag, name=name))
            return
        # The chip takes the account's spelling ("hot lead" typed, "Hot Lead" stored), as a reload would show.
        tag = next((name for name in contact.tags if name.casefold() == tag.casefold()), tag)
        self.tags.confirm(tag, tag)
        batch = self._tags_confirmed
        if batch is None or batch[0] != contact.uid:
            batch = self._tags_confirmed = (contact.uid, [])
        batch[1].append(tag)
        if not self.tags.pending_tags():
            self._tags_confirmed = None
        # Named in the order the chips show (as typed): the answers to tags sent together come in any order.
        shown = [name.casefold() for name in self.tags.tag_names()]
        tags = sorted(batch[1], key=lambda name: shown.index(name.casefold()) if name.casefold() in shown else 0)
        if len(tags) == 1:
            self.status_message.emit(self.tr("Tag “{tag}” added").format(tag=tag))
        else:
            listed = self.tr("{some} and “{last}”").format(
                some=self.tr(", ").join(f"“{name}”" for name in tags[:-1]), last=tags[-1]
            )
            self.status_message.emit(self.tr("Tags {tags} added").format(tags=listed))

    def _on_tag_failed(self, uid: str, tag: str, error: object) -> None:
        if uid != self.current_uid():
            self._keep_draft(uid, tag=tag)
            name = self._names.get(uid, uid)
            if getattr(error, "may_have_happened", False):
                context = self.tr(
                    "Tag “{tag}” may have been added to {name}: its answer was lost. It is back in their tag box; "
                    "adding it again does no harm."
                ).format(tag=tag, name=name)
            else:
                context = self.tr("Tag “{tag}” not added to {name}: it is back in their tag box.").format(
                    tag=tag, name=name
                )
            self.error_raised.emit(error, None, context)
            return
        self.tags.fail(tag)
        if not self.tags.pending_tags():
            self._tags_confirmed = None
        if isinstance(error, NotFoundError):
            self._gone(uid, self.tr("{name} was deleted elsewhere."))
            return
        if getattr(error, "may_have_happened", False):
            context = self.tr(
                "Tag “{tag}” may have been added: its answer was lost. It is back in the tag box; adding it again "
                "does no harm."
            ).format(tag=tag)
            self.error_raised.emit(error, None, context)
            return
        self.error_raised.emit(error, None, self.tr("Tag “{tag}” not added.").format(tag=tag))

    def _note_requested(self, text: str) -> None:
        if self.current_uid() is None:
            self.notes.fail(text)
            return
        self.service.add_note(text)

    def _on_note_added(self, contact: Contact, text: str) -> None:
        self._unsure_notes.pop(contact.uid, None)  # what the box held was looked at, and a note added since
        if contact.uid != self.current_uid():
            name = self._names.get(contact.uid, contact.uid)
            self.status_message.emit(self.tr("Note added to {name}").format(name=name))
            return
        # Other notes and tags still on their way stay on show until their own answers. This one is stored,
        # whether or not its text reads back exactly as sent.
        self.notes.confirm(text)
        self.notes.set_notes(contact.notes, keep_pending=True)
        self.tags.set_tags(contact.tags, keep_pending=True)
        self._last_update = contact.lastUpdate
        self._show_last_update()
        self.status_message.emit(self.tr("Note added"))

    def _on_note_failed(self, uid: str, text: str, error: object) -> None:
        if uid != self.current_uid():
            self._keep_draft(uid, note=text)
            name = self._names.get(uid, uid)
            if getattr(error, "may_have_happened", False):
                self._unsure_notes.setdefault(uid, []).append(text)
                context = self.tr(
                    "The note for {name} may have been added: its answer was lost. It is back in their note box; "
                    "open them to see whether it is stored before sending it again."
                ).format(name=name)
                self.error_raised.emit(error, self._read_again(uid), context)
                return
            context = self.tr("The note for {name} was not added: it is back in their note box.").format(name=name)
            self.error_raised.emit(error, None, context)
            return
        self.notes.fail(text)
        if getattr(error, "may_have_happened", False):
            self._unsure_notes.setdefault(uid, []).append(text)
            self.notes.set_message(self._unsure_note_text())
            # The answer was lost and the contact could not be read to look. Sending it again may keep it twice
            # (notes cannot be removed), so the rep reloads first; the text waits in the box.
            context = self.tr(
                "The note may have been added: its answer was lost. It is back in the note box; reload to see "
                "whether it is stored before sending it again."
            )
            self.error_raised.emit(error, self.reload, context)
            return
        if isinstance(error, NotFoundError):
            self._gone(uid, self.tr("{name} was deleted elsewhere."))
            return
        self.error_raised.emit(error, None, self.tr("Note not added: it is back in the note box."))

    def _on_note_unread(self, uid: str, error: object) -> None:
        context = self.tr("The note was added to {name}, but the contact could not be read again.").format(
            name=self._names.get(uid, uid)
        )
        self.error_raised.emit(error, self._read_again(uid), context)

    def _read_again(self, uid: str) -> Callable[[], None]:
        """An action that reads the contact ``uid`` again: reloads it if it is open, else opens it."""

        def read_again() -> None:
            if self.current_uid() == uid:
                self.reload()
            else:
                self.open_requested.emit(uid)

        return read_again

    # --- Service answers --------------------------------------------------------------------------

    def _on_loaded(self, contact: Contact) -> None:
        if self._mode == "view" and contact.uid == self.current_uid():
            self._show(contact, keep_edits=True)
            if contact.uid in self.waiting_restore():
                self._apply_restored(contact)
            if self.form_status.text() == self._reverted_maybe_saved():
                # The form shows what the server holds now, lost save or not: "may hold" no longer stands. The
                # revert does, and its Undo.
                self._say_status(self.tr("Changes reverted."))
            if self._say_reloaded:
                self.status_message.emit(self.tr("Reloaded"))
            self._say_reloaded = True
            if self.form.conflicts():
                text = self.tr("The marked fields you are editing were changed elsewhere.")
                self._say_status(text, error=True)
                announce(self.form_status, text, urgent=True)

    def _on_load_failed(self, error: object) -> None:
        uid = self.current_uid()
        if isinstance(error, NotFoundError) and uid is not None and self._mode == "view":
            self._gone(uid, self.tr("{name} was deleted elsewhere."))
            return
        self.error_raised.emit(error, self.reload, self.tr("Not reloaded."))

    def _gone(self, uid: str, status: str) -> None:
        """The open contact was deleted by someone else: nothing sent about it can work any more. Say so, keep
        the form as typed, and let the window offer to create it anew from it."""
        name = self._names.get(uid, uid)
        self._deleted.add(uid)
        self._say_status(status.format(name=name), error=True)
        self._update_buttons()
        self.deleted_elsewhere.emit(uid, name)

    def _on_read_back_failed(self, uid: str, error: object) -> None:
        context = self.tr("{name} was created, but could not be read back.").format(name=self._names.get(uid, uid))
        self.error_raised.emit(error, self._read_again(uid), context)

    def _withdraw_save_error(self) -> None:
        """The server has answered a save since one failed: the banner's "Not saved" and its Retry are old news."""
        if self._save_retry is not None:
            self.error_withdrawn.emit(self._save_retry)
            self._save_retry = None

    def _raise_save_error(self, error: object, uid: str | None, context: str) -> None:
        self._save_retry = lambda: self._retry_save(uid)
        self.error_raised.emit(error, self._save_retry, context)

    def _on_saved(self, contact: Contact) -> None:
        self._withdraw_save_error()
        if self._mode != "view" or contact.uid != self.current_uid():
            return
        self._show(contact, keep_edits=False)
        self._say_status(self.tr("Saved"))
        self.status_message.emit(self.tr("Saved {name}").format(name=contact.name or contact.uid))
        self._finish_pending_then()

    def _on_save_conflicted(self, contact: Contact) -> None:
        """Nothing was saved: someone else changed a field the rep changed. The form now starts from what is
        stored, the rep's edits kept and the fields at stake marked with their new values; Save again replaces
        them."""
        self._after_save = None  # whatever waited for this save (another contact, a close) waits for the rep
        self.form.set_busy(False)
        self._withdraw_save_error()  # the form's status says what stands now
        if self._mode != "view" or contact.uid != self.current_uid():
            return
        self._show(contact, keep_edits=True)
        text = self.tr(
            "Not saved: the marked fields were changed elsewhere since you opened them. Save again to keep yours."
        )
        self._say_status(text, error=True)
        announce(self.form_status, text, urgent=True)  # focus goes to the field; its description says the rest
        self.form.focus_first_conflict()
        self._update_buttons()

    def _on_save_failed(self, error: object) -> None:
        # Keep every edit; say why at the field when the server named one, else in the banner.
        self._after_save = None
        self.form.set_busy(False)
        self._withdraw_save_error()  # this failure's own reason replaces the last one's
        uid = self.current_uid()
        if getattr(error, "may_have_happened", False):
            # Sent, and the answer lost: the server may well have stored it. The edits stay, and saving them
            # again sends the same values, which does no harm.
            self._raise_save_error(error, uid, self.tr("The changes may have been saved: the answer was lost."))
            self._say_status(self.tr("Not confirmed: {reason}").format(reason=user_message(str(error))), error=True)
            self._update_buttons()
            return
        if isinstance(error, NotFoundError) and uid is not None:
            self._gone(uid, self.tr("Not saved: {name} was deleted elsewhere."))
            return
        field = getattr(error, "field", None) if isinstance(error, ValidationError | ContractError) else None
        reason = getattr(error, "error", None) or str(error)
        if field == "name":
            field = "firstName"
        if field in FORM_FIELDS:
            current = self.service.current
            if current is not None and current.uid == uid and self._mode == "view":
                # As stored now (read just before the save): a refusal such as "provide an email or a phone" may
                # come from a colleague's change to a field the rep did not touch, which the form then shows.
                self._show(current, keep_edits=True)
            self.form.set_server_message(field, user_message(str(reason)))
            self.form.focus_first_invalid()
        else:
            self._raise_save_error(error, self.current_uid(), self.tr("Not saved."))
        self._say_status(self.tr("Not saved: {reason}").format(reason=user_message(str(reason))), error=True)
        self._update_buttons()

    def _on_duplicates(self, found: list[ContactSummary]) -> None:
        if self._mode != "create":
            return
        if not found:
            self._send_create()
            return
        self._say_status("")
        box = self._question("duplicateDialog", self.tr("Possible duplicate"), QMessageBox.Icon.Question)
        lost = next(((summary, sent) for summary in found if (sent := self._lost_create_of(summary))), None)
        ours = lost[0] if lost is not None else None
        first = ours or found[0]
        who = first.name or first.email or first.phone
        if ours is not None:
            box.setText(
                self.tr("{name} ({uid}) may be the contact you just created: the answer to that was lost.").format(
                    name=who, uid=first.uid
                )
            )
        elif len(found) == 1:
            box.setText(self.tr("{name} ({uid}) already uses this email or phone.").format(name=who, uid=first.uid))
        else:
            box.setText(self.tr("{count} contacts already use this email or phone.").format(count=len(found)))
        box.setInformativeText(self.tr("Open the existing contact, or create a new one anyway?"))
        open_button = box.addButton(self.tr("Open existing"), QMessageBox.ButtonRole.AcceptRole)
        create_button = box.addButton(self.tr("Create anyway"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(open_button)

        def answered(button: QAbstractButton) -> None:
            if button is create_button:
                # Created beside these: they are not what a lost create made (those stay known as such).
                self._created_anyway.update(summary.uid for summary in found if not self._lost_create_of(summary))
                self._send_create()
                return
            self.form.set_busy(False)
            self._update_buttons()
            if button is open_button:
                then = self._after_save
                self._after_save = None
                # The form is abandoned on purpose: the rep chose the existing contact instead. A first note and
                # tags typed for it are not: they wait in that contact's note and tag boxes.
                note, tags = self.new_note.toPlainText().strip(), self.new_tags.text().strip()
                if lost is not None:
                    # Made by a create whose answer was lost: what that sent is stored there already, and a note
                    # added again could not be taken back.
                    note, tags = _not_sent_before(lost[1], note, tags)
                    self._unconfirmed_creates.clear()
                if note or tags:
                    self._keep_draft(first.uid, note=note, tag=tags)
                self.clear()
                self.open_requested.emit(first.uid)
                if then is not None:
                    then()
            else:
                self._after_save = None

        self._ask(box, answered)

    def _create_fields(self) -> dict[str, object]:
        values = {name: text.strip() for name, text in self.form.values().items() if text.strip()}
        fields: dict[str, object] = dict(values)
        tags = validate_tags(tag_names(self.new_tags.text()))
        if tags:
            fields["tags"] = list(tags)
        note = self.new_note.toPlainText()
        if note.strip():
            fields["note"] = check_note_reads_back(validate_note(note))
        for name, combo in self.combos.items():
            data = str(combo.currentData() or "")
            if data:
                fields[name] = data
        return fields

    def _send_create(self) -> None:
        self._say_status(self.tr("Creating…"))
        self._create_sent = self._create_fields()
        self.service.create(self._create_sent)

    def _lost_create_of(self, found: ContactSummary) -> dict[str, object] | None:
        """The fields of the create whose answer was lost that made ``found``: its name, email and phone, each as
        sent; never a contact the rep chose to create beside (an older namesake sharing the number)."""
        if found.uid in self._created_anyway:
            return None
        for sent in self._unconfirmed_creates:
            name = full_name(str(sent.get("firstName", "")), str(sent.get("lastName", "")))
            if (
                found.name.casefold() == name.casefold()
                and found.email.casefold() == str(sent.get("email", "")).casefold()
                and phone_digits(found.phone) == phone_digits(str(sent.get("phone", "")))
            ):
                return sent
        return None

    def _on_created(self, contact: Contact) -> None:
        self._unconfirmed_creates.clear()
        self.show_contact(contact)
        self._say_status(self.tr("Created"))
        self.contact_created.emit(contact)
        self.status_message.emit(self.tr("Created {name}").format(name=contact.name or contact.uid))
        self._finish_pending_then()

    def _on_create_failed(self, error: object) -> None:
        self._after_save = None
        self.form.set_busy(False)
        field = getattr(error, "field", None) if isinstance(error, ValidationError | ContractError) else None
        reason = user_message(str(getattr(error, "error", None) or error))
        if field == "name":
            field = "firstName"
        if getattr(error, "may_have_happened", False):
            # Sent, and the answer lost: it may exist now. Retry checks for duplicates first, which finds it.
            sent = self._create_sent
            self._unconfirmed_creates.append(sent)
            context = self.tr(
                "The contact may have been created: its answer was lost. Creating again checks for it first."
            )
            # Kept when the form goes (Retry then looks it up): that it may exist is still true.
            self.error_raised.emit(error, lambda: self._retry_lost_create(sent), context)
            self._say_status(self.tr("Not confirmed: {reason}").format(reason=reason), error=True)
            self._update_buttons()
            return
        if field in FORM_FIELDS:
            self.form.set_server_message(field, reason)
        else:
            self._create_retry = self._retry_create
            self.error_raised.emit(error, self._create_retry, self.tr("Not created."))
        self._say_status(self.tr("Not created: {reason}").format(reason=reason), error=True)
        self._update_buttons()

    def _on_deleted(self, uid: str, already: bool) -> None:
        name = self._names.get(uid, uid)
        if self._before_create is not None and self._before_create.uid == uid:
            self._before_create = None  # leaving the new-contact form must not go back to it
        # The contact on show (the service has let it go already), unless the rep opened another meanwhile.
        if self._mode == "view" and self._draft_uid == uid:
            self.clear()
        self._drafts.pop(uid, None)  # nothing typed for a deleted contact can be added any more
        self._kept_while_deleting.pop(uid, None)
        self._deleted.add(uid)
        self.contact_deleted.emit(uid)
        if already:
            self.status_message.emit(self.tr("{name} had already been deleted elsewhere.").format(name=name))
        else:
            self.status_message.emit(self.tr("Deleted {name}").format(name=name))

    @property
    def _after_save(self) -> Callable[[], None] | None:
        """What waits for the save or create on its way (opening another contact, a close, a sign-out)."""
        return self._then_after_save

    @_after_save.setter
    def _after_save(self, then: Callable[[], None] | None) -> None:
        waited = self._then_after_save is not None
        self._then_after_save = then
        if waited and then is None:
            self.save_wait_ended.emit(self._after_save_weight)

    def _join_leave_question(self, then: Callable[[], None], weight: int) -> bool:
        """A leave asked for while another's question is open joins it rather than asking again: the weightiest
        (a sign-out over a close over opening another contact; the latest among equals) goes on its answer."""
        held = self._leave_question
        if held is None or not shiboken6.isValid(held[0]) or not held[0].isVisible():
            self._leave_question = None
            return False
        if weight >= held[1]:
            held[1], held[2] = weight, then
        return True

    def _leave_question_then(self, box: QMessageBox) -> Callable[[], None]:
        """The leave ``box`` answers for now (it may have been joined by a weightier one), the question over."""
        held = self._leave_question
        self._leave_question = None
        if held is not None and held[0] is box:
            return held[2]
        return lambda: None

    def call_off_close(self) -> None:
        """A later start wants the window: a close that waits here (for the save on its way, or on the rep's answer
        to its question) is called off; the question's answer then only saves or discards."""
        if self._after_save is not None and self._after_save_weight == LEAVE_WINDOW:
            self._after_save = None
        held = self._leave_question
        if held is not None and held[1] == LEAVE_WINDOW:
            if held[0].objectName() == "draftsDialog" and shiboken6.isValid(held[0]):
                # Its only answer is to give the typed notes and tags up for leaving: with nothing leaving, it goes.
                self._leave_question = None
                held[0].reject()
            else:
                held[1], held[2] = OPEN_ANOTHER, lambda: None

    def sign_out_under_way(self) -> bool:
        """Whether a sign-out waits for the save on its way (the rep's answer chose it; only the save stands
        between)."""
        return self._after_save is not None and self._after_save_weight == SIGN_OUT

    def leave_in_question(self) -> int | None:
        """The weight of a way of leaving (OPEN_ANOTHER, LEAVE_WINDOW, SIGN_OUT) that waits on the rep's answer to
        its question (Save, Discard or Cancel; notes not added) or on the save that answer started; None if none."""
        if self._after_save is not None:
            return self._after_save_weight
        held = self._leave_question
        if held is not None:
            if shiboken6.isValid(held[0]) and held[0].isVisible():
                return int(held[1])
            self._leave_question = None
        return None

    def unasked_failures(self) -> int:
        """How many deletions and stage, quality or owner changes have failed so far: unlike a note or a tag, which
        go back to their boxes and are asked about when leaving, nothing of them is left to ask about, so a close
        that waited for them must not go as if they had been made."""
        return self._unasked_failures

    def _on_delete_failed(self, uid: str, error: object) -> None:
        self._unasked_failures += 1
        kept = self._kept_while_deleting.pop(uid, None)
        if kept is not None:
            self.restore_work(UnsavedWork(edits=(kept,)), open_contact=False)
            if uid != self.current_uid():
                self.status_message.emit(
                    self.tr("Your unsaved changes to {name} are kept: open them again to see them.").format(
                        name=kept.name
                    )
                )
        if uid == self.current_uid():
            self._update_mode_widgets()  # it stays, and can be worked on again
            self.error_raised.emit(error, None, self.tr("Not deleted."))
        else:
            name = self._names.get(uid, uid)
            self.error_raised.emit(error, None, self.tr("{name} was not deleted.").format(name=name))

    def _retry_save(self, uid: str | None) -> None:
        # The banner's Retry: the same contact's edits, still in the form, sent again; reverted since, the contact
        # is read instead, to show whether the server holds the save whose answer was lost.
        if uid is None or uid != self.current_uid():
            return
        if self.form.is_dirty():
            self.save()
        else:
            self.reload()

    def _retry_create(self) -> None:
        if self._mode == "create":
            self.submit_create()

    def _retry_lost_create(self, sent: dict[str, object]) -> None:
        """Retry after a create whose answer was lost: on its form, create again (the duplicate check finds the
        contact if it was made); with the form gone, look it up by what was sent."""
        if self._mode == "create" and any(fields is sent for fields in self._unconfirmed_creates):
            self.submit_create()
            return
        query = str(sent.get("email") or sent.get("phone") or "")
        if query:
            self.lookup_requested.emit(query)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            # Icons are tinted with the palette's text colour when made; a light/dark switch needs new ones.
            for button in self.findChildren(QAbstractButton):
                name = button.property("iconName")
                if isinstance(name, str):
                    button.setIcon(icon(name))
            if self.empty_examples is not None:
                # A label keeps its links in the colour they were laid out in: dark blue on a dark window.
                text = self.empty_examples.text()
                self.empty_examples.clear()
                self.empty_examples.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.splitter and kind == QEvent.Type.Resize:
            self._arrange_body()  # before the splitter shares out its new size
        elif (
            kind == QEvent.Type.LayoutRequest
            and self._body_arranged
            and self.splitter.orientation() == Qt.Orientation.Vertical
            and watched in (self.form_column, self.side)
        ):
            self._rearrange_soon.start()
        if watched is self.side and kind in (QEvent.Type.LayoutRequest, QEvent.Type.Resize):
            self._fit_tags_soon.start()  # tags added or taken, or the column resized
        return super().eventFilter(watched, event)

    def _fit_tags(self) -> None:
        """Give the tag chips the height the notes leave unused, so that many tags need no scrolling while the
        column has room; the notes keep what they need, and the chips at least their four rows."""
        if not self.tags.overflows():
            self.tags.set_room(0)
            return
        # The notes give up what they leave unused, but never go below their own least height.
        spare = min(self.notes.spare_height(), self.notes.height() - self.notes.minimumSizeHint().height())
        self.tags.set_room(self.tags.chips_height() + spare)

    def _arrange_body(self) -> None:
        """The tags and notes beside the form when both fit, under it otherwise: the form never scrolls sideways.

        Side by side takes the form's natural width plus the notes' minimum, ~850 px of contact view. A window on
        a 1024-px screen, or on half of a 1920-px one, has less; there the form takes the full width with the tags
        and notes under it. Neither arrangement sets a minimum width, so the window can always be narrowed from
        one into the other. Side by side, the form gets three fifths at first, or the share the user dragged it
        to, and never less than its natural width. Stacked, each resize gives the form its natural height and the
        tags and notes the rest, at least their minimum: a window shorter than both scrolls the body as a whole
        (``body_scroll``), so the form is never a sliver scrolling on its own. A drag of the handle lasts until
        the next resize.
        """
        splitter, scroll, form = self.splitter, self.form_scroll, self.form_column
        frame = 2 * scroll.frameWidth()
        # The form's natural width side by side, whichever arrangement its margins are set for now: judged with
        # the margins it has, the width needed would change with the switch itself, and a window within those
        # pixels of it would switch back and forth at every resize.
        margins = self._form_column_layout.contentsMargins()
        natural = form.sizeHint().width() - margins.left() - margins.right() + _BODY_GAP
        form_width = natural + frame + scroll.verticalScrollBar().sizeHint().width()
        width, height, handle = splitter.width(), splitter.height(), splitter.handleWidth()
        # A new contact has no notes column: its minimum counted, the form capped at 760 px would not fit beside
        # it, stacking would lift the cap, and the two arrangements would take turns at every layout pass.
        side_least = 0 if self.side.isHidden() else self.side.minimumWidth()
        beside = width >= form_width + handle + side_least
        orientation = Qt.Orientation.Horizontal if beside else Qt.Orientation.Vertical
        switched = orientation != splitter.orientation() or not self._body_arranged
        if switched:
            self._body_arranged = True
            splitter.setOrientation(orientation)
            # Stacked, the form always has its natural height: a scroll bar of its own would only sit beside the
            # body's.
            scroll.setVerticalScrollBarPolicy(
                Qt.ScrollBarPolicy.ScrollBarAsNeeded if beside else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            )
            # Keep the gap between the form and the notes on the handle's side, whichever that is.
            if beside:
                self._form_column_layout.setContentsMargins(0, 0, _BODY_GAP, 0)
                self._side_layout.setContentsMargins(_BODY_GAP, 0, 0, 0)
            else:
                self._form_column_layout.setContentsMargins(0, 0, 0, _BODY_GAP // 2)
                self._side_layout.setContentsMargins(0, _BODY_GAP // 2, 0, 0)
        # Stacked, the form keeps at least its minimum width, so the narrowest window never squeezes or scrolls it
        # sideways. Side by side the arrangement gives it its natural width; a minimum there would stop the window
        # from narrowing into the stacked arrangement.
        least = 0 if beside else form.minimumSizeHint().width() + frame + scroll.verticalScrollBar().sizeHint().width()
        if scroll.minimumWidth() != least:
            scroll.setMinimumWidth(least)
        # The body's scroll area does not pass its content's minimum width on (it would scroll sideways instead,
        # and that is switched off): it takes the same minimum, plus its own scroll bar, up to the window.
        body = self.body_scroll
        body_least = 0 if beside else least + body.verticalScrollBar().sizeHint().width()
        if body.minimumWidth() != body_least:
            body.setMinimumWidth(body_least)
        if beside:
            # The form's share, as the user last dragged it, but never less than the form's natural width.
            available = width - handle
            share = round(available * self._form_share)
            if not self._form_share_dragged:
                share = min(share, max(_FORM_WIDEST, form_width))
            first = min(max(share, form_width), available - side_least)
            total = width
            tallest = 0
            # A new contact has no side column: the form alone would stretch over a full-HD screen.
            widest = max(_FORM_WIDEST, form_width) if self.side.isHidden() else _NO_LIMIT
            if scroll.maximumWidth() != widest:
                scroll.setMaximumWidth(widest)
            # The splitter too: QSplitter takes its maximum from its children only when one is shown or hidden, and
            # a form narrower than the splitter would sit centred in it, not under the title.
            if splitter.maximumWidth() != widest:
                splitter.setMaximumWidth(widest)
        else:
            # The form at its natural height, the tags and notes under it with the rest (at least their own
            # share): when the window is shorter, the body scroll area scrolls the two together.
            first = form.sizeHint().height() + frame
            total = height
            side = 0 if self.side.isHidden() else max(self.side.minimumSizeHint().height(), _STACKED_SIDE_HEIGHT)
            tallest = first + handle + side  # the side is hidden in create mode
            for widget in (scroll, splitter):
                if widget.maximumWidth() != _NO_LIMIT:
                    widget.setMaximumWidth(_NO_LIMIT)
        if splitter.minimumHeight() != tallest:
            splitter.setMinimumHeight(tallest)
        if switched or first != splitter.sizes()[0]:
            splitter.setSizes([first, total - first - handle])

    def _keep_focus_in_view(self, _old: QWidget | None, new: QWidget | None) -> None:
        # QScrollArea scrolls to a child that Tab reaches inside it, but not to one that gets focus from outside
        # (Ctrl+J, or Tab from the header): the note box could take focus half under the window's edge.
        body = self.body_scroll
        content = body.widget()
        if new is not None and content is not None and body.verticalScrollBar().maximum() > 0:
            if content.isAncestorOf(new):
                # After the turn's layout: focus often comes with a change of heights (a message line going).
                QTimer.singleShot(0, new, lambda: self._show_whole(new))

    def _show_whole(self, widget: QWidget) -> None:
        # The whole box, not only its text cursor (which is what QScrollArea.ensureWidgetVisible keeps in view).
        body, content = self.body_scroll, self.body_scroll.widget()
        if content is None or not content.isAncestorOf(widget):
            return
        top_left = widget.mapTo(content, widget.rect().topLeft())
        middle = top_left.x() + widget.width() // 2
        body.ensureVisible(middle, top_left.y() + widget.height(), 0, 12)
        body.ensureVisible(middle, top_left.y(), 0, 12)  # the top wins when the box is taller than the view

    def _remember_share(self) -> None:
        if self.splitter.orientation() == Qt.Orientation.Horizontal:
            sizes = self.splitter.sizes()
            self._form_share = sizes[0] / max(1, sum(sizes))
            self._form_share_dragged = True

    def _on_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)

    def _finish_pending_then(self) -> None:
        then, self._after_save = self._after_save, None
        if then is not None:
            then()


def _not_sent_before(sent: Mapping[str, object], note: str, tags: str) -> tuple[str, str]:
    """The note and the tags typed now, without what a create whose answer was lost sent (``sent``)."""
    if note == str(sent.get("note", "")).strip():
        note = ""
    stored = {str(tag).casefold() for tag in cast(list[object], sent.get("tags", []))}
    return note, ", ".join(tag for tag in tag_names(tags) if tag.casefold() not in stored)
