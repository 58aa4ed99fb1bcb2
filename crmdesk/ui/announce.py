"""Have a screen reader speak what changed where the rep is not looking: a search's outcome, an error."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


def announce(source: QWidget, text: str, *, urgent: bool = False) -> None:
    """Speak ``text`` through the platform's accessibility API on behalf of ``source``.

    A label's new text is read only when focus goes to it, and the rep's focus stays in the search field or the
    form. ``urgent`` interrupts what is being read (an error); otherwise the text waits its turn. Without an
    assistive technology listening nothing is sent; the first call still costs a few milliseconds, once, while
    PySide6 builds the accessibility classes it asks.
    """
    # Imported here: the accessibility classes' Python types are built on first use, and the window's first paint
    # need not wait for them.
    from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

    if not text or not QAccessible.isActive():
        return
    event = QAccessibleAnnouncementEvent(source, text)
    event.setPoliteness(
        QAccessible.AnnouncementPoliteness.Assertive if urgent else QAccessible.AnnouncementPoliteness.Polite
    )
    QAccessible.updateAccessibility(event)
