"""The bundled Contact API server: ASGI app, storage, rate limiter and CLI. It never imports Qt."""


def main() -> int:
    """The ``crmdesk-server`` command (and ``python -m crmdesk.server``): collections wait until the server listens,
    so they do not walk its imports' objects again and again while they are made (see :mod:`crmdesk.heap`)."""
    from crmdesk import heap

    heap.hold_collections()
    from crmdesk.server.cli import main as cli_main

    return cli_main()
