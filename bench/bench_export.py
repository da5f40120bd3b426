#!/usr/bin/env python3
"""Exports of the Events list: rows/s and peak memory of CSV, XLSX and the PDF report
over 1,000,000 events, against the standard library and openpyxl in the same run.

What is measured
----------------
The store: a migrated SQLite store with an administrator, two sites, blocks and
devices made through `core.services`, then events written with plain `sqlite3` (the
Events tab benchmark's generator, `_events_store.fill_events`: 90 % of them on
the first site, the guide's mix of calls, fobs, codes, radio and alarms). The default
1,111,112 events put about 1,000,000 on the site exported. The file is cached in the
temp folder under a name keyed by its size (`--rebuild` to make it again); it is never
part of the repository.

Each side runs in a process of its own (`--phase`), so its peak resident memory
(`ru_maxrss`) is its own:

- ours, CSV and XLSX: `doorkeeper export events` as code does it, `event_export()` (the
  read service, keyset pages of 2,000 with the administrator's rights) then
  `write_export()` (temporary file, rename) over every event of the site;
- ours, PDF: the report of the newest 10,000 (PDF_MAX_ROWS) events;
- baseline CSV: plain `sqlite3`, one SELECT of the same rows (joined with the devices'
  names), the standard library's `csv` writing the same cells, the same bytes;
- baseline XLSX: openpyxl's normal (not write-only) mode, the newest 100,000 rows of
  that SELECT appended to a sheet, then saved.

Figures: rows, seconds, rows/s, peak RSS of each side; the ratio of our rows/s to the
baseline's. Targets (issue 18): CSV >= 100,000 rows/s, XLSX >= 30,000 rows/s, peak RSS
<= 150 MB for each of ours. Checks: our CSV is byte for byte the baseline's, and each
export holds the rows it should.

With --quick: 22,223 events (about 20,000 on the site) in a temporary folder, a
baseline XLSX of 2,000 rows, a PDF of 1,000 rows; a few seconds.

How to run
----------
    .venv/bin/python bench/bench_export.py            # builds the store once (~1 min), then ~2 min
    .venv/bin/python bench/bench_export.py --quick
    .venv/bin/python bench/bench_export.py --events 300000 --baseline-rows 20000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import QUICK, QUICK_HELP, Checks, table

from console.export.cells import formula_safe
from console.export.files import write_export
from console.export.pdf_out import write_pdf
from core.views.exports import PDF_MAX_ROWS, event_export
from core.views.rows import EventFilter
from core.views.viewer import load_viewer
from store.database import Store
from store.reads import StoreReads

SITE = 1  # the first site: 90 % of the events
TARGET_CSV = 100_000
TARGET_XLSX = 30_000
TARGET_RSS_MB = 150
SELECT = ("SELECT e.at, d.name, d.type, e.kind, e.result, e.name, e.credential, "
          "e.description FROM events e LEFT JOIN devices d ON d.id = e.device_id "
          "WHERE e.site_id = ? ORDER BY e.at DESC, e.id DESC")
APASS_KINDS = ("Open by proximity fob", "Open by radio transmitter")


async def ensure_store(events: int, rebuild: bool, folder: str | None) -> Path:
    """The Events tab benchmark's store of `events` events (cached, or built in `folder`).
    Imported here: the sides (each in a process of its own, measured for memory) need
    none of the services it builds with."""
    from _events_store import ensure_store as events_store
    return await events_store(events, rebuild, folder)


# --- the sides, each in its own process ----------------------------------------------------


async def ours(db: Path, fmt: str, out: Path, rows: int) -> int:
    con = sqlite3.connect(db)
    admin = con.execute("SELECT email FROM operators ORDER BY id LIMIT 1").fetchone()[0]
    con.close()
    store = await Store.open(path=db, migrate=False)
    try:
        async with store.reader() as uow:
            viewer = await load_viewer(uow, admin, "bench")
        export = await event_export(StoreReads(store), viewer, EventFilter(site_id=SITE))
        if fmt == "pdf":
            return await write_pdf(export, out, max_rows=rows)
        return (await write_export(export, fmt, out)).rows
    finally:
        await store.close()


def _site_tz(con: sqlite3.Connection) -> ZoneInfo:
    return ZoneInfo(con.execute("SELECT timezone FROM sites WHERE id = ?", (SITE,)).fetchone()[0])


def _cells(row: tuple, tz: ZoneInfo) -> list[str]:
    at, device, dtype, kind, result, name, credential, description = row
    when = str(datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone(tz))[:19]
    return [when, *(formula_safe(c or "") for c in (device, dtype, kind, result, name)),
            credential if kind in APASS_KINDS else "", formula_safe(description)]


def baseline_csv(db: Path, out: Path) -> int:
    con = sqlite3.connect(db)
    tz = _site_tz(con)
    rows = 0
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Date & time", "Device", "Device type", "Event type", "Result",
                         "Name", "APass number", "Description"])
        for row in con.execute(SELECT, (SITE,)):
            writer.writerow(_cells(row, tz))
            rows += 1
    con.close()
    return rows


def baseline_xlsx(db: Path, out: Path, limit: int) -> int:
    import openpyxl

    con = sqlite3.connect(db)
    tz = _site_tz(con)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Date & time", "Device", "Device type", "Event type", "Result", "Name",
                  "APass number", "Description"])
    rows = 0
    for row in con.execute(SELECT + " LIMIT ?", (SITE, limit)):
        cells: list = _cells(row, tz)
        cells[0] = datetime.fromisoformat(cells[0])
        sheet.append(cells)
        rows += 1
    book.save(out)
    con.close()
    return rows


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM, which starts again at exec (Linux keeps
    ru_maxrss across exec, so a child would report its parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(args: argparse.Namespace) -> None:
    """One side: its figures as one JSON line."""
    db, out = Path(args.db), Path(args.out)
    t0 = time.perf_counter()
    if args.phase == "baseline-csv":
        rows = baseline_csv(db, out)
    elif args.phase == "baseline-xlsx":
        rows = baseline_xlsx(db, out, args.rows)
    else:
        rows = asyncio.run(ours(db, args.phase.removeprefix("ours-"), out, args.rows))
    seconds = time.perf_counter() - t0
    rss = peak_rss_mb()
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_mb": rss,
                      "bytes": out.stat().st_size}))


def run_phase(name: str, db: Path, out: Path, rows: int = 0) -> dict:
    done = subprocess.run([sys.executable, __file__, "--phase", name, "--db", str(db),
                           "--out", str(out), "--rows", str(rows)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the run --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=22_223 if QUICK else 1_111_112,
                    help="events in the store, 90 %% on the site exported "
                         "(1111112; 22223 with --quick)")
    ap.add_argument("--baseline-rows", type=int, default=2_000 if QUICK else 100_000,
                    help="rows of openpyxl's XLSX (100000; 2000 with --quick)")
    ap.add_argument("--pdf-rows", type=int, default=1_000 if QUICK else PDF_MAX_ROWS,
                    help=f"rows of the PDF report ({PDF_MAX_ROWS}; 1000 with --quick)")
    ap.add_argument("--rebuild", action="store_true", help="make the cached store again")
    ap.add_argument("--quick", action="store_true",
                    help=QUICK_HELP + "; the store in a temporary folder, not cached")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase:
        phase(args)
        return 0
    if min(args.events, args.baseline_rows, args.pdf_rows) < 1:
        ap.error("every count must be 1 or more")
    print(f"Export benchmark: SQLite {sqlite3.sqlite_version}, Python "
          f"{sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    with (tempfile.TemporaryDirectory(prefix="bench-export-") if QUICK
          else contextlib.nullcontext()) as folder:
        db = asyncio.run(ensure_store(args.events, args.rebuild, folder))
        with tempfile.TemporaryDirectory(prefix="bench-export-out-") as out:
            return measure(args, db, Path(out))


def measure(args: argparse.Namespace, db: Path, out: Path) -> int:
    con = sqlite3.connect(db)
    on_site = con.execute("SELECT count(*) FROM events WHERE site_id = ?", (SITE,)).fetchone()[0]
    con.close()
    print(f"  {on_site:,} events on the site exported")
    runs = {
        "ours-csv": run_phase("ours-csv", db, out / "ours.csv"),
        "baseline-csv": run_phase("baseline-csv", db, out / "baseline.csv"),
        "ours-xlsx": run_phase("ours-xlsx", db, out / "ours.xlsx"),
        "baseline-xlsx": run_phase("baseline-xlsx", db, out / "baseline.xlsx",
                                   args.baseline_rows),
        "ours-pdf": run_phase("ours-pdf", db, out / "ours.pdf", args.pdf_rows),
    }
    rate = {k: r["rows"] / r["seconds"] for k, r in runs.items()}
    table(("side", "rows", "seconds", "rows/s", "peak RSS MB", "file MB"),
          [(k, r["rows"], r["seconds"], rate[k], r["rss_mb"], r["bytes"] / 2**20)
           for k, r in runs.items()])
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    c = Checks()
    c.target("CSV rows/s (ours)", rate["ours-csv"] >= TARGET_CSV, rate["ours-csv"],
             f">= {TARGET_CSV:,}", baseline=rate["baseline-csv"],
             ratio=rate["ours-csv"] / rate["baseline-csv"])
    c.target("XLSX rows/s (ours, constant memory)", rate["ours-xlsx"] >= TARGET_XLSX,
             rate["ours-xlsx"], f">= {TARGET_XLSX:,}", baseline=rate["baseline-xlsx"],
             ratio=rate["ours-xlsx"] / rate["baseline-xlsx"])
    for name in ("ours-csv", "ours-xlsx", "ours-pdf"):
        c.target(f"peak RSS MB ({name})", runs[name]["rss_mb"] <= TARGET_RSS_MB,
                 runs[name]["rss_mb"], f"<= {TARGET_RSS_MB}")
    c.info("PDF rows/s (ours, first rows)", True, rate["ours-pdf"], "no target")
    c.info("peak RSS MB (openpyxl baseline)", True, runs["baseline-xlsx"]["rss_mb"],
           "not a target")
    c.check("our CSV is the baseline's, byte for byte",
            (out / "ours.csv").read_bytes() == (out / "baseline.csv").read_bytes(),
            runs["ours-csv"]["rows"], f"{runs['baseline-csv']['rows']:,} rows")
    c.check("every row in each export", runs["ours-csv"]["rows"] == on_site
            and runs["ours-xlsx"]["rows"] == on_site
            and runs["ours-pdf"]["rows"] == min(args.pdf_rows, on_site),
            runs["ours-xlsx"]["rows"], f"{on_site:,}")
    c.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
