#!/usr/bin/env python3
"""Event append rate into PostgreSQL: the store's EventWriter against raw COPY.

What is measured
----------------
N events of bench_event_append's realistic mix (calls, fobs, codes, providers, alarms over
90 days, so three monthly partitions) are appended through the store: `Store.open` on a
fresh, migrated PostgreSQL database (partitioned events, migration 0009),
`await store.event_writer()`, `append_many`, `flush`. The clock runs from the first
append to the end of the flush.

Baseline, in the same run, on the same server: asyncpg's `copy_records_to_table` (COPY)
of the SAME rows (same ids, same times) into the events table of another database
migrated the same way, and the same alarm rows, one transaction per batch of the writer's
size. The two sides run alternately, `--repeat` times; medians and the ratio ours/raw are
reported. Target (issue 21's ingest ratio): ours/raw >= 0.3.

The server: DOORKEEPER_TEST_PG (a socket folder, as in tests/pg.py) when set, else a
throwaway cluster made for the run (tests/pg.py: initdb in a temporary folder, fsync off,
so the figures are the database's work, not the disk's). Without PostgreSQL's binaries
the benchmark says so and reports nothing to fail.

    .venv/bin/python bench/bench_pg_events.py                # 100,000 events, 3 repeats
    .venv/bin/python bench/bench_pg_events.py --quick        # 3,000 events, 1 repeat
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from contextlib import suppress

from _common import QUICK, QUICK_HELP, ROOT, Checks, median, no_postgresql, table
from _event_mix import SITE_SQL, SITES, make_events

sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from core.config import StoreConfig  # noqa: E402
from core.model import ALARM_KINDS, Event  # noqa: E402
from store.database import Store  # noqa: E402
from tests import pg  # noqa: E402

TARGET_RATIO = 0.3
COLUMNS = ("id", "at", "site_id", "kind", "result", "device_id", "block_id", "flat_id",
           "credential", "name", "reason", "description")


def pg_site_sql() -> str:
    return SITE_SQL.replace("?", "${}").format(*range(1, 11))


async def fresh(dbs: pg.Databases, name: str) -> str:
    """A migrated database with the benchmark's sites; its URL."""
    await dbs.create(name)
    url = pg.url(dbs.socket, name)
    await (await Store.open(StoreConfig(url=url))).close()
    con = await asyncpg.connect(host=dbs.socket, user=pg.SUPERUSER, database=name)
    try:
        await con.executemany(pg_site_sql(), [(*s[:8], bool(s[8]), s[9]) for s in SITES])
    finally:
        await con.close()
    return url


async def run_ours(url: str, events: list[Event]) -> tuple[float, int, int]:
    store = await Store.open(StoreConfig(url=url), migrate=False)
    writer = await store.event_writer()
    t0 = time.perf_counter()
    writer.append_many(events)
    await writer.flush()
    seconds = time.perf_counter() - t0
    batches, size = writer.batches, writer.max_batch
    await store.close()
    return seconds, batches, size


async def run_raw(dbs: pg.Databases, name: str, events: list[Event], size: int) -> float:
    rows = [(i, e.at, e.site_id, e.kind.value, e.result.value, e.device_id, e.block_id,
             e.flat_id, e.credential, e.name, e.reason, e.description)
            for i, e in enumerate(events, start=1)]
    alarms = [(i, e.site_id, e.kind.value, e.at, e.device_id, "")
              for i, e in enumerate(events, start=1) if e.kind in ALARM_KINDS]
    con = await asyncpg.connect(host=dbs.socket, user=pg.SUPERUSER, database=name)
    try:
        t0 = time.perf_counter()
        for i in range(0, len(rows), size):
            async with con.transaction():
                await con.copy_records_to_table("events", records=rows[i:i + size],
                                                columns=COLUMNS)
                mine = [a for a in alarms if i < a[0] <= i + size]
                if mine:
                    await con.copy_records_to_table(
                        "alarms", records=mine,
                        columns=("event_id", "site_id", "kind", "raised_at", "device_id",
                                 "note"))
        return time.perf_counter() - t0
    finally:
        await con.close()


async def count(dbs: pg.Databases, name: str) -> tuple[int, int]:
    con = await asyncpg.connect(host=dbs.socket, user=pg.SUPERUSER, database=name)
    try:
        return (await con.fetchval("SELECT count(*) FROM events"),
                await con.fetchval("SELECT count(*) FROM alarms"))
    finally:
        await con.close()


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=3_000 if QUICK else 100_000)
    ap.add_argument("--repeat", type=int, default=1 if QUICK else 3)
    ap.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = ap.parse_args(argv)
    if args.events < 1 or args.repeat < 1:
        ap.error("--events and --repeat must be 1 or more")
    checks = Checks()
    socket = os.environ.get(pg.ENV)
    cluster = None
    if not socket:
        if no_postgresql(checks):
            return 0
        t = time.perf_counter()
        cluster = pg.Cluster.start()
        socket = cluster.socket
        print(f"A throwaway cluster in {socket}, made in {time.perf_counter() - t:.1f} s")
    try:
        dbs = pg.Databases(socket, f"bench{os.getpid()}")
        events = make_events(args.events)
        print(f"Event append into PostgreSQL: {args.events:,} events, {args.repeat} repeat(s)")
        ours_rates, raw_rates, runs, same = [], [], [], True
        for r in range(args.repeat):
            names = {side: dbs.name(f"{side}{r}") for side in ("ours", "raw")}
            urls = {side: await fresh(dbs, n) for side, n in names.items()}
            order = ("ours", "raw") if r % 2 == 0 else ("raw", "ours")
            took: dict[str, float] = {}
            size = 20_000
            for side in order:
                if side == "ours":
                    for e in events:
                        e.id = None
                    took[side], _, size = await run_ours(urls[side], events)
                else:
                    took[side] = await run_raw(dbs, names[side], events, size)
            counts = {side: await count(dbs, n) for side, n in names.items()}
            same = same and counts["ours"] == counts["raw"]
            for n in names.values():
                await dbs.drop(n)
            ours_rates.append(args.events / took["ours"])
            raw_rates.append(args.events / took["raw"])
            runs.append((r + 1, " then ".join(order), took["ours"], ours_rates[-1],
                         took["raw"], raw_rates[-1], ours_rates[-1] / raw_rates[-1]))
        table(("run", "order", "ours s", "ours ev/s", "COPY s", "COPY ev/s", "ratio"), runs)
        ours, raw = median(ours_rates), median(raw_rates)
        ratio = ours / raw
        print()
        table(("median of runs", "events/s"), [("EventWriter (append_many + flush)", ours),
                                               ("raw COPY (asyncpg)", raw),
                                               ("ratio ours/raw", f"{ratio:.2f}")])
        checks.target("throughput ratio ours/COPY", ratio >= TARGET_RATIO, f"{ratio:.2f}",
                      f">= {TARGET_RATIO}", baseline=f"{raw:,.0f} ev/s", ratio=f"{ratio:.2f}")
        checks.check("same events and alarms stored by both sides", same,
                      "same" if same else "different", "same")
    finally:
        if cluster is not None:
            with suppress(Exception):
                cluster.stop()
    checks.print()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
