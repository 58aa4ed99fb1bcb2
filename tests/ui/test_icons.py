"""Icons drawn sharp at every size and screen scale, tinted for light and dark."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from crmdesk.resources import resource_path
from crmdesk.ui.icons import icon


def _rendered(name: str, colour: str, side: int) -> QImage:
    """The SVG drawn straight at ``side`` device pixels in ``colour``: what a sharp icon of that size is."""
    svg = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8").replace("currentColor", colour)
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(QByteArray(svg.encode())).render(painter, QRectF(0, 0, side, side))
    painter.end()
    return pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


@pytest.mark.parametrize("scale", [1.0, 1.25, 1.5, 2.0, 3.0])
def test_an_icon_drawn_on_a_screen_of_any_scale_is_rendered_for_it_not_blown_up(
    qapp: QApplication, scale: float
) -> None:
    """A window moved from a laptop at 100% to a monitor at 200% drew its toolbar icons from 18 px renderings
    made for the first screen, stretched to 36 device pixels, and blurred."""
    settings = icon("settings", QColor("#202020"))
    pixmap = settings.pixmap(QSize(18, 18), scale)
    side = round(18 * scale)
    assert (pixmap.width(), pixmap.height()) == (side, side)
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    assert image == _rendered("settings", "#202020", side)


def test_painting_an_icon_on_a_high_density_surface_draws_it_at_that_density(qapp: QApplication) -> None:
    """As a toolbar button paints it on a 2x screen: the icon is drawn from a rendering at 2x."""
    surface = QPixmap(40, 40)
    surface.setDevicePixelRatio(2.0)
    surface.fill(Qt.GlobalColor.transparent)
    painter = QPainter(surface)
    icon("help", QColor("#202020")).paint(painter, 0, 0, 20, 20)
    painter.end()
    image = surface.toImage().convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    assert image == _rendered("help", "#202020", 40)


def test_a_disabled_icon_takes_the_disabled_colour(qapp: QApplication) -> None:
    tinted = icon("plus", QColor("#000000"))
    normal = tinted.pixmap(QSize(16, 16), 1.0, QIcon.Mode.Normal).toImage()
    disabled = tinted.pixmap(QSize(16, 16), 1.0, QIcon.Mode.Disabled).toImage()
    assert normal != disabled and not disabled.isNull()
