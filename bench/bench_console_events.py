#!/usr/bin/env python3
"""The Events tab over a 10,000,000-event log: time to the first screen of rows, and
per PageDown, against Textual's plain DataTable loaded with every row of a slice.

What is measured
----------------
The store: a migrated SQLite store (`Store.open`) with an administrator, two sites,
blocks and devices made through `core.services`, then N events (default 10,000,000;
90 % on the first site, the site the Events tab shows) written with plain `sqlite3`
`executemany` into the same schema (the events indexes are dropped during the load
and created again after it, as a bulk load would). Times are spread over a year,
content in the guide's mix (calls, fobs, codes, radio, alarms). The file is cached
in the temp folder under a name keyed by VERSION and N, so a second run reuses it
(`--rebuild` to make it again); it is never part of the repository. bench/_events_store.py
builds it.

(a) Open: the console (`DoorkeeperApp`, `run_test(size=(120, 40))`) opens on its
    Blocks tab; the clock starts when key 5 is pressed and stops when the Events
    table's rows are first rendered (its `render_line` is called with rows held).
    A new app each repeat; median of `--repeat` (5).
(b) PageDown: in the same app, PageDown is pressed `--pages` (20) times; each one
    is timed from the key until the table renders scrolled down, showing rows that
    were not on the screen (a new page is fetched from the store when the cursor
    passes half of what is held). Median (and max) over all presses.

Baseline, in the same run: a minimal Textual app holding one plain `DataTable`,
loaded on mount with every row of a slice: the newest `--baseline-rows` (100,000)
events of the same site, read in one query, formatted to the same five cells, then
`add_rows` — what "load the log into a DataTable" costs even for a hundredth of it
(10,000,000 rows will not fit: minutes and gigabytes). Timed from the start of the
load to the first render of its rows; then its PageDown the same way.

Targets (issue 4): open <= 300 ms, PageDown <= 50 ms (medians). A missed target
prints FAIL but the exit status stays 0; only a broken benchmark exits non-zero.

With --quick: 20,000 events in a temporary folder (not cached), 1 open, 3
PageDowns, a baseline of 2,000 rows.

How to run
----------
    make bench                                        # every bench/bench_*.py
    .venv/bin/python bench/bench_console_events.py    # builds the store once (5-11 min, 3.8 GiB
                                                      # in the temp folder), then about 3 min
    .venv/bin/python bench/bench_console_events.py --events 1000000 --baseline-rows 20000
    .venv/bin/python bench/bench_console_events.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from _common import QUICK, QUICK_HELP, Checks, median, table
from _events_store import ADMIN, ensure_store
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from console.app import DoorkeeperApp
from console.context import load_context
from console.tabs.events import EventsTab
from store.database import Store

SIZE = (120, 40)
TARGET_OPEN_MS = 300.0
TARGET_PAGE_MS = 50.0


# --- timing renders ----------------------------------------------------------------------


class RenderClock:
    """Notes when a DataTable renders a line of its rows (its render_line is called)."""

    def __init__(self, data_table: DataTable) -> None:
        self.table = data_table
        self.armed_at: float | None = None
        self.condition = lambda: True
        self.drawn_at: float | None = None
        original = data_table.render_line

        def render_line(y: int):
            strip = original(y)
            if (self.armed_at is not None and self.drawn_at is None
                    and y >= data_table.header_height and data_table.row_count
                    and self.condition()):
                self.drawn_at = time.perf_counter()
            return strip

        data_table.render_line = render_line  # type: ignore[method-assign]

    def arm(self, condition=lambda: True) -> None:
        self.condition = condition
        self.drawn_at = None
        self.armed_at = time.perf_counter()

    async def wait(self, timeout: float = 300.0) -> float:
        """Milliseconds from arm() to the first qualifying render."""
        deadline = time.perf_counter() + timeout
        while self.drawn_at is None:
            if time.perf_counter() > deadline:
                raise SystemExit(f"the table was not drawn within {timeout:g} s")
            await asyncio.sleep(0.001)
        return (self.drawn_at - self.armed_at) * 1000


async def page_downs(pilot, data_table: DataTable, clock: RenderClock, pages: int) -> list[float]:
    """Press PageDown `pages` times; each timed until the table renders scrolled down
    (rows not on the screen before the key)."""
    times = []
    for _ in range(pages):
        top = data_table.scroll_offset.y
        clock.arm(lambda t=top: data_table.scroll_offset.y > t)
        await pilot.press("pagedown")
        times.append(await clock.wait(60))
        await pilot.pause()
    return times


async def measure_ours(path: Path, pages: int,
                       with_pages: bool) -> tuple[float, list[float], int, tuple[float, float]]:
    """One open of the Events tab (and PageDowns): ms to rows drawn, PageDown ms, rows
    held, and when (ms after the key) the tab's reload began and ended."""
    store = await Store.open(path=path, migrate=False)
    try:
        ctx = await load_context(store, ADMIN, source="bench")
        app = DoorkeeperApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            # lazy tabs: a tab is composed when first shown; compose it here (its cost is
            # printed apart) so the clock can watch its table from the key on
            t0 = time.perf_counter()
            tab = await app.main.built("pane-eventstab")
            assert isinstance(tab, EventsTab)
            print(f"  composing the Events tab (first showing only): "
                  f"{(time.perf_counter() - t0) * 1000:.0f} ms")
            data_table = tab.table
            clock = RenderClock(data_table)
            marks: list[float] = []
            reload = tab.reload

            async def timed_reload() -> None:
                marks.append(time.perf_counter())
                await reload()
                marks.append(time.perf_counter())

            tab.reload = timed_reload  # type: ignore[method-assign]
            gc.collect()
            clock.arm(lambda: len(data_table.rows_held) > 0)
            await pilot.press("5")
            open_ms = await clock.wait()
            phases = ((marks[0] - clock.armed_at) * 1000, (marks[1] - marks[0]) * 1000)
            await pilot.pause()
            times = await page_downs(pilot, data_table, clock, pages) if with_pages else []
            held = len(data_table.rows_held)
            ids = [r["id"] for r in data_table.rows_held]
            if len(ids) != len(set(ids)):
                raise SystemExit("duplicate rows after paging")
    finally:
        await store.close()
    return open_ms, times, held, phases


