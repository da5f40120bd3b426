"""The ways a task lets its provider open each device, as the guide's task form lists
them, and how they become the task's doors (core.model.TaskDoor).

Per device, the guide offers: open by code (door code, relay code 1, relay code 2),
APasses, radio transmitter buttons 1–4, mobile access, open by telephone, only where
the device type supports them. In the store a task grants per door (a relay): the
door code opens relay 1, relay code 1 relay 2 and relay code 2 relay 3 (as the
access engine reads a provider's codes); radio button N is relay N of a radio
receiver; an APass, mobile access and the telephone open every door of the device.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.model import DeviceType, TaskDoor


class Method(enum.StrEnum):
    DOOR_CODE = "Door code"
    RELAY_CODE_1 = "Relay code 1"
    RELAY_CODE_2 = "Relay code 2"
    APASS = "APass"
    RADIO_1 = "Radio 1"
    RADIO_2 = "Radio 2"
    RADIO_3 = "Radio 3"
    RADIO_4 = "Radio 4"
    MOBILE = "Mobile access"
    TELEPHONE = "Telephone"


M = Method
CODES = (M.DOOR_CODE, M.RELAY_CODE_1, M.RELAY_CODE_2)
RADIO = (M.RADIO_1, M.RADIO_2, M.RADIO_3, M.RADIO_4)
#: what each device type can be opened by (the guide's columns, where ticks appear)
SUPPORTED: dict[DeviceType, tuple[Method, ...]] = {
    DeviceType.IPGUARD_4G: (*CODES, M.APASS, M.MOBILE, M.TELEPHONE),
    DeviceType.PANEL_3G: (*CODES, M.APASS, M.MOBILE, M.TELEPHONE),
    DeviceType.CONTROL_UNIT: (M.APASS, M.MOBILE),
    DeviceType.READER: (M.APASS,),
    DeviceType.RADIO_RECEIVER: RADIO,
    DeviceType.CODE_KEYPAD: CODES,
    DeviceType.KEY_SAFE: (M.DOOR_CODE, M.APASS),
    DeviceType.GSM_MODEM: (M.TELEPHONE,),
}
#: the relay a method opens; None: every door of the device
RELAY_OF: dict[Method, int | None] = {
    M.DOOR_CODE: 1, M.RELAY_CODE_1: 2, M.RELAY_CODE_2: 3,
    M.RADIO_1: 1, M.RADIO_2: 2, M.RADIO_3: 3, M.RADIO_4: 4,
    M.APASS: None, M.MOBILE: None, M.TELEPHONE: None,
}
FLAG_OF: dict[Method, str] = {
    **{m: "by_code" for m in CODES}, **{m: "by_radio" for m in RADIO},
    M.APASS: "by_apass", M.MOBILE: "by_mobile", M.TELEPHONE: "by_telephone",
}
del M


@dataclass(frozen=True)
class DeviceDoors:
    """A device's type and its doors by relay (what the methods map onto)."""

    device_id: int
    type: DeviceType
    doors: Mapping[int, int]  # relay -> door id


def methods_for(device: DeviceDoors) -> tuple[Method, ...]:
    """The methods the device offers: its type's, where it has the relay they open."""
    if not device.doors:
        return ()
    return tuple(m for m in SUPPORTED.get(device.type, ())
                 if RELAY_OF[m] is None or RELAY_OF[m] in device.doors)


def door_flags(device: DeviceDoors, relay: int) -> set[str]:
    """The TaskDoor flags the device's door at `relay` may carry: its type's methods."""
    return {FLAG_OF[m] for m in methods_for(device) if RELAY_OF[m] in (None, relay)}


def task_doors(chosen: Mapping[int, Iterable[Method]],
               devices: Mapping[int, DeviceDoors]) -> list[TaskDoor]:
    """The task's doors for the methods ticked per device (unsupported ones ignored)."""
    flags: dict[int, dict[str, bool]] = {}
    for device_id, methods in chosen.items():
        device = devices.get(device_id)
        if device is None:
            continue
        offered = methods_for(device)
        for method in methods:
            if method not in offered:
                continue
            relay = RELAY_OF[method]
            doors = device.doors.values() if relay is None else [device.doors[relay]]
            for door_id in doors:
                flags.setdefault(door_id, {})[FLAG_OF[method]] = True
    return [TaskDoor(door_id, **f) for door_id, f in sorted(flags.items())]


def chosen_methods(doors: Iterable[TaskDoor], devices: Mapping[int, DeviceDoors]
                   ) -> dict[int, set[Method]]:
    """The methods per device that a task's doors grant (the form's ticks)."""
    by_door = {td.door_id: td for td in doors}
    out: dict[int, set[Method]] = {}
    for device in devices.values():
        for method in methods_for(device):
            relay = RELAY_OF[method]
            door_ids = list(device.doors.values()) if relay is None else [device.doors[relay]]
            if all(getattr(by_door.get(d), FLAG_OF[method], False) for d in door_ids):
                out.setdefault(device.device_id, set()).add(method)
    return out
