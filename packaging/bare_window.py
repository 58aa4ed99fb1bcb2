"""Baseline for the budgets: a bare PySide6-Essentials window, bundled and timed the same way as CRMDesk.

Once the window is shown and has processed one event it prints "window shown"; with ``--self-test`` it
then prints "self-test ok" and exits. build.py and tests/perf time start-to-window and measure idle
memory for the baseline exactly as they do for the app.
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

    def shown() -> None:
        print("window shown", flush=True)
        if "--self-test" in sys.argv:
            print("self-test ok", flush=True)
            app.quit()

    QTimer.singleShot(0, shown)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
