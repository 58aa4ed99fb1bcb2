"""SVG icons from resources/icons, tinted with the palette's text colour so they read in light and dark mode."""

from __future__ import annotations

from functools import cache

import shiboken6
from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from crmdesk.resources import resource_path

#: The main toolbar's buttons.
TOOLBAR_SIZE = 18


@cache
def _svg_text(name: str) -> str:
    return resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")


def _default_color(role: QPalette.ColorRole) -> QColor:
    return QGuiApplication.palette().color(QPalette.ColorGroup.Active, role)


#: Copies of icon engines made for Qt (see _TintedSvg.clone), kept from Python's garbage collector.
_CLONES: list[QIconEngine] = []


class _TintedSvg(QIconEngine):
    """An SVG drawn in one colour (another when disabled), rendered at each size and pixel ratio it is asked for.

    Rendered when first drawn, at the size times the ratio of the screen it is drawn on: a window moved to a
    screen of another scale (a laptop at 100% docked to a monitor at 200%) gets sharp icons there, where pixmaps
    rendered up front for the primary screen were blown up and blurred. Each rendering is kept.
    """

    def __init__(self, normal: bytes, disabled: bytes) -> None:
        super().__init__()
        self._svgs = {QIcon.Mode.Normal: normal, QIcon.Mode.Disabled: disabled}
        self._pixmaps: dict[tuple[int, int, bool, float], QPixmap] = {}

    def clone(self) -> QIconEngine:
        # Qt owns the copy it asks for (an icon changed after being copied), but PySide6 leaves a copy made in
        # Python to Python, which would free it while Qt draws with it: each is kept until Qt has let it go.
        copy = _TintedSvg(self._svgs[QIcon.Mode.Normal], self._svgs[QIcon.Mode.Disabled])
        _CLONES[:] = [kept for kept in _CLONES if shiboken6.isValid(kept)]
        _CLONES.append(copy)
        return copy

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        side = min(size.width(), size.height())  # every icon is square
        return QSize(side, side)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        side = min(size.width(), size.height())
        disabled = mode == QIcon.Mode.Disabled
        key = (side, side, disabled, scale)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            device = max(1, round(side * scale))
            pixmap = QPixmap(device, device)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            data = self._svgs[QIcon.Mode.Disabled if disabled else QIcon.Mode.Normal]
            QSvgRenderer(QByteArray(data)).render(painter, QRectF(0, 0, device, device))
            painter.end()
            pixmap.setDevicePixelRatio(scale)
            self._pixmaps[key] = pixmap
        return pixmap

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device = painter.device()
        scale = device.devicePixelRatioF() if device is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))


@cache
def _tinted(name: str, color_name: str, disabled_name: str) -> QIcon:
    # Our icons draw with stroke="currentColor"; substituting the colour is how a stroke icon takes a tint.
    svg = _svg_text(name)
    normal, disabled = (svg.replace("currentColor", colour).encode("utf-8") for colour in (color_name, disabled_name))
    return QIcon(_TintedSvg(normal, disabled))


def icon(name: str, color: QColor | None = None, role: QPalette.ColorRole = QPalette.ColorRole.ButtonText) -> QIcon:
    """The icon ``resources/icons/<name>.svg``, tinted ``color`` or the current palette's ``role`` colour.

    Rendered at whatever size and pixel ratio it is drawn at. Icons are cached per name and colour, so asking
    again after a palette change yields a freshly tinted one.
    """
    tint = color if color is not None else _default_color(role)
    disabled = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    return _tinted(name, tint.name(QColor.NameFormat.HexRgb), disabled.name(QColor.NameFormat.HexRgb))


def app_icon() -> QIcon:
    """The application's own (full colour) icon."""
    return QIcon(str(resource_path("icons", "crmdesk.svg")))
