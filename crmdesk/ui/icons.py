"""SVG icons from resources/icons, tinted with the palette's text colour so they read in light and dark mode."""

from __future__ import annotations

import math
from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from crmdesk.resources import resource_path

# The sizes the app draws icons at (menus and buttons 16, toolbar 18, banner 20, a style's default 24). Only these,
# times the screen's pixel ratio, are rendered up front: each render costs start-up time (12 icons at six sizes
# each took 30 ms before the window could show). A caller that knows the one size it draws at asks for just that.
_LOGICAL_SIZES = (16, 18, 20, 24)
#: Menus, line-edit actions and push buttons (the small icon size of Fusion, Windows and macOS styles alike).
SMALL_SIZE = 16
#: The main toolbar's buttons.
TOOLBAR_SIZE = 18


def _sizes(logical: tuple[int, ...]) -> tuple[int, ...]:
    screen = QGuiApplication.primaryScreen()
    ratio = max(1, math.ceil(screen.devicePixelRatio())) if screen is not None else 1
    return tuple(sorted({size * factor for size in logical for factor in {1, ratio}}))


@cache
def _svg_text(name: str) -> str:
    return resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")


def _default_color(role: QPalette.ColorRole) -> QColor:
    return QGuiApplication.palette().color(QPalette.ColorGroup.Active, role)


@cache
def _render(name: str, color_name: str, disabled_name: str, logical_sizes: tuple[int, ...]) -> QIcon:
    result = QIcon()
    for mode, colour in ((QIcon.Mode.Normal, color_name), (QIcon.Mode.Disabled, disabled_name)):
        # Our icons draw with stroke="currentColor"; substituting the colour is how a stroke icon takes a tint.
        data = QByteArray(_svg_text(name).replace("currentColor", colour).encode("utf-8"))
        renderer = QSvgRenderer(data)
        for size in _sizes(logical_sizes):
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter, QRectF(0, 0, size, size))
            painter.end()
            result.addPixmap(pixmap, mode)
    return result


def icon(
    name: str,
    color: QColor | None = None,
    role: QPalette.ColorRole = QPalette.ColorRole.ButtonText,
    *,
    size: int | None = None,
) -> QIcon:
    """The icon ``resources/icons/<name>.svg``, tinted ``color`` or the current palette's ``role`` colour.

    ``size`` is the one size (in device-independent pixels) the caller draws it at; without it, the icon is
    rendered at every size the app uses. Icons are cached per name, colour and size, so asking again after a
    palette change yields a freshly tinted one.
    """
    tint = color if color is not None else _default_color(role)
    disabled = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    sizes = (size,) if size is not None else _LOGICAL_SIZES
    return _render(name, tint.name(QColor.NameFormat.HexRgb), disabled.name(QColor.NameFormat.HexRgb), sizes)


def app_icon() -> QIcon:
    """The application's own (full colour) icon."""
    return QIcon(str(resource_path("icons", "crmdesk.svg")))
