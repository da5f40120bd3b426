#!/usr/bin/env python3
"""Bus fan-out: events/s the gateway's bus delivers to 50 subscribers, against 1.

What is measured
----------------
A console.headless.bus.server.BusServer listens on a short /tmp socket in this process. The
subscribers are console.headless.bus.client.BusClient connections (what a console uses) in a
separate Python process, each reading `messages()` and counting the messages
and the bytes it receives, and when it read the first and the last event.

Messages have the shape the gateway's runtime publishes,
{"type": "event", "event": {...}} with a jsonable core.model.Event, and its
content (APass grants and refusals with the guide's descriptions, keypad
codes, calls to residents; about 400 bytes a line), built once; every
publish encodes its message again, as the runtime does. They are published
as fast as possible for `--seconds` (10): `server.publish()` in bursts of
`--burst` (100), then `await asyncio.sleep(0)` so the loop can write; when
any subscriber's transport buffer holds more than 256 KB, the publisher
waits (1 ms sleeps) until every buffer is under 64 KB. So the server's
buffers stay bounded (its own limit, `max_buffer`, disconnects a peer at
1 MB: `server.dropped` counts those) and the published rate settles at what
the slowest subscriber reads.

Reported: events published per second, messages delivered per second summed
over the subscribers (every subscriber's events over the time from the first
publish to its last event read), per-subscriber events/s (min and median),
bytes, drops, the publisher's back-off, and the CPU time of this process and
of the subscriber process. Baseline, in the same run and first: the same
with 1 subscriber; the ratio of the per-subscriber delivered rate with 50 to
that with 1 is printed.

No target was set for this one: the figures are printed, and the checks only
say whether every subscriber read every event published (none dropped).

How to run
----------
    make bench                                   # every bench/bench_*.py
    .venv/bin/python bench/bench_bus_fanout.py   # this one (about 45 s)
    .venv/bin/python bench/bench_bus_fanout.py --seconds 3 --subscribers 10
    .venv/bin/python bench/bench_bus_fanout.py --quick   # 1 s a run, 5 subscribers
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import END_TYPE, QUICK, QUICK_HELP, Checks, SubscriberProcess, table

from console.headless.bus.server import BusServer
from console.headless.bus.wire import encode
from core.audit import jsonable
from core.model import Event, EventKind, EventResult

HIGH_WATER = 256 * 1024  # a subscriber's unsent bytes above which the publisher waits
LOW_WATER = 64 * 1024  # ... until every subscriber is back under this
POOL = 5000  # distinct messages, published round and round
FIRST = ["Oliver", "Amelia", "Jemma", "Marian", "Jeffrey", "Priya", "Tom", "Aisha", "Noah",
         "Chloé", "Mohammed", "Grace", "Lucas", "Sofia", "Harry", "Isla", "Yusuf", "Freya"]
LAST = ["Hill", "Woods", "Long", "Natarajan", "Brennan", "Okafor", "Smith", "Dubois", "Khan",
        "O'Connor", "Nowak", "Williams", "Taylor", "Evans", "Martin", "Chen", "Fernández"]
BLOCKS = ["Block A - MINI", "Block B - MINI PLUS hands free", "Block C - TOUCH",
          "Block D - MINI PLUS", "Block E - Riverside", "North Tower"]


def make_messages(count: int, seed: int = 1) -> list[dict]:
    """Messages as the runtime publishes them, with the guide's event descriptions."""
    rnd = random.Random(seed)
    start = datetime.now(UTC)
    out = []
    for i in range(count):
        b = rnd.randrange(len(BLOCKS))
        flat_no = rnd.randrange(1, 2000)
        info = f"{BLOCKS[b]}/Appt. {flat_no:04d}"
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        at = start + timedelta(milliseconds=i)
        common = dict(at=at, site_id=1, device_id=10 + 3 * b, block_id=b + 1,
                      flat_id=b * 2000 + flat_no)
        roll = rnd.random()
        if roll < 0.80:  # a fob or a radio transmitter, mostly granted
            kind = (EventKind.OPEN_BY_RADIO_TRANSMITTER if rnd.random() < 0.15
                    else EventKind.OPEN_BY_PROXIMITY_FOB)
            number = f"{rnd.randrange(10**9, 2 * 10**9):010d}"
            reason = "" if rnd.random() < 0.9 else rnd.choice(
                ["APass lost", "APass in stock", "not authorised on this door"])
            desc = (f"APass number : {number} (Resident) Name associated : {name}"
                    f" Info : {info}" + (f" Pattern : {reason}" if reason else "")
                    + f" {kind.value}")
            event = Event(kind=kind, result=EventResult.OPENING_DENIED if reason
                          else EventResult.OPENING, credential=number, name=name,
                          reason=reason, description=desc, **common)
        elif roll < 0.90:  # a keypad code
            code = str(rnd.randrange(100_000, 1_000_000))
            if rnd.random() < 0.8:
                event = Event(kind=EventKind.ACCESS_BY_CODE, result=EventResult.OPENING,
                              credential=code, name=f"Appt. {flat_no:04d}",
                              description=f"Code entered : {code} Info : {info}", **common)
            else:
                event = Event(kind=EventKind.ACCESS_BY_CODE,
                              result=EventResult.OPENING_DENIED, credential=code,
                              reason="code unknown",
                              description=f"Code entered : {code} Pattern : code unknown",
                              **{**common, "block_id": None, "flat_id": None})
        else:  # a visitor's call to a resident
            number = f"+44207946{rnd.randrange(10**4):04d}"
            event = Event(kind=EventKind.CALL_TO_RESIDENT, result=rnd.choice(
                [EventResult.OPENING, EventResult.OPENING_DENIED,
                 EventResult.COMMUNICATION_NOT_COMPLETED]), credential=number, name=name,
                description=f"Resident : {name} Tel number : {number} Info : {info}",
                **common)
        out.append({"type": "alarm" if event.kind.is_alarm else "event",
                    "event": jsonable(event)})
    return out


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def max_buffered(server: BusServer) -> int:
    return max((p.transport.get_write_buffer_size() for p in server.peers
                if p.transport is not None and not p.closed), default=0)