class PlainTableApp(App):
    """The baseline: one DataTable loaded with every row of a slice on mount."""

    def __init__(self, path: Path, rows: int) -> None:
        super().__init__()
        self.path = path
        self.rows = rows
        self.clock: RenderClock | None = None
        self.query_ms = 0.0
        self.add_ms = 0.0

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True)

    async def on_mount(self) -> None:
        data_table = self.query_one(DataTable)
        self.clock = RenderClock(data_table)
        self.clock.arm()
        data_table.add_columns("Date & time", "Device", "Event type", "Result", "Description")
        t = time.perf_counter()
        con = sqlite3.connect(self.path)
        names = dict(con.execute("SELECT id, name FROM devices"))
        rows = con.execute(
            "SELECT at, device_id, kind, result, description FROM events WHERE site_id = 1 "
            "ORDER BY at DESC, id DESC LIMIT ?", (self.rows,)).fetchall()
        con.close()
        self.query_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        data_table.add_rows([(Text(at[:19]), Text(names.get(dev, "")), Text(kind),
                              Text(result), Text(desc)) for at, dev, kind, result, desc in rows])
        self.add_ms = (time.perf_counter() - t) * 1000
        data_table.focus()


async def measure_baseline(path: Path, rows: int, pages: int) -> tuple[float, list[float],
                                                                      float, float]:
    app = PlainTableApp(path, rows)
    async with app.run_test(size=SIZE) as pilot:
        while app.clock is None:
            await asyncio.sleep(0.001)
        open_ms = await app.clock.wait()
        await pilot.pause()
        times = await page_downs(pilot, app.query_one(DataTable), app.clock, pages)
    return open_ms, times, app.query_ms, app.add_ms


