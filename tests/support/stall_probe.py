"""The UI-stall probe shared by the CI tests (loose bound) and the benchmarks (one-frame budget)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class StallProbe:
    """Records the gaps between ticks of a precise 1 ms timer on the UI thread while :meth:`running`."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    @contextmanager
    def running(self) -> Iterator[StallProbe]:
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start(1)
        try:
            yield self
        finally:
            self._timer.stop()
            # The stretch from the last tick to the end counts too: a stall at the very end is still a stall.
            self.gaps.append(time.perf_counter() - self._last)

    @property
    def longest_ms(self) -> float:
        return max(self.gaps) * 1000 if self.gaps else float("nan")
