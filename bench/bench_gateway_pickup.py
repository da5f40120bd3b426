#!/usr/bin/env python3
"""The gateway picks a committed change up within 1 s, without a restart.

What is measured
----------------
A real console.headless.gateway.Gateway runs in this process over a temporary store:
the small estate of the tests (a site, Block C, a panel and its door, the "Always" week
type, a pass of flat 001), and without --quick a block of 1,998 flats and 2,000 APasses
in stock on the same site, since a change reloads the whole site. Each round commits a
change through core's services, then the clock runs until the gateway has it:

- device: an OSDP reader is added (create_device, on a pty with libosdp's PD at
  address 1 on it, as in the commissioning test); until the gateway's bus plan has it
  (planned), then until the reader is online (ID, CAP, polled). The reader is then
  removed and its bus stopped before the next round.
- week type: the pass's week type goes from "Always" to 08:00-18:00 (and back); until
  the gateway's own snapshot decides the pass at the panel at 07:59 on a Wednesday the
  other way (refused, then granted).

Each is measured twice: with nothing but the gateway's change poll (every 250 ms, its
default: the worst case, a change made by a script or another machine) and with the
change notice a console sends on the bus after each save (the usual case).

Baseline, in the same run: the same reload done directly (store.snapshot.changes_since +
apply_changes on the bench's own snapshot, as the gateway's change watcher does, with
no wait), and for the device an OsdpDriver started by hand with the same reader, to
online. Ratio: gateway / baseline (the part that is waiting for the poll or the bus).

Targets: the worst round <= 1 s, poll only (the issue's "within 1 s").

Run: .venv/bin/python bench/bench_gateway_pickup.py [--rounds N] [--quick]
(--quick: the small estate alone, 2 rounds of each)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import QUICK, QUICK_HELP, Checks, median, table  # noqa: E402
from console.headless.bus.client import BusClient  # noqa: E402
from console.headless.gateway import Gateway, GatewayOptions  # noqa: E402
from core.bus import Kind  # noqa: E402
from core.config import Config  # noqa: E402
from core.devices import AccessRequest, Credential  # noqa: E402
from core.model import Block, Device, DeviceType, TimeWindow  # noqa: E402
from core.services import access_passes, blocks, devices, flats, schedules, sites  # noqa: E402
from core.services.base import Actor  # noqa: E402
from core.services.operators import bootstrap_admin  # noqa: E402
from drivers.osdp.driver import OsdpDriver  # noqa: E402
from drivers.osdp.reader import Link  # noqa: E402
from store.database import Store  # noqa: E402
from store.snapshot import apply_changes, changes_since, last_change_id, load_snapshot  # noqa: E402
from tests.conftest import SmallEstate, build_small_estate  # noqa: E402
from tests.osdp.peer import Peer, PtyHub  # noqa: E402

TARGET_S = 1.0
PASS = "1111100000"
AT_0759 = datetime(2026, 12, 2, 7, 59, tzinfo=UTC)  # a Wednesday; London time is UTC


async def build(store: Store, big: bool) -> tuple[Actor, SmallEstate]:
    """The small estate (and, unless quick, a big block and a stock on its site)."""
    admin = Actor(await bootstrap_admin(store.uow(), "admin@bench.example"), source="bench")
    estate = await build_small_estate(store, admin)
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, PASS, 1,
                                             flat_id=estate.flats[0].id)
    if big:
        await sites.update_site(store.uow(), admin, estate.site.id, max_flats=3_000)
        block = await blocks.create_block(store.uow(), admin, Block(estate.site.id, "Block A"))
        await flats.create_flats(store.uow(), admin, block.id, 1, 1_998)
        for first in ("2000000000", "2000001000"):  # batches of at most 1,000
            await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                                     first, 1_000)
    return admin, estate


async def until(check: Callable[[], object], since: float, timeout: float = 5.0) -> float:
    """Seconds from `since` until check() holds (polled every 2 ms)."""
    while not check():
        if time.perf_counter() - since > timeout:
            raise TimeoutError("not picked up within 5 s")
        await asyncio.sleep(0.002)
    return time.perf_counter() - since


class Rig:
    """The gateway, a console's bus client, and the bench's own copy of the snapshot."""

    def __init__(self, gw: Gateway, client: BusClient, store: Store, admin: Actor,
                 estate: SmallEstate, hub: PtyHub) -> None:
        self.gw, self.client, self.store = gw, client, store
        self.admin, self.estate, self.hub = admin, estate, hub

    async def notify(self, notice: bool) -> None:
        if notice:  # what a console sends after each save
            await self.client.send({"type": Kind.CHANGE})

    async def device_round(self, notice: bool) -> tuple[float, float]:
        """(planned, online) seconds after an OSDP reader's creation is committed."""
        reader = await devices.create_device(self.store.uow(), self.admin, Device(
            self.estate.site.id, "Reader - Bench", DeviceType.READER,
            block_id=self.estate.block.id, bus=self.hub.path, address="1"), [])
        t0 = time.perf_counter()
        await self.notify(notice)
        running = self.gw.buses.running
        planned = await until(lambda: self.hub.path in running, t0)
        state = running[self.hub.path][1].readers[0]  # type: ignore[attr-defined]
        online = await until(lambda: state.link is Link.ONLINE, t0)
        await devices.delete_device(self.store.uow(), self.admin, reader.id)
        await self.notify(notice)
        await until(lambda: self.hub.path not in running, time.perf_counter())
        return planned, online

    async def week_type_round(self, notice: bool, office: bool) -> float:
        """Seconds after a week type change is committed until the decision flips."""
        windows = ([TimeWindow(d, clock_time(8), clock_time(18)) for d in range(7)] if office
                   else [TimeWindow(d, clock_time(0), clock_time(23, 59)) for d in range(8)])
        request = AccessRequest(self.estate.panel.id, self.estate.door.id, Credential.APASS,
                                PASS, AT_0759)
        await schedules.save_week_type(self.store.uow(), self.admin, replace(
            self.estate.week_type, windows=windows))
        t0 = time.perf_counter()
        await self.notify(notice)
        return await until(
            lambda: self.gw.runtime.snapshot.decide(request).granted is not office, t0)


