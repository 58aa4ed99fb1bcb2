"""``python -m crmdesk.server``: the same command line as ``crmdesk-server``."""

from crmdesk.server.cli import main

raise SystemExit(main())
