#!/usr/bin/env python3
"""Event append throughput and durability latency of the store's EventWriter.

What is measured
----------------
1. Throughput. N events of realistic content (the demo history's mix of calls,
   fobs and radio transmitters, keypad codes, provider openings and alarms,
   10-digit APass numbers, resident names, the guide's descriptions such as
   "APass number : 1111100007 (Resident) Name associated : ...") are appended
   through the store: `Store.open` on a fresh temporary SQLite file,
   `await store.event_writer()`, `writer.append_many(events)`, then
   `await writer.flush()`. The clock runs from the first append to the end of
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
import random
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import QUICK, QUICK_HELP, Checks, median, percentile, table

from core.config import StoreConfig
from core.model import ALARM_KINDS, Event, EventKind, EventResult
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

# (id, name, default_country, timezone, max_panels, max_flats, max_foreign_numbers,
#  max_panel_names, residents_dial_to_open, notes): the alarms table needs real sites.
SITES = [
    (1, "Byron Court", "GB", "Europe/London", 5, 2200, 40, 2200, 0, ""),
    (2, "Demo Cases", "GB", "Europe/London", 4, 300, 10, 300, 0, ""),
    (3, "Harbour View", "GB", "Europe/London", 4, 400, 10, 400, 0, ""),
]
SITE_SQL = ("INSERT INTO sites (id, name, default_country, timezone, max_panels, max_flats, "
            "max_foreign_numbers, max_panel_names, residents_dial_to_open, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
# (site, block name, flats): the demo estate's shape.
BLOCKS = [(1, "Block A - MINI", 40), (1, "Block B - MINI PLUS hands free", 60),
          (1, "Block C - TOUCH", 1998), (1, "Block D - MINI PLUS", 30),
          (2, "Block E - Riverside", 120), (2, "Block F - Garden", 80),
          (3, "North Tower", 150), (3, "South Tower", 120)]
FIRST = ["Oliver", "Amelia", "Jemma", "Marian", "Jeffrey", "Priya", "Tom", "Aisha", "Noah",
         "Chloé", "Mohammed", "Grace", "Lucas", "Sofia", "Harry", "Isla", "Yusuf", "Freya",
         "Kwame", "Zofia", "Declan", "Mei", "Rhys", "Élodie"]
LAST = ["Hill", "Woods", "Long", "Natarajan", "Brennan", "Okafor", "Smith", "Dubois", "Khan",
        "O'Connor", "Nowak", "Williams", "Taylor", "Evans", "Martin", "Chen", "Patel", "Reid",
        "Fernández", "Jones", "Murphy", "Hughes"]
PROVIDERS = ["CleanCo - Dana Price", "LiftCare - Sam Oduya", "Green Gardens - Ivo Petrov",
             "Royal Mail - Postal round 7", "FireSafe - Kate Lund"]


# --- realistic events ---------------------------------------------------------


def make_events(count: int, seed: int = 1) -> list[Event]:
    """`count` events over 90 days, oldest first, in the demo history's mix."""
    rnd = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    devices: dict[int, list[int]] = {}  # block id -> device ids
    site_devices: dict[int, list[int]] = {}
    flats: list[tuple[int, int, int, str]] = []  # flat id, block id, site id, name
    next_device, next_flat = 1, 1
    for block_id, (site_id, _name, n) in enumerate(BLOCKS, start=1):
        devices[block_id] = list(range(next_device, next_device + 3))
        site_devices.setdefault(site_id, []).extend(devices[block_id])
        next_device += 3
        for k in range(n):
            flats.append((next_flat, block_id, site_id, f"Appt. {k + 1:04d}"))
            next_flat += 1
    block_name = {i: b[1] for i, b in enumerate(BLOCKS, start=1)}
    people = [f"{rnd.choice(FIRST)} {rnd.choice(LAST)}" for _ in range(3000)]
    resident = {f[0]: people[i % len(people)] for i, f in enumerate(flats)}
    passes = [(f"{1111100000 + k:010d}", rnd.choice(flats)) for k in range(4500)]
    lost, stock = passes[:140], passes[140:590]
    assigned = passes[590:]

    def phone() -> tuple[str, str]:
        n = rnd.randrange(1000)
        return f"+44114496{n:04d}", f"0114 496 {n:04d}"

    def call(flat: tuple) -> tuple:
        fid, bid, sid, fname = flat
        number, shown = phone()
        result = rnd.choices([EventResult.OPENING, EventResult.OPENING_DENIED,
                              EventResult.COMMUNICATION_NOT_COMPLETED], [70, 10, 20])[0]
        who = resident[fid]
        return (sid, EventKind.CALL_TO_RESIDENT, result, rnd.choice(devices[bid]), bid, fid,
                number, who, "",
                f"Resident : {who} Tel number : {shown} GB Info : {block_name[bid]}/{fname}")

    def apass(_flat: tuple) -> tuple:
        roll = rnd.random()
        if roll < 0.9:
            number, flat = rnd.choice(assigned)
            reason = "" if rnd.random() < 0.97 else "outside week type"
        elif roll < 0.94:
            (number, flat), reason = rnd.choice(lost), "APass lost"
        elif roll < 0.96:
            (number, flat), reason = rnd.choice(stock), "APass in stock"
        else:
            number, flat, reason = str(rnd.randrange(10**9, 10**10)), None, "APass unknown"
        radio = rnd.random() < 0.25
        kind = EventKind.OPEN_BY_RADIO_TRANSMITTER if radio else EventKind.OPEN_BY_PROXIMITY_FOB
        result = EventResult.OPENING_DENIED if reason else EventResult.OPENING
        if flat is None:
            sid = rnd.randint(1, 3)
            return (sid, kind, result, rnd.choice(site_devices[sid]), None, None, number, "",
                    reason, f"APass number : {number} (Resident) Name associated :  () "
                            f"Pattern : {reason} {kind.value}")
        fid, bid, sid, fname = flat
        who = resident[fid]
        desc = (f"APass number : {number} (Resident) Name associated : {who} ({fname})"
                + (f" Pattern : {reason}" if reason else "") + f" {kind.value}")
        return sid, kind, result, rnd.choice(devices[bid]), bid, fid, number, who, reason, desc

    def code(flat: tuple) -> tuple:
        fid, bid, sid, fname = flat
        if rnd.random() < 0.85:
            entered = f"{fid * 37 % 10000:04d}"
            return (sid, EventKind.ACCESS_BY_CODE, EventResult.OPENING,
                    rnd.choice(devices[bid]), bid, fid, entered, fname, "",
                    f"Code entered : {entered}")
        entered = str(rnd.randrange(1000, 99999))
        return (sid, EventKind.ACCESS_BY_CODE, EventResult.OPENING_DENIED,
                rnd.choice(site_devices[sid]), None, None, entered, "", "code unknown",
                f"Code entered : {entered} Pattern : code unknown")

    def provider(flat: tuple) -> tuple:
        sid = flat[2]
        who = rnd.choice(PROVIDERS)
        n = rnd.randrange(1000)
        kind = rnd.choice([EventKind.ACCESS_BY_MOBILE, EventKind.OPEN_BY_TELEPHONE])
        return (sid, kind, EventResult.OPENING, rnd.choice(site_devices[sid]), None, None,
                f"+447700900{n:03d}", who, "",
                f"Service provider : {who} Tel number : 07700 900{n:03d}")

    def alarm(flat: tuple) -> tuple:
        _, bid, sid, _ = flat
        kind = rnd.choices([EventKind.DOOR_FORCED, EventKind.DOOR_HELD_OPEN, EventKind.TAMPER,
                            EventKind.POWER_FAILURE, EventKind.DEVICE_OFFLINE,
                            EventKind.DEVICE_ONLINE], [15, 40, 5, 3, 18, 19])[0]
        result = EventResult.INFORMATION if kind is EventKind.DEVICE_ONLINE else EventResult.ALARM
        dev = rnd.choice(devices[bid])
        dev_name = f"{block_name[bid]} panel {dev}"
        return (sid, kind, result, dev, bid, None, "", dev_name, "", f"{kind.value} : {dev_name}")

    makers = [call, apass, code, provider, alarm]
    weights = [30, 48, 14, 3, 5]
    span = 90 * 86400
    raw = []
    for _ in range(count):
        at = start + timedelta(seconds=rnd.random() * span)
        raw.append((at, rnd.choices(makers, weights)[0](rnd.choice(flats))))
    raw.sort(key=lambda r: r[0])
    return [Event(at, *fields) for at, fields in raw]


def stored_at(at: datetime) -> str:
    """How the store writes a timestamp: naive UTC, SQLAlchemy's SQLite format."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def raw_rows(events: list[Event]) -> tuple[list[tuple], list[tuple]]:
    """The events' rows and their alarm rows as the store holds them, ids from 1."""
    rows, alarms = [], []
    for i, e in enumerate(events, start=1):
        at = stored_at(e.at)
        rows.append((i, at, e.site_id, e.kind.value, e.result.value, e.device_id, e.block_id,
                     e.flat_id, e.credential, e.name, e.reason, e.description))
        if e.kind in ALARM_KINDS:
            alarms.append((i, e.site_id, e.kind.value, at, e.device_id, ""))
    return rows, alarms


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
