"""Fonts that are a fixed factor of the application's (a heading 1.6 times it, a caption 0.85), kept so.

Qt has no relative font sizes: a widget given a font of its own keeps that point size when the application font
changes (the rep enlarges the system's text while CRMDesk runs), and a 14 pt heading ended up smaller than 16 pt
body text. :func:`scale_font` remembers each such widget and its factor, and sets its font again from the new
application font whenever that changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget


@dataclass(frozen=True, eq=False)  # each entry is its own, found by identity
class _Scaled:
    widget: QWidget
    factor: float
    bold: bool | None
    smallest: float
    capitals: bool


_SCALED: list[_Scaled] = []
_following = False


def scale_font(
    widget: QWidget, factor: float, *, bold: bool | None = None, smallest: float = 0.0, capitals: bool = False
) -> None:
    """Give ``widget`` the application font times ``factor`` (at least ``smallest`` points; bold or not when
    ``bold`` says; in capitals with ``capitals``), now and whenever the application font changes."""
    scaled = _Scaled(widget, factor, bold, smallest, capitals)
    _apply(scaled)
    _SCALED.append(scaled)
    # Gone with its widget: note rows come and go by the hundred ("Show older notes", then another contact).
    widget.destroyed.connect(lambda _object=None, scaled=scaled: _forget(scaled))
    global _following
    app = QGuiApplication.instance()
    if not _following and isinstance(app, QGuiApplication):
        app.fontChanged.connect(_follow)
        _following = True


def _apply(scaled: _Scaled) -> None:
    font = QFont(QApplication.font(scaled.widget))
    font.setPointSizeF(max(scaled.smallest, font.pointSizeF() * scaled.factor))
    if scaled.bold is not None:
        font.setBold(scaled.bold)
    if scaled.capitals:
        font.setCapitalization(QFont.Capitalization.AllUppercase)
    italic = scaled.widget.font().italic()  # a style the widget set since (a tag chip on its way)
    font.setItalic(italic)
    scaled.widget.setFont(font)


def _forget(scaled: _Scaled) -> None:
    if scaled in _SCALED:
        _SCALED.remove(scaled)


def _follow(_font: QFont) -> None:
    _SCALED[:] = [scaled for scaled in _SCALED if shiboken6.isValid(scaled.widget)]
    for scaled in _SCALED:
        _apply(scaled)
