#!/usr/bin/env python3
"""Typing while 50 events a second arrive: keypress-to-screen in the console.

What is measured
----------------
A copy of the demo estate (built once into the temp folder, as for
bench/bench_console_block.py) with a real gateway process (`doorkeeper gateway --simulate --rate R`)
publishing its simulated devices' events on the bus. The console runs in this
process (headless, 120x40, as the administrator) attached to that bus through
the real LiveHub, on the Events tab, which shows the live tail. Every 100 ms a
Down or Up key is posted to the app as the terminal driver would; latency is
from posting the key to the first frame composed once the table's cursor has
moved (Textual composes every frame headless and skips only the write). The
load run lasts 60 s at 50 events/s; the baseline is the same run with the
gateway at 0 events/s (20 s), in the same process. Target: p95 <= 50 ms under
load. `BENCH_LIVE_SECONDS` sets the load run's length (the baseline's is a third
of it); with --quick it is 2 s.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import QUICK, Checks, demo_estate, percentile, table  # noqa: E402
from bench._console import FrameClock, press  # noqa: E402
from console.app import DoorkeeperApp  # noqa: E402
from console.launch import attach, console_context, start_gateway, stop_gateway  # noqa: E402
from console.widgets.log_table import LogTable  # noqa: E402
from core.model import Event, EventKind, EventResult, Site  # noqa: E402
from store.database import Store  # noqa: E402

SIZE = (120, 40)
LOAD_SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", 2 if QUICK else 60))
BASE_SECONDS = LOAD_SECONDS / 3


async def seed_events(db: Path, n: int = 200) -> None:
    """Past events on every site, so the Events tab has rows before the run starts."""
    store = await Store.open(path=db)
    try:
        async with store.reader() as uow:
            sites = await uow.find(Site)
        writer = await store.event_writer()
        now = datetime.now(UTC)
        for site in sites:
            writer.append_many(Event(at=now - timedelta(minutes=i + 1), site_id=site.id,
                                     kind=EventKind.ACCESS_BY_CODE,
                                     result=EventResult.OPENING, description=f"seed {i}")
                               for i in range(n))
        await writer.flush()
    finally:
        await store.close()


async def run(estate: Path, rate: float, seconds: float, folder: Path
              ) -> tuple[list[float], int, int]:
    """Key latencies, events received and frames composed in one run."""
    db = folder / f"live-{rate:g}.db"
    shutil.copy(estate, db)
    bus = str(folder / f"b{rate:g}.sock")
    await seed_events(db)  # the estate has no history: give the cursor rows to move over
    proc = start_gateway(str(db), bus, None, simulate=True, rate=rate)
    hub = None
    store = await Store.open(path=db)
    try:
        hub = await attach(bus, proc)
        ctx = await console_context(store, "admin@doorkeeper.example", hub, source="bench")
        received = 0
        original = hub.dispatch

        def counting(msg: dict) -> None:
            nonlocal received
            received += msg.get("type") in ("event", "alarm")
            original(msg)

        hub.dispatch = counting  # type: ignore[method-assign]
        app = DoorkeeperApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("5")
            await pilot.pause(0.5)
            events_tab = app.main.tabs["pane-eventstab"]
            grid = next(t for t in events_tab.query(LogTable) if t.display)
            grid.focus()
            await pilot.pause(0.3)
            clock = FrameClock(app)
            latencies: list[float] = []
            received = 0
            start = time.perf_counter()
            key = "down"
            while time.perf_counter() - start < seconds:
                before = grid.cursor_row
                key = "up" if before >= 15 else ("down" if before <= 1 else key)
                want = before + (1 if key == "down" else -1)
                t0 = press(app, key)
                latencies.append(await clock.first_frame_after(
                    t0, lambda w=want: grid.cursor_row == w))
                await asyncio.sleep(0.1)
            frames = len(clock.frames)
        return latencies, received, frames
    finally:
        if hub is not None:
            await hub.close()
        await store.close()
        stop_gateway(proc)


async def main() -> int:
    estate = demo_estate()
    folder = Path(tempfile.mkdtemp(prefix="dk-live-", dir="/tmp"))
    try:
        base, base_events, base_frames = await run(estate, 0, BASE_SECONDS, folder)
        load, load_events, load_frames = await run(estate, 50, LOAD_SECONDS, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = []
    for name, lat, ev, fr, secs in (("baseline: 0 events/s", base, base_events, base_frames,
                                     BASE_SECONDS),
                                    ("load: 50 events/s", load, load_events, load_frames,
                                     LOAD_SECONDS)):
        ms = [x * 1000 for x in lat]
        rows.append((name, len(ms), percentile(ms, 50), percentile(ms, 95), max(ms),
                     ev / secs, fr / secs))
    table(("run", "keys", "p50 ms", "p95 ms", "max ms", "events/s in", "frames/s"), rows)
    p95_load, p95_base = rows[1][3], rows[0][3]
    print(f"ratio p95 load/baseline: {p95_load / max(p95_base, 0.001):.2f}")
    checks = Checks()
    checks.target("keypress-to-screen p95 at 50 events/s", p95_load <= 50,
                  f"{p95_load:.1f} ms", "<= 50 ms", baseline=f"{p95_base:.1f} ms",
                  ratio=f"{p95_load / max(p95_base, 0.001):.2f}")
    checks.target("events arrived", rows[1][5] >= 40, f"{rows[1][5]:.0f}/s", ">= 40/s")
    checks.print()
    return 0  # a missed target is a FAIL line, not an exit status (bench/README.md)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
