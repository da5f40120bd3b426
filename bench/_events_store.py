"""The Events tab benchmark's store: an estate through the services, then N events by
plain sqlite3, cached in the temp folder under a name keyed by VERSION and N.

Used by bench_console_events.py, and by bench_export.py and bench_audit_screen.py,
which start from the same store. Not a benchmark itself.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.model import Block, Device, DeviceType, Door, Site
from core.services import blocks, devices, operators, sites
from core.services.base import Actor
from store.database import Store

VERSION = "2"  # change when the generated content changes: the cache is keyed by it
ADMIN = "bench@doorkeeper.example"
END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=365)

COLUMNS = ("id", "at", "site_id", "kind", "result", "device_id", "block_id", "flat_id",
           "credential", "name", "reason", "description")
FIRST = ["Oliver", "Amelia", "Jemma", "Marian", "Jeffrey", "Priya", "Tom", "Aisha", "Noah",
         "Chloé", "Mohammed", "Grace", "Lucas", "Sofia", "Harry", "Isla", "Yusuf", "Freya"]
LAST = ["Hill", "Woods", "Long", "Natarajan", "Brennan", "Okafor", "Smith", "Dubois", "Khan",
        "O'Connor", "Nowak", "Williams", "Taylor", "Evans", "Martin", "Chen", "Patel"]


def cache_path(events: int, folder: str | None = None) -> Path:
    return (Path(folder or tempfile.gettempdir())
            / f"doorkeeper-bench-console-events-v{VERSION}-{events}.db")


async def make_estate(path: Path) -> dict[int, list[tuple[int, int]]]:
    """Operator, sites, blocks and devices through the services; site -> [(device, block)]."""
    store = await Store.open(path=path)
    try:
        op = await operators.bootstrap_admin(store.uow(), ADMIN)
        admin = Actor(op, source="bench")
        out: dict[int, list[tuple[int, int]]] = {}
        for name, block_names in (("Byron Court", ["Block A", "Block B", "Block C"]),
                                  ("Harbour View", ["North Tower"])):
            site = await sites.create_site(store.uow(), admin, Site(
                name=name, max_panels=5, max_flats=2200))
            out[site.id] = []
            for block_name in block_names:
                block = await blocks.create_block(store.uow(), admin, Block(site.id, block_name))
                for dev_name, dev_type in ((f"Panel {block_name}", DeviceType.IPGUARD_4G),
                                           (f"Centrale {block_name}", DeviceType.CONTROL_UNIT),
                                           (f"Keypad {block_name}", DeviceType.CODE_KEYPAD)):
                    device = await devices.create_device(
                        store.uow(), admin, Device(site.id, dev_name, dev_type,
                                                   block_id=block.id),
                        [Door(0, 1, "Main entrance")])
                    out[site.id].append((device.id, block.id))
    finally:
        await store.close()
    return out


def content(rnd: random.Random, site_devices: dict[int, list[tuple[int, int]]]) -> list[tuple]:
    """A few thousand distinct (site, kind ... description) tuples in the guide's mix."""
    out = []
    main, other = list(site_devices)
    for k in range(5000):
        site = main if k % 10 else other
        device, block = rnd.choice(site_devices[site])
        flat = rnd.randrange(1, 2000)
        who = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        roll = rnd.random()
        if roll < 0.35:
            number = f"+44114496{rnd.randrange(10000):04d}"
            result = rnd.choices(["Opening", "Opening DENIED", "Communication not completed"],
                                 [70, 10, 20])[0]
            row = ("Call to resident", result, device, block, flat, number, who, "",
                   f"Resident : {who} Tel number : {number} Info : Block/Appt. {flat:04d}")
        elif roll < 0.75:
            number = f"{1111100000 + rnd.randrange(5000):010d}"
            denied = rnd.random() < 0.1
            row = ("Open by proximity fob", "Opening DENIED" if denied else "Opening", device,
                   block, flat, number, who, "APass unknown" if denied else "",
                   f"APass number : {number} (Resident) Name associated : {who} "
                   f"Info : Block/Appt. {flat:04d} Open by proximity fob")
        elif roll < 0.9:
            code = f"{rnd.randrange(10000, 99999)}"
            row = ("Access by code", "Opening", device, block, flat, code, "", "",
                   f"Code entered : {code}")
        elif roll < 0.97:
            number = f"{1111100000 + rnd.randrange(5000):010d}"
            row = ("Open by radio transmitter", "Opening", device, block, flat, number, who, "",
                   f"APass number : {number} (Resident) Name associated : {who}")
        else:
            kind = rnd.choice(["Door held open", "Door forced", "Tamper", "Power failure"])
            row = (kind, "Alarm", device, block, None, "", "", "", kind)
        out.append((site, *row))
    return out


