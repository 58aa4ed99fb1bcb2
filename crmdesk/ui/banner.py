"""The one non-modal banner between the toolbar and the content, for errors and notices."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from crmdesk.ui.announce import announce
from crmdesk.ui.errors import Action, Description, Severity
from crmdesk.ui.icons import icon
from crmdesk.ui.tool_button import ToolButton

# Hues for the severities; the banner mixes them into the palette's own window colour, so it stays calm in
# light mode and dark in dark mode instead of painting a fixed light pastel over a dark window.
_HUES = {
    Severity.INFO: QColor(37, 99, 235),
    Severity.WARNING: QColor(217, 119, 6),
    Severity.ERROR: QColor(220, 38, 38),
}


def _mix(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() * (1 - amount) + tint.red() * amount),
        round(base.green() * (1 - amount) + tint.green() * amount),
        round(base.blue() * (1 - amount) + tint.blue() * amount),
    )


class ErrorBanner(QFrame):
    """A message with a severity, an optional action button and a close button. Hidden while empty.

    Signals:
        action_triggered(str): the action button was pressed; the argument is the ``Action`` value.
    """

    action_triggered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAutoFillBackground(True)
        self._severity = Severity.INFO
        self._action: Action | None = None
        #: What the message on show is about, for its sender to withdraw it (see :meth:`withdraw`); None for most.
        self.owner: object = None
        self._applying = False  # inside _apply_colours (its setPalette sends a PaletteChange of its own)

        self._icon = QLabel(self)
        self._icon.setFixedSize(20, 20)
        self._text = QLabel(self)
        self._text.setObjectName("errorBannerText")
        self._text.setWordWrap(True)
        self._text.setTextFormat(Qt.TextFormat.PlainText)  # server text is data, never markup
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._button = QPushButton(self)
        self._button.setObjectName("errorBannerAction")
        self._button.clicked.connect(self._action_clicked)
        self._close = ToolButton(self)
        self._close.setObjectName("errorBannerClose")
        self._close.setAutoRaise(True)
        self._close.setAccessibleName(self.tr("Close message"))
        self._close.setToolTip(self.tr("Close message"))
        self._close.clicked.connect(self.dismiss)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.setSpacing(10)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def text(self) -> str:
        return self._text.text()

    def severity(self) -> Severity:
        return self._severity

    def action(self) -> Action | None:
        return self._action

    def action_label_text(self) -> str:
        return self._button.text() if not self._button.isHidden() else ""

    def show_description(self, description: Description, *, owner: object = None) -> None:
        self.show_message(
            description.text, description.severity, description.action, description.action_label(), owner=owner
        )

    def show_message(
        self,
        text: str,
        severity: Severity = Severity.ERROR,
        action: Action | None = None,
        action_label: str = "",
        *,
        owner: object = None,
    ) -> None:
        self.owner = owner
        self._severity = severity
        self._action = action
        self._text.setText(text)
        self._button.setText(action_label)
        self._button.setVisible(action is not None and bool(action_label))
        self._apply_colours()
        self.setAccessibleDescription(text)
        self.show()
        announce(self, text, urgent=severity is Severity.ERROR)

    def dismiss(self) -> None:
        self._action = None
        self.owner = None
        self._text.clear()
        self.hide()

    def withdraw(self, owner: object) -> bool:
        """Dismiss the message on show if ``owner`` sent it (compared with ==: a bound method is made anew at each
        access); whether it did."""
        if owner is None or self.isHidden() or self.owner != owner:
            return False
        self.dismiss()
        return True

    def _action_clicked(self) -> None:
        action = self._action
        self.dismiss()
        if action is not None:
            self.action_triggered.emit(action.value)

    def _apply_colours(self) -> None:
        self._applying = True
        try:
            self._tint()
        finally:
            self._applying = False

    def _tint(self) -> None:
        palette = self.palette()
        window = self.window().palette() if self.window() is not self else palette
        base = window.color(QPalette.ColorRole.Window)
        hue = _HUES[self._severity]
        dark = base.lightnessF() < 0.5
        palette.setColor(QPalette.ColorRole.Window, _mix(base, hue, 0.28 if dark else 0.14))
        palette.setColor(QPalette.ColorRole.WindowText, window.color(QPalette.ColorRole.WindowText))
        self.setPalette(palette)
        accent = _mix(hue, QColor(255, 255, 255), 0.35) if dark else hue
        name = {Severity.INFO: "info", Severity.WARNING: "warning", Severity.ERROR: "error"}[self._severity]
        self._icon.setPixmap(icon(name, accent).pixmap(20, 20))
        self._close.setIcon(icon("close"))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # A light/dark switch reaches a widget as PaletteChange (ApplicationPaletteChange stops at event()); so
        # does the banner's own setPalette, which _applying keeps from going round.
        kinds = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange, QEvent.Type.StyleChange)
        if event.type() in kinds and not self._applying and not self.isHidden():
            self._apply_colours()
