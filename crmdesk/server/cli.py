"""The ``crmdesk-server`` command line: run the server and manage accounts, stages, qualities and members."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sqlite3
import sys
import threading
from collections.abc import Awaitable, Callable, Generator, Sequence
from pathlib import Path
from typing import NoReturn

import uvicorn
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from crmdesk import contract, heap
from crmdesk.server.config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_RATE_LIMIT, Settings, db_url_from_option
from crmdesk.server.config import parse_rate_limit as _parse_rate_limit
from crmdesk.server.store import BUSY_TIMEOUT_MS, Store, StoreError, backup_database

PROG = "crmdesk-server"
LISTENING_PREFIX = f"{PROG}: listening on "
#: How long stopping (SIGTERM, Ctrl+C, stdin closing) waits for requests in progress before it drops them, so a client
#: that keeps a request open cannot hold the server up. Longer than a change may wait for another program's lock on
#: the database, so that such a change still gets its answer; below the time the desktop app allows its demo server
#: to stop before it escalates to a kill (``crmdesk.services.demo.STOP_GRACE_S``).
SHUTDOWN_GRACE_SECONDS = BUSY_TIMEOUT_MS // 1000 + 1

#: How long the server keeps a client's idle connection open.
KEEP_ALIVE_SECONDS = 15

log = logging.getLogger("crmdesk.server")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, as scripts calling the CLI expect."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{PROG}: error: {message}\n")
        raise SystemExit(2)


def _rate(text: str) -> tuple[int, float] | None:
    try:
        return _parse_rate_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _plan(text: str) -> str:
    plan = text.strip().lower()
    if plan not in contract.PLANS:
        raise argparse.ArgumentTypeError(f"unknown plan {text!r}: use one of {', '.join(contract.PLANS)}")
    return plan


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad port {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"bad port {text!r}: use 0 to 65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="The bundled CRMDesk Contact API server.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--db", help="SQLite file or SQLAlchemy URL (default: in the user data directory)")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument(
        "--rate-limit",
        type=_rate,
        default=DEFAULT_RATE_LIMIT,
        metavar="N/SECONDS|off",
        help="requests per token per window (default 100/10)",
    )
    serve.add_argument("--demo", action="store_true", help="seed the Demo account once")
    serve.add_argument("--watch-stdin", action="store_true", help="shut down when stdin reaches end of file")
    serve.add_argument("--access-log", action="store_true", help="log every request to stderr (query values hidden)")
    serve.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])

    account = commands.add_parser("account", help="manage accounts").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add_account = account.add_parser("add", help="add an account and print its token")
    add_account.add_argument("--db")
    add_account.add_argument("--name", required=True)
    add_account.add_argument(
        "--plan", required=True, type=_plan, help=f"{', '.join(contract.PLANS)} (free and express have no API access)"
    )
    add_account.add_argument("--token", help="use this token instead of a generated one")
    add_account.add_argument("--time-zone", default="UTC", help="IANA time zone for note timestamps")
    new_token = account.add_parser(
        "token", help="replace all of an account's tokens with one and print it (the old ones stop working)"
    )
    new_token.add_argument("--db")
    new_token.add_argument("--name", required=True)
    new_token.add_argument("--token", help="use this token instead of a generated one")
    set_account = account.add_parser("set", help="change an account's plan or time zone")
    set_account.add_argument("--db")
    set_account.add_argument("--name", required=True)
    set_account.add_argument("--plan", type=_plan, help=", ".join(contract.PLANS))
    set_account.add_argument("--time-zone", help="IANA time zone for note timestamps")
    list_accounts = account.add_parser("list", help="print each account's name, plan and time zone (no tokens)")
    list_accounts.add_argument("--db")
    add_token = account.add_parser(
        "add-token", help="give an account another token, labelled with whose it is, and print it"
    )
    add_token.add_argument("--db")
    add_token.add_argument("--name", required=True)
    add_token.add_argument("--label", required=True, help="whose token it is, such as the rep's name")
    add_token.add_argument("--token", help="use this token instead of a generated one")
    revoke_token = account.add_parser(
        "revoke-token", help="revoke the token with this label (the account's other tokens go on working)"
    )
    revoke_token.add_argument("--db")
    revoke_token.add_argument("--name", required=True)
    revoke_token.add_argument("--label", required=True, help='"" for the token the account was made with')
    token_labels = account.add_parser("tokens", help="print the labels of an account's tokens (not the tokens)")
    token_labels.add_argument("--db")
    token_labels.add_argument("--name", required=True)

    for noun, plural in (("stage", "STAGE"), ("quality", "QUALITY")):
        sub = commands.add_parser(noun, help=f"manage an account's {noun} names").add_subparsers(
            dest="action", required=True, metavar="ACTION"
        )
        add = sub.add_parser("add", help=f"add {noun} names to an account")
        add.add_argument("--db")
        add.add_argument("--account", required=True)
        add.add_argument("names", nargs="+", metavar=plural)

    backup = commands.add_parser(
        "backup", help="copy the database into a new file, safely while a server runs (a plain copy misses writes)"
    )
    backup.add_argument("--db")
    backup.add_argument("destination", metavar="DEST", help="the new file to write")

    member = commands.add_parser("member", help="manage an account's team members").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add_member = member.add_parser("add", help="add a team member to an account")
    add_member.add_argument("--db")
    add_member.add_argument("--account", required=True)
    add_member.add_argument("--email", required=True)
    add_member.add_argument("--name", required=True)
    return parser


class _Server(uvicorn.Server):
    """A uvicorn server that announces its real address once its socket accepts connections.

    ``on_stopping`` runs as stopping begins, beside uvicorn's wait for the requests in progress, and stopping
    waits for it. ``on_stopped`` runs once serving has ended, however it ended. After a SIGTERM uvicorn raises the
    signal again as it returns, with the default handler back in place, so the process dies there and code after
    ``serve()`` never runs; the store must be closed before that, or SQLite's write-ahead log is left beside the
    database and a copy of the database file alone misses the latest writes.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        sock: socket.socket,
        on_stopped: Callable[[], None],
        on_stopping: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(config)
        self.sock = sock
        self.on_stopping = on_stopping
        self.on_stopped = on_stopped
        self.announced = False

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.on_stopping is None:
            await super().shutdown(sockets)
        else:
            await asyncio.gather(super().shutdown(sockets), self.on_stopping())

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            try:
                yield
            finally:
                self.on_stopped()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            host, port = self.sock.getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            # The desktop app reads this exact line to learn the port, so it goes out at once.
            print(f"{LISTENING_PREFIX}http://{shown}:{port}", flush=True)
            self.announced = True
            heap.freeze_if_held()  # start-up's objects live as long as the server; collections resume


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)[0][:3]
    # The protocol must be IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on sockets that say so, and
    # without it each response waits ~40 ms for the client's delayed ACK (headers and body go out apart).
    sock = socket.socket(family, kind, proto)
    if sys.platform == "win32":
        # Windows' SO_REUSEADDR lets a second server bind a port another one listens on (the two would then split
        # the connections); exclusive use makes that second start fail with "cannot listen", as elsewhere.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    else:
        # A restart can listen again at once, while the last run's connections wait out TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _watch_stdin(server: uvicorn.Server) -> threading.Event:
    """Stop the server when stdin closes, so a child server dies with the app that started it.

    Returns an event that is set once stdin has closed. A stdin closed from the start (file descriptor 0 closed, or
    at its end as with ``</dev/null``) means the parent is already gone, so the server stops before it serves.
    """
    closed = threading.Event()
    stdin = sys.stdin  # None when the process started with file descriptor 0 closed

    def watch() -> None:
        try:
            while stdin is not None and stdin.buffer.read(65536):
                pass
        except (OSError, ValueError):
            pass
        closed.set()
        server.should_exit = True

    if stdin is None:
        watch()  # nothing to wait for
    else:
        threading.Thread(target=watch, name="stdin-watch", daemon=True).start()
    return closed


