"""freeze_startup_objects: start-up's objects leave the collector's generations once, and only once."""

from __future__ import annotations

import gc

import pytest

from crmdesk.services import heap


def test_start_up_objects_are_frozen_once_and_later_ones_stay_in_the_generations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heap, "_frozen", False)
    gc.unfreeze()  # a start-up earlier in this test process may have frozen already
    try:
        assert heap.freeze_startup_objects()
        frozen = gc.get_freeze_count()
        assert frozen > 1_000  # at least the modules, classes and functions this process has loaded
        made_later = [[index] for index in range(500)]
        assert not heap.freeze_startup_objects()
        assert gc.get_freeze_count() == frozen  # what came later stays where collections see it
        del made_later
    finally:
        gc.unfreeze()
