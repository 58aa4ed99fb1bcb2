"""PyInstaller entry point: the bundled app's ``main`` (the same one the ``crmdesk`` gui-script runs)."""

import sys

from crmdesk.app import main

if __name__ == "__main__":
    sys.exit(main())
