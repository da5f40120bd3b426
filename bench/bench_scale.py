#!/usr/bin/env python3
"""Many sites, one desk (issue 21): N site gateway processes into one PostgreSQL, M SSH
desks watching, and a gateway deciding while the database is stopped.

What is measured
----------------
A throwaway cluster of the benchmark's own (tests/pg.py: initdb in a temporary folder,
fsync off, commits synchronous; never DOORKEEPER_TEST_PG's: it is stopped here), one
database of N sites built through the services (tests/scale_parts.py: four panels with a
door each, passes, a desk operator per site). N gateways, each `--site` of its own site,
simulating `--rate` events a second: N-1 are `doorkeeper gateway` processes, one is the
real Gateway run in a probe process of this benchmark, so its decision latencies can be
read. One `doorkeeper serve` (its own gateway: none; it uses theirs), and M asyncssh
sessions with PTYs (100x30), desk n as site n mod N's concierge, on the Events tab.

1. Event to screen, over `--seconds`: for the first event of each second of each site,
   from this process hearing it on the bus (LISTEN/NOTIFY, as a console does) to the
   first byte of its "Date & time" in each of that site's desks' output. Target p95
   <= 1 s. Beside it, per gateway, the events it offered, the bus carried and the store
   took a second in that window.
2. Decisions, with the desks closed and serve stopped: the probe gateway's decide-and-
   command latency for `--outage` seconds with PostgreSQL running, then as long again
   after `pg_ctl stop -m immediate`; the database is then started again, every gateway
   replays its journal, and every gateway run's events must be stored exactly once (its
   sequence numbers 1..n, no gap, none twice). Target: p99 stopped / running <= 1.2.
3. Ingest capacity: N processes each running the gateway's EventWriter (`store.
   event_writer()`, `append_many`, `flush`), started together, each with its share of
   `--ingest` events of bench_event_append's mix, into a fresh database; baseline in the
   same run: raw COPY of the same rows (bench_pg_events' `run_raw`, one connection).
   Target: ours / COPY >= 0.3. (The gateways of phase 1 only offer N x rate events a
   second: that shows they keep up, not how much the store could take.)

    .venv/bin/python bench/bench_scale.py                 # 10 gateways x 50/s, 20 desks
    .venv/bin/python bench/bench_scale.py --quick         # 2 gateways, 2 desks, seconds
    .venv/bin/python bench/bench_scale.py --gateways 5 --sessions 10 --seconds 20
    .venv/bin/python bench/bench_scale.py --session-nice 19  # desks at another nice
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import QUICK, QUICK_HELP, ROOT, Checks, no_postgresql, percentile, table
from _event_mix import make_events
from bench_pg_events import fresh, run_raw

sys.path.insert(0, str(ROOT))

from _scale_store import DB, count_by_site, count_events, exactly_once  # noqa: E402

from console.headless.bus.connect import connect  # noqa: E402
from core.config import Config, DriverConfig, StoreConfig  # noqa: E402
from core.services import operators  # noqa: E402
from core.services.base import Actor  # noqa: E402
from store.database import Store  # noqa: E402
from tests import pg  # noqa: E402
from tests import scale_parts as sp  # noqa: E402

#: the throwaway cluster's settings (tests/pg.py) but with commits synchronous: a commit
#: must survive `-m immediate` for "exactly once" to hold (docs/sites.md); fsync stays off
#: (the operating system, which keeps what was written, does not crash here)
SERVER = ("-c listen_addresses='' -c fsync=off -c synchronous_commit=on "
          "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB")
HERE = str(Path(__file__).resolve())
#: the gateways' simulator: `--rate` counts events, not draws (drivers/simulator.py)
SIMULATOR = {"rate_counts": "events"}


# --- the probe gateway and the writers (child processes) --------------------------------
def probe(url: str, folder: str, site: str, rate: float, out: str) -> None:
    """The real Gateway for one site; SIGUSR1 marks the decision count, SIGTERM stops it
    and writes the latencies."""
    from console.headless.gateway import Gateway, GatewayOptions
    from console.headless.sites import gateway_log
    from console.headless.systemd import log_to_journal_or_file
    from core.text import PlainFormatter

    async def run() -> None:
        config = Config()
        config.store = StoreConfig(url=url, path=str(Path(folder) / "doorkeeper.db"))
        config.bus.path = url
        config.drivers = [DriverConfig("simulator", dict(SIMULATOR))]
        store = await Store.open(config.store, migrate=False)
        log_to_journal_or_file(gateway_log(store, config.store, [site]), PlainFormatter)
        gateway = Gateway(config, store, GatewayOptions(simulate=True, rate=rate,
                                                        sites=[site]))
        marks: list[int] = []
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, lambda: marks.append(
            len(gateway.runtime.decision_latency) if gateway.runtime else 0))
        try:
            await gateway.run()
        finally:
            latency = list(gateway.runtime.decision_latency) if gateway.runtime else []
            Path(out).write_text(json.dumps({"latency": latency, "marks": marks}))

    asyncio.run(run())


def writer(url: str, events_file: str) -> None:
    """One gateway's EventWriter: ready, then on a line of stdin append and flush all."""
    events = pickle.loads(Path(events_file).read_bytes())
    for e in events:
        e.id = None

    async def run() -> None:
        store = await Store.open(StoreConfig(url=url), migrate=False)
        ew = await store.event_writer()
        print("ready", flush=True)
        sys.stdin.readline()
        t0 = time.monotonic()
        ew.append_many(events)
        await ew.flush()
        print(json.dumps({"start": t0, "end": time.monotonic(), "batch": ew.max_batch}),
              flush=True)
        await store.close()

    asyncio.run(run())


