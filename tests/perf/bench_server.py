"""Throughput of the bundled server's GET (by uid, email, phone) and create, as ratios to a bare Starlette app.

Run with ``python -m tests.perf.bench_server [--contacts 100000] [--requests 1000] [--rounds 5]``. Both
servers are single uvicorn processes on loopback started the same way (``crmdesk.server.cli``), and one
load process drives each with several concurrent httpx clients. Rounds interleave all targets, and each
figure is the median over the rounds.
Goals: reads at least 0.5x the bare app, and reads at 100k contacts no slower than 1.2x those at 1k.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

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
def bare_server() -> Iterator[tuple[str, int]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.perf.bare_app"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline().decode()
        if not line.startswith(LISTENING_PREFIX):
            raise RuntimeError(f"bare app did not start: {line!r}")
        yield line[len(LISTENING_PREFIX) :].strip(), process.pid
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


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far (Linux), or ``None`` where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Target:
    base_url: str
    make: RequestFactory
    pid: int


@dataclass(frozen=True)
class Figures:
    rate: float
    #: Server CPU time per request in microseconds: what the server costs, whatever the load generator costs.
    cpu_us: float | None


def measure(targets: dict[str, Target], total: int, rounds: int) -> dict[str, Figures]:
    """Medians per target; rounds interleave the targets so machine noise hits all alike."""
    for target in targets.values():
        asyncio.run(_drive(target.base_url, target.make, min(total, 200)))  # warm up connections and caches
    rates: dict[str, list[float]] = {name: [] for name in targets}
    cpus: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, target in targets.items():
            before = cpu_seconds(target.pid)
            rates[name].append(asyncio.run(_drive(target.base_url, target.make, total)))
            after = cpu_seconds(target.pid)
            if before is not None and after is not None:
                cpus[name].append((after - before) / total * 1e6)
    return {
        name: Figures(statistics.median(rates[name]), statistics.median(cpus[name]) if cpus[name] else None)
        for name in targets
    }


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
    parser.add_argument("--requests", type=int, default=1_000, help="requests per target per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    with (
        tempfile.TemporaryDirectory(prefix="crmdesk-bench-") as folder,
        bare_server() as (bare_url, bare_pid),
        LiveServer(Path(folder) / "small.sqlite3", env={"CRMDESK_DATA_DIR": folder}) as small_server,
        LiveServer(Path(folder) / "large.sqlite3", env={"CRMDESK_DATA_DIR": folder}) as large_server,
    ):
        assert small_server.process is not None and large_server.process is not None
        small_pid, large_pid = small_server.process.pid, large_server.process.pid
        small_reads = read_factories(populate(small_server, args.small))
        started = time.perf_counter()
        large_reads = read_factories(populate(large_server, args.contacts))
        print(f"seeded {args.contacts} contacts in {time.perf_counter() - started:.1f}s")
        targets = {"bare Starlette": Target(bare_url, lambda i: ("GET", "/api/contact", None, None), bare_pid)}
        for name in large_reads:
            targets[name] = Target(large_server.base_url, large_reads[name], large_pid)
            targets[f"small {name}"] = Target(small_server.base_url, small_reads[name], small_pid)
        targets["POST create"] = Target(large_server.base_url, create_factory, large_pid)
        measured = measure(targets, args.requests, args.rounds)
    results = {name: figures for name, figures in measured.items() if not name.startswith("small ")}
    small = {name.removeprefix("small "): figures for name, figures in measured.items() if name.startswith("small ")}

    bare = results["bare Starlette"]
    print(
        f"\n{'request':<16}{'req/s':>8}{'vs bare':>9}{'CPU us/req':>12}{'CPU vs bare':>13}"
        f"{f'req/s at {args.small}':>16}{'large/small':>13}"
    )
    for name, figures in results.items():
        cpu = f"{figures.cpu_us:>12.0f}" if figures.cpu_us is not None else f"{'-':>12}"
        # Throughput ratio of the server's own CPU cost: bare cost / our cost, comparable with "vs bare".
        cpu_ratio = f"{bare.cpu_us / figures.cpu_us:>13.2f}" if figures.cpu_us and bare.cpu_us else f"{'-':>13}"
        line = f"{name:<16}{figures.rate:>8.0f}{figures.rate / bare.rate:>9.2f}{cpu}{cpu_ratio}"
        if name in small:
            # Time per request at the large size over time per request at the small size: 1.0 is flat.
            line += f"{small[name].rate:>16.0f}{small[name].rate / figures.rate:>13.2f}"
        print(line)
    reads = [name for name in results if name.startswith("GET")]
    worst = min(results[n].rate for n in reads) / bare.rate
    flat = max(small[n].rate / results[n].rate for n in reads)
    print(f"\ngoal: reads >= 0.50x bare (worst {worst:.2f}x), large/small <= 1.2 (worst {flat:.2f})")
    if bare.cpu_us:
        worst_cpu = min(bare.cpu_us / cast(float, results[n].cpu_us) for n in reads if results[n].cpu_us)
        print(
            f"server CPU per request, bare/ours, worst read: {worst_cpu:.2f}x (the figure if the server were the limit)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