def fill_events(path: Path, events: int, site_devices: dict[int, list[tuple[int, int]]]) -> None:
    """N events with plain sqlite3: indexes dropped, rows in time order (generated inside
    SQLite from a table of a few thousand contents), indexes rebuilt."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    found = con.execute("SELECT name, sql FROM sqlite_master WHERE type='index' "
                        "AND tbl_name='events' AND sql IS NOT NULL").fetchall()
    for name, _sql in found:
        con.execute(f'DROP INDEX "{name}"')
    mix = content(random.Random(1), site_devices)
    con.execute("CREATE TEMP TABLE mix (k INTEGER PRIMARY KEY, site_id, kind, result, "
                "device_id, block_id, flat_id, credential, name, reason, description)")
    con.executemany("INSERT INTO temp.mix VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(k, *row) for k, row in enumerate(mix)])
    step = SPAN // timedelta(microseconds=1) // events  # microseconds between events
    # event i (0-based) happens at base + i*step + jitter(i), jitter < step: time order
    sql = f"""
        INSERT INTO events ({', '.join(COLUMNS)})
        WITH RECURSIVE c(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM c WHERE i < :hi - 1),
             t(i, us) AS (SELECT i, i * :step + (i * 2654435761) % :step FROM c)
        SELECT t.i + 1,
               strftime('%Y-%m-%d %H:%M:%S', :base + t.us / 1000000, 'unixepoch')
                   || printf('.%06d', t.us % 1000000),
               m.site_id, m.kind, m.result, m.device_id, m.block_id, m.flat_id,
               m.credential, m.name, m.reason, m.description
        FROM t JOIN temp.mix m ON m.k = (t.i * 7919) % :n"""
    base = int((END - SPAN).timestamp())
    chunk = 1_000_000
    t0 = time.perf_counter()
    for lo in range(0, events, chunk):
        hi = min(events, lo + chunk)
        con.execute("BEGIN")
        con.execute(sql, {"lo": lo, "hi": hi, "step": step, "base": base, "n": len(mix)})
        con.execute("COMMIT")
        if hi % 2_000_000 == 0 or hi == events:
            print(f"  {hi:,} events written ({time.perf_counter() - t0:.0f} s)", flush=True)
    t1 = time.perf_counter()
    for _name, index_sql in found:
        con.execute(index_sql)
    print(f"  {len(found)} indexes rebuilt ({time.perf_counter() - t1:.0f} s)", flush=True)
    con.execute("PRAGMA journal_mode=WAL")
    con.close()


async def ensure_store(events: int, rebuild: bool, folder: str | None = None) -> Path:
    """The store of `events` events: cached in the temp folder, or built in `folder`."""
    path = cache_path(events, folder)
    if path.exists() and not rebuild:
        print(f"Store: {path} (cached: {events:,} events, version {VERSION})")
        return path
    partial = path.with_name(path.name + ".partial")
    for p in (path, partial):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    print(f"Store: building {path} with {events:,} events"
          + ("" if folder else " (once; later runs reuse it)"))
    t = time.perf_counter()
    site_devices = await make_estate(partial)
    fill_events(partial, events, site_devices)
    partial.rename(path)
    print(f"  built in {time.perf_counter() - t:.0f} s, {path.stat().st_size / 2**30:.2f} GiB")
    return path
