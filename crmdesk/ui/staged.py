"""Construction in steps, so a large widget can be built across event-loop turns without a dropped frame."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class BuildSteps:
    """The remaining construction steps of a widget, run one at a time or all at once."""

    def __init__(self, *steps: Callable[[], None]) -> None:
        self._steps: deque[Callable[[], None]] = deque(steps)

    @property
    def done(self) -> bool:
        return not self._steps

    def run_next(self) -> bool:
        """Run the next step; True while steps remain."""
        if self._steps:
            self._steps.popleft()()
        return bool(self._steps)

    def run_next_first(self, step: Callable[[], None]) -> None:
        """Make ``step`` the next one to run: a step that found more to do than one turn's worth."""
        self._steps.appendleft(step)

    def run_all(self) -> None:
        while self._steps:
            self._steps.popleft()()
