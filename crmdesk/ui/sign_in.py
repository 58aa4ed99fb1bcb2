"""The sign-in dialog: API token (checked before it is accepted), remember it, base URL under Advanced, or the demo."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QSettings, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.api.address import is_loopback_url, same_server
from crmdesk.api.errors import AuthError, BadResponseError, NetworkError, NotHttpsError, PlanError, TimeoutError
from crmdesk.services.credentials import Credentials
from crmdesk.services.profiles import DEFAULT_PROFILE, Profiles
from crmdesk.services.session import Session, SignIn, check_server_address
from crmdesk.ui.errors import describe, host_of
from crmdesk.ui.icons import app_icon, icon
from crmdesk.ui.messages import error_colour
from crmdesk.ui.scaled_font import scale_font


class SignInDialog(QDialog):
    """Asks for the API token. Always shown with ``open()``/``show()``, never ``exec()``.

    Signals:
        session_ready(object, object): the token was accepted: the new, open :class:`Session`, and a callable
            that keeps the sign-in for the next start (the profile's address, the token in the keyring if
            Remember is on). Whoever takes the session calls it; a rep who keeps the old window instead
            leaves the profile as it was.
        demo_requested(): the user chose "Try the demo".
    """

    session_ready = Signal(object, object)
    demo_requested = Signal()

    def __init__(
        self,
        credentials: Credentials,
        profiles: Profiles,
        profile: str,
        *,
        message: str = "",
        parent: QWidget | None = None,
        on_not_remembered: Callable[[str], None] | None = None,
    ) -> None:
        """``on_not_remembered(message)`` runs when "Remember" was asked for and the keyring refused the token:
        the dialog has closed by then, so whoever opened it tells the rep."""
        super().__init__(parent)
        self._on_not_remembered = on_not_remembered
        self.setObjectName("signInDialog")
        # A rep with several profiles (--profile) must see which account this token is for; one with only the
        # first profile has nothing to choose between.
        named = profile != DEFAULT_PROFILE
        self.setWindowTitle(
            self.tr("Sign in to CRMDesk: profile {0}").format(profile) if named else self.tr("Sign in to CRMDesk")
        )
        self.setWindowIcon(app_icon())
        self._credentials = credentials
        self._profiles = profiles
        self.profile = profile
        self._sign_in = SignIn(self)
        self._sign_in.succeeded.connect(self._succeeded)
        self._sign_in.failed.connect(self._failed)
        self._sign_in.busy_changed.connect(self.set_busy)

        logo = QLabel(self)
        logo.setPixmap(app_icon().pixmap(40, 40))
        title = QLabel(
            self.tr("Sign in to profile {0}").format(profile) if named else self.tr("Sign in with your API token"), self
        )
        title.setObjectName("signInTitle")
        scale_font(title, 1.25, bold=True)
        subtitle = QLabel(self.tr("Find the token in your 8mGenius account under Settings → API."), self)
        subtitle.setWordWrap(True)
        subtitle.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        heading_text = QVBoxLayout()
        heading_text.setSpacing(2)
        heading_text.addWidget(title)
        heading_text.addWidget(subtitle)
        heading = QHBoxLayout()
        heading.setSpacing(12)
        heading.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        heading.addLayout(heading_text, 1)

        self.token_field = QLineEdit(self)
        self.token_field.setObjectName("tokenField")
        self.token_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_field.setPlaceholderText(self.tr("Paste your API token"))
        self.token_field.setMinimumWidth(320)
        self.token_field.textChanged.connect(self._update_buttons)
        self.show_token = self.token_field.addAction(icon("eye"), QLineEdit.ActionPosition.TrailingPosition)
        self.show_token.setCheckable(True)
        self.show_token.setToolTip(self.tr("Show the token"))
        self.show_token.toggled.connect(self._toggle_visible)
        token_label = QLabel(self.tr("API &token"), self)
        token_label.setBuddy(self.token_field)

        self.remember = QCheckBox(self.tr("&Remember on this computer"), self)
        self.remember.setObjectName("rememberCheck")
        self.keyring_notice = QLabel(self)
        self.keyring_notice.setObjectName("keyringNotice")
        self.keyring_notice.setWordWrap(True)
        self.keyring_notice.setMinimumWidth(320)  # a form row wraps word-wrapped labels far too narrow otherwise
        self.keyring_notice.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        status = credentials.status()
        self.remember.setEnabled(status.usable)
        self.remember.setChecked(status.usable)
        self.keyring_notice.setText(status.reason)
        self.keyring_notice.setVisible(not status.usable)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(token_label, self.token_field)
        form.addRow("", self.remember)
        form.addRow("", self.keyring_notice)

        self.advanced = QToolButton(self)
        self.advanced.setObjectName("advancedToggle")
        self.advanced.setText(self.tr("Advanced"))
        self.advanced.setCheckable(True)
        self.advanced.setAutoRaise(True)
        self.advanced.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced.setArrowType(Qt.ArrowType.RightArrow)
        # A disclosure triangle, flat whether open or not (the arrow shows which); styles draw a checked tool
        # button sunken. Keyboard focus still shows, as a highlight-coloured outline.
        self.advanced.setStyleSheet(
            "QToolButton { border: 1px solid transparent; border-radius: 3px; background: transparent; padding: 1px; }"
            "QToolButton:focus { border-color: palette(highlight); }"
        )
        self.advanced.toggled.connect(self._toggle_advanced)
        self.base_url_field = QLineEdit(profiles.base_url(profile), self)
        self.base_url_field.setObjectName("baseUrlField")
        self.base_url_field.textChanged.connect(self._update_buttons)
        base_label = QLabel(self.tr("Server &address"), self)
        base_label.setBuddy(self.base_url_field)
        self._advanced_box = QWidget(self)
        advanced_form = QFormLayout(self._advanced_box)
        advanced_form.setContentsMargins(0, 0, 0, 0)
        advanced_form.addRow(base_label, self.base_url_field)
        self._advanced_box.hide()
        # Two forms (one folds away), one column of fields: their labels share the wider one's width.
        label_width = max(token_label.sizeHint().width(), base_label.sizeHint().width())
        token_label.setMinimumWidth(label_width)
        base_label.setMinimumWidth(label_width)
        for each in (form, advanced_form):  # set, not inherited: the outer form would take its parent's 12 px
            each.setHorizontalSpacing(10)

        self.message = QLabel(message, self)
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setVisible(bool(message))
        self._message_is_error = False  # a reason given at the start reads in the text colour
        self.progress = QProgressBar(self)
        self.progress.setObjectName("signInProgress")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.hide()

        self.demo_button = QPushButton(self.tr("Try the &demo"), self)
        self.demo_button.setObjectName("demoButton")
        self.demo_button.setToolTip(self.tr("Explore CRMDesk with sample contacts on a server on this computer"))
        self.demo_button.setAutoDefault(False)
        self.demo_button.clicked.connect(self._demo_clicked)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.sign_in_button = QPushButton(self.tr("&Sign in"), self)
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self._submit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.sign_in_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        layout.addLayout(heading)
        layout.addLayout(form)
        layout.addWidget(self.advanced, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self._advanced_box)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        self.setMinimumWidth(480)
        self._busy = False
        self._focus_when_idle: QLineEdit | None = None  # where the cursor goes once a check has finished
        self._update_buttons()
        self.token_field.setFocus()
        if message:  # why sign-in is back (a refused token, a demo that did not start): an error, shown as one
            self.show_message(message)

    # --- state ----------------------------------------------------------------------------------

    def set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        for widget in (self.token_field, self.base_url_field, self.remember, self.demo_button):
            widget.setEnabled(not busy and (widget is not self.remember or self._credentials.status().usable))
        if not busy and self._focus_when_idle is not None:
            self._focus_when_idle.setFocus()
            self._focus_when_idle = None
        if busy and text:
            self.show_message(text, error=False)
        self._update_buttons()
        self._fit_height()

    def show_message(self, text: str, *, error: bool = True) -> None:
        self.message.setText(text)
        self._message_is_error = error
        self._colour_message()
        self.message.setVisible(bool(text))
        self._fit_height()

    def _colour_message(self) -> None:
        """The message in the app's one red (as under the form's fields), or the text colour, of the scheme now."""
        role = QPalette.ColorRole.WindowText
        palette = self.message.palette()
        palette.setColor(role, error_colour(self.palette()) if self._message_is_error else self.palette().color(role))
        self.message.setPalette(palette)

    def _fit_height(self) -> None:
        """Take the height the contents need at the current width, so that wrapped texts keep all their lines.

        A line of progress or a message appearing would otherwise squeeze the word-wrapped notices above it: a
        dialog's layout does not grow the dialog for texts whose height depends on its width.
        """
        layout = self.layout()
        if layout is None:
            return
        # Before the first show the width is Qt's unshown default (640 px), not one the contents chose; resizing
        # to it would also stop the show from fitting the dialog to them, which a large system font needs wider.
        width = self.width() if self.isVisible() else max(self.sizeHint().width(), self.minimumWidth())
        height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
        self.resize(width, max(height, layout.totalMinimumSize().height()))

    def _update_buttons(self) -> None:
        ready = bool(self.token_field.text().strip()) and bool(self.base_url_field.text().strip())
        self.sign_in_button.setEnabled(ready and not self._busy)
        stop = self.tr("Stop") if self._busy else self.tr("Cancel")
        if self.cancel_button.text() != stop:
            self.cancel_button.setText(stop)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # A light/dark switch while the dialog is open (not while it is taken down, its action gone first).
        built = hasattr(self, "_message_is_error")  # not during __init__, nor while the dialog is taken down
        if event.type() == QEvent.Type.PaletteChange and built and shiboken6.isValid(self.show_token):
            self.show_token.setIcon(icon("eye-off" if self.show_token.isChecked() else "eye"))
            self.advanced.setStyleSheet(self.advanced.styleSheet())  # polished again: its text follows
            self._colour_message()

    def _toggle_visible(self, visible: bool) -> None:
        self.token_field.setEchoMode(QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password)
        self.show_token.setIcon(icon("eye-off" if visible else "eye"))
        self.show_token.setToolTip(self.tr("Hide the token") if visible else self.tr("Show the token"))

    def _toggle_advanced(self, shown: bool) -> None:
        self.advanced.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self._advanced_box.setVisible(shown)
        self._fit_height()

    # --- actions --------------------------------------------------------------------------------

    def _submit(self) -> None:
        base_url = self.base_url_field.text().strip()
        token = self.token_field.text().strip()
        if not token or self._busy:
            return
        try:
            check_server_address(base_url)
        except ValueError as exc:
            self.show_message(str(exc))
            self._show_address_field()
            return
        self.show_message("", error=False)
        self._sign_in.attempt(self.profile, base_url, token)

    def _show_address_field(self) -> None:
        """Open Advanced, where the server address is, and put the cursor there: the address is at fault."""
        self.advanced.setChecked(True)
        self._focus(self.base_url_field)

    def _focus(self, field: QLineEdit) -> None:
        """Put the cursor in ``field``; a failure is told while the fields are still locked, so once they open."""
        if field.isEnabled():
            field.setFocus()
        else:
            self._focus_when_idle = field

    def _demo_clicked(self) -> None:
        self.demo_requested.emit()

    def _succeeded(self, session: Session) -> None:
        token = self.token_field.text().strip()
        profiles, profile, credentials = self._profiles, self.profile, self._credentials
        base_url = session.base_url
        assert base_url is not None  # a checked token was sent to it
        not_remembered = self._on_not_remembered
        remember = self.remember.isChecked()  # the token in the keyring, for the next start
        unwritable = self.tr(
            "CRMDesk cannot write its settings file ({0}), so it would not know this server at the next "
            "start: the token is kept until CRMDesk closes, not in the keyring."
        ).format(QSettings().fileName())
        refused = self.tr(
            "The system keyring refused to store the token (is it locked?): it is kept until CRMDesk closes, "
            "and the next start asks for it again."
        )

        def keep_sign_in() -> None:
            # Plain values only: the dialog is gone by the time the app takes the session.
            keep = remember
            address_before = profiles.base_url(profile)
            token_for = profiles.token_server(profile)  # noted now if an older version left it unsaid
            if not profiles.set_base_url(profile, base_url) and not (
                same_server(address_before, base_url) and same_server(token_for, base_url)
            ):
                # The next start reads the address, and whose the keyring's token is, from the file as it was,
                # and would send a token remembered now to that other address. It stays in memory only, and the
                # rep is told why. (A file that names this server already needs no change.)
                if keep and not_remembered is not None:
                    not_remembered(unwritable)
                keep = False
            refusal_matters = keep and credentials.status().usable

            def stored(in_keyring: bool) -> None:
                # The next start reads the keyring only for a profile whose token went into it.
                profiles.set_token_remembered(profile, in_keyring, server=base_url if in_keyring else None)
                if refusal_matters and not in_keyring and not_remembered is not None:
                    not_remembered(refused)

            # The keyring write happens in a worker: the window opens at once, however long the keyring takes.
            credentials.save_in_background(profile, token, remember=keep, on_done=stored)

        self.token_field.clear()  # the token is in the session now; do not leave it in a widget
        self.accept()
        self.session_ready.emit(session, keep_sign_in)

    def _failed(self, error: BaseException) -> None:
        host = host_of(self.base_url_field.text().strip())
        if isinstance(error, AuthError):
            text = self.tr("This token is wrong: the server did not accept it. Copy it again from your account.")
            self.token_field.selectAll()
            self._focus(self.token_field)
        elif isinstance(error, PlanError):
            text = self.tr(
                "This account's plan has no API access. The API needs the Starter, Pro or Business plan; "
                "upgrade the account or use a token from another one."
            )
        elif isinstance(error, NotHttpsError):
            text = self.tr("{0} does not answer https at this address. Check the server address.").format(host)
            if is_loopback_url(self.base_url_field.text().strip()):
                text += " " + self.tr("A server on this computer (crmdesk-server) takes http:// instead.")
            self._show_address_field()
        elif isinstance(error, TimeoutError):
            text = self.tr("{0} did not answer in time. Check the server address, or try again later.").format(host)
        elif isinstance(error, NetworkError):
            text = self.tr("Cannot reach {0}. Check the server address and your connection.").format(host)
        elif isinstance(error, BadResponseError):
            # Some other web server answered at this address (a pasted web page address, another port).
            text = self.tr("{0} answered, but not as the Contact API does. Check the server address.").format(host)
            self._show_address_field()
        elif isinstance(error, ValueError):
            text = str(error)
        else:
            text = describe(error, host=host).text
        self.show_message(text)

    def reject(self) -> None:
        if self._busy:
            # During a check, Cancel (and Escape) stops the check: a server that never answers would otherwise
            # hold the fields locked until the client gives up, and closing here may end the app.
            self._sign_in.cancel()
            self.set_busy(False)
            self.show_message(self.tr("Stopped checking. Check the server address, or try again."), error=False)
            return
        self._sign_in.cancel()
        super().reject()
