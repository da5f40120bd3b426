#!/usr/bin/env python3
"""The bus on PostgreSQL: event → console latency and delivery, against the Unix socket.

What is measured
----------------
One gateway's end of the bus publishes events at `--rate` (200/s) for `--seconds` (10)
to `--consoles` (20) consoles' ends, all in this process (the gateway's and the
consoles' CPU share the same loop, on both transports alike). Each event carries its
publish time; each console notes when it read it. Reported per transport: events
published, the share every console read, and the latency from publish to read, p50,
p95 and p99. Messages have the runtime's shape, about 400 bytes; one in 100 is made
larger than NOTIFY's 8,000 bytes, so it travels by reference (`bus_payloads`).

Baseline, in the same run and first: the Unix socket bus (console/headless/bus/server.py
and client.py) with the same load. The PostgreSQL bus (console/headless/bus/pg.py) runs
against a throwaway cluster (tests/pg.py: initdb in a temporary folder, Unix socket;
fsync off, which LISTEN/NOTIFY does not use anyway), or the server DOORKEEPER_TEST_PG
names.

Targets: every console reads every event on both transports (a check), and the PostgreSQL
bus's p95 within 1 s (issue 21's "an event on each gateway reaches an SSH session within
1 s" leaves the bus most of that second; the screen's share is bench_ssh_sessions').

How to run
----------
    make bench                                  # every bench/bench_*.py
    .venv/bin/python bench/bench_bus_pg.py      # this one (about 25 s)
    .venv/bin/python bench/bench_bus_pg.py --rate 500 --consoles 50
    .venv/bin/python bench/bench_bus_pg.py --quick   # 1 s a transport, 3 consoles
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import QUICK, QUICK_HELP, Checks, percentile, table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.headless.bus.client import BusClient  # noqa: E402
from console.headless.bus.pg import PgConsoleBus, PgGatewayBus  # noqa: E402
from console.headless.bus.server import BusServer  # noqa: E402
from core.bus import ConsoleBus, GatewayBus  # noqa: E402
from tests import pg  # noqa: E402

DESCRIPTION = ("APass number : 1111100042 (Resident) Name associated : Jordan, K (Appt. 042) "
               "Open by proximity fob")


async def run_load(gateway: GatewayBus, consoles: list[ConsoleBus], rate: float,
                   seconds: float) -> tuple[int, list[int], list[float]]:
    """Publish at `rate` for `seconds`; (published, read by each console, latencies s)."""
    latencies: list[float] = []
    counts = [0] * len(consoles)
    total = int(rate * seconds)

    async def read(i: int, console: ConsoleBus) -> None:
        async for msg in console.messages():
            if msg.get("type") != "event":
                continue
            latencies.append(time.monotonic() - msg["event"]["sent"])
            counts[i] += 1
            if counts[i] == total:
                return

    readers = [asyncio.create_task(read(i, c)) for i, c in enumerate(consoles)]
    start = time.monotonic()
    for n in range(total):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        text = DESCRIPTION * (25 if n % 100 == 50 else 1)  # one in 100 over 8,000 bytes
        gateway.publish({"type": "event", "event": {"n": n, "sent": time.monotonic(),
                                                    "description": text}})
    await asyncio.wait(readers, timeout=10)
    for task in readers:
        task.cancel()
    return total, counts, latencies


async def socket_phase(args: argparse.Namespace) -> tuple[int, list[int], list[float]]:
    folder = tempfile.mkdtemp(prefix="dk-bench-", dir="/tmp")
    server = BusServer(os.path.join(folder, "bus.sock"), lambda m, p: None)
    await server.start()
    consoles = [await BusClient.connect(server.path) for _ in range(args.consoles)]
    try:
        return await run_load(server, list(consoles), args.rate, args.seconds)
    finally:
        for c in consoles:
            await c.close()
        await server.close()


async def pg_phase(args: argparse.Namespace, url: str) -> tuple[int, list[int], list[float]]:
    gateway = PgGatewayBus(url, lambda m, p: None)
    await gateway.start()
    consoles = [await PgConsoleBus.connect(url) for _ in range(args.consoles)]
    try:
        return await run_load(gateway, list(consoles), args.rate, args.seconds)
    finally:
        for c in consoles:
            await c.close()
        await gateway.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    parser.add_argument("--rate", type=float, default=100 if QUICK else 200)
    parser.add_argument("--seconds", type=float, default=1 if QUICK else 10)
    parser.add_argument("--consoles", type=int, default=3 if QUICK else 20)
    args = parser.parse_args()
    cluster = None
    socket = os.environ.get(pg.ENV)
    if not socket:
        if not pg.available():
            print("PostgreSQL's binaries are missing: nothing to measure.")
            return 1
        cluster = pg.Cluster.start()
        socket = cluster.socket
    try:
        base = asyncio.run(socket_phase(args))
        got = asyncio.run(pg_phase(args, pg.url(socket, "postgres")))
    finally:
        if cluster is not None:
            cluster.stop()
    rows = []
    checks = Checks()
    for name, (total, counts, lat) in (("Unix socket (baseline)", base), ("PostgreSQL", got)):
        ms = sorted(x * 1000 for x in lat)
        rows.append((name, total, f"{min(counts)}/{total}", statistics.median(ms),
                     percentile(ms, 95), percentile(ms, 99)))
        checks.check(f"{name}: every console read every event", min(counts) == total,
                     f"{min(counts)}/{total}", f"{total}/{total}")
    print(f"{args.consoles} consoles, {args.rate:g} events/s for {args.seconds:g} s")
    table(("bus", "published", "read (worst console)", "p50 ms", "p95 ms", "p99 ms"), rows)
    p95_pg, p95_base = rows[1][4], rows[0][4]
    checks.target("PostgreSQL bus: event -> console p95", p95_pg <= 1000, f"{p95_pg:.1f} ms",
                  "<= 1000 ms", baseline=f"{p95_base:.1f} ms",
                  ratio=f"{p95_pg / max(p95_base, 0.001):.1f}")
    checks.print()
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
