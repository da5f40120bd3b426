"""save_task holds the guide's rule for every caller, not only the task form: a task door
may carry only the ways its device type offers at that relay (core/task_methods.py)."""

from __future__ import annotations

import pytest

from core.errors import ValidationError
from core.model import Device, DeviceType, Door, Task, TaskDoor
from core.services import devices, facilities
from tests.conftest import dump_store

pytestmark = pytest.mark.both_engines

# (device type, relay of the door, the way asked, accepted)
CASES = [
    (DeviceType.IPGUARD_4G, 1, "by_code", True),
    (DeviceType.IPGUARD_4G, 1, "by_telephone", True),
    (DeviceType.IPGUARD_4G, 1, "by_radio", False),
    (DeviceType.CODE_KEYPAD, 2, "by_code", True),  # relay code 1
    (DeviceType.CODE_KEYPAD, 1, "by_apass", False),
    (DeviceType.READER, 1, "by_apass", True),
    (DeviceType.READER, 1, "by_code", False),
    (DeviceType.RADIO_RECEIVER, 2, "by_radio", True),  # button 2
    (DeviceType.RADIO_RECEIVER, 1, "by_apass", False),
    (DeviceType.CONTROL_UNIT, 1, "by_mobile", True),
    (DeviceType.CONTROL_UNIT, 1, "by_telephone", False),
    (DeviceType.KEY_SAFE, 1, "by_code", True),
    (DeviceType.KEY_SAFE, 1, "by_telephone", False),
    (DeviceType.GSM_MODEM, 1, "by_telephone", True),
    (DeviceType.GSM_MODEM, 1, "by_code", False),
]


@pytest.mark.parametrize(("device_type", "relay", "way", "accepted"), CASES,
                         ids=[f"{c[0].value}-relay{c[1]}-{c[2]}" for c in CASES])
async def test_a_task_door_carries_only_the_ways_its_device_offers(
        store, admin, estate, provider, device_type, relay, way, accepted):
    device = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Tested device", device_type, block_id=estate.block.id),
        [Door(0, r, f"Door {r}") for r in (1, 2)])
    async with store.reader() as uow:
        door = (await uow.find(Door, device_id=device.id, relay=relay))[0]
    task = Task("Check", provider.company_id, provider.id, [estate.site.id], {},
                [TaskDoor(door.id, **{way: True})])
    if accepted:
        await facilities.save_task(store.uow(), admin, task)
        return
    before = await dump_store(store)
    with pytest.raises(ValidationError, match="cannot be opened by"):
        await facilities.save_task(store.uow(), admin, task)
    assert await dump_store(store) == before
