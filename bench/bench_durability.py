#!/usr/bin/env python3
"""The durability promise under kill -9, with desks saving changes beside the gateway.

What is measured
----------------
A real gateway process (`doorkeeper gateway --simulate --rate 200`) runs over a copy
of the demo estate while a bus subscriber in this process records every event
published, with the time it arrived. After 1 to 2 s (drawn at random) the gateway
is killed with SIGKILL, then started again for the next round, which replays any
spill journal it left. Alongside, in the loaded phase, 4 desk processes save
changes through the services as fast as they can (`flats.update_flat` of a note:
an audited write transaction, the gateway reloading the site), counting refusals.

Per round, against the store and the spill journal (both are durable):

- **events seen on the bus but not stored** (target 0): the promise itself;
- **oldest event lost at the kill**: the kill's time minus the newest durable
  event's time; every event made after that one was lost, and none was seen.
  Target: one group commit, bounded at 100 ms (the commit under way, the
  writer's 5 ms pause after it, and any wait for a desk's transaction);
- **event durability p99**: arrival on the bus minus the event's time, i.e. the
  time to make it durable plus the bus hop. Target: <= 100 ms under the 4 desks.

The baseline is the same rounds with no desks (same run); the ratio is loaded
p99 / baseline p99. The desks' raw database errors are checked to be 0 (a locked
store is a named refusal).

How to run
----------
    .venv/bin/python bench/bench_durability.py            # 100 kills loaded + 20 baseline
    .venv/bin/python bench/bench_durability.py --quick    # 4 + 2 kills, a few seconds each
    .venv/bin/python bench/bench_durability.py --kills 30 --desks 8
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import QUICK, QUICK_HELP, ROOT, Checks, demo_estate, percentile, table

sys.path.insert(0, str(ROOT))
RATE = 200.0
BOUND_MS = 100.0


def key(at: object, kind: object, credential: object, device: object) -> tuple:
    when = datetime.fromisoformat(str(at))
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return (when, str(kind), str(credential), device)


def durable_keys(db: Path, since: datetime) -> set[tuple]:
    """Every event stored since `since`, plus those in the spill journal."""
    from store.spill import from_line, spill_path
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT at, kind, credential, device_id FROM events WHERE at >= ?",
                           (since.astimezone(UTC).replace(tzinfo=None).isoformat(" "),))
        found = {key(*r) for r in rows}
    finally:
        con.close()
    journal = spill_path(db)
    if journal.exists():
        for line in journal.read_bytes().split(b"\0", 1)[0].splitlines():
            if line.strip():
                e = from_line(line)
                found.add(key(e.at.isoformat(), e.kind.value, e.credential, e.device_id))
    return found


async def one_round(db: Path, sock: str, log, seconds: float) -> dict:
    """Start a gateway, record what it publishes, kill -9 it; the round's figures."""
    from console.headless.bus.client import BusClient

    started = datetime.now(UTC)
    start_s = time.monotonic()
    gw = subprocess.Popen([sys.executable, "-P", "-m", "console.cli", "gateway", "--db",
                           str(db), "--bus", sock, "--simulate", "--rate", str(RATE)],
                          cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    client = None
    deadline = time.monotonic() + 60
    while client is None:
        if gw.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the gateway did not start (exit {gw.poll()}); see its log")
        with contextlib.suppress(Exception):
            if Path(sock).exists():
                client = await BusClient.connect(sock)
        if client is None:
            await asyncio.sleep(0.05)
    seen: list[tuple[dict, float]] = []

    async def listen() -> None:
        async for msg in client.messages():
            if msg.get("type") in ("event", "alarm"):
                seen.append((msg["event"], time.time()))

    reader = asyncio.create_task(listen())
    first = time.monotonic() + 30
    while not seen and time.monotonic() < first:
        await asyncio.sleep(0.01)
    up = time.monotonic()
    await asyncio.sleep(seconds)
    killed_at = datetime.now(UTC)
    os.kill(gw.pid, signal.SIGKILL)
    gw.wait()
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(reader, 2)
    await client.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(sock)  # a killed gateway leaves its socket
    durable = durable_keys(db, started)
    keys = [key(e["at"], e["kind"], e["credential"], e.get("device_id")) for e, _ in seen]
    newest = max((k[0] for k in durable), default=None)
    latency = [arrived - datetime.fromisoformat(e["at"]).timestamp() for e, arrived in seen
               if e.get("name") != "gateway"]
    print(f"  round: started in {up - start_s:.1f} s, {len(seen)} events seen", flush=True)
    return {"seen": len(seen), "not_stored": sum(k not in durable for k in keys),
            "lost_ms": (killed_at - newest).total_seconds() * 1000 if newest else None,
            "latency": latency}


async def desk(db: str, change: str, index: int) -> None:
    """One desk saving changes through the services until SIGTERM (a child process)."""
    from core.errors import DoorkeeperError, StoreBusy
    from core.model import Flat, Operator
    from core.services import flats, operators
    from core.services.base import Actor
    from store.database import Store

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    store = await Store.open(path=db, migrate=False)
    async with store.reader() as uow:
        ops = await uow.find(Operator)
        admin = [o for o in ops if o.can_create_sites][0]
        others = [o.id for o in ops if o.id != admin.id]
        flat_ids = [f.id for f in await uow.find(Flat)][index::8][:300]
    actor = Actor(admin, source="bench")
    counts = {"calls": 0, "busy": 0, "refused": 0, "raw": 0, "raw_kinds": []}
    n = 0
    print("ready", flush=True)
    while not stop.is_set():
        n += 1
        try:
            if change == "flat":
                await flats.update_flat(store.uow(), actor, flat_ids[n % len(flat_ids)],
                                        notes=f"desk {index} change {n}")
            else:
                await operators.set_active(store.uow(), actor, others[n % len(others)],
                                           bool(n % 2))
            counts["calls"] += 1
        except StoreBusy:
            counts["busy"] += 1
        except DoorkeeperError:
            counts["refused"] += 1
        except Exception as err:  # noqa: BLE001 - what the check counts
            counts["raw"] += 1
            counts["raw_kinds"] = sorted({*counts["raw_kinds"], type(err).__name__})
    await store.close()
    print(json.dumps(counts), flush=True)


async def phase(db: Path, kills: int, desks: int, change: str, seconds: tuple[float, float],
                log) -> dict:
    """`kills` rounds, with `desks` desk processes saving changes throughout."""
    sock = os.path.join(tempfile.mkdtemp(prefix="dk-bench-", dir="/tmp"), "bus.sock")
    rng = random.Random(kills * 31 + desks)
    procs = [subprocess.Popen([sys.executable, __file__, "--desk", str(db), change, str(i)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
             for i in range(desks)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    rounds = []
    started = time.monotonic()
    try:
        for _ in range(kills):
            rounds.append(await one_round(db, sock, log, rng.uniform(*seconds)))
    finally:
        elapsed = time.monotonic() - started
        desk_counts = []
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            out, _ = p.communicate(timeout=30)
            line = out.strip().splitlines()[-1] if out and out.strip() else "{}"
            with contextlib.suppress(ValueError):
                desk_counts.append(json.loads(line))
    latency = [x for r in rounds for x in r["latency"]]
    lost = [r["lost_ms"] for r in rounds if r["lost_ms"] is not None]
    return {"rounds": rounds, "elapsed": elapsed, "desks": desk_counts,
            "seen": sum(r["seen"] for r in rounds),
            "not_stored": sum(r["not_stored"] for r in rounds),
            "lost_max": max(lost, default=0.0), "lost_p50": percentile(lost, 50) if lost else 0,
            "p50": percentile(latency, 50) * 1000, "p99": percentile(latency, 99) * 1000,
            "max": max(latency, default=0) * 1000}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help=QUICK_HELP)
    ap.add_argument("--kills", type=int, help="kills under the desks (100; 4 quick)")
    ap.add_argument("--baseline-kills", type=int, help="kills with no desks (20; 2 quick)")
    ap.add_argument("--desks", type=int, default=4, help="desk processes (4)")
    ap.add_argument("--change", choices=("operator", "flat"), default="operator",
                    help="what the desks save: an operator's active flag (no reload in the "
                         "gateway: the store's lock alone) or a flat's note (the gateway "
                         "also reloads the site); default operator")
    ap.add_argument("--desk", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.desk:
        db, change, index = args.desk
        asyncio.run(desk(db, change, int(index)))
        return 0
    kills = args.kills or (3 if QUICK else 100)
    base_kills = args.baseline_kills or (1 if QUICK else 20)
    seconds = (0.5, 1.0) if QUICK else (1.0, 2.0)
    folder = Path(tempfile.mkdtemp(prefix="doorkeeper-bench-durability-"))
    db = folder / "estate.db"
    shutil.copyfile(demo_estate(0), db)
    try:
        with open(folder / "gateway.log", "wb") as log:
            print(f"baseline: {base_kills} kills, no desks …", flush=True)
            base = asyncio.run(phase(db, base_kills, 0, args.change, seconds, log))
            print(f"loaded: {kills} kills, {args.desks} desks saving changes …", flush=True)
            loaded = asyncio.run(phase(db, kills, args.desks, args.change, seconds, log))
        report(base, loaded, kills, base_kills, args.desks)
    except SystemExit:
        print((folder / "gateway.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def report(base: dict, loaded: dict, kills: int, base_kills: int, desks: int) -> None:
    calls = sum(d.get("calls", 0) for d in loaded["desks"])
    busy = sum(d.get("busy", 0) for d in loaded["desks"])
    raw = sum(d.get("raw", 0) for d in loaded["desks"])
    table(("phase", "kills", "events seen", "seen not stored", "lost window max ms",
           "durability p50 ms", "p99 ms", "max ms", "desk changes/s"),
          [("baseline (no desks)", base_kills, base["seen"], base["not_stored"],
            base["lost_max"], base["p50"], base["p99"], base["max"], 0),
           (f"{desks} desks saving", kills, loaded["seen"], loaded["not_stored"],
            loaded["lost_max"], loaded["p50"], loaded["p99"], loaded["max"],
            calls / loaded["elapsed"] if loaded["elapsed"] else 0)])
    print(f"desks: {calls} changes saved, {busy} refused as busy (StoreBusy), {raw} raw "
          "database errors")
    checks = Checks()
    checks.check("events seen on the bus but not stored", loaded["not_stored"] == 0
                 and base["not_stored"] == 0, loaded["not_stored"] + base["not_stored"], "0")
    checks.check("desk calls ending in a raw database error", raw == 0, raw, "0")
    checks.target("oldest event lost per kill (ms)", loaded["lost_max"] <= BOUND_MS,
                  loaded["lost_max"], f"<= {BOUND_MS:.0f}", baseline=base["lost_max"])
    ratio = loaded["p99"] / base["p99"] if base["p99"] else 0.0
    checks.target(f"event durability p99 under {desks} desks (ms)", loaded["p99"] <= BOUND_MS,
                  loaded["p99"], f"<= {BOUND_MS:.0f}", baseline=base["p99"], ratio=ratio)
    checks.print()


if __name__ == "__main__":
    sys.exit(main())
