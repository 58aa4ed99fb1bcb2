"""Benchmark: sequential GET by uid through ContactApi beside raw httpx, against the bundled server.

Run on demand with ``python -m tests.perf.bench_client [--rounds N] [--per-round M]``. Rounds alternate
the two clients so drift in the machine's load hits both alike; the goal is a median ratio of at most 1.10.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

import crmdesk
from crmdesk.api import Contact, ContactApi
from tests.support.live_server import LiveServer

GOAL = 1.10


async def bench(base_url: str, token: str, rounds: int, per_round: int) -> tuple[float, float]:
    headers = {
        "Authorization": f"Bearer {token}",
        "User-Agent": f"crmdesk/{crmdesk.__version__}",
        "Accept": "application/json",
    }
    async with ContactApi(base_url, token) as api, httpx.AsyncClient(base_url=base_url, headers=headers) as raw:
        uid = (await api.create_contact(name="Bench Mark", email="bench@example.com", note="x" * 200)).uid
        params = {"uid": uid}

        async def through_api() -> None:
            contact = await api.get_contact(uid=uid)
            assert isinstance(contact, Contact)

        async def through_httpx() -> None:
            response = await raw.get("/api/contact", params=params)
            assert response.status_code == 200

        for call in (through_api, through_httpx):  # warm both connections and code paths
            for _ in range(20):
                await call()

        api_times: list[float] = []
        raw_times: list[float] = []
        for index in range(rounds):
            order = [(through_api, api_times), (through_httpx, raw_times)]
            for call, sink in order if index % 2 == 0 else reversed(order):
                started = time.perf_counter()
                for _ in range(per_round):
                    await call()
                sink.append((time.perf_counter() - started) / per_round)
        return statistics.median(api_times), statistics.median(raw_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, LiveServer(Path(folder) / "bench.sqlite3") as server:
        account = server.add_account()
        api_median, raw_median = asyncio.run(bench(account.base_url, account.token, args.rounds, args.per_round))
    ratio = api_median / raw_median
    print(f"ContactApi.get_contact median: {api_median * 1e6:8.1f} µs")
    print(f"raw httpx GET median:          {raw_median * 1e6:8.1f} µs")
    print(f"ratio: {ratio:.3f} (goal <= {GOAL:.2f}) {'OK' if ratio <= GOAL else 'MISSED'}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
