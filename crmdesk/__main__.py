"""``python -m crmdesk``: start the desktop app."""

from crmdesk.app import main

raise SystemExit(main())
