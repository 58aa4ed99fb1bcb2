"""The main window: search toolbar, results and Recent on the left, the contact view in the middle, one banner."""

from __future__ import annotations

import importlib
import logging
import math
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QFontMetrics, QPainter, QPalette, QPen, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyledItemDelegate,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.api.errors import AuthError, NetworkError
from crmdesk.contract import phone_digits
from crmdesk.services.profiles import Profiles
from crmdesk.services.recent import RecentList
from crmdesk.services.recovery import UnsavedWork, UnsavedWorkFile
from crmdesk.services.search import SearchKind, SearchService, detect_kind, effective_kind, normalise, several
from crmdesk.services.session import Session
from crmdesk.ui import shortcuts
from crmdesk.ui.announce import announce
from crmdesk.ui.focus_ring import RING_WIDTH
from crmdesk.ui.icons import TOOLBAR_SIZE, app_icon, icon
from crmdesk.ui.messages import plain_box, plain_tooltip
from crmdesk.ui.scaled_font import scale_font
from crmdesk.ui.search_field import SearchField
from crmdesk.ui.tool_button import FlatButton, ToolButton

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStyleOptionViewItem

    from crmdesk.api.models import Contact, ContactSummary
    from crmdesk.services.registry import Registry
    from crmdesk.ui.banner import ErrorBanner
    from crmdesk.ui.contact_view import ContactView
    from crmdesk.ui.errors import Severity
    from crmdesk.ui.settings_dialog import SettingsDialog

log = logging.getLogger("crmdesk.ui.main_window")

_UID_ROLE = Qt.ItemDataRole.UserRole
#: A result row's (name, email, phone), as its text shows them.
_SHOWN_ROLE = Qt.ItemDataRole.UserRole + 1

ContactViewFactory = Callable[[Session, "Registry", QWidget], "ContactView"]

#: A lookup shows "Searching…" and the progress bar only once it has run this long (no flicker for fast ones).
BUSY_INDICATOR_DELAY_MS = 150


def _result_texts(uid: str, name: str, email: str, phone: str, *, with_uid: bool = False) -> tuple[str, str]:
    """A search result's row text and tooltip; ``with_uid`` adds the UID to the row (for rows that would read
    alike: the API allows duplicates, and the rep must be able to tell which one they open)."""
    # One line each: several matches often share the email and differ only by phone (or the reverse).
    details = "\n".join(part for part in (email, phone, f"UID {uid}" if with_uid else "") if part)
    return f"{name or uid}\n{details}", f"{name}\n{details}" + ("" if with_uid else f"\nUID {uid}")


def default_contact_view(session: Session, registry: Registry, parent: QWidget) -> ContactView:
    from crmdesk.services.contact import ContactService
    from crmdesk.ui.contact_view import ContactView

    # The session's client, asked for at each request: the view is built while a session still waits.
    service = ContactService(lambda: session.api, registry, parent)
    return ContactView(service, registry, parent, staged=True)


_DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight
_Fonts = tuple[QFont, QFont, QFontMetrics, QFontMetrics]


class _ContactRowDelegate(QStyledItemDelegate):
    """Draws a sidebar row as the name in semi-bold over its details in the palette's muted text colour.

    Rows are painted in Python, and a search reorders (and repaints) the whole Recent list: up to 30 rows, ~7 ms
    at 1920×1080 before the per-row work below was cached (fonts, elided texts, QStyle's constants).
    """

    _PAD = 4
    _MAX_ELIDED = 512

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._font_cache: dict[str, _Fonts] = {}
        self._last_font: tuple[QFont, _Fonts] | None = None
        self._elided: dict[tuple[str, int, int], str] = {}
        # QStyle's CE_ItemViewItem and State_Selected, read once QStyle is imported (at the first row painted:
        # creating QStyle's Python type costs ~8 ms, which start-up need not pay when there is no row yet).
        self._style_constants: tuple[Any, Any, Any] | None = None

    def _fonts(self, font: QFont) -> _Fonts:
        last = self._last_font
        if last is not None and last[0] == font:
            return last[1]
        key = font.key()
        cached = self._font_cache.get(key)
        if cached is None:
            name_font = QFont(font)
            name_font.setWeight(QFont.Weight.DemiBold)
            detail_font = QFont(font)
            cached = (name_font, detail_font, QFontMetrics(name_font), QFontMetrics(detail_font))
            self._font_cache[key] = cached
        self._last_font = (QFont(font), cached)
        return cached

    def _elide(self, text: str, metrics: QFontMetrics, width: int) -> str:
        key = (text, width, id(metrics))  # the metrics objects live in _font_cache, so their ids are stable
        elided = self._elided.get(key)
        if elided is None:
            if len(self._elided) >= self._MAX_ELIDED:
                self._elided.clear()
            elided = self._elided[key] = metrics.elidedText(text, _ELIDE_RIGHT, width)
        return elided

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        lines = str(index.data(_DISPLAY_ROLE) or "").count("\n") + 1
        _, _, name_metrics, detail_metrics = self._fonts(option.font)
        height = name_metrics.height() + detail_metrics.height() * (lines - 1)
        return QSize(option.rect.width(), height + 2 * self._PAD)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if self._style_constants is None:
            from PySide6.QtWidgets import QStyle

            self._style_constants = (
                QStyle.ControlElement.CE_ItemViewItem,
                QStyle.StateFlag.State_Selected,
                QStyle.StateFlag.State_HasFocus,
            )
        item_element, selected_flag, focus_flag = self._style_constants
        # The view's option carries the row's rect, state, palette and font but no text: the style draws the
        # panel (selection, hover) and the focus frame, and the two lines are drawn below.
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(item_element, option, painter, widget)
        if option.state & focus_flag:
            # Fusion's focus frame is a tint of the highlight, about 1.6 : 1 on the dark window: the ring the
            # rest of the app shows for keyboard focus, drawn here in the highlight colour itself.
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(option.palette.color(QPalette.ColorRole.Highlight), RING_WIDTH))
            half = RING_WIDTH // 2
            painter.drawRoundedRect(option.rect.adjusted(half, half, -half, -half), 3, 3)
            painter.restore()
        lines = str(index.data(_DISPLAY_ROLE) or "").split("\n")
        selected = bool(option.state & selected_flag)
        palette = option.palette
        main = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        muted = main if selected else palette.color(QPalette.ColorRole.PlaceholderText)
        name_font, detail_font, name_metrics, detail_metrics = self._fonts(option.font)
        rect = option.rect.adjusted(self._PAD + 2, self._PAD, -self._PAD, -self._PAD)
        width = rect.width()
        painter.save()
        y = rect.top()
        for number, line in enumerate(lines):
            font, metrics = (name_font, name_metrics) if number == 0 else (detail_font, detail_metrics)
            painter.setFont(font)
            painter.setPen(main if number == 0 else muted)
            painter.drawText(rect.left(), y + metrics.ascent(), self._elide(line, metrics, width))
            y += metrics.height()
        painter.restore()


def _import_view_modules() -> None:
    importlib.import_module("crmdesk.services.contact")
    importlib.import_module("crmdesk.ui.contact_view")


def first_sidebar_width(average_char_width: int, window_width: int) -> int:
    """The sidebar's width in a first window: room for a Recent row's email (~36 characters) in the rep's font
    where the window has it to spare. 260 px at the usual 9 pt; more for a larger system font on a wide screen (260
    cut every email at 16 pt), as long as the contact page keeps the 1020 px it has in a 1280 px window: narrower,
    its form and notes stack (a wider sidebar at 11 pt made them)."""
    return max(260, min(36 * average_char_width + 24, window_width - 1020))


class _ResultsPane(QWidget):
    """The sidebar's Results section, which says when its width changes: what it shows is fitted to its width.

    Signals:
        width_changed(): the pane's width is not what it was.
    """

    width_changed = Signal()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.width_changed.emit()


def _reads_as_a_name(text: str) -> bool:
    """Letters, with spaces, hyphens, apostrophes or dots between them ("Ana Lima", "J. O'Neil"), and not a web
    address ("www.crm.com": dots, and no space)."""
    text = text.strip()
    return (
        any(char.isalpha() for char in text)
        and all(char.isalpha() or char in " -'’." for char in text)
        and (" " in text or "." not in text)
    )


def _sidebar_list(name: str, accessible_name: str, parent: QWidget) -> QListWidget:
    """A list that sits on the pane like the sidebar of a native app, not as a white box on a grey window."""
    sidebar_list = QListWidget(parent)
    sidebar_list.setObjectName(name)
    sidebar_list.setAccessibleName(accessible_name)
    sidebar_list.setFrameShape(QFrame.Shape.NoFrame)
    sidebar_list.setSpacing(2)
    # The list gets a viewport made here rather than restyling its own: PySide6 finds the Python type of a widget
    # Qt made (what viewport() returns) by initialising every QWidget subclass it has, over 60 enums, which cost
    # ~25 ms before the first window could show.
    viewport = QWidget(sidebar_list)
    viewport.setBackgroundRole(QPalette.ColorRole.Window)
    viewport.setAutoFillBackground(True)
    sidebar_list.setViewport(viewport)
    # Long emails end in "…" (the tooltip has them in full) rather than behind a scroll bar.
    sidebar_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    sidebar_list.setTextElideMode(Qt.TextElideMode.ElideRight)
    return sidebar_list


