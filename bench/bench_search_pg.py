#!/usr/bin/env python3
"""Search as you type on PostgreSQL (its token btree) against SQLite's FTS5, same run.

What is measured
----------------
The store of bench_search.py (`bench/_search_store.py`), 100,000 flats (`--flats`) over
40 sites of 25 blocks, with their residents, telephones and APasses, built once in
SQLite (cached in /tmp as bench_search.py does) and copied row for row into a fresh,
migrated PostgreSQL database (asyncpg COPY); then `store.search.rebuild` fills each
engine's index, the code the stores use (PostgreSQL: `flat_search` and its tagged tokens
in `flat_search_token`, migration 0012; store/postgres_search.py), and `VACUUM ANALYZE`
does at once what autovacuum does soon after a bulk load.

Queries: bench_search.py's, every keystroke's prefix of what people type to find a
resident, a flat, a telephone number in each written form and an APass, as an
administrator of all 40 sites and as a desk with 3 sites. Each is one call of
`store.search.search` through the store's async engine, timed end to end; the engines
take turns (`--rounds` each, after one unreported warm-up each), and every round's times
are pooled: p50/p95/max per engine, and the ratio PostgreSQL / FTS5.

Target (issue 21): PostgreSQL's p95 within 2x of FTS5's, or <= 5 ms. Check: both engines
give the same hits (flats, in the same order, exact or not) to every query.

The server: DOORKEEPER_TEST_PG (a socket folder, as in tests/pg.py) when set, else a
throwaway cluster (tests/pg.py: fsync off, shared_buffers 64 MB). Without PostgreSQL's
binaries the benchmark says so and reports nothing to fail.

    .venv/bin/python bench/bench_search_pg.py               # 100,000 flats, 12 targets
    .venv/bin/python bench/bench_search_pg.py --quick       # 1,000 flats, 2 targets
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import QUICK, QUICK_HELP, ROOT, Checks, no_postgresql, percentile, table
from _search_store import BLOCKS, INSERTS, SITES, cached_store
from bench_search import load, timed, typed_queries

sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from core.config import StoreConfig  # noqa: E402
from store.database import Store  # noqa: E402
from store.search import rebuild, search  # noqa: E402
from tests import pg  # noqa: E402

TARGET_RATIO = 2.0
TARGET_P95_MS = 5.0
TABLES = {"sites": "sites", "blocks": "blocks", "flats": "flats", "displays": "panel_displays",
          "phones": "telephones", "passes": "access_passes"}


async def copy_rows(path: Path, socket: str, database: str) -> None:
    """The SQLite store's rows into the migrated PostgreSQL database, as they are."""
    src = sqlite3.connect(path)
    con = await asyncpg.connect(host=socket, user=pg.SUPERUSER, database=database)
    try:
        for key, name in TABLES.items():
            columns = INSERTS[key].split("(", 1)[1].split(")", 1)[0]
            names = [c.strip().strip('"') for c in columns.split(",")]
            kinds = dict(await con.fetch(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = $1", name))
            bools = [kinds[c] == "boolean" for c in names]
            rows = [tuple(bool(v) if b and v is not None else v for v, b in zip(r, bools,
                                                                               strict=True))
                    for r in src.execute(f"SELECT {columns} FROM {name}")]
            await con.copy_records_to_table(name, records=rows, columns=names)
            await con.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                              f"(SELECT max(id) FROM {name}))")
    finally:
        await con.close()
        src.close()


async def vacuum(socket: str, database: str) -> None:
    con = await asyncpg.connect(host=socket, user=pg.SUPERUSER, database=database)
    try:
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


async def answers(store: Store, queries: list[tuple[str, str, str]], sites: list[int]
                  ) -> list[list[tuple[int, bool]]]:
    """Each query's hits: (flat id, exact), in order."""
    return [[(h.flat_id, h.exact) for h in await search(store, text, by, sites)]
            for _, text, by in queries]


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flats", type=int, default=SITES * BLOCKS if QUICK else 100_000,
                    help=f"flats (100000; {SITES * BLOCKS} with --quick)")
    ap.add_argument("--targets", type=int, default=2 if QUICK else 12,
                    help="targets typed per kind (12; 2 with --quick)")
    ap.add_argument("--rounds", type=int, default=1 if QUICK else 2,
                    help="measured rounds per engine, taking turns (2; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = ap.parse_args(argv)
    if args.flats < SITES * BLOCKS or args.targets < 1 or args.rounds < 1:
        ap.error(f"--flats >= {SITES * BLOCKS}, --targets and --rounds >= 1")
    checks = Checks()
    socket = os.environ.get(pg.ENV)
    cluster = None
    if not socket:
        if no_postgresql(checks):
            return 0
        cluster = pg.Cluster.start()
        socket = cluster.socket
    try:
        with (tempfile.TemporaryDirectory(prefix="bench-search-pg-") if QUICK
              else contextlib.nullcontext()) as folder:
            path, _ = await cached_store(args.flats, False, folder)
            await measure(args, path, socket, checks)
    finally:
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.stop()
    checks.print()
    return 0  # a missed target is a FAIL line, not an exit status (bench/README.md)


async def measure(args: argparse.Namespace, path: Path, socket: str, checks: Checks) -> None:
    """Both stores, the queries typed into each in turn; the tables and the checks."""
    dbs = pg.Databases(socket, f"benchsearch{os.getpid()}")
    name = await dbs.create(dbs.name("search"))
    t = time.perf_counter()
    pg_store = await Store.open(StoreConfig(url=pg.url(socket, name)))
    await copy_rows(path, socket, name)
    await pg_store.close()
    pg_store = await Store.open(StoreConfig(url=pg.url(socket, name)), migrate=False)
    indexed = await rebuild(pg_store)
    await vacuum(socket, name)
    built = time.perf_counter() - t
    sqlite_store = await Store.open(path=path)
    try:
        con = sqlite3.connect(path)
        every = [r[0] for r in con.execute("SELECT id FROM sites ORDER BY id")]
        con.close()
        desk = every[4:5] + every[16:17] + every[32:33]
        queries = typed_queries(path, args.targets)
        print(f"Search as you type, PostgreSQL against SQLite FTS5: {args.flats:,} flats over "
              f"{SITES} sites ({indexed:,} indexed on PostgreSQL; copied and indexed in "
              f"{built:.1f} s); {len(queries)} typed prefixes of {args.targets} targets per "
              f"kind, {args.rounds} round(s) per engine; {load()}")
        stores = {"SQLite FTS5": sqlite_store, "PostgreSQL tokens": pg_store}
        whos = {"admin, all 40 sites": every, "desk, 3 sites": desk}
        ms: dict[tuple[str, str], list[float]] = {(e, w): [] for e in stores for w in whos}
        for who, sites in whos.items():
            for store in stores.values():
                await timed(store, queries, sites)  # warm-up: pages into the caches
            for r in range(args.rounds):
                order = list(stores) if r % 2 == 0 else list(reversed(stores))
                for engine in order:
                    ms[engine, who] += [w for w, _ in await timed(stores[engine], queries,
                                                                  sites)]
        same = {who: sum(a == b for a, b in zip(
            await answers(sqlite_store, queries, sites),
            await answers(pg_store, queries, sites), strict=True)) for who, sites in whos.items()}
    finally:
        await sqlite_store.close()
        await pg_store.close()
        await dbs.drop(name)
    report(ms, same, len(queries), checks)


def report(ms: dict[tuple[str, str], list[float]], same: dict[str, int], asked: int,
           checks: Checks) -> None:
    rows: list[tuple[Any, ...]] = []
    for (engine, who), times in ms.items():
        rows.append((f"{who}: {engine}", len(times), percentile(times, 50),
                     percentile(times, 95), max(times)))
    print()
    table(("store.search.search, ms per query", "queries", "p50", "p95", "max"), rows)
    print()
    ratios = []
    for who in same:
        fts, tok = ms["SQLite FTS5", who], ms["PostgreSQL tokens", who]
        ratios.append((who, f"{percentile(tok, 50) / percentile(fts, 50):.2f}x",
                       f"{percentile(tok, 95) / percentile(fts, 95):.2f}x",
                       f"{same[who]} of {asked}"))
    table(("ratio PostgreSQL / FTS5", "p50", "p95", "same hits"), ratios)
    print(f"After the run: {load()}")
    print()
    for who in same:
        fts = percentile(ms["SQLite FTS5", who], 95)
        tok = percentile(ms["PostgreSQL tokens", who], 95)
        ratio = tok / fts
        checks.target(f"PostgreSQL p95, {who}", ratio <= TARGET_RATIO or tok <= TARGET_P95_MS,
                      f"{tok:.2f} ms", f"<= {TARGET_RATIO:g}x FTS5 or <= {TARGET_P95_MS:g} ms",
                      baseline=f"{fts:.2f} ms", ratio=f"{ratio:.2f}x")
        checks.check(f"same hits as FTS5, {who}", same[who] == asked, f"{same[who]}/{asked}",
                     "all")


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except SystemExit:
        raise
    except Exception as err:  # a broken benchmark, not a missed target
        print(f"bench_search_pg failed: {err!r}", file=sys.stderr)
        sys.exit(2)
