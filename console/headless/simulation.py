"""The simulator's plan, drawn from the gateway's snapshot.

The simulator presents the store's own credentials (and some it has never
heard of), so its grants and denials are the real access engine's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.access import AccessSnapshot
from core.devices import Credential
from core.model import APassState, id_of
from core.site_index import Holder
from drivers.simulator import (
    SimDevice,
    SimDisplay,
    SimEntry,
    SimPass,
    SimulatorDriver,
    SimulatorPlan,
)


def _doors_of(snapshot: AccessSnapshot, device_id: int) -> dict[int, int]:
    """relay -> door id (the snapshot gives a reader its control unit's relays)."""
    doors = snapshot.device_doors.get(device_id) or {}
    return {relay: id_of(door) for relay, door in doors.items()}


def build_plan(snapshot: AccessSnapshot) -> SimulatorPlan:
    """Every device, and the credentials the snapshot knows, as the simulator's plan."""
    devices = tuple(SimDevice(device_id, d.site_id, d.type, _doors_of(snapshot, device_id))
                    for device_id, d in snapshot.devices.items())
    at_door: dict[int, list[int]] = {}
    for dev in devices:
        for door_id in dev.doors.values():
            at_door.setdefault(door_id, []).append(dev.id)

    def where(door_ids: Iterable[int]) -> tuple[int, ...]:
        return tuple(sorted({d for door in door_ids for d in at_door.get(door, ())}))

    def as_pass(number: str, h: Holder) -> SimPass:
        return SimPass(number, Credential.RADIO if h.radio else Credential.APASS,
                       where(h.door_ids))

    residents = [(n, h) for site in snapshot.sites.values() for n, h in site.passes.items()]
    by_state = {state: tuple(as_pass(n, h) for n, h in residents if h.state is state)
                for state in APassState}
    codes = tuple(SimEntry(code, tuple(d for d in where(h.door_ids)
                                       if relay in _doors_of(snapshot, d)))
                  for data in snapshot.sites.values() for (code, relay), h in data.codes.items())
    displays = tuple(
        SimDisplay(display.call_code, site.display_numbers[id_of(display)],
                   tuple(device_id for device_id, d in site.devices.items()
                         if d.block_id == holder.block_id and d.type.is_panel))
        for site in snapshot.sites.values()
        for display, holder in site.displays.values()
        if site.display_numbers.get(id_of(display)))
    grants = snapshot.provider_doors
    mobiles, passes, pcodes = [], [], []
    for provider_id, p in snapshot.providers.items():
        doors = grants.get(provider_id, {})
        if p.mobile:
            mobiles.append(SimEntry(p.mobile, where(d for d, g in doors.items()
                                                    if g.by_telephone)))
        if p.apass_number:
            passes.append(SimPass(p.apass_number, Credential.APASS,
                                  where(d for d, g in doors.items() if g.by_apass)))
        if p.radio_number:
            passes.append(SimPass(p.radio_number, Credential.RADIO,
                                  where(d for d, g in doors.items() if g.by_radio)))
        for code in (p.code_door, p.code_relay_1, p.code_relay_2, p.code_key_safe):
            if code:
                pcodes.append(SimEntry(code, where(d for d, g in doors.items() if g.by_code)))
    zone = next(iter(snapshot.sites.values())).site.timezone if snapshot.sites else "UTC"
    return SimulatorPlan(devices, by_state[APassState.ASSIGNED], by_state[APassState.LOST],
                         by_state[APassState.STOCK], codes, displays, tuple(mobiles),
                         tuple(passes), tuple(pcodes), timezone=zone)


def simulator_for(snapshot: AccessSnapshot, settings: dict[str, Any]) -> SimulatorDriver:
    """A simulator driver over the snapshot's estate, with the config's rate, seed and
    what its rate counts (`rate_counts = "events"`: a load test's offered events)."""
    return SimulatorDriver(build_plan(snapshot), rate=settings.get("rate", 1.0),
                           seed=settings.get("seed"),
                           count_events=settings.get("rate_counts") == "events")
