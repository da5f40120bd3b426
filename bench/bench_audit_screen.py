#!/usr/bin/env python3
"""The Audit screen on a trail of 1,000,000 entries: how long it takes to open (rows on
screen, the chain's line final) against checking the whole chain, as the screen did
before, in the same run.

What is measured
----------------
The store: the Events benchmark's estate (an administrator, two sites, blocks and
devices made through `core.services`), then audit entries appended with plain `sqlite3`,
each hashed onto the chain with `core.audit.entry_hash` as the unit of work does (flat
changes of the first site: a name, a floor, a keypad code, before and after). Cached in
the temp folder under a name keyed by its size (`--rebuild` to make it again).

- baseline: the whole chain checked against its head, `Store.verify_audit()` (what the
  screen ran on open before, in the event loop's thread);
- ours, open: the console (`DoorkeeperApp`, `run_test(size=(120, 40))`) as the
  administrator, `A` pressed, until the first page of the trail is drawn and the chain's
  line says "intact", with a checkpoint from an earlier check and 100 entries written
  since (the usual open: a desk opens the trail of a gateway that has run for years);
- ours, first open: the same with no checkpoint (after a restore, or the first time):
  when the rows are drawn (the chain is checked in the background, the line counting),
  and when the whole check is done.

Figures: seconds of each. Target: the open with a checkpoint in well under a second
(<= 0.5 s here), and the rows on screen as fast with no checkpoint; the ratio of the open to the
baseline's whole check.

With --quick: 20,000 entries in a temporary folder; a few seconds.

How to run
----------
    .venv/bin/python bench/bench_audit_screen.py            # builds the store once (~1 min)
    .venv/bin/python bench/bench_audit_screen.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import QUICK, QUICK_HELP, Checks, table

from console.app import DoorkeeperApp
from console.context import load_context
from console.screens.audit import AuditScreen
from core.audit import entry_hash
from core.model import AuditEntry
from store.audit_queries import checkpoint_path
from store.database import Store

ADMIN = "bench@doorkeeper.example"
TARGET_OPEN_S = 0.5
SIZE = (120, 40)
VERSION = 1


def cache_path(entries: int, folder: str | None) -> Path:
    return Path(folder or tempfile.gettempdir()) / f"doorkeeper-bench-audit-v{VERSION}-{entries}.db"


def append_entries(path: Path, count: int, seed: int = 18) -> None:
    """`count` flat changes of the first site hashed onto the chain, with plain sqlite3."""
    rnd = random.Random(seed)
    con = sqlite3.connect(path)
    n, prev = con.execute("SELECT count, hash FROM audit_head WHERE id = 1").fetchone()
    t0 = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    rows = []
    for i in range(count):
        flat = rnd.randrange(1, 2000)
        before = {"id": flat, "block_id": 1, "number": f"{flat:04d}", "name": f"Appt. {flat}",
                  "floor": str(flat // 100), "code_main_door": f"{rnd.randrange(10**5):05d}",
                  "notes": ""}
        after = dict(before, name=f"Resident {rnd.randrange(10**6)}",
                     code_main_door=f"{rnd.randrange(10**5):05d}")
        entry = AuditEntry(t0 + timedelta(minutes=i, microseconds=rnd.randrange(10**6)),
                           ADMIN, "flat.update", "flat", flat, 1, before, after, "console",
                           prev, "", n + i + 1)
        entry.hash = entry_hash(entry, prev)
        prev = entry.hash
        rows.append((entry.id, entry.at.replace(tzinfo=None).isoformat(" "), ADMIN,
                     entry.action, entry.entity, flat, 1, json.dumps(before),
                     json.dumps(after), "console", entry.prev_hash, entry.hash))
        if len(rows) == 50_000 or i == count - 1:
            con.executemany("INSERT INTO audit_entries (id, at, actor, action, entity, "
                            "entity_id, site_id, before, after, source, prev_hash, hash) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            rows = []
    con.execute("UPDATE audit_head SET count = ?, hash = ? WHERE id = 1", (n + count, prev))
    con.commit()
    con.close()


async def ensure_store(entries: int, rebuild: bool, folder: str | None) -> Path:
    from _events_store import make_estate  # the Events tab benchmark's estate

    path = cache_path(entries, folder)
    if path.exists() and not rebuild:
        print(f"Store: {path} (cached: {entries:,} entries)")
        return path
    partial = path.with_name(path.name + ".partial")
    for p in (path, partial):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    print(f"Store: building {path} with {entries:,} audit entries")
    t = time.perf_counter()
    await make_estate(partial)
    append_entries(partial, entries)
    partial.rename(path)
    print(f"  built in {time.perf_counter() - t:.0f} s, {path.stat().st_size / 2**20:.0f} MiB")
    return path


async def baseline(path: Path) -> float:
    store = await Store.open(path=path, migrate=False)
    try:
        t0 = time.perf_counter()
        report = await store.verify_audit()
        seconds = time.perf_counter() - t0
    finally:
        await store.close()
    if not report.ok:
        raise SystemExit(f"the bench's chain is broken: {report.problem}")
    return seconds


async def open_screen(path: Path) -> tuple[float, float, str]:
    """Seconds from `A` to the first page drawn, to the chain's final line; that line."""
    store = await Store.open(path=path, migrate=False)
    try:
        ctx = await load_context(store, ADMIN, source="bench")
        app = DoorkeeperApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            t0 = time.perf_counter()
            await pilot.press("A")
            rows_at = chain_at = 0.0
            deadline = t0 + 600
            while not (rows_at and chain_at):
                screen = app.screen
                if isinstance(screen, AuditScreen):
                    if not rows_at and screen.table.row_count:
                        rows_at = time.perf_counter() - t0
                    line = str(screen.query_one("#audit-chain").render())
                    if not chain_at and "checking" not in line:
                        chain_at = time.perf_counter() - t0
                if time.perf_counter() > deadline:
                    raise SystemExit("the Audit screen never finished opening")
                await asyncio.sleep(0.002)
    finally:
        await store.close()
    return rows_at, chain_at, line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entries", type=int, default=20_000 if QUICK else 1_000_000,
                    help="audit entries (1000000; 20000 with --quick)")
    ap.add_argument("--rebuild", action="store_true", help="make the cached store again")
    ap.add_argument("--quick", action="store_true",
                    help=QUICK_HELP + "; the store in a temporary folder, not cached")
    args = ap.parse_args(argv)
    print(f"Audit screen benchmark: SQLite {sqlite3.sqlite_version}, Python "
          f"{sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    with (tempfile.TemporaryDirectory(prefix="bench-audit-") if QUICK
          else contextlib.nullcontext()) as folder:
        path = asyncio.run(ensure_store(args.entries, args.rebuild, folder))
        work = Path(tempfile.mkdtemp(prefix="bench-audit-run-"))
        try:
            db = work / "audit.db"  # a copy: the checkpoint and new entries are this run's
            with sqlite3.connect(path) as src, sqlite3.connect(db) as dst:
                src.backup(dst)
            return asyncio.run(measure(db))
        finally:
            for p in work.iterdir():
                p.unlink()
            work.rmdir()


