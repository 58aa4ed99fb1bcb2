"""Background work for services: one small builder that runs a coroutine and reports through callbacks.

Each service owns a :class:`TaskSlots`. Starting a task under a key cancels the one already running
under that key (a new search supersedes the last). Cancellation is silent. A failure goes to the
``on_error`` handler, or, when none is given, to the owner's default handler (usually a signal that
ends in the error banner). An exception in a success handler is a bug and reaches ``sys.excepthook``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from crmdesk.services import event_loop

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("crmdesk.services.tasks")

T = TypeVar("T")


class TaskSlots:
    """Named slots for running tasks; at most one task per key."""

    def __init__(self, default_error_handler: Callable[[BaseException], None]) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._default_error_handler = default_error_handler

    def start(
        self,
        key: str,
        coro: Coroutine[Any, Any, T],
        on_success: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_finally: Callable[[], None] | None = None,
    ) -> asyncio.Task[T]:
        """Run ``coro`` as a task under ``key``, cancelling whatever ran there before."""
        self.cancel(key)
        task: asyncio.Task[T] = event_loop.start(coro)
        self._tasks[key] = task

        def finished(done: asyncio.Task[T]) -> None:
            if self._tasks.get(key) is done:
                del self._tasks[key]
            try:
                if done.cancelled():
                    return
                error = done.exception()
                if error is not None:
                    (on_error or self._default_error_handler)(error)
                elif on_success is not None:
                    on_success(done.result())
            except Exception:  # a handler's bug must not vanish inside the loop's callback machinery
                sys.excepthook(*sys.exc_info())
            finally:
                if on_finally is not None:
                    on_finally()

        task.add_done_callback(finished)
        return task

    def running(self, key: str) -> bool:
        task = self._tasks.get(key)
        return task is not None and not task.done()

    def cancel(self, key: str) -> None:
        task = self._tasks.pop(key, None)
        if task is not None and not task.done():
            task.cancel()

    def cancel_all(self, keep: Callable[[str], bool] | None = None) -> list[asyncio.Task[Any]]:
        """Cancel every task (but those whose key ``keep`` accepts); returns them so a caller can await their
        clean-up."""
        keys = [key for key in self._tasks if keep is None or not keep(key)]
        tasks = [task for key in keys if not (task := self._tasks.pop(key)).done()]
        for task in tasks:
            task.cancel()
        return tasks
