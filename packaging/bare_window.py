"""Baseline for the budgets: a bare PySide6-Essentials window, bundled and timed the same way as CRMDesk.

With ``--self-test`` it shows the window, lets it process one event, prints "self-test ok" and exits,
so build.py can time start-to-window for the baseline exactly as it does for the app.
"""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def main() -> int:
    app = QApplication(sys.argv)
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare window"))
    window.resize(1280, 800)
    window.show()
    if "--self-test" in sys.argv:

        def done() -> None:
            print("self-test ok", flush=True)
            app.quit()

        QTimer.singleShot(0, done)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
