#!/usr/bin/env python3
"""Import of a block's flats: plan and apply of 2,000 flats from a CSV file.

What is measured
----------------
A fresh store (one site, quota 10,000 flats) gets a CSV file in the flats export's
layout: 2,000 flats (50 with --quick), each with a name, a floor, a main door code, a
telephone, an email and an APass (a new number: the import creates it).

- plan: the file read (console.imports.read.read_sheet) and planned against an empty
  block (core.services.flat_import.plan_import: every line through the services' rules,
  the codes and APass numbers checked against the store in bulk). Target: <= 2 s.
- apply: the plan made again in one write transaction and written, with its one audit
  entry (core.services.flat_import_apply.apply_import). Target: <= 5 s.
- baseline: the same flats added to another block through the services, one call each,
  as the console's dialogs do: create_flat, add_telephone twice, create_access_passes
  (assigned to the flat). Each call is a transaction of its own, committed to disk
  (about 30 ms here), so the baseline runs on the first 200 flats (10 with --quick;
  --baseline-flats) and its time is scaled to the file's flats; the ratio is that
  baseline / apply.
- the same file planned again once applied: every flat unchanged (a check), its time
  shown (info).

Both blocks are then compared with plain sqlite3: the same flats, telephones and APasses
counts (a check). Run with --flats N for another size.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import QUICK, QUICK_HELP, Checks, table  # noqa: E402
from console.imports.read import read_sheet  # noqa: E402
from core.model import Block, Flat, Site, TelephoneKind  # noqa: E402
from core.services import access_passes, blocks, flats, residents, sites  # noqa: E402
from core.services.base import Actor  # noqa: E402
from core.services.flat_import import plan_import  # noqa: E402
from core.services.flat_import_apply import apply_import  # noqa: E402
from core.services.operators import bootstrap_admin  # noqa: E402
from store.database import Store  # noqa: E402

HEADER = ["Flat N°", "Flat", "Floor", "Main door code", "Telephone / Email 1",
          "Telephone / Email 2", "APasses", "Notes"]


def _flat(i: int, offset: int) -> tuple[str, str, int, str, str, str, str]:
    """The i-th flat: number, name, floor, code, telephone, email, APass (unique per
    `offset`, so the two blocks' codes and numbers never clash)."""
    return (f"{i:04d}", f"Resident {i}", i % 20, f"{offset + i:06d}",
            f"+44207946{i % 10000:04d}", f"resident{i}@example.org",
            f"{offset * 10000 + i:010d}")


def write_file(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        w = csv.writer(out)
        w.writerow(HEADER)
        for i in range(1, n + 1):
            number, name, floor, code, phone, email, apass = _flat(i, 200_000)
            w.writerow([number, name, floor, code, phone, email, apass, ""])
    return path


async def baseline(store: Store, admin: Actor, block_id: int, site_id: int, n: int) -> float:
    """The same flats through the services, one call each."""
    began = time.perf_counter()
    for i in range(1, n + 1):
        number, name, floor, code, phone, email, apass = _flat(i, 100_000)
        flat = await flats.create_flat(store.uow(), admin, Flat(
            block_id, number, name, floor=floor, code_main_door=code))
        await residents.add_telephone(store.uow(), admin, flat.id, phone)
        await residents.add_telephone(store.uow(), admin, flat.id, email,
                                      kind=TelephoneKind.EMAIL)
        await access_passes.create_access_passes(store.uow(), admin, site_id, apass,
                                                 flat_id=flat.id)
    return time.perf_counter() - began


def shape(path: str, block_id: int) -> tuple[int, int, int]:
    """Flats, telephones and assigned APasses of a block, read with plain sqlite3."""
    con = sqlite3.connect(path)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM flats WHERE block_id = :b), "
            "(SELECT count(*) FROM telephones t JOIN flats f ON f.id = t.flat_id "
            " WHERE f.block_id = :b), "
            "(SELECT count(*) FROM access_passes WHERE block_id = :b AND state = 'assigned')",
            {"b": block_id}).fetchone()
    finally:
        con.close()


async def main(n: int, k: int) -> int:
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        store = await Store.open(path=folder / "import.db")
        try:
            admin = Actor(await bootstrap_admin(store.uow(), "admin@bench.example"), "bench")
            site = await sites.create_site(store.uow(), admin, Site(
                name="Import estate", max_flats=10_000, max_foreign_numbers=10))
            ours = await blocks.create_block(store.uow(), admin, Block(site.id, "Imported"))
            theirs = await blocks.create_block(store.uow(), admin, Block(site.id, "Services"))
            source = write_file(folder / "flats.csv", n)

            began = time.perf_counter()
            sheet = read_sheet(source)
            plan = await plan_import(store.reader(), admin, ours.id, sheet)
            plan_s = time.perf_counter() - began
            checks.check("plan: every line to add", plan.counts["added"] == n
                         and not plan.refused, f"{plan.counts['added']:,} to add, "
                         f"{plan.counts['refused']} refused", f"{n:,} to add")

            began = time.perf_counter()
            await apply_import(store.uow(), admin, ours.id, sheet, expected=plan.digest)
            apply_s = time.perf_counter() - began

            began = time.perf_counter()
            again = await plan_import(store.reader(), admin, ours.id, read_sheet(source))
            again_s = time.perf_counter() - began

            k = min(k, n)
            base_k = await baseline(store, admin, theirs.id, site.id, k)
            base_s = base_k * n / k
            mine, base = shape(store.where, ours.id), shape(store.where, theirs.id)
        finally:
            await store.close()
    table(("side", "flats", "seconds", "flats/s"), [
        ("import: plan", n, plan_s, n / plan_s),
        ("import: apply", n, apply_s, n / apply_s),
        ("import: plan again (all unchanged)", n, again_s, n / again_s),
        ("services, one call each (baseline)", k, base_k, k / base_k),
        (f"baseline scaled to {n:,} flats", n, base_s, n / base_s),
    ])
    print()
    checks.target("plan of the file", plan_s <= 2.0, f"{plan_s:.2f} s", "<= 2 s")
    checks.target("apply in one transaction", apply_s <= 5.0, f"{apply_s:.2f} s", "<= 5 s",
                  baseline=f"{base_s:.2f} s", ratio=base_s / apply_s)
    checks.info("plan again: all unchanged", again.counts["unchanged"] == n,
                f"{again.counts['unchanged']:,} in {again_s:.2f} s", f"{n:,} unchanged")
    checks.check("the same flats both ways", mine == (n, 2 * n, n) and base == (k, 2 * k, k),
                 f"import {mine}, services {base}", "flats, telephones, APasses")
    checks.print()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    parser.add_argument("--flats", type=int, default=50 if QUICK else 2000)
    parser.add_argument("--baseline-flats", type=int, default=10 if QUICK else 200)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.flats, args.baseline_flats)))