def _section_label(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    scale_font(label, 0.85, bold=True, capitals=True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class MainWindow(QMainWindow):
    """The app's one main window for a session.

    Signals:
        sign_in_requested(str): go back to sign-in with this message (401, or "Sign in again" in the banner).
        sign_out_requested(): the user chose Sign out (unsaved edits already resolved).
        demo_restart_requested(): the user chose to start the demo's stopped server again (unsaved edits and
            changes on their way already resolved); the app opens a new demo window.
        closed(): the window closed for good (unsaved edits already resolved).
        contact_opened(object): the contact view shows this Contact (after a search, a click, a reload).
        contact_view_ready(): the contact view was built (right after the first show, or on first use).
    """

    sign_in_requested = Signal(str)
    sign_out_requested = Signal()
    demo_restart_requested = Signal()
    closed = Signal()
    contact_opened = Signal(object)
    contact_view_ready = Signal()

    def __init__(
        self,
        session: Session,
        registry: Registry,
        profiles: Profiles | None = None,
        contact_view_factory: ContactViewFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("CRMDesk"))
        self.setWindowIcon(app_icon())
        self.session = session
        self.registry = registry
        self._profiles = profiles or Profiles()
        self.recent = RecentList(session.profile, self)
        #: The copy of unsaved work kept on disk, against an end that cannot ask (None in the demo, which starts
        #: afresh every time).
        self.unsaved = UnsavedWorkFile(session.profile, self._unsaved_work, self) if not session.demo else None
        if self.unsaved is not None:
            self.unsaved.keeping_changed.connect(self._tell_unsaved_not_kept)
        self.search = SearchService(session, self)
        self._last_search: tuple[str, SearchKind | None] | None = None  # the last query typed, and its kind
        # A contact opened from a list (Results, Recent, "Open existing") rather than searched: the sidebar keeps
        # the last search's outcome, matches and offer, while it opens.
        self._opening: str | None = None
        self._found_uid: str | None = None  # the contact the sidebar's "Found …" names
        self._quoted: tuple[str, str] | None = None  # the Results line quoting a query: its template, the query
        self._retry: Callable[[], None] | None = None  # what the banner's Retry repeats
        # What the user asked for while the session was still waiting (for the keyring, or the demo server).
        self._waiting_for_token: list[Callable[[], None]] = []
        self._wait_text: str | None = None  # why nothing can be opened yet, while the session waits
        # Contacts offered by name in the empty state (the demo's): name, the query that finds it, its uid.
        self._examples: list[tuple[str, str, str]] = []
        self._close_confirmed = False
        # How to leave (close, sign out) once the notes, tags and stage changes on their way are done.
        self._leave_when_written: Callable[[], object] | None = None
        self._leave_now: Callable[[], None] | None = None  # the same leaving, without waiting (the notice's button)
        self._waiting: QWidget | None = None  # the notice of a close or sign-out waiting for the last writes
        self._leave_now_box: QWidget | None = None  # its "Close now?" question, while open
        self._waiting_for_writes = False  # a close or sign-out is connected to the writes' end
        self._sign_out_sent = False  # sign_out_requested was emitted: this window is going
        #: How many times the rep has asked to sign out here: tells one sign-out from a later one.
        self.sign_out_asked = 0
        self.sign_out_requested.connect(self._mark_signed_out)
        self._leave_now_token: object | None = None  # the "Close now" whose questions are being asked
        self._failures_before = 0  # the view's unasked failures when the wait began
        self._waiting_text = ""
        self._shown_once = False
        self._settings_dialog: SettingsDialog | None = None
        self._left_over_box: QWidget | None = None  # the question offering an earlier run's unsaved work back
        self._restore_notice_for: list[str] = []  # what the banner's restore notice points to, not yet opened
        self._shortcuts_dialog: QWidget | None = None
        self._deleted_open: str | None = None  # a contact a save found deleted elsewhere, still in the form
        self._demo_stopped = ""  # why the demo's server ended, while this window still uses it
        if registry.set_aside is not None:
            QTimer.singleShot(0, self, self._tell_registry_set_aside)
        unwritable = registry.unwritable or self.recent.unwritable
        if unwritable is not None:
            QTimer.singleShot(0, self, lambda: self._tell_nothing_kept(unwritable))
        registry.save_failed.connect(self._tell_registry_unsaved)
        self._retry_countdown = QTimer(self)  # the status bar's "retrying in N s", once a second
        self._retry_countdown.setInterval(1000)
        self._retry_countdown.timeout.connect(self._count_retry_down)
        self._retry_what, self._retry_held, self._retry_until, self._retry_text = "", False, 0.0, ""
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_INDICATOR_DELAY_MS)
        self._busy_timer.timeout.connect(self._show_busy)

        self._build_toolbar()
        self._banner: ErrorBanner | None = None  # made on first use: most sessions never show one

        # The contact view (and phonenumbers, email-validator and the form behind it) is built after the window
        # has shown, or on first use: it was over half of start-up, and the search field works without it.
        self._contact_view_factory = contact_view_factory or default_contact_view
        self._contact_view: ContactView | None = None
        self._view_ready = False  # the view exists and all of its sections are built
        # Each build step gets a turn of its own on a zero-interval timer. A posted call (QTimer.singleShot(0))
        # ran the next step straight after the last, ahead of every timer: once a timer has fired, Qt's event loop
        # runs timers only when no posted event is waiting. Two steps then made one stall of 20 ms, and asyncio's
        # callbacks, which qasync runs from timers, waited behind the whole chain. Owned by the window: it stops
        # with it.
        self._view_step = QTimer(self)
        self._view_step.setSingleShot(True)
        self._view_step.setInterval(0)
        self._view_step.timeout.connect(self._continue_contact_view)
        self._view_placeholder = QWidget(self)
        self._view_placeholder.setObjectName("contactViewPlaceholder")
        self._build_left_pane()
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.left_pane)
        self.splitter.addWidget(self._view_placeholder)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1020])  # a first run's are set in _place_first_time

        central = QWidget(self)
        self._central_layout = QVBoxLayout(central)
        self._central_layout.setContentsMargins(0, 0, 0, 0)
        self._central_layout.setSpacing(0)
        self._central_layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self._central = central

        self.connection_label = QLabel(self)
        self.connection_label.setObjectName("connectionLabel")
        if session.demo:
            self.connection_label.setText(self.tr("Demo — local server"))
        else:
            self.connection_label.setText(self.tr("Server {0} · profile {1}").format(session.host, session.profile))
        self.statusBar().addPermanentWidget(self.connection_label)
        self.statusBar().setSizeGripEnabled(True)

        self._build_actions()
        self._wire()
        self._refresh_recent()
        self._restore_state()

    # --- construction ---------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        toolbar = QToolBar(self.tr("Main"), self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setIconSize(QSize(TOOLBAR_SIZE, TOOLBAR_SIZE))
        toolbar.toggleViewAction().setEnabled(False)
        toolbar.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

        self.search_field = SearchField(toolbar)
        self.search_field.setMaximumWidth(520)
        self.search_field.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        toolbar.addWidget(self.search_field)

        self.new_button = ToolButton(toolbar)
        self.new_button.setObjectName("toolbarNewContact")
        self.new_button.setText(self.tr("New contact"))
        self.new_button.setIcon(icon("plus"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.setToolTip(self.tr("New contact ({0})").format(shortcuts.NEW_CONTACT.label()))
        spacer_small = QWidget(toolbar)
        spacer_small.setFixedWidth(8)
        toolbar.addWidget(spacer_small)
        toolbar.addWidget(self.new_button)

        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)

        self.settings_button = ToolButton(toolbar)
        self.settings_button.setObjectName("settingsButton")
        self.settings_button.setIcon(icon("settings"))
        self.settings_button.setAccessibleName(self.tr("Settings"))
        self.settings_button.setToolTip(self.tr("Settings ({0})").format(shortcuts.SETTINGS.label()))
        toolbar.addWidget(self.settings_button)

        self.help_button = ToolButton(toolbar)
        self.help_button.setObjectName("helpButton")
        self.help_button.setIcon(icon("help"))
        self.help_button.setAccessibleName(self.tr("Help"))
        self.help_button.setToolTip(self.tr("Help"))
        self.help_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.help_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.help_menu = QMenu(self.tr("Help"), self.help_button)
        help_menu = self.help_menu
        self.about_action = help_menu.addAction(icon("info"), self.tr("About CRMDesk"))
        self.help_button.setMenu(self.help_menu)
        toolbar.addWidget(self.help_button)

        self.account_button = ToolButton(toolbar)
        self.account_button.setObjectName("accountButton")
        self.account_button.setIcon(icon("user"))
        # The menu arrow Qt draws for InstantPopup sits in the corner and looks clipped; a chevron in the text reads
        # as "this opens a menu" just as well.
        self.account_button.setText(f"{self.session.profile} ▾")
        self.account_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.account_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.account_button.setAccessibleName(self.tr("Account"))
        self.account_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.account_menu = QMenu(self.account_button)
        who = self.account_menu.addAction(
            self.tr("Demo — local server")
            if self.session.demo
            else self.tr("Profile {0} · {1}").format(self.session.profile, self.session.host)
        )
        who.setEnabled(False)
        self.account_menu.addSeparator()
        self.sign_out_action = self.account_menu.addAction(
            icon("sign-out"), self.tr("Leave the demo") if self.session.demo else self.tr("Sign out")
        )
        self.sign_out_action.setObjectName("signOutAction")
        self.account_button.setMenu(self.account_menu)
        toolbar.addWidget(self.account_button)

    def _build_left_pane(self) -> None:
        self.left_pane = QSplitter(Qt.Orientation.Vertical, self)
        self.left_pane.setObjectName("leftSplitter")
        self.left_pane.setChildrenCollapsible(False)

        results = self._results_pane = _ResultsPane(self.left_pane)
        results_layout = self._results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(8, 8, 4, 4)
        results_layout.setSpacing(4)
        self.results_header = _section_label(self.tr("Results"), results)
        self.results_progress = QProgressBar(results)
        self.results_progress.setObjectName("searchProgress")
        self.results_progress.setRange(0, 0)
        self.results_progress.setTextVisible(False)
        self.results_progress.setMaximumHeight(4)
        self.results_progress.hide()
        self.results_status = QLabel(results)
        self.results_status.setObjectName("resultsStatus")
        self.results_status.setWordWrap(True)
        self.results_status.setTextFormat(Qt.TextFormat.PlainText)
        self.results_status.setText(self.tr("Search by UID, email or phone."))
        self.results_status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.create_from_search = FlatButton(parent=results)
        self.create_from_search.setObjectName("createFromSearch")
        self.create_from_search.setIcon(icon("plus"))
        self.create_from_search.hide()
        self.results_list = _sidebar_list("resultsList", self.tr("Search results"), results)
        self.results_list.hide()
        self._row_delegate = _ContactRowDelegate(self)
        self.results_list.setItemDelegate(self._row_delegate)
        results_layout.addWidget(self.results_header)
        results_layout.addWidget(self.results_progress)
        results_layout.addWidget(self.results_status)
        results_layout.addWidget(self.create_from_search, 0, Qt.AlignmentFlag.AlignLeft)
        results_layout.addWidget(self.results_list, 1)
        results_layout.addStretch(0)

        recent = QWidget(self.left_pane)
        recent_layout = QVBoxLayout(recent)
        recent_layout.setContentsMargins(8, 8, 4, 4)
        recent_layout.setSpacing(4)
        recent_layout.addWidget(_section_label(self.tr("Recent"), recent))
        self.recent_list = _sidebar_list("recentList", self.tr("Recent contacts"), recent)
        self.recent_list.setItemDelegate(self._row_delegate)
        self.recent_empty = QLabel(self.tr("Contacts you open appear here."), recent)
        self.recent_empty.setWordWrap(True)
        self.recent_empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        recent_layout.addWidget(self.recent_empty)
        recent_layout.addWidget(self.recent_list, 1)

        self.left_pane.addWidget(results)
        self.left_pane.addWidget(recent)
        # Results hold one line ("Found Ana Lima.") or a few matches; Recent is the list a rep works down all day.
        # Results take what they need after each search (_fit_results) until the rep drags the split, which is
        # then theirs, and remembered.
        self.left_pane.setSizes([120, 580])
        self.left_pane.setStretchFactor(0, 0)  # a taller window gives Recent the height, not Results
        self.left_pane.setStretchFactor(1, 1)
        self._results_split_by_rep = False
        self._results_fitted: tuple[object, ...] = ()
        self.left_pane.splitterMoved.connect(self._results_split_moved)
        self._fit_results_soon = QTimer(self)  # once the outcome's widgets are all shown or hidden
        self._fit_results_soon.setSingleShot(True)
        self._fit_results_soon.setInterval(0)
        self._fit_results_soon.timeout.connect(self._fit_results)
        results.width_changed.connect(self._fit_results_soon.start)  # the outcome's lines change with the width
        self.left_pane.setMinimumWidth(200)

    def _build_actions(self) -> None:
        def add(shortcut: shortcuts.Shortcut, slot: Callable[[], Any]) -> QAction:
            action = QAction(shortcuts.translated_description(shortcut), self)
            action.setShortcuts(shortcut.sequences())
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            return action

        self.focus_search_action = add(shortcuts.FOCUS_SEARCH, self.focus_search)
        self.new_contact_action = add(shortcuts.NEW_CONTACT, self.new_contact)
        self.settings_action = add(shortcuts.SETTINGS, self.open_settings)
        self.help_action = add(shortcuts.SHORTCUTS_HELP, self.show_shortcuts)
        self.quit_action = add(shortcuts.QUIT, self.close)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        # The Help menu's entry is the same action, so that the menu shows F1 beside it: a second action with F1
        # made the key ambiguous, and Qt then fires neither.
        self.help_action.setText(self.tr("Keyboard shortcuts"))
        self.help_action.setIcon(icon("keyboard"))
        self.help_menu.insertAction(self.about_action, self.help_action)

    def _wire(self) -> None:
        self.search_field.search_requested.connect(self.request_search)
        self.search_field.escaped.connect(self._stop_search)
        self.new_button.clicked.connect(self.new_contact)
        self.settings_button.clicked.connect(self.open_settings)
        self.about_action.triggered.connect(self.show_about)
        self.sign_out_action.triggered.connect(self.sign_out)
        self.create_from_search.clicked.connect(self._create_from_search)

        self.search.found.connect(self._found)
        self.search.several_found.connect(self._several_found)
        self.search.not_found.connect(self._not_found)
        self.search.failed.connect(self._search_failed)
        self.search.unrecognised.connect(self._unrecognised)
        self.search.busy_changed.connect(self._search_busy)

        self.results_list.itemActivated.connect(self._open_item)
        self.results_list.itemClicked.connect(self._open_item)
        self.recent_list.itemActivated.connect(self._open_item)
        self.recent_list.itemClicked.connect(self._open_item)
        # The sidebar follows a turn of the event loop later: the contact that was asked for is painted first,
        # and a run of openings reorders the list once.
        self._recent_refresh = QTimer(self)
        self._recent_refresh.setSingleShot(True)
        self._recent_refresh.setInterval(0)
        self._recent_refresh.timeout.connect(self._refresh_recent)
        self.recent.changed.connect(self._recent_refresh.start)

        self.session.retrying.connect(self._retrying)
        if not self.session.is_ready():
            self.session.ready.connect(self._session_ready)
            self.explain_the_wait()

    def _when_signed_in(self, action: Callable[[], None]) -> bool:
        """True when the session has its token; otherwise ``action`` runs as soon as it has."""
        if self.session.is_ready():
            return True
        self._waiting_for_token.append(action)
        return False

    def explain_the_wait(self) -> None:
        """Say in the contact area (and the status bar) why nothing can be opened yet."""
        if self.session.demo:
            status = self.tr("Starting the demo server…")
            text = self.tr("Starting the demo server with its sample contacts…\nA search typed now runs once it is up.")
        else:
            status = self.tr("Reading the saved token from the system keyring…")
            text = self.tr(
                "Reading the saved token for profile {profile} from the system keyring…\n"
                "If the keyring asks to be unlocked, unlock it to carry on."
            ).format(profile=self.session.profile)
        self.statusBar().showMessage(status)
        self._show_wait(text)

    def _show_wait(self, text: str) -> None:
        self._wait_text = text
        if self._contact_view is not None:
            self._contact_view.show_waiting(text)
            return
        # The contact view is made a moment after the first paint; until then, the placeholder says it.
        message = self._view_placeholder.findChild(QLabel, "sessionWait")
        if message is None:
            message = QLabel(self._view_placeholder)
            message.setObjectName("sessionWait")
            message.setTextFormat(Qt.TextFormat.PlainText)
            message.setAlignment(Qt.AlignmentFlag.AlignCenter)
            message.setWordWrap(True)
            message.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            layout = QVBoxLayout(self._view_placeholder)
            layout.addWidget(message)
        message.setText(text)

    def offer_examples(self, examples: Sequence[tuple[str, str, str]]) -> None:
        """Contacts to offer by name while none is open, each with the query that finds it (see
        ContactView.show_examples), and its uid."""
        self._examples = list(examples)
        if self._contact_view is not None and self._view_ready:
            self._contact_view.show_examples([(name, query) for name, query, _uid in self._examples])

    def stop_waiting(self, reason: str) -> None:
        """The session will not get ready as things stand (no token, or no demo server): say why in its place.

        Whatever the user asked for meanwhile stays queued, for a sign-in to the same account that follows.
        """
        self.statusBar().clearMessage()
        self._show_wait(reason)

    def _session_ready(self) -> None:
        self.statusBar().clearMessage()
        self._wait_text = None
        if self._contact_view is not None:
            self._contact_view.show_waiting(None)
        elif (message := self._view_placeholder.findChild(QLabel, "sessionWait")) is not None:
            message.hide()  # ready before the view was made (a quick keyring): the placeholder says nothing now
        actions, self._waiting_for_token = self._waiting_for_token, []
        for action in actions:
            action()

    @property
    def contact_view(self) -> ContactView:
        """The contact view, built on first use if the deferred build after the first show has not finished."""
        if self._contact_view is None:
            self._build_contact_view()
        assert self._contact_view is not None
        if not self._view_ready:
            self._contact_view.ensure_built()
            self._contact_view_finished()
        return self._contact_view

    def has_unsaved_changes(self) -> bool:
        """Whether closing the window would lose anything: unsaved edits, or notes and tags typed but not added."""
        view = self._contact_view
        return view is not None and (view.has_unsaved_changes() or bool(view.unsent_drafts()))

    def would_lose_work(self) -> bool:
        """Whether ending the app now would lose anything: what :meth:`has_unsaved_changes` says, or a change still
        on its way to the server (a note waiting for the one before it is not even sent yet)."""
        view = self._contact_view
        return self.has_unsaved_changes() or (view is not None and bool(view.service.writes_in_flight()))

    def contact_view_built(self) -> bool:
        return self._contact_view is not None and self._view_ready

    def _build_contact_view(self) -> None:
        """Put the view in place with its empty state; its sections follow one per event-loop turn.

        Building it in one go stalled the window for ~40 ms (demo start-up); each step is a few ms, so the
        window keeps painting and answering input in between. Using the view before then finishes it at once.
        """
        if self._contact_view is not None:
            return
        view = self._contact_view_factory(self.session, self.registry, self)
        if self._wait_text is not None:
            view.show_waiting(self._wait_text)
        self._contact_view = view
        sizes = self.splitter.sizes()
        self.splitter.replaceWidget(1, view)
        self._view_placeholder.deleteLater()
        self.splitter.setStretchFactor(1, 1)
        if sizes[1] > 0:
            self.splitter.setSizes(sizes)
        view.contact_opened.connect(self._contact_opened)
        view.contact_opened.connect(self.contact_opened.emit)
        view.contact_created.connect(self._contact_created)
        # A save or a reload may change the name, email or phone an entry shows (not its place: it may finish
        # after the rep opened another contact).
        view.service.saved.connect(self._contact_changed)
        view.service.contact_loaded.connect(self._contact_changed)
        view.service.save_conflicted.connect(self._contact_changed)
        view.service.contact_refreshed.connect(self._contact_changed)
        view.contact_deleted.connect(self._contact_deleted)
        view.deleted_elsewhere.connect(self._deleted_elsewhere)
        view.open_requested.connect(self.open_uid)
        view.lookup_requested.connect(self.request_search)
        view.new_contact_requested.connect(self.new_contact)
        view.search_wanted.connect(self.focus_search)
        view.error_withdrawn.connect(self._withdraw_error)
        view.error_raised.connect(self.show_error)
        view.save_waited_for.connect(self._save_waited_for)
        view.save_wait_ended.connect(self._save_wait_ended)
        view.status_message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        view.work_changed.connect(self._work_changed)
        view.contact_opened.connect(lambda contact: self._restored_on_screen(contact.uid))
        view.new_form_shown.connect(lambda: self._restored_on_screen(""))
        # A note, tag or save set off or answered is written down at once: a note sent and stored must not be
        # offered again by a file a second behind, nor one sent and not stored be missing from it.
        view.service.writes_changed.connect(self._flush_unsaved)
        view.service.note_posted.connect(self._flush_unsaved)
        if view.is_built():
            self._contact_view_finished()
        else:
            self._view_step.start()

    def _continue_contact_view(self) -> None:
        view = self._contact_view
        if view is None or self._view_ready:
            return
        if view.is_built():
            # A turn of its own: after the last step, finishing (and what waits for it, the HTTP preload) in the
            # same turn made the longest UI-thread gap of the demo's start-up, 10–13 ms.
            self._contact_view_finished()
            return
        view.build_step()
        self._view_step.start()

    def _contact_view_finished(self) -> None:
        if self._view_ready or self._contact_view is None:
            return
        self._view_ready = True
        self._contact_view.clear()
        self.contact_view_ready.emit()
        if self._examples:
            # A turn of its own: laid out with the view's last step, its links made the demo start's longest stall.
            view = self._contact_view
            QTimer.singleShot(0, view, lambda: view.show_examples([(name, query) for name, query, _ in self._examples]))
        if self.unsaved is not None and not self.unsaved.left_over().is_empty():
            self._offer_left_over(self.unsaved.left_over())

    def _restore(self, work: UnsavedWork) -> None:
        # A contact already open, or on its way (a phone tool's --search at start), stays: the caller comes first.
        waiting = self.contact_view.restore_work(work, open_contact=not self.search.is_busy())
        if not waiting:
            return
        listed = {entry.uid for entry in self.recent.entries()}
        for uid, name in reversed(waiting):
            if uid and uid not in listed:
                self.recent.add(uid, name)
        contacts = [name for uid, name in waiting if uid]
        new = [phrase for uid, phrase in waiting if not uid]
        said = []
        if contacts:
            said.append(
                self.tr("Restored work waits for {names}: open them from Recent to see it.").format(
                    names=", ".join(contacts)
                )
            )
        if len(new) == 1:
            said.append(self.tr("The restored new contact comes back with New contact (Ctrl+N)."))
        elif new:
            said.append(self.tr("The restored new contacts come back with New contact (Ctrl+N), one at a time."))
        from crmdesk.ui.errors import Severity

        # Withdrawn once what it points to is on screen (a lookup on its way may open the contact a moment later).
        self._restore_notice_for = [uid for uid, _name in waiting]  # "" once for each new contact waiting
        self.banner.show_message(" ".join(said), Severity.INFO, owner=self._restore_notice_for)

    def _restored_on_screen(self, uid: str) -> None:
        """``uid`` (or "" for the new-contact form) is open: the restore notice no longer needs to point to it."""
        waiting = self._restore_notice_for
        if waiting and uid in waiting:
            waiting.remove(uid)
            if not waiting and self._banner is not None:
                self._banner.withdraw(waiting)

    def _unsaved_work(self) -> UnsavedWork:
        view = self._contact_view
        return view.unsaved_work() if view is not None and shiboken6.isValid(view) else UnsavedWork()

    def _work_changed(self) -> None:
        if self.unsaved is not None:
            self.unsaved.changed()

    def _flush_unsaved(self, *_args: object) -> None:
        if self.unsaved is not None:
            self.unsaved.flush()

    def _offer_left_over(self, work: UnsavedWork) -> None:
        """CRMDesk ended last time without asking about unsaved work (a crash, a kill, a power cut): offer it
        back. Until the rep answers, the file keeps it, so another such end offers it again."""
        from PySide6.QtWidgets import QMessageBox

        items = self.contact_view.describe_work(work)
        box = QMessageBox(self)
        box.setObjectName("leftOverDialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Restore unsaved work"))
        listed = "\n".join(f"• {item}" for item in items)
        box.setText(self.tr("CRMDesk ended last time without saving this:") + "\n" + listed)
        box.setInformativeText(
            self.tr("Restore puts it back where it was, for you to check and save. Discard drops it for good.")
        )
        restore = box.addButton(self.tr("Restore"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(restore)
        box.setEscapeButton(restore)  # closing the question must not drop anything

        def answered(button: object) -> None:
            assert self.unsaved is not None
            self.unsaved.release()
            if button is restore:
                self._restore(work)

        box.buttonClicked.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._left_over_box = plain_box(box)  # names typed by anyone: never markup
        box.open()

    # --- state ----------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        profile = self.session.profile
        geometry = self._profiles.state(profile, "geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self._place_first_time()

    def _place_first_time(self) -> None:
        """First run: 1280×800 where that fits, more of a larger screen, never more than the screen; centred."""
        screen = self.screen()
        if screen is None:
            self.resize(1280, 800)
            return
        area = screen.availableGeometry()
        width = min(max(1280, int(area.width() * 0.8)), area.width())
        height = min(max(800, int(area.height() * 0.85)), area.height())
        self.resize(width, height)
        self.move(area.center().x() - width // 2, area.center().y() - height // 2)
        sidebar = first_sidebar_width(self.fontMetrics().averageCharWidth(), width)
        self.splitter.setSizes([sidebar, width - sidebar])

    def _restore_splitters(self) -> None:
        # After the first show: before it, the splitters have no real width and redistribute what they get.
        profile = self.session.profile
        # "sidebarSplit", not the "leftSplitter" earlier versions saved at every close: those were never dragged
        # necessarily, and taken for the rep's they would stop Results from fitting their outcome for good.
        for key, splitter in (("splitter", self.splitter), ("sidebarSplit", self.left_pane)):
            state = self._profiles.state(profile, key)
            if state is not None:
                splitter.restoreState(state)
                if splitter is self.left_pane:
                    self._results_split_by_rep = True

    def save_state(self) -> None:
        profile = self.session.profile
        self._profiles.set_state(profile, "geometry", self.saveGeometry())
        self._profiles.set_state(profile, "splitter", self.splitter.saveState())
        if self._results_split_by_rep:
            self._profiles.set_state(profile, "sidebarSplit", self.left_pane.saveState())

    # --- navigation (every path goes through resolve_unsaved) -----------------------------------

    def focus_search(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def _resolve_unsaved(self, then: Callable[[], None]) -> None:
        if self._contact_view is None:  # nothing can be unsaved in a view that does not exist yet
            then()
        else:
            self._contact_view.resolve_unsaved(then)

    def request_search(self, text: str, kind: SearchKind | None = None) -> None:
        if self.search_field.text() != text:  # a search from elsewhere (--search) shows what was looked up
            self.search_field.setText(text)
        # Unsaved edits are asked about when a contact arrives to replace them (_found), not before: a search
        # may find nothing, several, or the contact already open, and none of those needs the question.
        self._search_now(text, kind)

    def _search_now(self, text: str, kind: SearchKind | None) -> None:
        if not self._when_signed_in(lambda: self._search_now(text, kind)):
            # Enter must not look ignored while the session waits (the demo server starting, the keyring).
            self._say_quoted(self.tr("Will look up “{0}” as soon as the session is ready."), text)
            return
        kind = effective_kind(text, kind)
        if kind is None:
            # Nothing is sent: a contact opening from a list goes on opening, and the last search's matches stay.
            self.create_from_search.hide()  # its line is replaced by why this text was not looked up
            self._unrecognised(text)
            return
        if self.search.is_busy() and self._opening is None and self._last_search == (text, kind):
            return  # Enter again on a slow link: sending the same lookup again would only start its wait over
        self._last_search = (text, kind)
        self._opening = None
        self._dismiss_banner_of_the_last_request()
        self.create_from_search.hide()
        self.search.search(text, kind, phone_region=self._phone_region() if kind is SearchKind.PHONE else "")

    def _stop_search(self) -> None:
        """Escape in the search field: a lookup on its way is dropped, and the sidebar says so."""
        if self.search.is_busy():
            self.search.cancel()
            self._say_results(self.tr("Search stopped."))

    def _phone_region(self) -> str:
        from crmdesk.ui.formatting import phone_region  # imports phonenumbers: not before the window shows

        return phone_region(self.registry.phone_region())

    def open_uid(self, uid: str) -> None:
        self._resolve_unsaved(lambda: self._open_now(uid))

    def _open_now(self, uid: str) -> None:
        if not self._when_signed_in(lambda: self._open_now(uid)):
            return
        if self.search.is_busy() and self._opening is None:
            self._say_results(self.tr("Search stopped."))  # this opening replaces it
        self._opening = uid
        self._dismiss_banner_of_the_last_request()
        self.search.open_uid(uid)

    def new_contact(self) -> None:
        if not self._when_signed_in(self.new_contact):
            return
        # The rep's latest request: a lookup or an opening still on its way would take the view (or the question
        # about unsaved edits) over when it answers.
        self._stop_search()

        def start() -> None:
            self._leave_deleted()
            self.contact_view.start_create()

        self.contact_view.resolve_unsaved(start)

    def sign_out(self) -> None:
        self.sign_out_asked += 1
        if self._contact_view is None:
            self.sign_out_requested.emit()
        else:
            from crmdesk.ui.contact_view import SIGN_OUT

            self._contact_view.resolve_leaving(
                lambda: self._after_writes(
                    self.sign_out_requested.emit,
                    again=self.sign_out,
                    waiting=self._signing_out_text(),
                ),
                weight=SIGN_OUT,
            )

    def _after_writes(self, then: Callable[[], None], *, again: Callable[[], object], waiting: str = "") -> None:
        """Run ``then`` now if no note, tag, header change or deletion is on its way (closing the window or the
        session would cancel it). Otherwise wait for them (each request ends within the client's deadline), then
        leave by ``again``, the ordinary path with its questions: a note that failed is back in its box, and the rep
        may have typed meanwhile. Asked to leave again while waiting, it keeps waiting, for the latest way of leaving;
        a sign-out waiting is not traded for a close, which would leave the token stored."""
        view = self._contact_view
        if view is None or not view.service.writes_in_flight():
            self._leave_when_written = None
            then()
            return
        if self._leave_when_written is None:  # a new way of leaving (the last one went, or was called off)
            self._failures_before = view.unasked_failures()
        first = not self._waiting_for_writes
        if self._leave_when_written != self.sign_out:
            self._leave_when_written = again
            self._leave_now = then
        shown = waiting if self._leave_when_written == again else self._signing_out_text()
        said = self._waiting_text if self._waiting is not None and self._waiting.isVisible() else ""
        self._waiting_text = shown or self.tr("Closing once the last change reaches the server…")
        self._show_waiting()
        if self._waiting_text != said:  # or a screen reader's rep hears nothing happen
            announce(self.statusBar(), self._waiting_label.text())
        if not first:
            return
        self._waiting_for_writes = True

        def done() -> None:
            self._waiting_for_writes = False
            leave, self._leave_when_written = self._leave_when_written, None
            self._hide_waiting()  # and "Close now?", if open: the wait it asked about is over
            if leave is None:
                return
            view_now = self._contact_view
            failed = view_now is not None and view_now.unasked_failures() != self._failures_before
            if failed and leave != self.sign_out:
                # A deletion or a stage did not reach the server: the window stays, with the banner saying which,
                # rather than going with it as if all had been done. (A note or tag that failed is back in its box,
                # and the ordinary leave asks about it.) A sign-out goes on: the banner has said what failed, and
                # a rep walking away from a shared computer must not be left signed in.
                said = self.tr("Not closed: a change did not reach the server.")
                self.statusBar().showMessage(said, 10_000)
                announce(self.statusBar(), said, urgent=True)
                return
            # The ordinary way, with its questions; one already open for another leave (an impatient second close,
            # Close now's, opening another contact's) is joined, not asked again, and carries the weightier leave.
            leave()

        view.service.writes_done.connect(done, Qt.ConnectionType.SingleShotConnection)

    def _show_waiting(self) -> None:
        """Say, until it is over, that the window waits for changes on their way, how many, and offer to leave
        now. A status bar message would not last: every answer's own message (5 s) and a retry's countdown
        replaced it, and on a slow link the window looked as if the close had been ignored."""
        view = self._contact_view
        left = view.service.writes_in_flight() if view is not None else 0
        notice = self._waiting_notice()
        self._waiting_label.setText(self.tr("{0} ({1} left)").format(self._waiting_text, left))
        self._waiting_button.setText(self._leave_now_text())
        self._waiting_button.setAccessibleDescription(self._waiting_label.text())
        self._waiting_button.show()
        notice.show()

    def _waiting_notice(self) -> QWidget:
        """The status bar's notice of a leave that waits (made when first needed)."""
        if self._waiting is None:
            from PySide6.QtWidgets import QHBoxLayout  # not before the window shows: seldom needed

            self._waiting = QWidget(self)
            self._waiting.setObjectName("waitingNotice")
            row = QHBoxLayout(self._waiting)
            row.setContentsMargins(0, 0, 0, 0)
            self._waiting_label = QLabel(self._waiting)
            self._waiting_label.setObjectName("waitingText")
            self._waiting_button = QPushButton(self._waiting)
            self._waiting_button.setObjectName("leaveNow")
            self._waiting_button.clicked.connect(self._leave_without_waiting)
            row.addWidget(self._waiting_label)
            row.addWidget(self._waiting_button)
            self.statusBar().insertPermanentWidget(0, self._waiting)
            view = self._contact_view
            if view is not None:
                view.service.writes_changed.connect(self._writes_changed)
        return self._waiting

    def _save_waited_for(self, text: str) -> None:
        """A leave waits for the save on its way: said in the notice until it is over (the status message that
        said it lasted 5 s, and the window looked as if the close had been ignored)."""
        notice = self._waiting_notice()
        if self._waiting_label.text() != text or notice.isHidden():
            announce(self.statusBar(), text)
        self._waiting_label.setText(text)
        self._waiting_button.hide()  # nothing to leave without: the save decides
        notice.show()

    def _save_wait_ended(self, weight: int) -> None:
        if self._leave_when_written is not None and self._waiting_for_writes:
            self._show_waiting()  # back to the writes' wait
        elif self._waiting is not None:
            self._waiting.hide()
        from crmdesk.ui.contact_view import SIGN_OUT

        if weight == SIGN_OUT:
            # The sign-out goes on once this turn is over, unless the save failed: a rep walking away from a shared
            # computer must hear that it did not happen.
            QTimer.singleShot(0, self, self._say_if_not_signed_out)

    def _say_if_not_signed_out(self) -> None:
        view = self._contact_view
        going = self._sign_out_sent or self._leave_when_written == self.sign_out
        if going or not self.isVisible() or (view is not None and view.leave_in_question() is not None):
            return
        if self.session.demo:
            said = self.tr("Still in the demo: the changes were not confirmed saved. Leave again once they are.")
        else:
            said = self.tr("Not signed out: the changes were not confirmed saved. Sign out again once they are.")
        self.statusBar().showMessage(said, 15_000)
        announce(self.statusBar(), said, urgent=True)

    def _leave_now_text(self) -> str:
        if not self.signing_out():
            return self.tr("Close now")
        return self.tr("Leave now") if self.session.demo else self.tr("Sign out now")

    def _writes_changed(self, _left: int) -> None:
        if self._waiting is not None and not self._waiting.isHidden() and self._leave_when_written is not None:
            self._show_waiting()  # the writes' wait, with the new count (not a save's wait, which says its own)

    def _hide_waiting(self) -> None:
        if self._waiting is not None:
            self._waiting.hide()
        box, self._leave_now_box = self._leave_now_box, None
        if box is not None and shiboken6.isValid(box):
            box.close()  # its question is over: the writes are in, or the close was called off

    def _leave_without_waiting(self) -> None:
        """The waiting notice's "Close now" or "Sign out now": asked first, as what is on its way is lost; then the
        edits and drafts typed while waiting are asked about as at any close."""
        view = self._contact_view
        left = view.service.writes_in_flight() if view is not None else 0
        leave = self._leave_now
        if view is None or not left or leave is None or self._leave_when_written is None:
            return
        from PySide6.QtWidgets import QMessageBox  # its Python type costs start-up time; only needed here

        signing_out = self.signing_out()
        box = QMessageBox(self)
        box.setObjectName("leaveNowDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self._leave_now_text() + "?")
        box.setText(
            self.tr(
                "{0} change(s) have not reached the server yet. Leaving now stops them: a note or tag not yet stored "
                "is lost, and a stage, quality, owner or deletion may not be made."
            ).format(left)
        )
        now = box.addButton(self._leave_now_text(), QMessageBox.ButtonRole.DestructiveRole)
        wait = box.addButton(self.tr("Keep waiting"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(wait)
        box.setEscapeButton(wait)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        from crmdesk.ui.contact_view import LEAVE_WINDOW, SIGN_OUT

        token = object()

        def go() -> None:
            if self._leave_now_token is token:  # not called off meanwhile (a later start kept the window)
                self._leave_now_token = None
                self._leave_when_written = None
                self._hide_waiting()
                leave()

        def answered(button: object) -> None:
            self._leave_now_box = None  # answered: it closes (and is deleted) by itself
            if button is now and self._leave_when_written is not None:
                self._leave_now_token = token
                view.resolve_leaving(go, weight=SIGN_OUT if signing_out else LEAVE_WINDOW)

        box.buttonClicked.connect(answered)
        self._leave_now_box = box
        box.open()

    def last_searched(self) -> str | None:
        """The text of the last search run in this window, if any."""
        return self._last_search[0] if self._last_search is not None else None

    def _mark_signed_out(self) -> None:
        self._sign_out_sent = True

    def signing_out(self) -> bool:
        """Whether a sign-out is under way (waiting for the last writes, or for a save the rep's answer started):
        this window is going, and the next one takes requests. Not while it waits on a question the rep may still
        answer Cancel: a later start's search then waits in this window's search field."""
        view = self._contact_view
        parked = view is not None and view.sign_out_under_way()
        return self._leave_when_written == self.sign_out or parked

    def keep_open(self) -> None:
        """CRMDesk was started again while this window waits for its last writes to close: the rep wants it after
        all (a phone tool's --search for an incoming call, say), so the close is called off. A sign-out waiting
        is left to go ahead: the next window takes the request."""
        if self._leave_when_written == self.close:
            self._leave_when_written = None
            self._leave_now_token = None
            self._hide_waiting()
        if self._contact_view is not None:
            self._contact_view.call_off_close()  # one waiting for the save on its way

    def _signing_out_text(self) -> str:
        if self.session.demo:
            return self.tr("Leaving the demo once the last change reaches the server…")
        return self.tr("Signing out once the last change reaches the server…")

    def _open_item(self, item: QListWidgetItem) -> None:
        uid = item.data(_UID_ROLE)
        current = self._contact_view.current_uid() if self._contact_view is not None else None
        # A double click is a click and an activation: the second must not send the lookup again.
        opening = self.search.is_busy() and self._opening == uid
        if isinstance(uid, str) and uid and uid != current and not opening:
            self.open_uid(uid)

    def _create_from_search(self) -> None:
        if self._last_search is None or not self._when_signed_in(self._create_from_search):
            return
        text, kind = self._last_search
        kind = kind or detect_kind(text)
        prefill = {kind.value: normalise(text, kind)} if kind in (SearchKind.EMAIL, SearchKind.PHONE) else {}

        def create() -> None:
            self.create_from_search.hide()  # done: the form it offered is open
            self._fit_results_soon.start()
            self.contact_view.start_create(prefill)

        self.contact_view.resolve_unsaved(create)

    # --- search results -------------------------------------------------------------------------

    def _results_split_moved(self) -> None:
        self._results_split_by_rep = True

    def _fit_results(self) -> None:
        """Give Results the height their outcome needs (a line, or every match up to most of the pane), Recent
        the rest; a split the rep dragged stays as they left it."""
        if self._quoted is not None:  # a query shortened for the width there was: shortened again for this one
            template, query = self._quoted
            text = template.format(self._fitted(query))
            if text != self.results_status.text():
                self.results_status.setText(text)
        if self._results_split_by_rep:
            return
        rows = self.results_list
        shape = (self.results_status.text(), rows.isHidden(), rows.count(), self.create_from_search.isHidden(),
                 self._results_pane.width(), sum(self.left_pane.sizes()))  # fmt: skip
        if shape == self._results_fitted:
            return  # the same outcome as last time (a rep looking contacts up one by one): nothing to measure
        self._results_fitted = shape
        pane, layout = self._results_pane, self._results_layout
        margins = layout.contentsMargins()
        needed = margins.top() + margins.bottom()
        for widget in (self.results_header, self.results_progress, self.results_status, self.create_from_search):
            if not widget.isHidden():
                width = widget.width() or pane.width()
                hint = widget.heightForWidth(width) if widget.hasHeightForWidth() else widget.sizeHint().height()
                needed += hint + layout.spacing()
        if not rows.isHidden() and rows.count():
            spacing = 2 * rows.spacing()
            needed += sum(rows.sizeHintForRow(row) + spacing for row in range(rows.count())) + 2 * rows.frameWidth()
        total = sum(self.left_pane.sizes())
        results = min(needed, int(total * 0.6))
        if self.left_pane.sizes()[0] != results:
            self.left_pane.setSizes([results, total - results])

    def _say_results(self, text: str, query: str = "") -> None:
        """What a search came to, in the text colour: only the hint shown before any search is muted. ``query``,
        when the text quotes one, goes whole into the tooltip (the text may hold it shortened)."""
        if self.results_status.foregroundRole() != QPalette.ColorRole.WindowText:
            self.results_status.setForegroundRole(QPalette.ColorRole.WindowText)
        self.results_status.setText(text)
        self.results_status.setToolTip(plain_tooltip(query) if query and query not in text else "")
        announce(self.results_status, text)  # the rep's focus stays in the search field
        self._quoted = None
        self._found_uid = None
        self._fit_results_soon.start()

    def _say_found(self, contact: Contact) -> None:
        self._say_results(self.tr("Found {0}.").format(contact.name or contact.uid))
        self._found_uid = contact.uid

    def _say_quoted(self, template: str, query: str) -> None:
        """Say ``template`` with ``query`` in place of {0}, shortened to the sidebar's width, and shortened again
        whenever that width changes (the rep drags the sidebar's edge, the window narrows)."""
        self._say_results(template.format(self._fitted(query)), query)
        self._quoted = (template, query)

    def _fitted(self, query: str) -> str:
        """``query`` shortened in the middle to a line of the sidebar: a long email has no space to wrap at."""
        label = self.results_status
        width = max(80, label.contentsRect().width() - label.fontMetrics().horizontalAdvance("““”.”"))
        fitted = label.fontMetrics().elidedText(query, Qt.TextElideMode.ElideMiddle, width)
        # Word joiners: a line may break after "…", and the query would be split there instead of moving whole.
        return fitted.replace("…", "\u2060…\u2060")

    def _search_busy(self, busy: bool) -> None:
        # Most lookups answer within a few ms: showing "Searching…" and an animated bar for them would only
        # flicker and repaint the sidebar while the request runs. They show once a lookup has taken a while.
        if busy:
            if not self._busy_timer.isActive() and not self.results_progress.isVisible():
                self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.results_progress.hide()

    def _show_busy(self) -> None:
        if self.search.is_busy():
            self.results_progress.show()
            if self._opening is None:  # a contact opening from a list leaves the last search's outcome in place
                self._say_results(self.tr("Searching…"))
                self.results_status.show()

    def _found(self, contact: Contact) -> None:
        if self._opening is None:
            self._say_found(contact)
            self._select_result(contact.uid)
        else:
            self._opening = None
            self._mark_result(contact.uid)
        # Asked on arrival, and only then: the rep may have gone on editing while a slow lookup ran.
        view = self.contact_view
        if contact.uid == view.current_uid():
            # The contact already open: read again as Reload does, so that what changed on the server (a colleague's
            # note, a field the rep has not touched) shows, and any edits stay. Not shown as found: the lookup may
            # have set out before a save the rep made since, and its answer would put the old values back (and
            # end the record of a save whose answer was lost, whose value would then look like a colleague's).
            view.reload(quiet=True)
            return
        view.resolve_unsaved(lambda: view.show_contact(contact))

    def _several_found(self, summaries: list[ContactSummary]) -> None:
        self.results_list.clear()
        for summary in summaries:
            item = QListWidgetItem()
            item.setData(_UID_ROLE, summary.uid)
            item.setData(_SHOWN_ROLE, (summary.name, summary.email, summary.phone))
            self.results_list.addItem(item)
        self._word_results()
        self.results_list.show()
        self._say_results(self.tr("{0} contacts match. Choose one to open it.").format(len(summaries)))
        self.results_status.show()

    def _word_results(self) -> None:
        """Each result row's text and tooltip, with the UID in the rows that would otherwise read alike."""
        items = self._result_items()
        shown = Counter(item.data(_SHOWN_ROLE) for item in items)
        for item in items:
            name, email, phone = item.data(_SHOWN_ROLE)
            alike = shown[(name, email, phone)] > 1
            text, tooltip = _result_texts(item.data(_UID_ROLE), name, email, phone, with_uid=alike)
            if item.text() != text:
                item.setText(text)
                item.setToolTip(plain_tooltip(tooltip))

    def _not_found(self, query: str) -> None:
        if self._opening is not None:
            # Opened from a list, and gone since: that row goes, the last search's other matches stay.
            uid, self._opening = self._opening, None
            row = next((item for item in self._result_items() if item.data(_UID_ROLE) == uid), None)
            entry = next((entry for entry in self.recent.entries() if entry.uid == uid), None)
            name = row.text().split("\n", 1)[0] if row is not None else entry.name if entry is not None else uid
            self._forget_contact(uid)
            if not self.results_list.count():
                self.results_list.hide()
            self._say_results(self.tr("{0} no longer exists: it was deleted.").format(name))
            self.results_status.show()
            self.create_from_search.hide()
            return
        self.results_list.clear()
        self.results_list.hide()
        if any(example.casefold() == query.strip().casefold() for _name, example, _uid in self._examples):
            # A sample link the demo offers that finds nothing: the sample was deleted, or its email changed, in
            # this run or an earlier one (the demo keeps its database). The link goes; what follows says no match.
            self.offer_examples(
                [sample for sample in self._examples if sample[1].casefold() != query.strip().casefold()]
            )
        uid = query.strip().upper()
        gone = next((entry.name or entry.uid for entry in self.recent.entries() if entry.uid == uid), None)
        view = self._contact_view
        if gone is None and view is not None and uid in view.waiting_restore():
            gone = view.name_of(uid)  # work kept for it, though it has left Recent
        if gone is not None:
            # A Recent entry (or its UID typed) for a contact deleted since, here or by someone else: it goes too,
            # and work kept for it (restored, or left with it during a deletion that failed) is said and dropped.
            self._forget_contact(uid)
            self._say_results(self.tr("{0} no longer exists: it was deleted.").format(gone))
            self.results_status.show()
            return
        if query.strip().isalpha() and detect_kind(query) is SearchKind.UID:
            # Eight letters read as a UID ("Fernanda"): most likely a name, which the API cannot look up.
            self._say_quoted(
                self.tr(
                    "No contact has the UID “{0}”. If that is a name: the Contact API cannot search by name; type "
                    "an email or a phone number."
                ),
                query,
            )
            self.results_status.show()
            return
        self._say_quoted(self._no_match(), query)
        self.results_status.show()
        kind = detect_kind(query) if self._last_search is None else (self._last_search[1] or detect_kind(query))
        if kind in (SearchKind.EMAIL, SearchKind.PHONE):
            self.create_from_search.setText(
                self.tr("New contact with this {0}").format(
                    self.tr("email") if kind is SearchKind.EMAIL else self.tr("phone")
                )
            )
            self.create_from_search.show()

    def _unrecognised(self, query: str) -> None:
        if several(query):
            self._say_quoted(
                self.tr("“{0}” holds more than one number, email or UID: search for one at a time."), query
            )
        elif _reads_as_a_name(query):
            # What a rep tries first, and what the API cannot look up.
            self._say_quoted(
                self.tr(
                    "“{0}” is not a UID, email or phone: the Contact API cannot search by name. Type 8 letters and "
                    "digits, an email, or a phone number."
                ),
                query,
            )
        else:
            self._say_quoted(
                self.tr("“{0}” is not a UID, email or phone. Type 8 letters and digits, an email, or a phone number."),
                query,
            )
        self.results_status.show()

    def _select_result(self, uid: str) -> None:
        """A search found ``uid``: mark its row, or, if the matches listed are another search's, drop them."""
        if not self._mark_result(uid):
            self.results_list.clear()
            self.results_list.hide()

    def _mark_result(self, uid: str) -> bool:
        """Mark the row of ``uid`` among the results (or none, if it is not there). Whether it is there."""
        item = next((item for item in self._result_items() if item.data(_UID_ROLE) == uid), None)
        if item is not None:
            self.results_list.setCurrentItem(item)
        elif self.results_list.currentRow() != -1:
            self.results_list.setCurrentRow(-1)
        return item is not None

    def _result_items(self) -> list[QListWidgetItem]:
        return [self.results_list.item(row) for row in range(self.results_list.count())]

    # --- recent ---------------------------------------------------------------------------------

    def _no_match(self) -> str:
        return self.tr("No contact matches “{0}”.")

    def _contact_created(self, contact: Contact) -> None:
        self._contact_opened(contact)
        if self._quoted is None or self._quoted[0] != self._no_match():
            return
        query = self._quoted[1]
        kind = detect_kind(query)
        answered = (kind is SearchKind.EMAIL and contact.email.casefold() == normalise(query, kind).casefold()) or (
            kind is SearchKind.PHONE and phone_digits(contact.phone).endswith(phone_digits(query))
        )
        if answered:  # the search that found nobody has its answer now (from its offer, or typed anew)
            self.create_from_search.hide()
            self._say_results(self.tr("Created {0}.").format(contact.name or contact.uid))

    def _contact_opened(self, contact: Contact) -> None:
        self.recent.add(contact.uid, contact.name or contact.uid, contact.email, contact.phone)
        self._leave_deleted()

    def _leave_deleted(self) -> None:
        """The form of a contact deleted elsewhere is gone: so is the banner's offer to create it anew."""
        from crmdesk.ui.errors import Action

        if self._banner is not None and self._banner.action() is Action.CREATE_AS_NEW:
            self._dismiss_banner()
        self._deleted_open = None

    def _contact_changed(self, contact: Contact) -> None:
        self.recent.update(contact.uid, contact.name or contact.uid, contact.email, contact.phone)
        # A renamed contact reads the same in the results and the "Found …" line as in Recent and the header.
        items = self._result_items()
        for item in items:
            if item.data(_UID_ROLE) == contact.uid:
                item.setData(_SHOWN_ROLE, (contact.name, contact.email, contact.phone))
        if items:
            self._word_results()
        if contact.uid == self._found_uid and self.results_status.text() != self.tr("Found {0}.").format(
            contact.name or contact.uid
        ):
            self._say_found(contact)  # renamed: said anew (the same line is not read out twice)

    def _contact_deleted(self, uid: str) -> None:
        self._forget_contact(uid)
        view = self._contact_view
        if view is None or view.current_uid() is None:  # it was the one on show (the rep may have moved on)
            self._say_results(self.tr("The contact was deleted."))

    def _forget_contact(self, uid: str) -> None:
        """A deleted contact leaves Recent, the search results and the sample links (and restored edits waiting for
        it, said)."""
        if any(sample_uid == uid for _name, _query, sample_uid in self._examples):
            # A deleted sample of the demo: its link would only find nothing.
            self.offer_examples([sample for sample in self._examples if sample[2] != uid])
        self.recent.remove(uid)
        view = self._contact_view
        if view is not None and (lost := view.drop_restored(uid)):
            from crmdesk.ui.errors import Severity

            self.show_notice(lost, Severity.WARNING)
        for row in reversed(range(self.results_list.count())):
            if self.results_list.item(row).data(_UID_ROLE) == uid:
                self.results_list.takeItem(row)

    def _deleted_elsewhere(self, uid: str, name: str) -> None:
        from crmdesk.ui.errors import Action, Description, Severity

        self._forget_contact(uid)
        self._deleted_open = uid  # what the banner's "Create as new contact" is about
        self._say_results(self.tr("{0} no longer exists: it was deleted.").format(name))
        text = self.tr("{0} no longer exists: it was deleted elsewhere. What you typed is still in the form.")
        self.banner.show_description(Description(text.format(name), Severity.WARNING, Action.CREATE_AS_NEW))

    def _refresh_recent(self) -> None:
        # Opening a contact moves one entry to the top: move that row rather than rebuild (and relayout) them all.
        entries = self.recent.entries()
        rows = self.recent_list
        marked = rows.currentItem()
        marked_uid = marked.data(_UID_ROLE) if marked is not None else None
        for index, entry in enumerate(entries):
            details = entry.email or entry.phone
            text = f"{entry.name}\n{details}" if details else entry.name
            item = rows.item(index)
            if item is None or item.data(_UID_ROLE) != entry.uid:
                found = next(
                    (row for row in range(index + 1, rows.count()) if rows.item(row).data(_UID_ROLE) == entry.uid), -1
                )
                item = rows.takeItem(found) if found >= 0 else QListWidgetItem()
                rows.insertItem(index, item)
            if item.text() != text:
                item.setText(text)
                item.setData(_UID_ROLE, entry.uid)
                item.setToolTip(plain_tooltip(f"{entry.name}\n{details}\nUID {entry.uid}"))
        while rows.count() > len(entries):
            rows.takeItem(rows.count() - 1)
        self.recent_empty.setVisible(not entries)
        # Moving rows leaves the list's mark (and the keyboard's place) on whichever row then sits where the marked
        # one was. The row the rep chose keeps it wherever it went; any other mark goes, once: a search typed in
        # the field leaves the list unmarked, and a change of mark at every search cost ~2 ms of its repaint.
        current = self._contact_view.current_uid() if self._contact_view is not None else None
        if marked_uid is not None and marked_uid == current:
            row = next((row for row, entry in enumerate(entries) if entry.uid == current), -1)
            if rows.currentRow() != row:
                rows.setCurrentRow(row)
        elif rows.currentRow() != -1:
            rows.setCurrentRow(-1)

    # --- errors and status ----------------------------------------------------------------------

    @property
    def banner(self) -> ErrorBanner:
        """The window's one banner, above the sidebar and the contact view."""
        if self._banner is None:
            from crmdesk.ui.banner import ErrorBanner

            self._banner = ErrorBanner(self._central)
            self._banner.action_triggered.connect(self._banner_action)
            self._central_layout.insertWidget(0, self._banner)
        return self._banner

    def _dismiss_banner_of_the_last_request(self) -> None:
        """A new lookup makes the last one's failure old news; but an offer about the open form (create a deleted
        contact anew) stands until the form goes, and the lookup may yet end in Cancel at the unsaved question."""
        from crmdesk.ui.errors import Action

        if self._banner is not None and self._banner.action() is not Action.CREATE_AS_NEW:
            self._dismiss_banner()

    def _dismiss_banner(self) -> None:
        if self._banner is not None:
            self._banner.dismiss()

    def show_error(self, error: object, retry: Callable[[], None] | None = None, context: str = "") -> None:
        """The one place errors from anywhere in the window end up: the banner, or back to sign-in on 401.

        ``retry`` repeats what failed: the banner offers Retry only with it, so that Retry after a failed save
        sends the save again rather than, say, re-running the last search over the rep's edits. ``context`` says
        what failed ("Not saved."), before the reason: one banner serves every kind of failure.
        """
        from crmdesk.ui.errors import Action, describe

        if not isinstance(error, BaseException):
            return
        self._retry = None
        if isinstance(error, AuthError):
            self.banner.show_description(describe(error, host=self.session.host))
            self.session.note_error(error)
            return
        if self._demo_stopped and isinstance(error, NetworkError):
            # Not the rep's connection: the demo's own server is gone, and only restarting it helps.
            self.show_demo_stopped(self._demo_stopped, context)
            return
        description = describe(error, host=self.session.host)
        action = description.action
        if getattr(error, "may_have_happened", False) and retry is not None and action is None:
            action = Action.RETRY  # whatever the reason, looking again (or sending again) is what helps
        if action is Action.RETRY:
            if retry is None:
                action = None
            else:
                self._retry = retry
        text = f"{context} {description.text}" if context else description.text
        # Owned by ``retry``, Retry offered or not: its sender withdraws it when what failed is gone (a form left).
        self.banner.show_description(type(description)(text, description.severity, action), owner=retry)

    def _withdraw_error(self, retry: object) -> None:
        """A failure about what is gone (the form it failed for): its banner goes with it, and its Retry."""
        if self.banner.withdraw(retry):
            self._retry = None

    def _search_failed(self, error: object) -> None:
        if self._opening is not None:
            # A contact opening from a list: the sidebar keeps the last search's outcome; Retry opens it again.
            uid = self._opening
            self.show_error(error, lambda: self.open_uid(uid), self.tr("Contact not opened."))
            return
        # The last search's matches are not this one's answer.
        self.results_list.clear()
        self.results_list.hide()
        self._say_results(self.tr("The search did not finish: the message above says why."))
        last = self._last_search
        retry = None if last is None else (lambda: self._search_now(*last))  # a contact found asks on arrival
        self.show_error(error, retry, self.tr("Search not finished."))

    def restart_demo(self) -> None:
        """Start the demo's server again, in a new window: as any leaving, after the questions about unsaved
        edits and notes not added, and once the changes on their way have failed (back in their boxes)."""
        if self._contact_view is None:
            self.demo_restart_requested.emit()
            return
        self._contact_view.resolve_leaving(
            lambda: self._after_writes(
                self.demo_restart_requested.emit,
                again=self.restart_demo,
                waiting=self.tr("Restarting the demo once the changes on their way are done…"),
            )
        )

    def _tell_registry_set_aside(self) -> None:
        from crmdesk.ui.errors import Severity

        self.show_notice(
            self.tr(
                "This profile's list of stages, qualities, members and tags could not be read, so it starts empty. "
                "The file is kept as {0}: import it in Settings once it is fixed."
            ).format(self.registry.set_aside),
            Severity.WARNING,
        )

    def _tell_nothing_kept(self, reason: str) -> None:
        from crmdesk.ui.errors import Severity

        self.show_notice(
            self.tr(
                "CRMDesk cannot write to its data folder ({0}). Settings and the Recent list work, but are not kept "
                "after you quit."
            ).format(reason),
            Severity.WARNING,
        )

    def _tell_registry_unsaved(self, reason: str) -> None:
        from crmdesk.ui.errors import Severity

        self.show_notice(
            self.tr(
                "This profile's settings and lists could not be saved ({0}). They apply until you quit CRMDesk, "
                "and are saved as soon as the disk has room or can be written (at the next contact you open or "
                "setting you change)."
            ).format(reason),
            Severity.WARNING,
        )

    def _tell_unsaved_not_kept(self, reason: str) -> None:
        """The copy of unsaved work on disk cannot be written (a full disk), or can again (``reason`` empty).

        Said in the status bar for as long as it lasts: the banner holds one message, and this one would either
        push out an error the rep still needs (a failed save and its Retry) or go with the next lookup's."""
        from crmdesk.ui.announce import announce
        from crmdesk.ui.messages import show_inline_error

        label = self.findChild(QLabel, "unsavedNotKept")
        if label is None:
            if not reason:
                return
            label = QLabel(self)
            label.setObjectName("unsavedNotKept")
            label.setTextFormat(Qt.TextFormat.PlainText)
            self.statusBar().insertPermanentWidget(0, label)
        if not reason:
            show_inline_error(label, "")
            return
        show_inline_error(label, self.tr("Unsaved work not kept on disk: {0}").format(reason))
        said = self.tr(
            "What is unsaved cannot be kept on disk ({0}): should CRMDesk end unexpectedly, it would be lost. It is "
            "tried again every few seconds."
        ).format(reason)
        label.setToolTip(said)
        announce(label, said)

    def show_demo_stopped(self, reason: str, context: str = "") -> None:
        """The demo's server ended while this window used it: say so, with the way to start it again."""
        from crmdesk.ui.errors import Action, Description, Severity

        self._demo_stopped = reason
        text = self.tr("{0} Searches and changes cannot reach it until it is restarted.").format(reason)
        text = f"{context} {text}" if context else text  # what failed, as any banner says
        self.banner.show_description(Description(text, Severity.ERROR, Action.RESTART_DEMO))
        self.connection_label.setText(self.tr("Demo — server stopped"))

    def show_notice(self, text: str, severity: Severity | None = None) -> None:
        from crmdesk.ui.errors import Severity

        self.banner.show_message(text, severity or Severity.INFO)

    def _banner_action(self, action: str) -> None:
        from crmdesk.ui.errors import Action

        if action == Action.SIGN_IN.value:
            self.sign_in_requested.emit(self.tr("Sign in again to continue."))
        elif action == Action.RETRY.value and self._retry is not None:
            retry, self._retry = self._retry, None
            retry()
        elif action == Action.RESTART_DEMO.value:
            self.restart_demo()
        elif action == Action.CREATE_AS_NEW.value:
            self._dismiss_banner()
            view = self.contact_view
            # Only the form it was about: once the rep moved on, there is nothing of that contact left to keep.
            if view.mode() == "view" and view.current_uid() == self._deleted_open:
                view.create_from_form()

    def _retrying(self, what: str, seconds: float, held: bool) -> None:
        """A request waits before its next attempt: the status bar counts the wait down, then clears."""
        self._retry_what, self._retry_held = what, held
        self._retry_until = time.monotonic() + seconds
        self._retry_countdown.start()
        self._count_retry_down()

    def _count_retry_down(self) -> None:
        bar = self.statusBar()
        left = math.ceil(self._retry_until - time.monotonic() - 0.05)
        shown = bar.currentMessage()
        if left <= 0:
            self._retry_countdown.stop()
            if shown and shown == self._retry_text:
                bar.clearMessage()
            self._retry_text = ""
            return
        template = self.tr("{0} — waiting {1} s") if self._retry_held else self.tr("{0} — retrying in {1} s")
        self._retry_text = template.format(self._retry_what, left)
        bar.showMessage(self._retry_text)

    # --- dialogs --------------------------------------------------------------------------------

    def open_settings(self) -> None:
        from crmdesk.ui.settings_dialog import SettingsDialog

        if self._settings_dialog is None:
            self._settings_dialog = SettingsDialog(self.registry, self)
        dialog = self._settings_dialog
        if not dialog.isVisible():
            dialog.load_values()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def show_shortcuts(self) -> None:
        from crmdesk.ui.shortcuts_dialog import ShortcutsDialog

        if self._shortcuts_dialog is None:
            self._shortcuts_dialog = ShortcutsDialog(self)
        self._shortcuts_dialog.show()
        self._shortcuts_dialog.raise_()

    def show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from crmdesk import __version__

        box = QMessageBox(self)
        box.setObjectName("aboutDialog")
        box.setWindowTitle(self.tr("About CRMDesk"))
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(self.tr("CRMDesk {0}").format(__version__))
        box.setInformativeText(
            self.tr(
                "A desktop client for the 8mGenius Contact API.\n\n"
                "The API cannot list contacts, remove tags, edit notes, or list stages, qualities and team members. "
                "CRMDesk looks contacts up by UID, email or phone, keeps a Recent list, treats tags and notes as "
                "add-only, and learns the known values as you work (Settings lets you edit, import and export them)."
            )
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # never exec(): a nested loop inside a running task breaks qasync

    # --- closing --------------------------------------------------------------------------------

    def close_without_prompt(self) -> None:
        self._close_confirmed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Kept trivial (see pitfalls): the async clean-up happens in the composition root afterwards.
        view = self._contact_view
        if not self._close_confirmed and view is not None:
            if self.has_unsaved_changes():
                event.ignore()
                view.resolve_leaving(lambda: self._after_writes(self.close_without_prompt, again=self.close))
                return
            if view.service.writes_in_flight():
                event.ignore()  # and never close from inside a close: Qt would ignore it, and the window stay
                self._after_writes(self.close_without_prompt, again=self.close)
                return
        self.save_state()
        self.recent.flush()
        if self.unsaved is not None:
            self.unsaved.flush()  # what the rep settled in the last second (a Discard at this close) counts
        event.accept()
        QTimer.singleShot(0, self.closed.emit)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self._restore_splitters()
            self._fit_results_soon.start()  # the first hint line, before any search
            self._build_view_soon()

    def _build_view_soon(self) -> None:
        """Import the view's modules off the UI thread, then build it on the UI thread once they are loaded.

        The imports (the form, phonenumbers, email-validator) took ~250 ms of a cold start; in a thread they
        only share the GIL, so the window stays responsive while they load. The build itself is quick.
        """
        if self._contact_view is not None:
            return
        if self._contact_view_factory is not default_contact_view:
            QTimer.singleShot(0, self, self._build_contact_view)
            return
        from crmdesk.services.background import run_in_thread

        # The worker holds no reference to the window: one closed meanwhile is simply not built into.
        window = weakref.ref(self)

        def loaded(_result: object) -> None:
            current = window()
            if current is not None and shiboken6.isValid(current):
                current._build_contact_view()

        # The build on the UI thread imports again and reports whatever failed here.
        run_in_thread(_import_view_modules, loaded, name="crmdesk-preload")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange:
            # The rep is back (from another window, the lock screen after the laptop slept): times shown are
            # brought up to date rather than at their timers' next minute.
            if self.isActiveWindow() and self._contact_view is not None:
                self._contact_view.refresh_clocks()
        elif event.type() == QEvent.Type.PaletteChange:
            for button, name in (
                (self.new_button, "plus"),
                (self.settings_button, "settings"),
                (self.help_button, "help"),
                (self.account_button, "user"),
                (self.create_from_search, "plus"),
            ):
                button.setIcon(icon(name))
            # A warning in red keeps the red of the scheme it was shown in (2:1 on the other): redone in this one.
            warning = self.findChild(QLabel, "unsavedNotKept")
            if warning is not None and warning.isVisible():
                from crmdesk.ui.messages import error_colour

                # From the window's palette: the label's own follows only after this event.
                red = QPalette()
                red.setColor(QPalette.ColorRole.WindowText, error_colour(self.palette()))
                warning.setPalette(red)
            # Buttons with a style sheet keep the palette they were polished with: polished again, their text
            # follows the scheme (black, or near-white, on the toolbar otherwise).
            for button in (self.help_button, self.account_button):
                button.setStyleSheet(button.styleSheet())
            # The menus' icons too: drawn in the old scheme's text colour, black stood on a dark menu.
            for action, name in (
                (self.about_action, "info"),
                (self.help_action, "keyboard"),
                (self.sign_out_action, "sign-out"),
            ):
                action.setIcon(icon(name))
