#!/usr/bin/env python3
"""Event append throughput and durability latency of the store's EventWriter.

What is measured
----------------
1. Throughput. N events of realistic content (the demo history's mix of calls,
   fobs and radio transmitters, keypad codes, provider openings and alarms,
   10-digit APass numbers, resident names, the guide's descriptions such as
   "APass number : 1111100007 (Resident) Name associated : ..."; made by
   bench/_event_mix.py) are appended through the store: `Store.open` on a fresh
   temporary SQLite file, `await store.event_writer()`, `writer.append_many(events)`,
   then `await writer.flush()`. The clock runs from the first append to the end of
   the flush; opening and migrating the store is not timed.

   Baseline, measured in the same run: plain `sqlite3` `executemany` of the
   SAME rows (the same ids, the same stored timestamps, plus the same alarm
   rows the writer adds for alarm events) into the SAME schema: a copy (the
   sqlite3 backup API) of a freshly migrated store, so virtual tables such as
   the FTS5 search index come with their shadow tables as SQLite made them,
   with the store's pragmas (WAL,
   synchronous=FULL, foreign keys, busy timeout), one `BEGIN IMMEDIATE` ...
   `COMMIT` per batch of the writer's batch size. Both databases are compared
   after the first repeat to prove they hold identical rows.

   The two are run alternately (ours first on odd repeats, raw first on even
   ones), K times; the medians and the ratio ours/raw are reported. Targets
   from the issue: ratio >= 0.3 and ours >= 20,000 events/s.

2. Durability latency. With the writer at its default flush interval, one
   event at a time is appended at about 200 events/s for 3 s while a separate
   plain `sqlite3` connection, in another thread, polls the events table
   every millisecond. Append-to-visible latency (visible to another
   connection = committed) is reported as p50/p99/max. Target: every event
   durable within 100 ms.

A missed target prints FAIL but the exit status stays 0; only a broken
benchmark exits non-zero.

How to run
----------
    make bench                                    # every bench/bench_*.py
    .venv/bin/python bench/bench_event_append.py  # this one
    .venv/bin/python bench/bench_event_append.py --events 50000 --repeat 1
    .venv/bin/python bench/bench_event_append.py --quick   # 5,000 events, 1 s of durability
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _common import QUICK, QUICK_HELP, Checks, median, percentile, table
from _event_mix import SITE_SQL, SITES, make_events, raw_rows

from core.config import StoreConfig
from core.model import Event
from store.database import Store

TARGET_RATIO = 0.3
TARGET_EVENTS_PER_S = 20_000
TARGET_DURABLE_MS = 100.0
DURABILITY_RATE = 200  # events/s
DURABILITY_SECONDS = 1.0 if QUICK else 3.0

EVENT_COLUMNS = ("id", "at", "site_id", "kind", "result", "device_id", "block_id", "flat_id",
                 "credential", "name", "reason", "description")
EVENT_SQL = (f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
             f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})")
ALARM_SQL = ("INSERT INTO alarms (event_id, site_id, kind, raised_at, device_id, note) "
             "VALUES (?, ?, ?, ?, ?, ?)")
CLEAR_SQL = ("UPDATE alarms SET cleared_at = ? WHERE device_id = ? AND kind = 'Device offline' "
             "AND cleared_at IS NULL AND event_id < ?")


# --- the two ways of writing -----------------------------------------------------

CLOSE_TIMEOUT_S = 10.0
close_hangs: list[str] = []  # where Store.close() did not return
closes = [0]


async def close_store(store: Store, where: str) -> None:
    """`store.close()`, but a hang is reported and recovered from instead of blocking forever.

    On Python 3.11 `asyncio.wait_for` can swallow a cancellation (CPython gh-86296),
    and EventWriter.close() cancels a task that sits in `wait_for`, so a close that
    follows a flush closely can wait forever. Seen while writing this benchmark.
    """
    closes[0] += 1
    try:
        await asyncio.wait_for(store.close(), CLOSE_TIMEOUT_S)
    except TimeoutError:
        close_hangs.append(where)
        print(f"WARNING: Store.close() after the {where} run did not return within "
              f"{CLOSE_TIMEOUT_S:g} s (the event writer ignored its cancellation); "
              f"disposed of the engine instead.", flush=True)
        await store.engine.dispose()


@dataclass
class Schema:
    template: Path  # a freshly migrated store, closed: the raw side starts from a copy
    objects: int  # tables, indexes, triggers ... in it
    pragmas: list[str]
    batch: int
    flush_ms: int


def add_sites(path: Path) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.executemany(SITE_SQL, SITES)
    con.close()


async def read_schema(path: Path) -> Schema:
    """Migrate a fresh store and read back its schema, pragmas and writer settings."""
    store = await Store.open(path=path)
    writer = await store.event_writer()
    batch, flush_ms = writer.max_batch, store.flush_ms
    async with store.engine.connect() as conn:
        pragmas = {name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    await close_store(store, "schema")
    con = sqlite3.connect(path)
    (objects,) = con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    con.close()
    if pragmas["journal_mode"].lower() != "wal" or pragmas["synchronous"] != 2:
        raise SystemExit(f"unexpected store pragmas {pragmas}: the baseline would differ")
    return Schema(path, objects, [f"PRAGMA {k} = {v}" for k, v in pragmas.items()], batch,
                  flush_ms)


async def run_ours(path: Path, events: list[Event]) -> tuple[float, int]:
    """Seconds to append and flush every event through the store; batches written."""
    store = await Store.open(path=path)
    add_sites(path)
    writer = await store.event_writer()
    gc.collect()
    t0 = time.perf_counter()
    writer.append_many(events)
    await writer.flush()
    seconds = time.perf_counter() - t0
    batches = writer.batches
    await close_store(store, "throughput")
    return seconds, batches


def run_raw(path: Path, schema: Schema, rows: list[tuple],
            alarm_batches: list[list[tuple]]) -> tuple[float, int]:
    """Seconds to write the same rows with plain sqlite3 executemany; batches written."""
    con = sqlite3.connect(path, isolation_level=None)
    with sqlite3.connect(schema.template) as template:
        template.backup(con)  # the whole schema, FTS5 shadow tables as SQLite made them
    for pragma in schema.pragmas:
        con.execute(pragma)
    con.executemany(SITE_SQL, SITES)
    gc.collect()
    t0 = time.perf_counter()
    for n, i in enumerate(range(0, len(rows), schema.batch)):
        con.execute("BEGIN IMMEDIATE")
        batch = rows[i:i + schema.batch]
        con.executemany(EVENT_SQL, batch)
        if alarm_batches[n]:
            con.executemany(ALARM_SQL, alarm_batches[n])
        # like the writer: a device back online clears its earlier "offline" alarms
        con.executemany(CLEAR_SQL, [(r[1], r[5], r[0]) for r in batch
                                    if r[3] == "Device online" and r[5] is not None])
        con.execute("COMMIT")
    seconds = time.perf_counter() - t0
    con.close()
    return seconds, len(alarm_batches)


def digest(path: Path) -> tuple[int, int, str]:
    """Events, alarms and a hash of both tables' contents."""
    con = sqlite3.connect(path)
    h = hashlib.sha256()
    n_events = n_alarms = 0
    for row in con.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY id"):
        h.update(repr(row).encode())
        n_events += 1
    for row in con.execute("SELECT event_id, site_id, kind, raised_at, device_id, "
                           "acknowledged_at, acknowledged_by, note, cleared_at "
                           "FROM alarms ORDER BY event_id"):
        h.update(repr(row).encode())
        n_alarms += 1
    con.close()
    return n_events, n_alarms, h.hexdigest()


