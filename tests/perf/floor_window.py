"""The least any window built on CRMDesk's stack does: a second yardstick for the start-up and memory rows.

The bare window (packaging/bare_window.py) is the budgets' baseline. It never touches two costs that every
app on this stack pays, whatever the app does:

- its label is aligned with ``Qt.AlignmentFlag``. The first use of anything in PySide6's ``Qt`` namespace
  builds all of that namespace's Python enums (93 of them), and a real window cannot avoid it;
- with ``--fetch``, once shown, it runs qasync's event loop and fetches the contact with an
  ``httpx.AsyncClient`` GET, as every API call of the app is made, and shows the contact's name.

It prints "window shown" once the window has processed one event (and exits with ``--self-test``), and
"contact shown" once the contact's name is on screen. bench_startup times and weighs it beside the bare
window and the app, so the table can say how much of each ratio is the stack's and how much the app's.

Usage: ``python -m tests.perf.floor_window [--self-test] [--fetch BASE_URL TOKEN EMAIL]``
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def main(argv: list[str]) -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    label = QLabel("floor window")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    window.setCentralWidget(label)
    window.resize(1280, 800)
    window.show()

    def shown() -> None:
        print("window shown", flush=True)
        if "--self-test" in argv:
            app.quit()
        elif "--fetch" in argv:
            base_url, token, email = argv[argv.index("--fetch") + 1 : argv.index("--fetch") + 4]
            fetch(app, label, base_url, token, email)

    QTimer.singleShot(0, shown)
    return app.exec()


def fetch(app: QApplication, label: QLabel, base_url: str, token: str, email: str) -> None:
    # As in the app: httpx's command-line tool is never loaded (crmdesk/app.py says why).
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    import asyncio

    import httpx
    import qasync

    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)

    async def get() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
            try:
                response = await client.get("/api/contact", params={"email": email})
                response.raise_for_status()
                contact = response.json()["data"]
                label.setText(f"{contact['firstName']} {contact['lastName']}")
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                print(f"floor window: fetching the contact failed: {exc!r}", file=sys.stderr, flush=True)
                app.exit(1)  # the benchmark sees the exit before "contact shown" and stops
                return
            QTimer.singleShot(0, lambda: print("contact shown", flush=True))
            # Stay up with the client open, like the app with its contact, until the benchmark has read the memory.
            await asyncio.Event().wait()

    loop.create_task(get())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
