"""The UI-stall probe shared by the CI tests (loose bound) and the benchmarks (one-frame budget)."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager


class StallProbe:
    """Records the gaps between ticks of a precise 1 ms timer on the UI thread while :meth:`running`.

    ``freeze_heap`` is for probes inside the test suite. By the time a UI test runs, the process holds
    the objects of hundreds of earlier tests (hypothesis, schemathesis, servers), and one full garbage
    collection over them takes 100–300 ms on a 2-core machine. That pause belongs to the suite, not to
    the app, whose own heap is a small fraction of it. With ``freeze_heap`` the probe collects and
    freezes what exists before it starts, so a collection during the probe scans only what the app
    makes while it runs. Benchmarks, each in a process of its own, leave it off.
    """

    def __init__(self, *, freeze_heap: bool = False) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self.gc_ms: list[float] = []  # every collection during the probe, for the failure message
        self._freeze_heap = freeze_heap
        self._last = 0.0
        self._gc_started = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def _on_gc(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_ms.append((time.perf_counter() - self._gc_started) * 1000)

    @contextmanager
    def running(self) -> Iterator[StallProbe]:
        self.gaps.clear()
        self.gc_ms.clear()
        # gc.freeze() does not nest: a heap someone else froze stays as it is, and is not thawed afterwards.
        freezing = self._freeze_heap and gc.get_freeze_count() == 0
        if freezing:
            gc.collect()
            gc.freeze()
        gc.callbacks.append(self._on_gc)
        self._last = time.perf_counter()
        self._timer.start(1)
        try:
            yield self
        finally:
            self._timer.stop()
            # The stretch from the last tick to the end counts too: a stall at the very end is still a stall.
            self.gaps.append(time.perf_counter() - self._last)
            gc.callbacks.remove(self._on_gc)
            if freezing:
                gc.unfreeze()

    @property
    def longest_ms(self) -> float:
        return max(self.gaps) * 1000 if self.gaps else float("nan")

    def describe(self) -> str:
        """The longest stall and the longest garbage collection, for an assertion message."""
        longest_gc = max(self.gc_ms, default=0.0)
        return f"{self.longest_ms:.0f} ms (longest garbage collection {longest_gc:.0f} ms of {len(self.gc_ms)})"
