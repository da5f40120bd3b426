"""GSM modems commissioned in the console, driven from the store as OSDP readers are.

A GSM modem device with a serial port (the Devices tab's "Serial port") that no
[[modem]] section of the config names gets a driver of its own (115200 baud; no
PIN: a SIM that asks for one is reported offline, "SIM PIN required"). After every
change the plan is worked out again: a modem added is started, one whose port
changed is restarted on the new port, one removed (or given no port) is stopped.
A modem that cannot be driven (its port is already another modem's or an OSDP
bus's) raises "Modem not driven" on its site with why, cleared ("Modem driven")
once mended. With `gateway --simulate`, every modem of the store that the config
does not name is driven on a simulated modem's pseudo-terminal instead of its port
(drivers/modem/simulated.py), so the demo shows live modem health.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.access import AccessSnapshot
from core.config import DriverConfig
from core.devices import DeviceEvent, Driver
from core.model import DeviceType, EventKind

log = logging.getLogger(__name__)
STORE_BAUD = 115200
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class ModemPlan:
    """What one store modem's driver is made with; a new plan means a new driver."""

    device_id: int
    port: str


def plan_modems(snapshot: AccessSnapshot, sections: list[DriverConfig],
                osdp_ports: set[str], simulated: dict[int, str] | None = None
                ) -> tuple[dict[int, ModemPlan], dict[int, str]]:
    """The store's modems to drive (by device id) and those left out with why.
    `simulated` (device id -> pty path) replaces the stored ports when simulating."""
    named: dict[str, Any] = {s.settings["port"]: s.settings.get("device")
                             for s in sections if s.type == "modem"}
    named_devices = {d for d in named.values()}
    plans: dict[int, ModemPlan] = {}
    not_driven: dict[int, str] = {}
    used: dict[str, str] = {}
    for device in sorted(snapshot.devices.values(), key=lambda d: d.id or 0):
        device_id = device.id or 0
        if device.type is not DeviceType.GSM_MODEM or device_id in named_devices \
                or device.name in named_devices:
            continue
        if simulated is not None:
            if device_id in simulated:
                plans[device_id] = ModemPlan(device_id, simulated[device_id])
            continue
        port = device.bus
        if not port:
            continue  # not commissioned yet: nothing to drive
        if port in named:
            not_driven[device_id] = f"its port {port} is a [[modem]] of the config"
        elif port in osdp_ports:
            not_driven[device_id] = f"its port {port} is an OSDP bus"
        elif port in used:
            not_driven[device_id] = f"its port {port} is already {used[port]}'s"
        else:
            used[port] = device.name
            plans[device_id] = ModemPlan(device_id, port)
    return plans, not_driven


class StoreModems:
    """The running drivers of the store's modems, kept in step with the plan."""

    def __init__(self, drivers: list[Driver], telemetry: Any,
                 report: Callable[[DeviceEvent], None],
                 watch: Callable[[str, Driver], None], unwatch: Callable[[str], None],
                 device_event: Callable[[EventKind, int, str], None]) -> None:
        self.drivers = drivers  # the gateway's (and the runtime's) list, changed in place
        self.telemetry, self.report, self.device_event = telemetry, report, device_event
        self.watch, self.unwatch = watch, unwatch
        self.running: dict[int, tuple[ModemPlan, Driver]] = {}
        #: devices with an open "Modem not driven" alarm (those open at start: reason "")
        self.not_driven: dict[int, str] = {}
        self.simulators: dict[int, Any] = {}  # device id -> SimulatedModem (--simulate)

    def simulate(self, snapshot: AccessSnapshot, sections: list[DriverConfig]) -> dict[int, str]:
        """A simulated modem on a pty for each store modem the config does not name (new
        ones as they are added); device id -> the pty's path."""
        from drivers.modem.simulated import SimulatedModem

        named = {s.settings.get("device") for s in sections if s.type == "modem"}
        for device in snapshot.devices.values():
            if device.type is DeviceType.GSM_MODEM and device.id not in self.simulators \
                    and device.id not in named and device.name not in named:
                self.simulators[device.id or 0] = SimulatedModem()
        return {device_id: sim.path for device_id, sim in self.simulators.items()}

    async def follow(self, plans: dict[int, ModemPlan], not_driven: dict[int, str]) -> None:
        """Stop the drivers whose plan is gone or changed, start the new ones; raise
        "Modem not driven" for a modem newly left out, "Modem driven" once it is not."""
        from drivers.modem.driver import ModemConfig, ModemDriver

        for device_id, (plan, driver) in list(self.running.items()):
            if plans.get(device_id) != plan:
                await self._stop(device_id, plan, driver)
        for device_id, plan in plans.items():
            if device_id in self.running:
                continue
            driver = ModemDriver(ModemConfig(plan.port, device_id, STORE_BAUD),
                                 telemetry=self.telemetry)
            self.running[device_id] = (plan, driver)
            self.drivers.append(driver)
            await driver.start(self.report)
            self.watch(plan.port, driver)
            log.info("modem: device %d driven on %s", device_id, plan.port)
        for device_id, why in not_driven.items():
            if device_id not in self.not_driven:
                log.error("modem: device %d not driven: %s", device_id, why)
                self.device_event(EventKind.MODEM_NOT_DRIVEN, device_id, why)
        for device_id in sorted(self.not_driven.keys() - not_driven.keys()):
            self.device_event(EventKind.MODEM_DRIVEN, device_id, "")
        self.not_driven = dict(not_driven)

    async def _stop(self, device_id: int, plan: ModemPlan, driver: Driver) -> None:
        self.unwatch(plan.port)
        del self.running[device_id]
        with contextlib.suppress(ValueError):
            self.drivers.remove(driver)
        try:
            await asyncio.wait_for(driver.stop(), STOP_TIMEOUT)
        except Exception:
            log.exception("modem: the driver on %s did not stop cleanly", plan.port)

    async def close(self) -> None:
        """Stop the drivers (the gateway stops them too) and the simulated modems."""
        for device_id, (plan, driver) in list(self.running.items()):
            await self._stop(device_id, plan, driver)
        for sim in self.simulators.values():
            sim.close()
        self.simulators.clear()
