"""Driving the real gateway for the decision benchmarks: a driver that notes when each
command reaches it, an injector handing requests to `runtime.report()` at a steady
rate, and one paced run (with or without bus subscribers in another process).

Used by bench_decisions.py and bench_backup.py. Not a benchmark itself.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _common import END_TYPE, SubscriberProcess
from _decision_estate import Planned

from console.headless.gateway import Gateway
from core.devices import Command, DeviceEvent, Driver, OpenDoor


class BenchDriver(Driver):
    """Owns every device; notes when each command reaches it.

    The runtime issues a request's commands as tasks, in order (OpenDoor, when
    granted, then Signal), and every request gets exactly one Signal: the k-th
    Signal answers the k-th request.
    """

    name = "bench"

    def __init__(self) -> None:
        self.answers: list[tuple[float, bool]] = []  # (OpenDoor or Signal time, granted)
        self._opened: float | None = None

    async def start(self, report: Callable[[DeviceEvent], None]) -> None:
        self.report = report

    async def stop(self) -> None:
        pass

    def handles(self, device_id: int) -> bool:
        return True

    def command(self, command: Command) -> None:
        now = time.perf_counter()
        if isinstance(command, OpenDoor):
            self._opened = now
            return
        opened, self._opened = self._opened, None
        self.answers.append((opened if command.granted and opened is not None else now,
                             command.granted))


@dataclass
class Run:
    """One paced run's raw results."""

    name: str
    subscribers: int
    t0: list[float]
    answers: list[tuple[float, bool]]
    decision: list[float]
    late: list[float]  # how late each tick fired, seconds
    last: list[bool]  # the request was the last of its tick: it waited for no other
    reporting: list[float]  # how long each runtime.report() call took, seconds
    wall: float
    cpu: float
    stored: int
    commits: int
    gc2: int
    received: dict | None = None

    @property
    def latency(self) -> list[float]:
        return [a[0] - t for a, t in zip(self.answers, self.t0, strict=True)]

    @property
    def last_latency(self) -> list[float]:
        return [x for x, last in zip(self.latency, self.last, strict=True) if last]


async def inject(gateway: Gateway, driver: BenchDriver, plan: list[Planned], rate: float,
                 seconds: float, tick_s: float
                 ) -> tuple[list[float], list[float], list[bool], list[float]]:
    """Hand requests to runtime.report() at `rate` for `seconds`, every `tick_s` those due.

    Returns t0 per request, how late each tick fired, which requests came last
    in their tick (the runtime's command tasks run once the tick's batch is handed
    over, so the others also waited for the reports after them in the same tick),
    and how long each report() call took (decide, command tasks, event to the
    writer's queue and to the bus).
    """
    report = gateway.runtime.report
    count = min(len(plan), round(rate * seconds))
    t0 = [0.0] * count
    last = [False] * count
    reporting = [0.0] * count
    late: list[float] = []
    sent = 0
    start = time.perf_counter() + tick_s
    tick = 0
    while sent < count:
        tick += 1
        target = start + tick * tick_s
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.perf_counter()
        late.append(now - target)
        due = min(count, int((now - start) * rate))
        if sent < due:
            last[due - 1] = True
        while sent < due:
            request = plan[sent].request(datetime.now(UTC))
            t0[sent] = time.perf_counter()
            report(request)
            reporting[sent] = time.perf_counter() - t0[sent]
            sent += 1
    deadline = time.perf_counter() + 10
    while len(driver.answers) < count and time.perf_counter() < deadline:
        await asyncio.sleep(0.001)
    return t0, late, last, reporting


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stored_events(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        con.close()


async def paced_run(name: str, gateway: Gateway, driver: BenchDriver, plan: list[Planned],
                    args: argparse.Namespace, db: Path, subscribers: int) -> Run:
    """One run at the current subscriber count; the writer flushed at its end."""
    writer = await gateway.store.event_writer()
    await writer.flush()
    gc.collect()
    runtime = gateway.runtime
    runtime.decision_latency.clear()
    driver.answers = []
    stored0, commits0 = stored_events(db), writer.batches
    gc0 = gc.get_stats()[2]["collections"]
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    t0, late, last, reporting = await inject(gateway, driver, plan, args.rate, args.seconds,
                                   args.tick_ms / 1000)
    await writer.flush()
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    gc2 = gc.get_stats()[2]["collections"] - gc0
    if len(driver.answers) != len(t0):
        raise SystemExit(f"{name}: {len(t0):,} requests injected but {len(driver.answers):,} "
                         "answered within 10 s")
    return Run(name, subscribers, t0, driver.answers, list(runtime.decision_latency), late,
               last, reporting, wall, cpu, stored_events(db) - stored0, writer.batches - commits0, gc2)


async def with_subscribers(name: str, gateway: Gateway, driver: BenchDriver,
                           plan: list[Planned], args: argparse.Namespace, db: Path) -> Run:
    """A paced run while args.subscribers BusClients in another process read the bus."""
    procs = await SubscriberProcess.start(gateway.config.bus.path, args.subscribers,
                                          nice=args.subscriber_nice)
    deadline = time.perf_counter() + 30
    while gateway.bus.subscribers < args.subscribers:
        if time.perf_counter() > deadline:
            await procs.kill()
            raise SystemExit(f"only {gateway.bus.subscribers} of {args.subscribers} "
                             "subscribers attached to the gateway's bus")
        await asyncio.sleep(0.01)
    run = await paced_run(name, gateway, driver, plan, args, db, gateway.bus.subscribers)
    gateway.bus.publish({"type": END_TYPE})
    run.received = await procs.finish()
    return run