async def baselines(store: Store, admin: Actor, estate: SmallEstate, hub: PtyHub,
                    rounds: int) -> tuple[list[float], list[float]]:
    """(direct reload after a week type change, a reader started by hand to online)."""
    snapshot = await load_snapshot(store)
    reloads: list[float] = []
    for i in range(rounds * 2):
        last = await last_change_id(store)
        office = i % 2 == 0
        windows = ([TimeWindow(d, clock_time(8), clock_time(18)) for d in range(7)] if office
                   else [TimeWindow(d, clock_time(0), clock_time(23, 59)) for d in range(8)])
        await schedules.save_week_type(store.uow(), admin, replace(
            estate.week_type, windows=windows))
        t0 = time.perf_counter()
        await apply_changes(store, snapshot, await changes_since(store, last))
        reloads.append(time.perf_counter() - t0)
    from console.headless.osdp_buses import store_reader

    device = Device(estate.site.id, "Reader - Hand", DeviceType.READER, bus=hub.path,
                    address="1", id=10**6)
    onlines: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        driver = OsdpDriver(hub.path, 9600, [store_reader(snapshot, device)],
                            poll_interval=0.05)
        await driver.start(lambda event: None)
        try:
            onlines.append(await until(lambda d=driver: d.readers[0].link is Link.ONLINE, t0))
        finally:
            await driver.stop()
    return reloads, onlines


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2 if QUICK else 10)
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dk-bench-pickup-"))
    store = await Store.open(path=folder / "pickup.db")
    hub = PtyHub()
    pd = Peer(hub, 1)
    gw: Gateway | None = None
    client: BusClient | None = None
    try:
        t0 = time.perf_counter()
        admin, estate = await build(store, big=not QUICK)
        print(f"estate: {'small' if QUICK else 'small + 1,998 flats + 2,000 APasses'}, "
              f"built in {time.perf_counter() - t0:.1f} s; {args.rounds} rounds of each")
        config = Config()
        config.bus.path = str(folder / "bus.sock")
        gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
        await gw.start()
        client = await BusClient.connect(config.bus.path)
        rig = Rig(gw, client, store, admin, estate, hub)
        figures: dict[str, list[float]] = {}
        for notice in (False, True):
            how = "console notice" if notice else "poll only"
            for _ in range(args.rounds):
                planned, online = await rig.device_round(notice)
                figures.setdefault(f"device planned, {how}", []).append(planned)
                figures.setdefault(f"device online, {how}", []).append(online)
            for i in range(args.rounds * 2):
                flip = await rig.week_type_round(notice, office=i % 2 == 0)
                figures.setdefault(f"week type flip, {how}", []).append(flip)
        await gw.stop()
        gw = None
        reloads, onlines = await baselines(store, admin, estate, hub, args.rounds)
    finally:
        if client is not None:
            await client.close()
        if gw is not None:
            await gw.stop()
        pd.teardown()
        hub.close()
        await store.close()
        shutil.rmtree(folder, ignore_errors=True)
    figures["baseline: direct reload (week type)"] = reloads
    figures["baseline: a driver by hand, to online"] = onlines
    table(("measure", "median ms", "max ms", "rounds"),
          [(name, median(v) * 1000, max(v) * 1000, len(v)) for name, v in figures.items()])
    checks = Checks()
    base = {"device online": median(onlines), "week type flip": median(reloads),
            "device planned": median(reloads)}
    for name, values in figures.items():
        if name.startswith("baseline"):
            continue
        worst, kind = max(values), name.split(",")[0]
        line = f"{name}, worst" if "poll only" in name else f"{name}, median"
        got = worst if "poll only" in name else median(values)
        ratio = f"{median(values) / base[kind]:.1f}" if base[kind] else ""
        if "poll only" in name:
            checks.target(line, got <= TARGET_S, f"{got * 1000:.0f} ms", "<= 1000 ms",
                          baseline=f"{base[kind] * 1000:.0f} ms", ratio=ratio)
        else:
            checks.info(line, got <= TARGET_S, f"{got * 1000:.0f} ms", "<= 1000 ms")
    checks.print()
    return 0  # a missed target is a FAIL line, not an exit status (bench/README.md)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(asyncio.run(main()))