# --- the phases ----------------------------------------------------------------------------
async def screens(args, port: int, key: Path, made: list[sp.ScaleSite], url: str,
                  socket_dir: str, mark) -> dict:
    """Phase 1: open the desks, measure event to screen for `--seconds`."""
    t0 = time.perf_counter()
    opened = await asyncio.gather(*(sp.open_desk(n, made[n % len(made)], port, key)
                                    for n in range(args.sessions)), return_exceptions=True)
    desks = [d for d in opened if isinstance(d, sp.Desk)]
    for failure in (d for d in opened if not isinstance(d, sp.Desk)):
        print(f"a desk did not open: {failure!r}", flush=True)
    open_s = time.perf_counter() - t0
    bus = await connect(url)
    feed = sp.Feed(desks)
    listener = asyncio.get_running_loop().create_task(feed.run(bus))
    await asyncio.sleep(1.0)  # settle
    before, t_in = await count_by_site(socket_dir), time.perf_counter()
    mark()
    feed.on = True
    await asyncio.sleep(args.seconds)
    limit = time.perf_counter() + 10  # a quiet site's simulator: until it has spoken
    while len({x.site_id for x in feed.seen}) < len(made) and time.perf_counter() < limit:
        await asyncio.sleep(0.1)
    feed.on = False
    mark()
    after, took = await count_by_site(socket_dir), time.perf_counter() - t_in
    # the last ones to reach the screens (a late one counts in the latencies)
    deadline = time.perf_counter() + 10
    while feed.latencies()[1] and time.perf_counter() < deadline:
        await asyncio.sleep(0.25)
    listener.cancel()
    by_site, missed = feed.latencies()
    for desk in desks:
        await desk.close()
    await bus.close()
    return {"latencies": [x for v in by_site.values() for x in v], "missed": missed,
            "sites": len(by_site), "desks": len(desks), "failed": len(opened) - len(desks),
            "open_s": open_s, "took": took,
            "per_site": {s.name: ((after.get(s.site_id, 0) - before.get(s.site_id, 0)) / took,
                                     feed.heard_by_site[s.site_id] / took) for s in made},
            "stored_rate": (sum(after.values()) - sum(before.values())) / took,
            "heard_rate": feed.heard / took}


