"""A layout that places widgets left to right and wraps them like words; a typed port of Qt's FlowLayout example."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QStyle, QWidget


class FlowLayout(QLayout):
    """Lays items out in rows that wrap at the available width; its height follows the width."""

    def __init__(
        self, parent: QWidget | None = None, margin: int = -1, h_spacing: int = -1, v_spacing: int = -1
    ) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._h_space = h_spacing
        self._v_space = v_spacing
        if margin >= 0:
            self.setContentsMargins(margin, margin, margin, margin)

    def __del__(self) -> None:
        # Qt's example deletes its items; Python owns them here, so just drop the references.
        self._items.clear()

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def horizontalSpacing(self) -> int:
        if self._h_space >= 0:
            return self._h_space
        return self._smart_spacing(QStyle.PixelMetric.PM_LayoutHorizontalSpacing)

    def verticalSpacing(self) -> int:
        if self._v_space >= 0:
            return self._v_space
        return self._smart_spacing(QStyle.PixelMetric.PM_LayoutVerticalSpacing)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        if 0 <= index < len(self._items):
            return self._items[index]
        return None

    def takeAt(self, index: int) -> QLayoutItem | None:
        if 0 <= index < len(self._items):
            return self._items.pop(index)
        return None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._do_layout(QRect(0, 0, width, 0), test_only=True)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._do_layout(rect, test_only=False)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins: QMargins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _do_layout(self, rect: QRect, *, test_only: bool) -> int:
        margins = self.contentsMargins()
        effective = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x = effective.x()
        y = effective.y()
        line_height = 0
        host = self.parentWidget()
        # Laid out left to right, then mirrored for a right-to-left layout: the first item sits at the right.
        mirrored = host is not None and host.layoutDirection() == Qt.LayoutDirection.RightToLeft
        for item in self._items:
            widget = item.widget()
            if widget is not None and widget.isHidden():
                continue
            space_x = self.horizontalSpacing()
            space_y = self.verticalSpacing()
            if widget is not None and (space_x < 0 or space_y < 0):
                style = widget.style()
                policy = widget.sizePolicy().controlType()
                if space_x < 0:
                    space_x = style.layoutSpacing(policy, policy, Qt.Orientation.Horizontal)
                if space_y < 0:
                    space_y = style.layoutSpacing(policy, policy, Qt.Orientation.Vertical)
            hint = item.sizeHint()
            next_x = x + hint.width() + space_x
            if next_x - space_x > effective.right() and line_height > 0:
                x = effective.x()
                y = y + line_height + space_y
                next_x = x + hint.width() + space_x
                line_height = 0
            if not test_only:
                placed = QRect(QPoint(x, y), hint)
                if mirrored:
                    placed = QStyle.visualRect(Qt.LayoutDirection.RightToLeft, effective, placed)
                item.setGeometry(placed)
            x = next_x
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()

    def _smart_spacing(self, metric: QStyle.PixelMetric) -> int:
        parent = self.parent()
        if parent is None:
            return -1
        if isinstance(parent, QWidget):
            return parent.style().pixelMetric(metric, None, parent)
        if isinstance(parent, QLayout):
            return parent.spacing()
        return -1
