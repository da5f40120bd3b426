"""The modem tests' setup: the simulated modem on a pty, the driver, the gateway's real
runtime over a small estate with a modem wired to the panel's door."""

from __future__ import annotations

import time
from datetime import date

import pytest

from core.devices import Command, Driver, OpenDoor, Status, StatusReport
from core.model import Device, DeviceType, ManagementCompany, ServiceProvider, Task, TaskDoor
from core.runtime import Runtime
from core.services import devices, facilities, residents, sites
from drivers.modem.driver import ModemConfig, ModemDriver
from drivers.modem.simulated import SimulatedModem
from store.snapshot import load_snapshot
from tests.conftest import eventually, fixed_clock
from tests.osdp.conftest import ListSink

RESIDENT = "+447546277360"  # flat 1's telephone, written 07546277360
PROVIDER = "+442079460998"  # Sam's mobile; his task lets him open by telephone


class Relays(Driver):
    """The panel's relay side, recorded (a mock: the panel's own driver is not what these
    tests are about; the OSDP tests drive real relays)."""

    name = "relays"

    def __init__(self, device_id: int) -> None:
        self.device_id = device_id
        self.opened: list[tuple[float, OpenDoor]] = []

    async def start(self, report) -> None:
        pass

    async def stop(self) -> None:
        pass

    def handles(self, device_id: int) -> bool:
        return device_id == self.device_id

    def command(self, command: Command) -> None:
        if isinstance(command, OpenDoor):
            self.opened.append((time.perf_counter(), command))


class Line:
    """A modem: the simulator, the driver, the runtime and what they reported."""

    def __init__(self, snapshot, modem_id: int, panel_id: int) -> None:
        self.sim = SimulatedModem(ring_interval=30)
        self.modem_id = modem_id
        self.sink = ListSink()
        self.reports: list = []
        self.published: list[dict] = []
        self.runtime = Runtime(snapshot, self.sink, self.published.append)
        self.sink.on_durable = self.runtime.announce
        self.relays = Relays(panel_id)
        self.driver: ModemDriver | None = None

    async def start(self, **kw) -> ModemDriver:
        kw.setdefault("poll_interval", 0.3)
        kw.setdefault("command_timeout", 0.5)
        kw.setdefault("offline_after", 1.0)
        kw.setdefault("backoff", (0.1, 0.4))
        pin = kw.pop("pin", "")
        self.driver = ModemDriver(ModemConfig(self.sim.path, self.modem_id, pin=pin),
                                  telemetry=self.runtime, clock=fixed_clock, **kw)
        self.runtime.drivers = [self.relays, self.driver]

        def report(event) -> None:
            self.reports.append(event)
            self.runtime.report(event)

        await self.driver.start(report)
        return self.driver

    async def until(self, check, timeout: float = 3.0):
        """Wait for check() to be truthy; return it."""
        return await eventually(check, timeout)

    async def online(self) -> None:
        await self.until(lambda: self.driver.state.online and "AT+CREG=1" in self.sim.commands)

    def statuses(self, status: Status) -> list[StatusReport]:
        return [e for e in self.reports if isinstance(e, StatusReport) and e.status is status]

    async def close(self) -> None:
        if self.driver:
            await self.driver.stop()
        self.sim.close()


async def dial_estate(store, admin, estate, *, residents_may: bool = True):
    """The estate with a modem wired to the panel (its door), flat 1's telephone, and Sam,
    whose task opens the door by telephone (2026) under the estate's week type."""
    await sites.update_site(store.uow(), admin, estate.site.id,
                            residents_dial_to_open=residents_may)
    modem = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "DATA modem", DeviceType.GSM_MODEM, block_id=estate.block.id,
        parent_id=estate.panel.id))
    await residents.add_telephone(store.uow(), admin, estate.flats[0].id, "07546277360")
    company = await facilities.save_company(store.uow(), admin, ManagementCompany("Lifts"))
    sam = await facilities.save_provider(store.uow(), admin, ServiceProvider(
        company.id, "Sam", date(2026, 1, 1), date(2026, 12, 31), mobile=PROVIDER))
    await facilities.save_task(store.uow(), admin, Task(
        "Lift checks", company.id, sam.id, [estate.site.id],
        {estate.site.id: estate.week_type.id},
        [TaskDoor(estate.door.id, by_telephone=True)]))
    return modem


@pytest.fixture
async def line(store, admin, estate):
    modem = await dial_estate(store, admin, estate)
    setup = Line(await load_snapshot(store), modem.id, estate.panel.id)
    yield setup
    await setup.close()
