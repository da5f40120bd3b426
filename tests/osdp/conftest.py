"""The OSDP tests' bus: a pty, its peers, the driver and the gateway's real runtime."""

from __future__ import annotations

import pytest

from core.devices import Status, StatusReport
from core.model import CallStep, PanelDisplay
from core.ports import EventSink
from core.runtime import Runtime
from core.services import access_passes, flats, residents
from drivers.osdp.driver import OsdpDriver
from drivers.osdp.reader import Link, ReaderConfig
from store.snapshot import load_snapshot
from tests.conftest import eventually, fixed_clock
from tests.osdp.peer import KEY, Peer, PtyHub

KNOWN = 12345678  # the estate's APass 0012345678


class ListSink(EventSink):
    """Events as the runtime records them, durable at once (then announced, as the store's
    event writer does once a batch is stored)."""

    def __init__(self) -> None:
        self.events = []
        self.on_durable = None

    def append(self, event) -> None:
        self.events.append(event)
        if self.on_durable is not None:
            self.on_durable([event])

    async def flush(self) -> None:
        pass


class Setup:
    """A bus: the pty, its PDs, the driver, the runtime and what they reported."""

    def __init__(self, snapshot, door) -> None:
        self.hub = PtyHub()
        self.door = door
        self.sink = ListSink()
        self.reports: list = []
        self.published: list[dict] = []  # what the gateway's bus would carry to every console
        self.runtime = Runtime(snapshot, self.sink, self.published.append)
        self.sink.on_durable = self.runtime.announce
        self.peers: list = []  # libosdp Peers and ScriptedReaders: each has teardown()
        self.driver: OsdpDriver | None = None

    def reader(self, address: int, device_id: int, **kw) -> ReaderConfig:
        kw.setdefault("door_id", self.door.id)
        return ReaderConfig(address, device_id, door_device_id=self.door.device_id,
                            open_seconds=self.door.open_seconds, **kw)

    async def start(self, readers: list[ReaderConfig], baud: int = 115200,
                    **kw) -> OsdpDriver:
        self.driver = OsdpDriver(self.hub.path, baud, readers, telemetry=self.runtime,
                                 clock=fixed_clock, **kw)
        self.runtime.drivers = [self.driver]

        def report(event) -> None:
            self.reports.append(event)
            self.runtime.report(event)

        await self.driver.start(report)
        return self.driver

    async def until(self, check, timeout: float = 3.0):
        """Wait for check() to be truthy; return it."""
        return await eventually(check, timeout)

    async def online(self, n: int = 1) -> None:
        await self.until(lambda: sum(r.link is Link.ONLINE for r in self.driver.readers) >= n)

    def statuses(self, status: Status) -> list[StatusReport]:
        return [e for e in self.reports if isinstance(e, StatusReport) and e.status is status]

    async def close(self) -> None:
        if self.driver:
            await self.driver.stop()
        for peer in self.peers:
            peer.teardown()
        self.hub.close()


@pytest.fixture
async def bus(store, admin, estate):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                             f"{KNOWN:010d}", 1, flat_id=estate.flats[0].id)
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, code_main_door="4321")
    phone = await residents.add_telephone(store.uow(), admin, estate.flats[0].id, "07546277360")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(  # codes need a display
        estate.flats[0].id, "Sully Garfield", "A1", call_chain=[CallStep(phone.id, 20)]))
    setup = Setup(await load_snapshot(store), estate.door)
    yield setup
    await setup.close()


@pytest.fixture
def hub():
    """A pty that OSDP peers answer on (its path is the bus a driver opens)."""
    made = PtyHub()
    yield made
    made.close()


@pytest.fixture
def secure_pd(hub):
    """`secure_pd(address)`: libosdp's PD on `hub` at that address, holding KEY (its
    Secure Channel key), with its own thread; torn down after the test."""
    peers: list[Peer] = []

    def make(address: int) -> Peer:
        peers.append(Peer(hub, address, scbk=KEY))
        return peers[-1]

    yield make
    for peer in peers:
        peer.teardown()


@pytest.fixture
async def a_pass(store, admin, estate) -> str:
    """The estate's APass 0012345678 (the card KNOWN), assigned to its first flat."""
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                             f"{KNOWN:010d}", 1, flat_id=estate.flats[0].id)
    return f"{KNOWN:010d}"
