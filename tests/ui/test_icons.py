"""Icons drawn sharp at every size and screen scale, tinted for light and dark."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from crmdesk.app import _dark_palette
from crmdesk.resources import resource_path
from crmdesk.ui.icons import icon
from tests.support.live_server import Account
from tests.ui.shell_support import close_window, open_window


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


def test_an_icon_copied_and_then_changed_does_not_crash_the_app() -> None:
    """Changing a copy of an icon makes Qt copy its engine; the copy made in Python was freed while Qt drew with
    it (a segfault). Run apart: a crash would take the test run with it."""
    script = (
        "import gc\n"
        "from PySide6.QtCore import QSize\n"
        "from PySide6.QtGui import QColor, QIcon, QPixmap\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from crmdesk.ui.icons import icon\n"
        "original = icon('plus', QColor('#000000'))\n"
        "for change in ('addPixmap', 'setIsMask'):\n"
        "    copy = QIcon(original)\n"
        "    copy.addPixmap(QPixmap(4, 4)) if change == 'addPixmap' else copy.setIsMask(True)\n"
        "    gc.collect()\n"
        "    assert not copy.pixmap(QSize(16, 16)).isNull()\n"
        "    del copy\n"
        "    gc.collect()\n"
        "assert not original.pixmap(QSize(16, 16)).isNull()\n"
        "print('drawn')\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "drawn"


def test_the_menus_icons_follow_a_switch_to_dark(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The Help and Account menus' icons kept the light scheme's black, on a dark menu."""
    window = open_window(qtbot, account)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()

    def ink(action_icon: QIcon) -> QColor:
        image = action_icon.pixmap(QSize(16, 16), 1.0).toImage()
        return max((image.pixelColor(x, y) for x in range(16) for y in range(16)), key=lambda colour: colour.alpha())

    try:
        app.setPalette(_dark_palette())
        qtbot.waitUntil(lambda: ink(window.new_button.icon()).lightness() > 128)  # the toolbar's, already re-tinted
        text = _dark_palette().color(QPalette.ColorRole.ButtonText)
        for action in (window.about_action, window.help_action, window.sign_out_action):
            assert ink(action.icon()).lightness() > 128 and text.lightness() > 128, action.text()
        assert ink(window.create_from_search.icon()).lightness() > 128
    finally:
        app.setPalette(before)
    close_window(qtbot, window)
