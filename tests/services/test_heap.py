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


def test_collections_are_held_from_start_up_until_the_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_frozen", False)
    monkeypatch.setattr(heap, "_held", False)
    assert gc.isenabled()
    try:
        heap.hold_collections()  # what the app's main does first
        assert not gc.isenabled()
        assert heap.freeze_startup_objects()
        assert gc.isenabled()  # collections resume with the freeze
        heap.hold_collections()  # too late: start-up is over, nothing is held
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_the_apps_main_holds_collections_before_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmdesk import app

    class Stop(Exception):
        pass

    def parse_args(argv: object) -> None:
        raise Stop(gc.isenabled())

    monkeypatch.setattr(heap, "_frozen", False)
    monkeypatch.setattr(heap, "_held", False)
    monkeypatch.setattr(app, "parse_args", parse_args)
    try:
        with pytest.raises(Stop) as stopped:
            app.main(["--demo"])
        assert stopped.value.args == (False,)
    finally:
        gc.enable()