@dataclass
class Result:
    subscribers: int
    published: int
    seconds: float  # first publish to last publish
    cpu: float  # this process, first publish to every subscriber done
    backoffs: int
    backoff_s: float
    peak_buffer: int
    dropped: int
    received: dict
    start: float  # time.monotonic() of the first publish

    @property
    def drain(self) -> float:
        """Seconds from the last publish to the last event read by any subscriber."""
        last = max((c["last"] for c in self.clients if c["last"]), default=self.start)
        return max(0.0, last - self.start - self.seconds)

    @property
    def clients(self) -> list[dict]:
        return self.received["clients"]

    def rates(self) -> list[float]:
        """Each subscriber's events read per second, first publish to its last event."""
        return [c["events"] / (c["last"] - self.start) if c["last"] else 0.0
                for c in self.clients]

    @property
    def delivered_rate(self) -> float:
        """Events read by all subscribers together per second, until the last one's last."""
        last = max((c["last"] for c in self.clients if c["last"]), default=self.start)
        return sum(c["events"] for c in self.clients) / max(last - self.start, 1e-9)


async def one_run(server: BusServer, path: str, subscribers: int, messages: list[dict],
                  seconds: float, burst: int) -> Result:
    """Publish as fast as the subscribers read for `seconds`; what each one read."""
    procs = await SubscriberProcess.start(path, subscribers)
    deadline = time.monotonic() + 30
    while server.subscribers < subscribers:
        if time.monotonic() > deadline:
            await procs.kill()
            raise SystemExit(f"only {server.subscribers} of {subscribers} subscribers attached")
        await asyncio.sleep(0.01)
    dropped0 = server.dropped
    published = backoffs = peak = 0
    backoff_s = 0.0
    n = len(messages)
    cpu0 = cpu_seconds()
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        for _ in range(burst):
            server.publish(messages[published % n])
            published += 1
        buffered = max_buffered(server)
        peak = max(peak, buffered)
        if buffered > HIGH_WATER:
            backoffs += 1
            t = time.monotonic()
            while max_buffered(server) > LOW_WATER and time.monotonic() < end:
                await asyncio.sleep(0.001)
            backoff_s += time.monotonic() - t
        else:
            await asyncio.sleep(0)
    stop = time.monotonic()
    server.publish({"type": END_TYPE})
    received = await procs.finish()
    cpu = cpu_seconds() - cpu0
    deadline = time.monotonic() + 10
    while server.subscribers and time.monotonic() < deadline:  # let the peers go
        await asyncio.sleep(0.01)
    return Result(subscribers, published, stop - start, cpu, backoffs, backoff_s, peak,
                  server.dropped - dropped0, received, start)


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=1.0 if QUICK else 10.0,
                    help="seconds per run (10; 1 with --quick)")
    ap.add_argument("--subscribers", type=int, default=5 if QUICK else 50,
                    help="subscribers (50; 5 with --quick)")
    ap.add_argument("--burst", type=int, default=100,
                    help="messages published between two yields to the loop (100)")
    ap.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = ap.parse_args(argv)
    if args.seconds <= 0 or args.subscribers < 1 or args.burst < 1:
        ap.error("--seconds must be positive, --subscribers and --burst at least 1")

    messages = make_messages(POOL)
    sizes = [len(encode(m)) for m in messages]
    with tempfile.TemporaryDirectory(prefix="dk-", dir="/tmp") as sockdir:
        path = str(Path(sockdir) / "bus.sock")
        server = BusServer(path, lambda msg, peer: None)
        await server.start()
        print(f"Bus fan-out: {POOL:,} distinct event messages of {min(sizes)}-{max(sizes)} "
              f"bytes (mean {statistics.mean(sizes):.0f}), published for {args.seconds:g} s "
              f"a run in bursts of {args.burst}, back-off above {HIGH_WATER // 1024} KB "
              f"unsent to any subscriber (until all are under {LOW_WATER // 1024} KB), "
              f"server max_buffer {server.max_buffer:,} bytes; subscribers in one separate "
              f"process; Python {sys.version.split()[0]}; socket {path}")
        print("Runs in this order: 1 subscriber (baseline), then "
              f"{args.subscribers} subscribers.")
        print()
        try:
            results = [await one_run(server, path, n, messages, args.seconds, args.burst)
                       for n in (1, args.subscribers)]
        finally:
            await server.close()

    rows = []
    for r in results:
        rates = r.rates()
        rows.append((f"{r.subscribers} subscriber(s)", r.published,
                     f"{r.published / r.seconds:,.0f}", f"{r.delivered_rate:,.0f}",
                     f"{min(rates):,.0f}", f"{statistics.median(rates):,.0f}",
                     f"{r.delivered_rate * statistics.mean(sizes) / 1e6:.1f}",
                     r.backoffs, f"{100 * r.backoff_s / r.seconds:.0f} %",
                     f"{r.peak_buffer // 1024:,}", f"{r.drain:.1f}", r.dropped,
                     f"{r.cpu:.1f}", f"{r.received['cpu_s']:.1f}",
                     f"{r.received['max_rss_mb']:,.0f}"))
    table(("run", "published", "published/s", "delivered/s (sum)", "per-sub min/s",
           "per-sub median/s", "MB/s delivered", "back-offs", "backing off",
           "peak KB unsent", "drain s", "dropped", "CPU s server", "CPU s subs",
           "subs peak MB"), rows)
    print()
    one, many = results
    ratio = statistics.median(many.rates()) / statistics.median(one.rates())
    print(f"Per-subscriber delivered rate, {many.subscribers} vs 1: {ratio:.3f} "
          f"(median {statistics.median(many.rates()):,.0f} vs "
          f"{statistics.median(one.rates()):,.0f} events/s); summed over subscribers: "
          f"{many.delivered_rate / one.delivered_rate:.2f} x the single subscriber's rate.")
    copies = many.published * many.subscribers
    print(f"Server side, {many.subscribers} subscribers: {1e6 * many.cpu / copies:.1f} us of "
          f"this process's CPU per message copy written ({copies:,} copies, encoding "
          f"included), i.e. at most {copies / many.cpu:,.0f} copies/s on one core; the "
          f"subscriber process used {many.received['cpu_s'] / (many.seconds + many.drain):.0%} "
          f"of a core while reading.")
    for r in results:
        if r.received["stderr"]:
            print(f"Subscriber process stderr ({r.subscribers}): {r.received['stderr']}")
    print()

    checks = Checks()
    checks.info(f"per-subscriber delivered events/s, {many.subscribers} subscribers",
                True, f"{statistics.median(many.rates()):,.0f}", "(no target)",
                baseline=f"{statistics.median(one.rates()):,.0f}", ratio=f"{ratio:.3f}")
    for r in results:
        events = [c["events"] for c in r.clients]
        checks.check(f"{r.subscribers} subscriber(s): each read every event",
                     min(events) == r.published and len(events) == r.subscribers,
                     f"min {min(events):,}", f"{r.published:,}")
        checks.check(f"{r.subscribers} subscriber(s): none dropped or discarded",
                     r.dropped == 0 and not sum(c["dropped"] for c in r.clients),
                     r.dropped + sum(c["dropped"] for c in r.clients), "0")
    checks.print()
    print("(no throughput target was set for the bus: the figures above are the result)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
