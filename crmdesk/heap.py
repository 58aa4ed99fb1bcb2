"""Garbage collection for long-running processes (the desktop app, the server): what start-up made is not scanned
again and again, and nothing is collected while it is being made."""

from __future__ import annotations

import gc

#: How long after the first show start-up has settled: the preloads (asyncio, httpx) and the staged contact view
#: take ~0.3 s on a 2-core machine. Whatever loads later is collected as usual.
STARTUP_SETTLE_MS = 1500

_frozen = False
_held = False


def hold_collections() -> None:
    """Collect nothing until :func:`freeze_startup_objects`: the app's ``main`` and the server's entry points call
    this first thing.

    Start-up makes tens of thousands of objects that live as long as the app; the collector walks them again and
    again while they are made, and a full collection during the first seconds is a 20 ms stall of the window
    being painted (measured in the demo's start-up). Nothing made meanwhile needs collecting that soon.
    """
    global _held
    if not _frozen:
        _held = True
        gc.disable()


def freeze_startup_objects() -> bool:
    """Move every object alive now into the collector's permanent generation (:func:`gc.freeze`), once.

    Start-up leaves ~48,000 long-lived objects (modules, classes, functions, Qt wrappers; demo mode with a contact
    open), and every full collection walks all of them again: 18–20 ms measured, more than a frame, wherever it
    strikes, in the middle of a search included. Frozen, they are skipped; collections walk only what was made
    since. What is frozen is never freed, even if it becomes garbage later (a retired first window, a few dozen
    objects); that is why this runs once, after start-up, when little of what exists is transient. Returns whether
    this call froze anything.
    """
    global _frozen, _held
    if _frozen:
        return False
    _frozen = True
    gc.freeze()
    if _held:  # collections resume, over what start-up did not leave behind
        _held = False
        gc.enable()
    return True


def freeze_if_held() -> bool:
    """:func:`freeze_startup_objects`, for a process whose entry point held collections: the server, once it
    listens. Its imports (SQLAlchemy, uvicorn) make ~100,000 objects, and collections walking them while they are
    made cost ~10% of its start. A server run inside another program (the tests) holds nothing and freezes
    nothing of that program's heap."""
    return _held and freeze_startup_objects()
