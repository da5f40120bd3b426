#!/usr/bin/env python3
"""Online backups while the gateway decides: the demo store with 200,000 events, 200 events/s.

What is measured
----------------
A copy of the demo estate (seed 1, 200,000 past events, built once into the temp folder by
`_common.demo_estate`) gets bench_decisions' estate of 2,000 credentials on a site of its
own; the real gateway (console.headless.gateway.Gateway) runs on it in this process, its
drivers replaced by bench_decisions' BenchDriver, and access requests are handed to
`runtime.report()` at 200 a second (bench_decisions' injector and request mix). Each
request is decided, its relay command handed over, its event committed by the writer.

Two runs of the same requests after a warm-up: first WITHOUT a backup (the baseline),
then WITH `doorkeeper backup` running in a separate process back to back for the whole
run, as the systemd timer runs it (SQLite's online backup in one step, then the integrity
check and the audit chain verified on the copy, then the rename). Latency of a request:
from `report()` to its command reaching the driver (the decision plus the event loop's
scheduling under the writer's commits); `runtime.decision_latency` beside it. Also: how
long one backup takes (and its size), and checks that every backup was verified and holds
every event stored before it began.

Target (from the issue): request-to-command p99 during backups <= 1.2 x the baseline's.

    .venv/bin/python bench/bench_backup.py             # about 2 minutes (the demo store once)
    .venv/bin/python bench/bench_backup.py --quick     # a small new store, 0.8 s runs: 4 s
    .venv/bin/python bench/bench_backup.py --seconds 30 --rate 200
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import QUICK, QUICK_HELP, ROOT, Checks, demo_estate, percentile, summary_ms, table
from _decision_estate import build_estate, plan_requests
from _decision_gateway import BenchDriver, paced_run

from console.headless.gateway import Gateway, GatewayOptions
from core.config import Config
from store.database import Store

WARMUP_S = 0.3 if QUICK else 2.0


def max_event_id(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return con.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]


class Backups:
    """`doorkeeper backup` in its own process, back to back until stopped."""

    def __init__(self, db: Path, folder: Path) -> None:
        self.db, self.folder = db, folder
        self.seconds: list[float] = []  # each backup's wall time, process start included
        self.failed: list[str] = []
        self.held: list[bool] = []  # every event stored before it began is in the copy
        self.size = 0
        self._stop = False

    def _one(self, n: int) -> None:
        to = self.folder / f"b{n}.db"
        before = max_event_id(self.db)
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-P", "-m", "console.cli", "backup", "--db",
                               str(self.db), "--to", str(to)], cwd=ROOT,
                              capture_output=True, text=True)
        self.seconds.append(time.perf_counter() - began)
        if done.returncode != 0:
            self.failed.append(done.stderr.strip())
            return
        with sqlite3.connect(to) as con:
            ids = con.execute("SELECT count(*) FROM events WHERE id <= ?", (before,)).fetchone()
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as con:
            live = con.execute("SELECT count(*) FROM events WHERE id <= ?", (before,)).fetchone()
        self.held.append(ids == live)
        self.size = to.stat().st_size
        to.unlink()

    def loop(self) -> None:
        n = 0
        while not self._stop:
            self._one(n)
            n += 1

    def stop(self) -> None:
        self._stop = True


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=0.8 if QUICK else 20.0,
                    help="seconds per run (20; 0.8 with --quick)")
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second (200)")
    ap.add_argument("--events", type=int, default=200_000,
                    help="past events of the demo store (200000; --quick: a new small store)")
    ap.add_argument("--credentials", type=int, default=500 if QUICK else 2_000)
    ap.add_argument("--tick-ms", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = ap.parse_args(argv)
    rnd = random.Random(args.seed)
    checks = Checks()

    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp, \
            tempfile.TemporaryDirectory(prefix="dk-", dir="/tmp") as sockdir:
        db = Path(tmp) / "doorkeeper.db"
        if not QUICK:
            shutil.copyfile(demo_estate(args.events), db)
        store = await Store.open(path=db)
        estate = await build_estate(store, args.credentials, rnd)
        await store.close()
        print(f"Backups under load: {db.stat().st_size / 1e6:,.0f} MB store "
              f"({max_event_id(db):,} events), {args.rate:,.0f} requests/s for "
              f"{args.seconds:g} s per run; SQLite {sqlite3.sqlite_version}")
        config = Config()
        config.bus.path = str(Path(sockdir) / "bus.sock")
        gateway = Gateway(config, await Store.open(path=db), GatewayOptions())
        await gateway.start()
        driver = BenchDriver()
        await driver.start(gateway.runtime.report)
        gateway.drivers = gateway.runtime.drivers = [driver]
        backups = Backups(db, Path(tmp))
        try:
            plan = plan_requests(estate, round(args.rate * args.seconds), rnd)
            warm = plan_requests(estate, round(args.rate * WARMUP_S), rnd)
            await paced_run("warm-up", gateway, driver, warm, argparse.Namespace(
                rate=args.rate, seconds=WARMUP_S, tick_ms=args.tick_ms), db, 0)
            base = await paced_run("without a backup", gateway, driver, plan, args, db, 0)
            looping = asyncio.get_running_loop().run_in_executor(None, backups.loop)
            loaded = await paced_run("during backups", gateway, driver, plan, args, db, 0)
            backups.stop()
            await looping
        finally:
            await asyncio.wait_for(gateway.stop(), 30)

    rows = []
    for run in (base, loaded):
        p50, p99, p999, top = summary_ms(run.latency)
        d50, d99, _, _ = summary_ms(run.decision)
        rows.append((run.name, len(run.t0), f"{p50:.3f}", f"{p99:.3f}", f"{p999:.3f}",
                     f"{top:.3f}", f"{d50:.3f}", f"{d99:.3f}", run.stored))
    table(("run", "requests", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "decide p50",
           "decide p99", "events stored"), rows)
    print()
    secs = backups.seconds or [0.0]
    table(("backups", "value"), [
        ("backups taken during the loaded run (and after it)", len(backups.seconds)),
        ("one backup, wall (s), median", f"{sorted(secs)[len(secs) // 2]:.2f}"),
        ("one backup, wall (s), slowest", f"{max(secs):.2f}"),
        ("copy size (MB)", f"{backups.size / 1e6:.1f}"),
    ])
    print()
    base_p99 = percentile([x * 1000 for x in base.latency], 99)
    loaded_p99 = percentile([x * 1000 for x in loaded.latency], 99)
    ratio = loaded_p99 / base_p99 if base_p99 else float("inf")
    checks.target("request-to-command p99 during backups / without", ratio <= 1.2,
                  f"{loaded_p99:.3f} ms", "<= 1.2x", baseline=f"{base_p99:.3f} ms",
                  ratio=ratio)
    checks.info("one backup of the store, median (s)", True,
                f"{sorted(secs)[len(secs) // 2]:.2f}", "no target")
    checks.check("every backup verified (integrity, audit chain)", not backups.failed,
                 f"{len(backups.failed)} failed" + (f": {backups.failed[0]}"
                                                   if backups.failed else ""), "0 failed")
    checks.check("every backup holds every event stored before it began",
                 bool(backups.held) and all(backups.held),
                 f"{sum(backups.held)} of {len(backups.held)}", "all")
    checks.check("every request answered and its event stored",
                 loaded.stored == len(loaded.t0) and base.stored == len(base.t0),
                 f"{loaded.stored + base.stored:,}", f"{len(loaded.t0) + len(base.t0):,}")
    checks.print()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
