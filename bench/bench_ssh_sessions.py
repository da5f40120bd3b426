#!/usr/bin/env python3
"""50 concierges at once over SSH: `doorkeeper serve` under live events.

What is measured
----------------
A copy of the demo estate (3 sites, 200k past events) served by `doorkeeper serve`
(2 SSH worker processes on one port) attached to a gateway whose simulated devices
publish 10 events/s. The gateway runs in a probe process of this benchmark (the real
console.headless.gateway.Gateway) so its `runtime.decision_latency` can be read afterwards; serve
uses a gateway already answering on the bus as it is. This process opens N asyncssh
sessions with PTYs (100x30, xterm-256color) as the administrator, each from its own
loopback address, and reads every byte each session receives.

- event-to-screen: for the first event of each second on the shown site, the time from
  this process receiving it on the bus (the gateway publishes it there) to the first
  byte of its "Date & time" text (to the second, the site's time) in a session's
  output, on every session showing the Events tab (the live tail; at 100 columns the
  description is off to the right);
- keypress-to-screen: KEY_SESSIONS sessions stay on the Blocks tab (no live tail there)
  and press Down or Up twice a second; the time from sending the key to the first
  output after it;
- login to first full frame: every session is opened at once (a shift logging in at
  8:00); from the connection's start to the console's first full screen ("Blocks");
- memory per session: the PSS of each session's process (/proc/PID/smaps_rollup: its
  unique pages plus its share of those it shares with the zygote and its siblings);
  CPU: the workers', their zygotes' and the session processes' CPU time, and the
  gateway's, over the load window;
- search typing: then every session opens search and, once all have, types one letter
  a second; key echo is the time from the key to the first output after it;
- decision p99: the gateway's own decide-and-command latency during the load window;
- CPU per session start: the serving side's CPU while the sessions open (the workers'
  handshakes and logins, the zygotes' forks, each session to its first screen and its
  tab) over the sessions, and this client's; 50 x that / the cores is the floor of the
  open p95 (printed).

The baseline is the same measure with one session watching events and one pressing
keys (first, in the same run). The in-process design (every session's app in its
worker's interpreter) is gone, so it cannot run beside this; its figures, measured on
these machines with the same load before it went (issue 14), are printed beside:
50 sessions open p95 14-16 s (5 at a time: 81 s for all), search key echo p95 745 ms at
50 keys/s, ~20 MB RSS per session; the table of docs/textual-over-ssh (one process
repainting per event) saturated a core at 10 sessions with event-to-screen p95 2.4 s.
Targets: event p95 <= 1 s, keypress p95 <= 200 ms, open p95 <= 3 s, <= 30 MB PSS per
session, search key echo p95 <= 150 ms, decision p99 <= 2 ms.

`BENCH_SSH_OVERVIEW=N` puts N of the watching sessions on the live overview (key O)
instead of the Events tab: their event-to-screen is measured apart, on the door events
(the overview shows each one's time, HH:MM:SS, in its door activity; it repaints at most
twice a second, so its figure includes up to half a second of that wait; target p95 <= 1 s), and the Events
sessions' figures are those of the others.

`BENCH_SSH_SESSIONS` (50) and `BENCH_SSH_SECONDS` (60) set the load; with --quick
they default to 4 sessions for 1 s, on the demo estate without past events, served by
one worker (it checks that everything works in a few seconds, not how fast).
`BENCH_SSH_KEEP=1` keeps the folder (estate, serve log) for a look afterwards; sessions
that did not open print serve's first warnings and errors.

The client side (the sessions, the bus feed matched against their screens, the key
loops) is bench/_ssh_client.py; the table, figures and checks bench/_ssh_report.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import QUICK, demo_estate  # noqa: E402
from bench._procs import (  # noqa: E402
    cpu_by_part,
    proc_stat,
    pss_mb,
    sessions_of,
    usage,
)
from bench._ssh_client import (  # noqa: E402
    Feed,
    Session,
    add_key,
    close_session,
    event_latencies,
    open_session,
    press_loop,
    typing_loop,
)
from bench._ssh_report import report  # noqa: E402
from console.headless.bus.client import BusClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = int(os.environ.get("BENCH_SSH_SESSIONS", 4 if QUICK else 50))
KEY_SESSIONS = max(1, SESSIONS // 5)  # the others watch the live tail
#: watching sessions on the overview instead of the Events tab (issue 19)
OVERVIEW = int(os.environ.get("BENCH_SSH_OVERVIEW", 0))
LOAD_SECONDS = float(os.environ.get("BENCH_SSH_SECONDS", 1 if QUICK else 60))
BASE_SECONDS = 1.0 if QUICK else max(10.0, LOAD_SECONDS / 4)
SETTLE_SECONDS = 0.2 if QUICK else 2.0  # after the sessions open, before measuring
LAST_EVENTS_SECONDS = 0.5 if QUICK else 1.5  # after the load, for the last events to show
RATE = 10.0
ESTATE_EVENTS = 0 if QUICK else 200_000  # the demo's default history
TYPING_SECONDS = 0.5 if QUICK else 20.0
#: quick: one worker (and one zygote) to start instead of two, on two shared cores
WORKERS = 1 if QUICK else 2
#: quick mode runs no baseline phase
#: BENCH_SSH_KEEP=1: the folder is kept, with what each session received
KEEP: Path | None = None
#: BENCH_SSH_CONFIG=FILE: serve reads this config (e.g. another [ssh] session_nice)
SERVE_CONFIG = ["--config", os.environ["BENCH_SSH_CONFIG"]] if os.environ.get(
    "BENCH_SSH_CONFIG") else []
#: where the session processes write how their start went (DOORKEEPER_START_PROBE)
PROBES: Path | None = None
EMPTY_PHASE: dict = {"events": [], "keys": [], "pss_per_session": float("nan")}


# --- the gateway probe (a child process) --------------------------------------------------
def probe_gateway(db: str, bus: str, out: str, rate: float) -> None:
    """Run the real gateway; SIGUSR1 marks the decision count, SIGTERM stops and dumps."""
    from console.headless.gateway import Gateway, GatewayOptions
    from core.config import Config
    from store.database import Store

    async def run() -> None:
        config = Config()
        config.bus.path = bus
        store = await Store.open(path=db)
        gateway = Gateway(config, store, GatewayOptions(simulate=True, rate=rate))
        marks: list[int] = []
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, lambda: marks.append(
            len(gateway.runtime.decision_latency) if gateway.runtime else 0))
        try:
            await gateway.run()
        finally:
            Path(out).write_text(json.dumps({
                "latency": list(gateway.runtime.decision_latency), "marks": marks}))

    asyncio.run(run())


# --- the estate ---------------------------------------------------------------------------
def estate(folder: Path) -> Path:
    """A copy of the demo estate (built once), to which the benchmark adds its key."""
    db = folder / "serve.db"
    shutil.copy(demo_estate(ESTATE_EVENTS), db)
    return db


# --- processes ----------------------------------------------------------------------------
def read_probes() -> list[dict]:
    """Each session's own account of its start (console.ssh.session_process.StartProbe),
    taken out of the folder so that the next phase reads its own."""
    found = []
    for path in sorted(PROBES.glob("*.json")) if PROBES else []:
        with contextlib.suppress(ValueError, OSError):
            found.append(json.loads(path.read_text()))
        path.unlink(missing_ok=True)
    return found


async def phase(name: str, count: int, seconds: float, port: int, key: Path, bus: BusClient,
                site: tuple[int, str], pids: int, gateway: int) -> dict:
    """Open `count` sessions, measure for `seconds`, close them (the baseline: one
    session watching events and one pressing keys)."""
    site_id, tz = site
    sessions: list[Session] = []
    t_open = time.perf_counter()
    cpu_before, me_before = usage(pids)[0], time.process_time()
    parts_before = cpu_by_part(pids, gateway)
    keyers_n = KEY_SESSIONS if count > 1 else 1
    failed = 0
    total = count + (count == 1)
    on_overview = set(range(max(keyers_n, total - OVERVIEW), total)) if count > 1 else set()
    opened_now = await asyncio.gather(*(open_session(n, port, key, n >= keyers_n,
                                                     n in on_overview)
                                        for n in range(total)),
                                      return_exceptions=True)  # all at once: 8:00
    for s in opened_now:
        if isinstance(s, BaseException):
            failed += 1
            print(f"a session did not open: {s!r}", flush=True)
        else:
            sessions.append(s)
    opened = time.perf_counter() - t_open
    parts = {k: v - parts_before.get(k, 0.0) for k, v in cpu_by_part(pids, gateway).items()}
    parts["this client"] = time.process_time() - me_before
    starts = read_probes()
    # CPU per session start: the serving side (worker's handshake and login, the zygote's
    # fork, the session to its first frame and its tab), and this client's side
    open_cpu = (usage(pids)[0] - cpu_before) / max(1, len(sessions))
    client_cpu = (time.process_time() - me_before) / max(1, len(sessions))
    session_cpu = [proc_stat(p)[0] for p in sessions_of(pids)]
    keyers = [s for s in sessions if s.number < keyers_n]
    watchers = [s for s in sessions if s.number >= keyers_n and s.number not in on_overview]
    overviews = [s for s in sessions if s.number in on_overview]
    feed = Feed(site_id, tz, watchers)
    from core.views.overview import DOOR_KINDS
    door_feed = Feed(site_id, tz, overviews, "%H:%M:%S", frozenset(k.value for k in DOOR_KINDS))
    loop = asyncio.get_running_loop()
    listener = loop.create_task(feed.run(bus))
    door_bus = await BusClient.connect(bus.path) if overviews else None
    door_listener = loop.create_task(door_feed.run(door_bus)) if door_bus else None
    await asyncio.sleep(SETTLE_SECONDS)
    cpu0, gw0 = usage(pids)[0], proc_stat(gateway)[0]
    t0 = time.perf_counter()
    os.kill(gateway, signal.SIGUSR1)
    feed.on = door_feed.on = True
    keys = await press_loop(keyers, seconds)
    feed.on = door_feed.on = False
    os.kill(gateway, signal.SIGUSR1)
    wall = time.perf_counter() - t0
    cpu1 = usage(pids)[0]
    gw1 = proc_stat(gateway)[0]
    session_pids = sessions_of(pids)
    pss = sum(pss_mb(p) for p in session_pids) / max(1, len(session_pids))
    # the last events reach the screens (the overview repaints at most twice a second)
    await asyncio.sleep(max(LAST_EVENTS_SECONDS, 1.5) if overviews else LAST_EVENTS_SECONDS)
    events, missed = event_latencies(feed, watchers)
    door_events, door_missed = event_latencies(door_feed, overviews)
    listener.cancel()
    if door_listener is not None and door_bus is not None:
        door_listener.cancel()
        await door_bus.close()
    search_opens: list[float] = []
    lags: list[float] = []
    typing_parts: dict[str, float] = {}
    typed = await typing_loop(
        sessions, TYPING_SECONDS, search_opens, SETTLE_SECONDS, lags,
        lambda: {**cpu_by_part(pids, gateway), "this client": time.process_time()},
        typing_parts)
    for s in sessions:
        await close_session(s)
        if KEEP:
            (KEEP / f"{name.split()[0]}-{s.number}.out").write_bytes(bytes(s.out))
    count = len(sessions)
    return {"name": name, "sessions": count, "failed": failed, "opened_s": opened, "events": events,
            "missed": missed, "published": len(feed.events), "keys": keys,
            "overviews": len(overviews), "overview_events": door_events,
            "overview_missed": door_missed,
            "open": [s.opened_s for s in sessions], "typed": typed,
            "search_opens": search_opens, "typing_parts": typing_parts, "client_lags": lags,
            "open_cpu": open_cpu, "client_cpu": client_cpu,
            "session_cpu": sum(session_cpu) / max(1, len(session_cpu)), "pss_per_session": pss,
            "starts": starts, "open_parts": parts,
            "workers_cpu": (cpu1 - cpu0) / wall, "gateway_cpu": (gw1 - gw0) / wall,
            "out_kb_s": sum(len(s.out) for s in sessions) / count / 1024 / max(wall, 1)}


async def main() -> int:
    started = time.perf_counter()
    timeline: list[tuple[str, float]] = []  # where the run's time goes (--quick must be short)
    folder = Path(tempfile.mkdtemp(prefix="dk-bench-ssh-"))
    if os.environ.get("BENCH_SSH_KEEP"):
        global KEEP
        KEEP = folder
    db = estate(folder)
    global PROBES
    PROBES = folder / "starts"
    PROBES.mkdir()
    bus_path = str(folder / "serve.sock")
    probe_out = folder / "decisions.json"
    with open(folder / "gw.log", "w") as gw_log:  # it starts while the key is made
        gateway = subprocess.Popen([sys.executable, __file__, "--probe-gateway", str(db),
                                    bus_path, str(probe_out), str(RATE)], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=gw_log)
    key = folder / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    await add_key(db, key)
    from console.launch import attach
    hub = await attach(bus_path, gateway)
    await hub.close()
    timeline.append(("estate and gateway", time.perf_counter()))
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # serve's own output goes to a file (a pipe nobody reads would fill and stop it)
    serve_out = folder / "serve.out"
    with open(serve_out, "w") as out:
        serve = subprocess.Popen([sys.executable, "-m", "console.cli", "serve", "--db",
                                  str(db), "--bus", bus_path, "--listen", f"127.0.0.1:{port}",
                                  "--workers", str(WORKERS), *SERVE_CONFIG], cwd=ROOT, stdout=out,
                                 env={**os.environ, "DOORKEEPER_START_PROBE": str(PROBES)},
                                 stderr=subprocess.STDOUT, text=True)
    while "Serving" not in serve_out.read_text():
        if serve.poll() is not None:
            print("serve did not start:\n" + serve_out.read_text())
            return 1
        await asyncio.sleep(0.05)
    timeline.append(("serve started", time.perf_counter()))
    pids = serve.pid  # everything serving is under it: workers, zygotes, sessions
    bus = await BusClient.connect(bus_path)
    site = sqlite3.connect(db).execute(
        "SELECT id, timezone FROM sites ORDER BY name COLLATE NOCASE LIMIT 1").fetchone()
    load = os.getloadavg()[0]
    try:
        base = EMPTY_PHASE if QUICK else await phase(  # quick: is it broken, not is it fast
            "1+1 sessions (baseline)", 1, BASE_SECONDS, port, key, bus, site,
                           pids, gateway.pid)
        loaded = await phase(f"{SESSIONS} sessions", SESSIONS, LOAD_SECONDS, port, key, bus,
                             site, pids, gateway.pid)
    finally:
        timeline.append(("sessions measured", time.perf_counter()))
        await bus.close()
        serve.send_signal(signal.SIGTERM)
        gateway.send_signal(signal.SIGTERM)  # both stop at once
        serve.wait(timeout=60)
        gateway.wait(timeout=60)
        timeline.append(("serve and gateway stopped", time.perf_counter()))
    report(base, loaded, json.loads(probe_out.read_text()), sessions=SESSIONS, rate=RATE,
           workers=WORKERS, load=load, timeline=timeline, started=started)
    if loaded["failed"]:  # why, in serve's own words
        log = db.with_suffix(".serve.log")
        lines = (log.read_text().splitlines() if log.exists() else []) + \
            serve_out.read_text().splitlines()
        print("\nserve's warnings and errors:")
        print("\n".join([line for line in lines if " INFO " not in line][:40]))
    if os.environ.get("BENCH_SSH_KEEP"):
        print(f"kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe-gateway"]:
        probe_gateway(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
        sys.exit(0)
    sys.exit(asyncio.run(main()))