# --- durability ------------------------------------------------------------------------


class Poller(threading.Thread):
    """A separate plain sqlite3 connection noting when each event id becomes visible."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.polls = 0

    def run(self) -> None:
        con = sqlite3.connect(self.path)
        last = 0
        while not self.stop.is_set():
            ids = con.execute("SELECT id FROM events WHERE id > ? ORDER BY id",
                              (last,)).fetchall()
            now = time.perf_counter()
            self.polls += 1
            for (i,) in ids:
                self.seen[i] = now
            if ids:
                last = ids[-1][0]
            time.sleep(0.001)
        con.close()


async def durability(path: Path) -> dict[str, float]:
    """Append at DURABILITY_RATE for DURABILITY_SECONDS; latency until visible elsewhere."""
    store = await Store.open(path=path)
    add_sites(path)
    writer = await store.event_writer()
    count = int(DURABILITY_RATE * DURABILITY_SECONDS)
    events = make_events(count, seed=7)
    poller = Poller(path)
    poller.start()
    appended: list[float] = []
    t0 = time.perf_counter()
    for k, event in enumerate(events):
        delay = t0 + k / DURABILITY_RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        event.at = datetime.now(UTC)
        appended.append(time.perf_counter())
        writer.append(event)
    elapsed = time.perf_counter() - t0
    await writer.flush()
    ids = [e.id for e in events]
    deadline = time.perf_counter() + 5
    while not all(i in poller.seen for i in ids) and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    poller.stop.set()
    poller.join()
    batches = writer.batches
    await close_store(store, "durability")
    missing = [i for i in ids if i not in poller.seen]
    if missing:
        raise SystemExit(f"{len(missing)} flushed events never became visible to the poller")
    lat = [(poller.seen[i] - a) * 1000 for i, a in zip(ids, appended, strict=True)]
    return {"events": count, "rate": count / elapsed, "batches": batches,
            "polls": poller.polls, "p50": percentile(lat, 50), "p99": percentile(lat, 99),
            "max": max(lat)}


# --- main ----------------------------------------------------------------------------


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=5_000 if QUICK else 200_000,
                    help="events per run (200000; 5000 with --quick)")
    ap.add_argument("--repeat", type=int, default=1 if QUICK else 3,
                    help="repeats of each side (3; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = ap.parse_args(argv)
    if args.events < 1 or args.repeat < 1:
        ap.error("--events and --repeat must be 1 or more")

    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        tmpdir = Path(tmp)
        schema = await read_schema(tmpdir / "template.db")
        t = time.perf_counter()
        events = make_events(args.events)
        rows, alarms = raw_rows(events)
        alarm_batches: list[list[tuple]] = [[] for _ in range(0, len(rows), schema.batch)]
        for a in alarms:
            alarm_batches[(a[0] - 1) // schema.batch].append(a)
        kinds = len({e.kind for e in events})
        print(f"Event append: {args.events:,} events ({kinds} kinds, {len(alarms):,} alarms), "
              f"writer batches of {schema.batch:,}, {args.repeat} repeat(s); "
              f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}; "
              f"data made in {time.perf_counter() - t:.1f} s; temp dir {tmpdir}")
        print(f"Baseline: sqlite3 executemany into a copy of a migrated store "
              f"({schema.objects} schema objects), {'; '.join(schema.pragmas)}")
        print()

        ours_rates, raw_rates, runs = [], [], []
        for r in range(args.repeat):
            order = ("ours", "raw") if r % 2 == 0 else ("raw", "ours")
            result = {}
            for side in order:
                path = tmpdir / f"{side}-{r}.db"
                if side == "ours":
                    result[side] = await run_ours(path, events)
                else:
                    result[side] = run_raw(path, schema, rows, alarm_batches)
            if r == 0:
                d_ours, d_raw = digest(tmpdir / "ours-0.db"), digest(tmpdir / "raw-0.db")
                if d_ours != d_raw:
                    print(f"WARNING: the two databases differ: ours {d_ours[:2]} "
                          f"raw {d_raw[:2]}; the comparison is not like for like")
            for side in order:
                for suffix in ("", "-wal", "-shm"):
                    (tmpdir / f"{side}-{r}.db{suffix}").unlink(missing_ok=True)
            ours_rates.append(args.events / result["ours"][0])
            raw_rates.append(args.events / result["raw"][0])
            runs.append((f"{r + 1}", " then ".join(order), result["ours"][0], ours_rates[-1],
                         result["raw"][0], raw_rates[-1], ours_rates[-1] / raw_rates[-1],
                         f"{result['ours'][1]}/{result['raw'][1]}"))
        table(("run", "order", "ours s", "ours ev/s", "raw s", "raw ev/s", "ratio",
               "batches"), runs)
        print("(events and alarms rows of both databases compared on run 1: "
              f"{'identical' if d_ours == d_raw else 'DIFFERENT'})")
        print()
        ours, raw = median(ours_rates), median(raw_rates)
        ratio = ours / raw
        table(("median of runs", "events/s"),
              [("EventWriter (append_many + flush)", ours),
               ("raw sqlite3 executemany", raw),
               ("ratio ours/raw", f"{ratio:.2f}")])
        print()

        print(f"Durability: one event at a time at {DURABILITY_RATE}/s for "
              f"{DURABILITY_SECONDS:g} s, writer flush interval {schema.flush_ms} ms "
              f"(default {StoreConfig().event_flush_ms} ms), a plain sqlite3 connection "
              f"polling every 1 ms")
        d = await durability(tmpdir / "durability.db")
        table(("append to visible", "value"),
              [("events", int(d["events"])), ("achieved rate /s", round(d["rate"])),
               ("commits (batches)", int(d["batches"])), ("polls", int(d["polls"])),
               ("p50 ms", f"{d['p50']:.1f}"), ("p99 ms", f"{d['p99']:.1f}"),
               ("max ms", f"{d['max']:.1f}")])
        print()

    checks = Checks()
    checks.target("throughput ratio ours/raw", ratio >= TARGET_RATIO, f"{ratio:.2f}",
                  f">= {TARGET_RATIO}", baseline=f"{raw:,.0f} ev/s", ratio=f"{ratio:.2f}")
    checks.target("ours events/s", ours >= TARGET_EVENTS_PER_S, round(ours),
                  f">= {TARGET_EVENTS_PER_S:,}", baseline=f"{raw:,.0f} ev/s",
                  ratio=f"{ratio:.2f}")
    checks.target("durable within (max ms)", d["max"] <= TARGET_DURABLE_MS,
                  f"{d['max']:.1f}", f"<= {TARGET_DURABLE_MS:g}")
    checks.check("same events and alarms rows as the baseline", d_ours == d_raw,
                 "identical" if d_ours == d_raw else "different", "identical")
    checks.info("Store.close() returns (not a target)", not close_hangs,
                f"{len(close_hangs)} hang(s)", f"0 in {closes[0]} closes")
    checks.print()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
