"""Garbage collection for a long-running desktop app: what start-up made is not scanned again and again."""

from __future__ import annotations

import gc

#: How long after the first show start-up has settled: the preloads (asyncio, httpx) and the staged contact view
#: take ~0.3 s on a 2-core machine. Whatever loads later is collected as usual.
STARTUP_SETTLE_MS = 1500

_frozen = False


def freeze_startup_objects() -> bool:
    """Move every object alive now into the collector's permanent generation (:func:`gc.freeze`), once.

    Start-up leaves ~48,000 long-lived objects (modules, classes, functions, Qt wrappers; demo mode with a contact
    open), and every full collection walks all of them again: 18–20 ms measured, more than a frame, wherever it
    strikes, in the middle of a search included. Frozen, they are skipped; collections walk only what was made
    since. What is frozen is never freed, even if it becomes garbage later (a retired first window, a few dozen
    objects); that is why this runs once, after start-up, when little of what exists is transient. Returns whether
    this call froze anything.
    """
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.freeze()
    return True