def pg_ctl(cluster: pg.Cluster, *argv: str) -> None:
    cluster._run([*pg._as_user(), pg.pg_bin("pg_ctl") or "pg_ctl", "-D", str(cluster.data),
                  *argv])


def start(cluster: pg.Cluster) -> None:
    pg_ctl(cluster, "-o", f"-k {cluster.socket} {SERVER}", "-l", str(cluster.log), "-w",
           "start")


def replays(folder: Path) -> int:
    """'replayed … from the spill journal' lines in every gateway's log so far."""
    return sum(p.read_text(errors="replace").count("from the spill journal into the store")
               for p in folder.glob("*.gateway.log"))


async def outage(args, cluster: pg.Cluster, folder: Path, gateways: int, mark) -> dict:
    """Phase 2: decisions with the database running, then stopped; then back, replayed."""
    mark()
    await asyncio.sleep(args.outage)
    mark()
    await asyncio.to_thread(pg_ctl, cluster, "-m", "immediate", "-w", "stop")
    await asyncio.sleep(args.outage)
    mark()
    seen = replays(folder)
    await asyncio.to_thread(start, cluster)
    t0 = time.perf_counter()
    while replays(folder) < seen + gateways and time.perf_counter() - t0 < 120:
        await asyncio.sleep(0.2)
    return {"replayed": replays(folder) - seen, "back_s": time.perf_counter() - t0}


async def ingest(args, socket_dir: str, folder: Path) -> dict:
    """Phase 3: N EventWriter processes at once against one raw COPY of the same rows."""
    dbs = pg.Databases(socket_dir, "scale")
    events = make_events(args.ingest)
    ours = await fresh(dbs, "scale_ours")
    await fresh(dbs, "scale_raw")
    procs = []
    for i in range(args.gateways):
        path = folder / f"events-{i}.pickle"
        path.write_bytes(pickle.dumps(events[i::args.gateways]))
        procs.append(subprocess.Popen([sys.executable, HERE, "--writer", ours, str(path)],
                                      cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True))
    assert all(p.stdout and p.stdout.readline().strip() == "ready" for p in procs)
    for p in procs:  # all ready: go
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    done = [json.loads((await asyncio.to_thread(p.communicate, timeout=300))[0]) for p in procs]
    ours_s = max(d["end"] for d in done) - min(d["start"] for d in done)
    raw_s = await run_raw(dbs, "scale_raw", events, max(d["batch"] for d in done))
    stored = [await count_events(socket_dir, n) for n in ("scale_ours", "scale_raw")]
    return {"ours": args.ingest / ours_s, "raw": args.ingest / raw_s, "stored": stored}


# --- the run -------------------------------------------------------------------------------
async def build(socket_dir: str, folder: Path, n: int) -> tuple[str, list[sp.ScaleSite], Path]:
    dbs = pg.Databases(socket_dir, "x")
    await dbs.create(DB)
    url = pg.url(socket_dir, DB)
    key = folder / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f",
                    str(key)], check=True)
    store = await Store.open(StoreConfig(url=url, path=str(folder / "doorkeeper.db")))
    try:
        admin = Actor(await operators.bootstrap_admin(store.uow(), "admin@scale.example"),
                      source="bench")
        made = await sp.add_sites(store, admin, [f"Site {i + 1:02d}" for i in range(n)],
                                  key.with_suffix(".pub").read_text())
    finally:
        await store.close()
    return url, made, key


