"""``python -m crmdesk.server``: the same command line as ``crmdesk-server``."""

from crmdesk.server import main

raise SystemExit(main())
