"""What bench_scale.py reads from its database: events counted, and each gateway run's
sequence checked (exactly once: 1..n, no gap, none twice)."""

from __future__ import annotations

import asyncpg

from tests import pg

DB = "scale"


async def count_events(socket_dir: str, database: str = DB) -> int:
    """Every event stored in `database`."""
    con = await asyncpg.connect(host=socket_dir, user=pg.SUPERUSER, database=database)
    try:
        return await con.fetchval("SELECT count(*) FROM events")
    finally:
        await con.close()


async def count_by_site(socket_dir: str) -> dict[int, int]:
    """The events stored, by site (what each site's gateway wrote)."""
    con = await asyncpg.connect(host=socket_dir, user=pg.SUPERUSER, database=DB)
    try:
        return {r["site_id"]: r["n"] for r in await con.fetch(
            "SELECT site_id, count(*) n FROM events GROUP BY site_id")}
    finally:
        await con.close()


async def exactly_once(socket_dir: str) -> tuple[int, int, int]:
    """(events, gateway runs, runs whose sequence has a gap or a repeat)."""
    con = await asyncpg.connect(host=socket_dir, user=pg.SUPERUSER, database=DB)
    try:
        rows = await con.fetch("SELECT origin, count(*) n, count(DISTINCT seq) d, min(seq) lo, "
                               "max(seq) hi FROM events WHERE origin IS NOT NULL "
                               "GROUP BY origin")
    finally:
        await con.close()
    bad = [dict(r) for r in rows if not (r["n"] == r["d"] == r["hi"] - r["lo"] + 1
                                         and r["lo"] == 1)]
    for r in bad:
        print(f"gateway run {r['origin']}: {r['n']} events, {r['d']} sequence numbers, "
              f"{r['lo']} to {r['hi']}", flush=True)
    return sum(r["n"] for r in rows), len(rows), len(bad)
