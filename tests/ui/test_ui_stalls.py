"""The UI thread never blocks: the longest gap between 1 ms timer ticks stays under a loose 100 ms.

tests/perf measures the same probe against the real budget (16 ms, one frame); here the bound is loose so
that only an accidental blocking call on the UI thread (a sync request, a file scan, a sleep) fails. The
search and demo start-up probes live in test_search.py and test_app_controller.py.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from tests.support.live_server import Account
from tests.support.stall_probe import StallProbe
from tests.ui.shell_support import close_window, create_contacts, open_window

LOOSE_BOUND_MS = 100


def test_the_ui_thread_never_stalls_during_a_save(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Save Probe", "email": "save.probe@example.com"})
    window = open_window(qtbot, account)
    window.request_search("save.probe@example.com")
    view = window.contact_view
    qtbot.waitUntil(lambda: view.current_uid() == ref.uid, timeout=15_000)
    business = view.findChild(QLineEdit, "businessName")
    assert business is not None
    business.setText("Probe Industries")
    with StallProbe(freeze_heap=True).running() as probe:
        with qtbot.waitSignal(view.service.saved, timeout=15_000) as saved:
            view.save()
        qtbot.wait(30)  # and the paint after it: a save answered in under 5 ms left the probe too few ticks
    assert saved.args[0].businessName == "Probe Industries"
    assert len(probe.gaps) > 5
    assert probe.longest_ms < LOOSE_BOUND_MS, f"the UI thread stalled for {probe.describe()}"
    close_window(qtbot, window)


def test_the_ui_thread_never_stalls_during_200_back_to_back_searches(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    people = [{"name": f"Back Toback{n}", "email": f"back{n}@example.com"} for n in range(3)]
    refs = create_contacts(qtbot, account, *people)
    window = open_window(qtbot, account)
    view = window.contact_view
    longest: list[float] = []
    described: list[str] = []
    # The run lasts seconds on a shared machine, long enough to catch a one-off scheduling hiccup. A blocking
    # call in the app shows in every run, so a stall must repeat in a second run to fail the test.
    for _run in range(2):
        with StallProbe(freeze_heap=True).running() as probe:
            for index in range(200):
                ref, person = refs[index % 3], people[index % 3]
                window.request_search(person["email"])
                qtbot.waitUntil(lambda ref=ref: view.current_uid() == ref.uid, timeout=15_000)  # type: ignore[misc]
        assert len(probe.gaps) > 200
        longest.append(probe.longest_ms)
        described.append(probe.describe())
        if probe.longest_ms < LOOSE_BOUND_MS:
            break
    assert longest[-1] < LOOSE_BOUND_MS, f"the UI thread stalled in every run: {'; '.join(described)}"
    close_window(qtbot, window)
