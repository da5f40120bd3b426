"""The gateway's OSDP buses: those of the config's [[osdp]] sections and those of the
store's readers (a device of type reader with a bus), one driver per serial port.

After every change the gateway works out again which readers each port has, with what
settings; a port whose readers changed gets a new driver (its readers' sessions start
again), a port no reader uses any more is stopped, a new port is started. Each driver
sits under the gateway's task supervisor like every other part.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.headless.config_devices import config_device
from core.access import AccessSnapshot
from core.config import DriverConfig
from core.devices import DeviceEvent, Driver
from core.model import Device, DeviceType, Door, EventKind

log = logging.getLogger(__name__)
#: [[osdp.reader]] settings passed to ReaderConfig as they are, and those in seconds
READER_OPTIONS = ("output", "contact_input", "card_format", "buzzer", "install")
READER_SECONDS = ("led_seconds", "short_beep", "long_beep")
#: a bus only the store names runs at the config's default rate, and polls each reader at
#: most every 50 ms (a card waits no more than that; the gateway's CPU stays low)
STORE_BAUD, STORE_POLL_MS = 9600, 50
STOP_TIMEOUT = 5.0


def _door(snapshot: AccessSnapshot, device: Device, relay: int) -> Door | None:
    """The door a reader's grant opens: its own on `relay`, else its control unit's."""
    doors = snapshot.device_doors.get(device.id or 0) or snapshot.device_doors.get(
        device.parent_id or 0, {})
    return doors.get(relay)


def _door_options(door: Door | None) -> dict[str, Any]:
    if door is None:
        return {}
    return dict(door_id=door.id, door_device_id=door.device_id,
                open_seconds=door.open_seconds, held_open_seconds=door.held_open_seconds)


def config_readers(snapshot: AccessSnapshot, settings: dict) -> list[Any]:
    """A config bus's [[osdp.reader]] entries resolved against the store's devices."""
    from drivers.osdp.reader import ReaderConfig

    readers = []
    for reader in settings.get("reader", []):
        device = config_device(snapshot, reader["device"],
                               f"OSDP reader {reader['address']}").id or 0
        # the settings given; the rest take ReaderConfig's defaults
        options = {key: reader[key] for key in READER_OPTIONS if key in reader}
        options.update({key: float(reader[key]) for key in READER_SECONDS if key in reader})
        if reader.get("contact_input", 0) < 0:
            options["contact_input"] = None
        if reader.get("scbk"):
            options["scbk"] = bytes.fromhex(reader["scbk"])
        options.update(_door_options(_door(snapshot, snapshot.devices[device],
                                           reader.get("relay", 1))))
        readers.append(ReaderConfig(reader["address"], device, **options))
    return readers


def store_reader(snapshot: AccessSnapshot, device: Device) -> Any:
    """The ReaderConfig of a reader commissioned in the store (relay 1 of its own doors,
    else of its control unit's)."""
    from drivers.osdp.reader import ReaderConfig

    options: dict[str, Any] = {"card_format": device.card_format or "wiegand26"}
    if device.scbk:
        options.update(scbk=bytes.fromhex(device.scbk), install=device.sc_install)
    options.update(_door_options(_door(snapshot, device, 1)))
    return ReaderConfig(int(device.address), device.id or 0, **options)


@dataclass(frozen=True)
class BusPlan:
    """What one port's driver is made with; a new plan means a new driver."""

    port: str
    baud: int
    poll_ms: int
    readers: tuple[Any, ...]


@dataclass(frozen=True)
class Plan:
    """Every port's plan, and the store's readers left out of them with why (each an alarm
    until mended: a person must change the reader's settings)."""

    buses: dict[str, BusPlan]
    not_driven: dict[int, str]  # device id: why the gateway does not drive it


def plan_buses(snapshot: AccessSnapshot, sections: list[DriverConfig]) -> Plan:
    """Every port's readers: the config's, plus the store's readers on that port (or on
    a port of their own) that the config does not already name."""
    plans: dict[str, BusPlan] = {}
    not_driven: dict[int, str] = {}
    named: set[int] = set()
    for section in sections:
        if section.type != "osdp":
            continue
        s = section.settings
        readers = config_readers(snapshot, s)
        named |= {r.device_id for r in readers}
        plans[s["port"]] = BusPlan(s["port"], s.get("baud", 9600), s.get("poll_ms", 0),
                                   tuple(readers))
    for device in sorted(snapshot.devices.values(), key=lambda d: d.id or 0):
        if device.type is not DeviceType.READER or not device.bus or device.id in named:
            continue
        try:
            reader = store_reader(snapshot, device)
        except ValueError:  # an address or key the services would have refused
            not_driven[device.id or 0] = (f"its address {device.address!r} or its Secure "
                                          "Channel key in the store is not valid")
            continue
        plan = plans.get(device.bus) or BusPlan(device.bus, STORE_BAUD, STORE_POLL_MS, ())
        taken = next((r for r in plan.readers if r.address == reader.address), None)
        if taken is not None:
            other = snapshot.devices[taken.device_id]  # every plan's reader is a device
            not_driven[device.id or 0] = (f"address {reader.address} on {device.bus} is "
                                          f"already {other.name}'s")
            continue
        plans[device.bus] = BusPlan(plan.port, plan.baud, plan.poll_ms,
                                    plan.readers + (reader,))
    return Plan(plans, not_driven)


class OsdpBuses:
    """The running OSDP drivers, one per port, kept in step with the plan."""

    def __init__(self, drivers: list[Driver], telemetry: Any,
                 report: Callable[[DeviceEvent], None],
                 watch: Callable[[str, Driver], None], unwatch: Callable[[str], None],
                 device_event: Callable[[EventKind, int, str], None]) -> None:
        self.drivers = drivers  # the gateway's (and the runtime's) list, changed in place
        self.telemetry = telemetry
        self.report = report
        self.device_event = device_event
        #: the store's readers left out, each with an open "Reader not driven" alarm (the
        #: gateway starts with those the store has open, their reasons unknown: "")
        self.not_driven: dict[int, str] = {}
        self.watch, self.unwatch = watch, unwatch
        self.running: dict[str, tuple[BusPlan, Driver]] = {}
        #: the drivers' clock (None: the wall clock; a test sets the moment a card is read)
        self.clock: Callable[[], datetime] | None = None

    def make(self, plan: BusPlan) -> Driver:
        from drivers.osdp.driver import OsdpDriver

        return OsdpDriver(plan.port, plan.baud, plan.readers, telemetry=self.telemetry,
                          poll_interval=plan.poll_ms / 1000, clock=self.clock)

    async def follow(self, plan: Plan, *, start: bool = True) -> None:
        """Apply the plan; a reader newly left out raises "Reader not driven" (on its
        site, with why), a reader driven again or gone clears it ("Reader driven")."""
        await self.apply(plan.buses, start=start)
        for device_id, why in plan.not_driven.items():
            if device_id not in self.not_driven:
                log.error("osdp: reader %d not driven: %s", device_id, why)
                self.device_event(EventKind.READER_NOT_DRIVEN, device_id, why)
        for device_id in sorted(self.not_driven.keys() - plan.not_driven.keys()):
            self.device_event(EventKind.READER_DRIVEN, device_id, "")
        self.not_driven = dict(plan.not_driven)

    async def apply(self, plans: dict[str, BusPlan], *, start: bool = True) -> None:
        """Stop the drivers of ports gone or changed, make (and start) the new ones."""
        for port, (plan, driver) in list(self.running.items()):
            if plans.get(port) != plan:
                await self._stop(port, driver)
        for port, plan in plans.items():
            if port in self.running or not plan.readers:
                continue
            driver = self.make(plan)
            self.running[port] = (plan, driver)
            self.drivers.append(driver)
            if start:
                await driver.start(self.report)
                log.info("osdp: bus %s started with %d readers", port, len(plan.readers))
            self.watch(port, driver)

    async def _stop(self, port: str, driver: Driver) -> None:
        self.unwatch(port)
        del self.running[port]
        with contextlib.suppress(ValueError):
            self.drivers.remove(driver)
        try:
            await asyncio.wait_for(driver.stop(), STOP_TIMEOUT)
        except Exception:
            log.exception("osdp: bus %s did not stop cleanly", port)

    def restart_session(self, device_id: int) -> bool:
        """Start a reader's conversation again (ID, CAP, the Secure Channel handshake)."""
        for _, driver in self.running.values():
            for reader in getattr(driver, "readers", ()):
                if reader.config.device_id == device_id:
                    reader.reset()
                    return True
        return False