async def run(args) -> int:
    folder = Path(tempfile.mkdtemp(prefix="dk-scale-"))
    cluster = pg.Cluster.start()
    pg_ctl(cluster, "-m", "fast", "-w", "stop")
    start(cluster)
    procs: list[subprocess.Popen] = []
    gateway_procs: list[subprocess.Popen] = []
    out = folder / "decisions.json"
    try:
        url, made, key = await build(cluster.socket, folder, args.gateways)
        config = sp.write_config(folder, url, args.session_nice)
        gateways = config.with_name("gateways.toml")  # theirs: + the simulator's setting
        gateways.write_text(config.read_text(encoding="utf-8") + "\n[[driver]]\n"
                            'type = "simulator"\n' + "".join(
                                f'{k} = "{v}"\n' for k, v in SIMULATOR.items()),
                            encoding="utf-8")
        probe_proc = subprocess.Popen([sys.executable, HERE, "--probe", url, str(folder),
                                       made[0].name, f"{args.rate:g}", str(out)], cwd=ROOT)
        gateway_procs = [probe_proc] + [sp.gateway_process(gateways, s.name, args.rate)
                                        for s in made[1:]]
        procs += gateway_procs
        await sp.wait_claims(cluster.socket, DB, [s.site_id for s in made], gateway_procs[1:])
        port = sp.free_port()
        serve = await asyncio.to_thread(sp.serve_process, config, port, args.workers)
        procs.append(serve)

        def mark() -> None:
            os.kill(probe_proc.pid, signal.SIGUSR1)

        seen = await screens(args, port, key, made, url, cluster.socket, mark)
        await asyncio.to_thread(sp.stop, [serve])
        away = await outage(args, cluster, folder, len(made), mark)
        await asyncio.sleep(2.0)  # the last live events, flushed
        once = await exactly_once(cluster.socket)
        await asyncio.to_thread(sp.stop, gateway_procs)
        data = json.loads(out.read_text())
        took = await ingest(args, cluster.socket, folder)
    finally:
        await asyncio.to_thread(sp.stop, procs)
        cluster.stop()  # removes its own folder only
    lat, marks = data["latency"], data["marks"]
    running, stopped = lat[marks[2]:marks[3]], lat[marks[3]:marks[4]]
    return report(args, seen, away, once, took, running, stopped, folder)


def pct(values: list[float], q: float, scale: float = 1.0) -> float:
    return percentile(values, q) * scale if values else float("nan")  # nan: fails


