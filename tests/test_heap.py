"""freeze_startup_objects: start-up's objects leave the collector's generations once, and only once."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Coroutine

import pytest

from crmdesk import heap


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


def test_the_servers_entry_point_holds_collections_before_importing_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import crmdesk.server
    from crmdesk.server import cli

    class Stop(Exception):
        pass

    def cli_main() -> None:
        raise Stop(gc.isenabled())

    monkeypatch.setattr(heap, "_frozen", False)
    monkeypatch.setattr(heap, "_held", False)
    monkeypatch.setattr(cli, "main", cli_main)
    try:
        with pytest.raises(Stop) as stopped:
            crmdesk.server.main()
        assert stopped.value.args == (False,)
    finally:
        gc.enable()


def test_the_bundles_server_command_holds_collections_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmdesk import app

    monkeypatch.setattr(heap, "_frozen", False)
    monkeypatch.setattr(heap, "_held", False)
    # In a bundle the demo's server is the app itself, started as ``crmdesk server serve …``.
    monkeypatch.setattr(app, "_run_server", lambda _argv: 0 if gc.isenabled() else 7)
    try:
        assert app.main(["server", "serve", "--demo"]) == 7
    finally:
        gc.enable()


def _serve_until_listening() -> None:
    """Start the server's uvicorn subclass on a loopback port until it has announced its address, then stop."""
    import asyncio

    import uvicorn
    from starlette.applications import Starlette

    from crmdesk.server.cli import _bind, _Server

    sock = _bind("127.0.0.1", 0)
    config = uvicorn.Config(Starlette(), log_config=None, log_level="warning", lifespan="off")
    server = _Server(config, sock, on_stopped=lambda: None)

    async def listen_then_stop() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        async with asyncio.timeout(10):
            while not server.announced:
                await asyncio.sleep(0.01)
        server.should_exit = True
        await serving

    # In a thread of its own: this test process may have an event loop running in its main thread already.
    failures: list[BaseException] = []
    thread = threading.Thread(target=lambda: _run_recording(listen_then_stop, failures))
    thread.start()
    thread.join(timeout=30)
    sock.close()
    assert not thread.is_alive() and not failures, failures


def _run_recording(coroutine: Callable[[], Coroutine[object, object, None]], failures: list[BaseException]) -> None:
    import asyncio

    try:
        asyncio.run(coroutine())
    except BaseException as exc:  # reported by the test's thread
        failures.append(exc)


def test_a_held_server_freezes_its_start_up_and_collects_again_once_it_listens(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(heap, "_frozen", False)
    monkeypatch.setattr(heap, "_held", False)
    heap.hold_collections()  # what crmdesk.server.main does first
    try:
        _serve_until_listening()
        assert "listening on http://127.0.0.1:" in capsys.readouterr().out
        assert gc.isenabled()  # a server that held collections for ever would grow without bound
        assert gc.get_freeze_count() > 1_000
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_server_run_inside_another_program_leaves_its_heap_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_frozen", False)
    monkeypatch.setattr(heap, "_held", False)
    gc.unfreeze()  # a start-up earlier in this test process may have frozen already
    _serve_until_listening()
    assert gc.get_freeze_count() == 0  # the tests' objects (and any program's embedding it) are not made immortal
    assert not heap._frozen