def _not_a_cut_off_request(record: logging.LogRecord) -> bool:
    """False for uvicorn's traceback of a request that stopping cut off after SHUTDOWN_GRACE_SECONDS.

    uvicorn has already logged one line saying how many it cancelled; a traceback per request would add nothing.
    """
    return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


#: What the access log shows in place of a query parameter's value.
HIDDEN_VALUE = "<hidden>"


def _query_values_hidden(record: logging.LogRecord) -> bool:
    """Replace the values in an access-log line's query string: lookups send the customer's email or phone there
    (``GET /api/contact?email=...``), which a server log must not collect. The keys stay, to tell lookups apart."""
    args = record.args
    if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
        path, _, query = args[2].partition("?")
        # "key=value" keeps its key; a part with no "=" may be a value on its own (?someone%40example.com).
        parts = (part.partition("=") for part in query.split("&") if part)
        hidden = "&".join(f"{key}={HIDDEN_VALUE}" if equals else HIDDEN_VALUE for key, equals, _value in parts)
        record.args = (*args[:2], f"{path}?{hidden}", *args[3:])
    return True


def serve(args: argparse.Namespace) -> int:
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("uvicorn.error").addFilter(_not_a_cut_off_request)
    logging.getLogger("uvicorn.access").addFilter(_query_values_hidden)
    settings = Settings(db_url=db_url_from_option(args.db), rate_limit=args.rate_limit)
    store = Store(settings.db_url)
    if args.demo:
        from crmdesk.server.demo import seed_demo

        token = seed_demo(store)
        if token is not None:
            print(f"{PROG}: demo account created, token: {token}", flush=True)
    from crmdesk.server.app import create_app

    app = create_app(settings, store)
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        sys.stderr.write(f"{PROG}: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
        return 1
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level=args.log_level,
        access_log=args.access_log,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        # Longer than clients keep an idle connection (the app: 4 s; httpx's default: 5 s), so that the server is
        # not the one to close it in the moment a client sends on it.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )

    def stopped() -> None:
        app.state.api.close()  # a change on its way ends before the store closes, however stopping went
        store.close()

    # Changes under way are answered before the server goes, and none is made after stopping began.
    server = _Server(config, sock, on_stopping=app.state.api.finish_changes, on_stopped=stopped)
    stdin_closed = _watch_stdin(server) if args.watch_stdin else None
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
        store.close()  # again, in case serving failed before it began; closing twice is harmless
    if stdin_closed is not None and stdin_closed.is_set() and not server.announced:
        # Otherwise a server started with --watch-stdin under </dev/null (a service manager's default) exits silently.
        sys.stderr.write(f"{PROG}: stdin was closed at start, so --watch-stdin stopped the server before it served\n")
    return 0


def _warn_without_api(plan: str | None) -> None:
    if plan is not None and plan not in contract.PLANS_WITH_API:
        # Refused with 403 at every request, as the vendor does: said now, not found out by a rep.
        sys.stderr.write(
            f"{PROG}: note: the {plan} plan has no API access: its tokens are refused until `account set --plan` "
            "gives it one of " + ", ".join(sorted(contract.PLANS_WITH_API)) + "\n"
        )


def admin(args: argparse.Namespace) -> int:
    if args.command == "backup":  # reads the database as it is, without upgrading it (see backup_database)
        backup_database(db_url_from_option(args.db), Path(args.destination))
        print(f"{PROG}: backed up to {args.destination}")
        return 0
    # Only adding an account may start a new database; every other command needs one that exists.
    store = Store(db_url_from_option(args.db), create=args.command == "account" and args.action == "add")
    try:
        if args.command == "account" and args.action == "add":
            print(store.add_account(args.name, args.plan, token=args.token, time_zone=args.time_zone))
            _warn_without_api(args.plan)
        elif args.command == "account" and args.action == "set":
            if args.plan is None and args.time_zone is None:
                raise StoreError("give --plan, --time-zone or both")
            store.set_account(args.name, plan=args.plan, time_zone=args.time_zone)
            _warn_without_api(args.plan)
        elif args.command == "account" and args.action == "token":
            print(store.replace_tokens(args.name, args.token))
        elif args.command == "account" and args.action == "add-token":
            print(store.add_token(args.name, args.label, args.token))
        elif args.command == "account" and args.action == "revoke-token":
            store.revoke_token(args.name, args.label)
        elif args.command == "account" and args.action == "tokens":
            for label in store.token_labels(args.name):
                print(
                    label or '(no label: the token the account was made with, or given by `account token`; --label "")'
                )
        elif args.command == "account":
            for found in store.list_accounts():
                print(f"{found.name}\t{found.plan}\t{found.time_zone}")
        elif args.command == "stage":
            store.add_stages(args.account, args.names)
        elif args.command == "quality":
            store.add_qualities(args.account, args.names)
        else:
            store.add_member(args.account, args.email, args.name)
    finally:
        store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    try:
        return serve(args) if args.command == "serve" else admin(args)
    except StoreError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 1
    except (OSError, SQLAlchemyError, sqlite3.Error) as exc:  # sqlite3's own: backup reads the file directly
        # An unusable --db (a folder, no permission, a bad URL) is bad input too: one line, no traceback.
        detail = exc.orig if isinstance(exc, DBAPIError) else exc
        sys.stderr.write(f"{PROG}: error: cannot use the database: {str(detail).splitlines()[0]}\n")
        return 1
    except KeyboardInterrupt:
        return 130