async def measure(db: Path) -> int:
    entries = sqlite3.connect(db).execute("SELECT count FROM audit_head").fetchone()[0]
    print(f"  {entries:,} entries in the trail")
    whole = await baseline(db)
    checkpoint_path(str(db)).unlink(missing_ok=True)
    first_rows, first_chain, first_line = await open_screen(db)  # no checkpoint: all
    append_entries(db, 100, seed=19)  # a desk's day since
    rows, chain, line = await open_screen(db)
    table(("side", "rows drawn s", "chain line s", "chain line"), [
        ("baseline: whole chain checked", "", whole, ""),
        ("ours, no checkpoint", first_rows, first_chain, first_line[:60]),
        ("ours, checkpoint + 100 new", rows, chain, line[:60])])
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    c = Checks()
    opened = max(rows, chain)
    c.target("open with a checkpoint: rows and chain, s", opened <= TARGET_OPEN_S, opened,
             f"<= {TARGET_OPEN_S}", baseline=whole, ratio=opened / whole)
    c.target("rows drawn with no checkpoint, s", first_rows <= TARGET_OPEN_S, first_rows,
             f"<= {TARGET_OPEN_S}")
    c.info("whole chain checked in the background, s", True, first_chain, "no target")
    c.check("the chain is intact, 100 new checked", "intact" in line and "100 new" in line,
            entries + 100, f"{entries + 100:,} entries")
    c.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