def report(args, seen, away, once, took, running, stopped, folder: Path) -> int:
    ms = sorted(x * 1000 for x in seen["latencies"])
    p95 = pct(ms, 95)
    run99, stop99 = pct(running, 99, 1000), pct(stopped, 99, 1000)
    offered = args.gateways * args.rate
    stored = [r[0] for r in seen["per_site"].values()]
    nice = "default" if args.session_nice is None else args.session_nice
    print(f"\n{args.gateways} site gateways x {args.rate:g} events/s, {seen['desks']} desks "
          f"(+{seen['failed']} failed to open, session_nice {nice}), serve with "
          f"{args.workers} worker(s), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end\n")
    table(("event to screen", "samples", "missed", "p50 ms", "p95 ms", "max ms"),
          [("bus -> desk's Events tab", len(ms), seen["missed"], pct(ms, 50), p95,
            ms[-1] if ms else float("nan"))])
    print(f"desks opened in {seen['open_s']:.1f} s\n")
    table(("events/s over the window", "offered", "bus carried", "store took"),
          [*((f"gateway of {name}", args.rate, heard, took)
             for name, (took, heard) in seen["per_site"].items()),
           ("all gateways", offered, seen["heard_rate"], seen["stored_rate"]),
           ("per gateway: min / max", "", "",
            f"{min(stored, default=0):.1f} / {max(stored, default=0):.1f}")])
    print(f"over {seen['took']:.1f} s; offered: each gateway's simulator at --rate "
          f"{args.rate:g} events/s (rate_counts = events)\n")
    table(("probe gateway's decisions", "count", "p50 ms", "p99 ms"),
          [("PostgreSQL running", len(running), pct(running, 50, 1000), run99),
           ("PostgreSQL stopped", len(stopped), pct(stopped, 50, 1000), stop99)])
    print(f"back: {away['replayed']} journals replayed in {away['back_s']:.1f} s; "
          f"{once[0]:,} events of {once[1]} gateway runs stored, {once[2]} with a gap or "
          "a repeat\n")
    table(("ingest, events/s", f"{args.ingest:,} events"),
          [(f"{args.gateways} EventWriter processes at once", took["ours"]),
           ("raw COPY, one connection", took["raw"]),
           ("ratio", f"{took['ours'] / took['raw']:.2f}")])
    checks = Checks()
    checks.target("event -> screen p95", p95 <= 1000, f"{p95:.0f} ms", "<= 1000 ms")
    ratio = took["ours"] / took["raw"]
    checks.target(f"ingest, {args.gateways} writers / COPY", ratio >= 0.3, f"{ratio:.2f}",
                  ">= 0.3", baseline=f"{took['raw']:,.0f} ev/s", ratio=f"{ratio:.2f}")
    drift = stop99 / run99
    checks.target("decision p99, PostgreSQL stopped / running", drift <= 1.2,
                  f"{stop99:.3f} ms", "ratio <= 1.2", baseline=f"{run99:.3f} ms",
                  ratio=f"{drift:.2f}")
    checks.check("every desk opened", seen["failed"] == 0, seen["failed"], "0")
    checks.check("every site's events reached its desks", seen["sites"] == args.gateways
                 and seen["missed"] == 0, f"{seen['sites']} sites, {seen['missed']} missed",
                 f"{args.gateways} sites, 0 missed")
    checks.check("every gateway's journal replayed", away["replayed"] >= args.gateways,
                  away["replayed"], f">= {args.gateways}")
    checks.check("every event stored exactly once", once[2] == 0 and once[1] >= args.gateways,
                  f"{once[2]} runs with a gap or repeat", "0")
    kept_up = min(stored, default=0) >= 0.8 * args.rate
    checks.target("every gateway's events stored at its offered rate (>= 0.8)", kept_up,
                 f"{min(stored, default=0):.1f}/s at least", f">= {0.8 * args.rate:g}/s")
    checks.check("both ingest sides stored every event",
                 took["stored"] == [args.ingest, args.ingest], took["stored"],
                 f"[{args.ingest}, {args.ingest}]")
    print()
    checks.print()
    if checks.failed:  # why, in the gateways' own words
        for log in sorted(folder.glob("*.gateway.log")):
            lines = [line for line in log.read_text(errors="replace").splitlines()
                     if line.startswith("20") and " INFO " not in line]
            print(f"\n{log.name}: {len(lines)} warnings and errors, the last:")
            print("\n".join(lines[-8:]))
    if os.environ.get("BENCH_SCALE_KEEP"):
        print(f"kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help=QUICK_HELP)
    ap.add_argument("--gateways", type=int, default=2 if QUICK else 10)
    ap.add_argument("--rate", type=float, default=10 if QUICK else 50)
    ap.add_argument("--sessions", type=int, default=2 if QUICK else 20)
    ap.add_argument("--workers", type=int, default=1 if QUICK else 2, help="serve's")
    ap.add_argument("--session-nice", type=int, choices=range(20), metavar="0-19",
                    help="the desks' [ssh] session_nice (default: the config's, 10)")
    ap.add_argument("--seconds", type=float, default=2 if QUICK else 30)
    ap.add_argument("--outage", type=float, default=4 if QUICK else 30)
    ap.add_argument("--ingest", type=int, default=2_000 if QUICK else 100_000)
    args = ap.parse_args()
    if args.gateways < 1 or args.sessions < 1:
        ap.error("--gateways and --sessions must be 1 or more")
    if no_postgresql(Checks()):
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        probe(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
        sys.exit(0)
    if sys.argv[1:2] == ["--writer"]:
        writer(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(main())
