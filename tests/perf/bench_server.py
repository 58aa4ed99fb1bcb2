"""Throughput of the bundled server's GET (by uid, email, phone) and create, as ratios to a bare Starlette app.

Run with ``python -m tests.perf.bench_server [--contacts 100000] [--requests 2000] [--rounds 3]``. Both
servers are single uvicorn processes on loopback started the same way (``crmdesk.server.cli``), and one
load process drives each with several concurrent httpx clients. Each figure is the median of a few rounds.
Goals: reads at least 0.5x the bare app, and reads at 100k contacts no slower than 1.2x those at 1k.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from crmdesk.server.cli import LISTENING_PREFIX
from tests.support.live_server import LiveServer

ACCOUNT = "Bench"
TOKEN = "bench-token"
CONCURRENCY = 8

RequestFactory = Callable[[int], tuple[str, str, dict[str, str] | None, dict[str, object] | None]]


def populate(server: LiveServer, count: int) -> list[dict[str, str]]:
    """Give the account ``count`` contacts with unique email and phone; return them (with uids)."""
    store = server.store
    store.add_account(ACCOUNT, "pro", token=TOKEN)
    rows: list[dict[str, str]] = []
    batch = 10_000
    for start in range(0, count, batch):
        chunk = [
            {
                "uid": f"B{index:07d}",
                "firstName": f"First{index}",
                "lastName": f"Last{index}",
                "email": f"person{index}@example.org",
                "phone": f"+1 (555) {index // 10000:03d}-{index % 10000:04d}",
                "city": "Springfield",
            }
            for index in range(start, min(count, start + batch))
        ]
        store.bulk_insert_contacts(ACCOUNT, chunk)
        rows.extend(chunk)
    return rows


@contextmanager
def bare_server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.perf.bare_app"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline().decode()
        if not line.startswith(LISTENING_PREFIX):
            raise RuntimeError(f"bare app did not start: {line!r}")
        yield line[len(LISTENING_PREFIX) :].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _drive(base_url: str, make: RequestFactory, total: int) -> float:
    """Send ``total`` requests over ``CONCURRENCY`` keep-alive clients; return requests per second."""
    counter = iter(range(total))
    lock = threading.Lock()
    failures: list[int] = []

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                method, path, params, body = make(index)
                response = await client.request(method, path, params=params, json=body)
                if response.status_code >= 300:
                    failures.append(response.status_code)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. status {failures[0]}")
    return total / elapsed


def measure(base_url: str, make: RequestFactory, total: int, rounds: int) -> float:
    asyncio.run(_drive(base_url, make, min(total, 200)))  # warm up connections and caches
    return statistics.median(asyncio.run(_drive(base_url, make, total)) for _ in range(rounds))


def read_factories(rows: list[dict[str, str]]) -> dict[str, RequestFactory]:
    rng = random.Random(7)
    picks = [rng.choice(rows) for _ in range(4096)]
    return {
        "GET by uid": lambda i: ("GET", "/api/contact", {"uid": picks[i % 4096]["uid"]}, None),
        "GET by email": lambda i: ("GET", "/api/contact", {"email": picks[i % 4096]["email"].upper()}, None),
        "GET by phone": lambda i: (
            "GET",
            "/api/contact",
            {"phone": picks[i % 4096]["phone"].replace(" ", "").replace("(", "").replace(")", "")},
            None,
        ),
    }


def create_factory(i: int) -> tuple[str, str, dict[str, str] | None, dict[str, object] | None]:
    body: dict[str, object] = {"name": f"New Person{i}", "email": f"new{i}-{time.monotonic_ns()}@example.net"}
    return "POST", "/api/contact", None, body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000, help="contacts in the flatness comparison")
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="crmdesk-bench-") as folder:
        results: dict[str, float] = {}
        with bare_server() as bare_url:
            results["bare Starlette"] = measure(
                bare_url, lambda i: ("GET", "/api/contact", None, None), args.requests, args.rounds
            )
        small: dict[str, float] = {}
        with LiveServer(Path(folder) / "small.sqlite3", env={"CRMDESK_DATA_DIR": folder}) as server:
            rows = populate(server, args.small)
            for name, make in read_factories(rows).items():
                small[name] = measure(server.base_url, make, args.requests, args.rounds)
        with LiveServer(Path(folder) / "large.sqlite3", env={"CRMDESK_DATA_DIR": folder}) as server:
            started = time.perf_counter()
            rows = populate(server, args.contacts)
            print(f"seeded {args.contacts} contacts in {time.perf_counter() - started:.1f}s")
            for name, make in read_factories(rows).items():
                results[name] = measure(server.base_url, make, args.requests, args.rounds)
            results["POST create"] = measure(server.base_url, create_factory, args.requests, args.rounds)

    bare = results["bare Starlette"]
    print(f"\n{'request':<16}{'req/s':>10}{'vs bare':>10}{f'at {args.small}':>12}{'large/small':>13}")
    for name, rate in results.items():
        line = f"{name:<16}{rate:>10.0f}{rate / bare:>10.2f}"
        if name in small:
            # Time per request at the large size over time per request at the small size: 1.0 is flat.
            line += f"{small[name]:>12.0f}{small[name] / rate:>13.2f}"
        print(line)
    reads = [name for name in results if name.startswith("GET")]
    print(f"\ngoal: reads >= 0.50x bare (worst {min(results[n] for n in reads) / bare:.2f}x), ", end="")
    print(f"large/small <= 1.2 (worst {max(small[n] / results[n] for n in reads):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