# --- main ---------------------------------------------------------------------------------


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=20_000 if QUICK else 10_000_000,
                    help="events in the store (10000000; 20000 with --quick)")
    ap.add_argument("--repeat", type=int, default=1 if QUICK else 5,
                    help="opens of the Events tab (5; 1 with --quick)")
    ap.add_argument("--pages", type=int, default=3 if QUICK else 20,
                    help="PageDown presses (20; 3 with --quick)")
    ap.add_argument("--baseline-rows", type=int, default=2_000 if QUICK else 100_000,
                    help="rows loaded into the plain DataTable (100000; 2000 with --quick)")
    ap.add_argument("--rebuild", action="store_true", help="make the cached store again")
    ap.add_argument("--quick", action="store_true",
                    help=QUICK_HELP + "; the store in a temporary folder, not cached")
    args = ap.parse_args(argv)
    if min(args.events, args.repeat, args.pages, args.baseline_rows) < 1:
        ap.error("every count must be 1 or more")

    print(f"Events tab benchmark: SQLite {sqlite3.sqlite_version}, "
          f"Python {sys.version.split()[0]}, terminal {SIZE[0]}x{SIZE[1]} (headless)")
    with (tempfile.TemporaryDirectory(prefix="bench-events-tab-") if QUICK
          else contextlib.nullcontext()) as folder:
        return await measure(args, await ensure_store(args.events, args.rebuild, folder))


async def measure(args: argparse.Namespace, path: Path) -> int:
    """Both sides on the store at `path`; the tables and the checks."""
    con = sqlite3.connect(path)
    held_events = con.execute("SELECT max(id) FROM events").fetchone()[0]
    on_site = con.execute("SELECT count(*) FROM events WHERE site_id = 1").fetchone()[0]
    con.close()
    if held_events != args.events:
        raise SystemExit(f"the cached store holds {held_events} events: run with --rebuild")
    print(f"  {held_events:,} events, {on_site:,} of them on the site shown")
    print()

    opens, pages, held, switch, reload = [], [], 0, [], []
    for r in range(args.repeat):
        open_ms, times, held_now, (before, during) = await measure_ours(
            path, args.pages, with_pages=r == 0)
        opens.append(open_ms)
        pages += times
        held = max(held, held_now)
        switch.append(before)
        reload.append(during)
        print(f"  ours, open {r + 1}: {open_ms:.0f} ms (tab switch until the tab's reload "
              f"{before:.0f}, reload {during:.0f}, then layout and render)"
              + (f"; {len(times)} PageDowns, median {median(times):.0f} ms" if times else ""),
              flush=True)
    print(f"Ours: Events tab (LogTable over store.queries.event_page, keyset by (at, id), "
          f"100 rows a page), {args.repeat} opens; {args.pages} PageDowns "
          f"({held} rows held at the end)")
    print(f"Baseline: plain Textual DataTable with all of the newest {args.baseline_rows:,} "
          f"events of the site (one query, add_rows), 1 run — the whole log "
          f"({args.events:,}) cannot be loaded into a DataTable")
    base_open, base_pages, base_query, base_add = await measure_baseline(
        path, args.baseline_rows, args.pages)
    print(f"  baseline: open {base_open:,.0f} ms; PageDowns, median {median(base_pages):.0f} ms",
          flush=True)
    print()
    ours_open, ours_page = median(opens), median(pages)
    base_page = median(base_pages)
    table(("measure", "ours ms", f"baseline ms ({args.baseline_rows:,} rows)",
           "ratio ours/baseline"),
          [("open: key 5 to first rows drawn (median)", ours_open, base_open,
            f"{ours_open / base_open:.4f}"),
           ("open: each run", " ".join(f"{x:.0f}" for x in opens), "", ""),
           ("  of which: key to the tab's reload (median)", median(switch), "", ""),
           ("  of which: reload, 2 queries + 100 rows (median)", median(reload), "", ""),
           ("PageDown to new rows drawn (median)", ours_page, base_page,
            f"{ours_page / base_page:.2f}"),
           ("PageDown (max)", max(pages), max(base_pages), "")])
    print(f"(baseline open = query {base_query:,.0f} ms + add_rows {base_add:,.0f} ms "
          f"+ first layout and render)")
    print()
    checks = Checks()
    checks.target("open Events tab, median ms", ours_open <= TARGET_OPEN_MS,
                  f"{ours_open:.0f}", f"<= {TARGET_OPEN_MS:g}", baseline=f"{base_open:,.0f}",
                  ratio=f"{ours_open / base_open:.4f}")
    checks.target("PageDown, median ms", ours_page <= TARGET_PAGE_MS, f"{ours_page:.1f}",
                  f"<= {TARGET_PAGE_MS:g}", baseline=f"{base_page:.1f}",
                  ratio=f"{ours_page / base_page:.2f}")
    checks.print()
    return 0  # a missed target is a FAIL line, not an exit status (bench/README.md)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
