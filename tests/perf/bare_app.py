"""A bare Starlette app with a fixed JSON body, served like the bundled server: the benchmark's yardstick."""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crmdesk.server.cli import _bind, _Server

BODY = {"success": True, "message": "Contact retrieved successfully", "data": {"uid": "ABC12345"}}


async def fixed(_request: Request) -> Response:
    return JSONResponse(BODY)


def main() -> int:
    app = Starlette(routes=[Route("/api/contact", fixed, methods=["GET", "POST"])])
    sock = _bind("127.0.0.1", 0)
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off")
    server = _Server(config, sock, on_stopped=lambda: None)  # no store to close
    asyncio.run(server.serve(sockets=[sock]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
