"""The gateway applies every facilities change within a second: a provider's code and
fob presented at a device inside and outside the task's week type and perimeter, before
and after their validity, after the task is deleted and once the provider is deleted
(real store, real bus socket, the simulator as the devices; the changes are saved
through the services by another Store, as a console would)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import time as clock_time
from datetime import timedelta

import pytest

from console.headless.bus.client import BusClient
from core.model import (
    Device,
    DeviceType,
    Door,
    ManagementCompany,
    ServiceProvider,
    Task,
    TaskDoor,
    TimeWindow,
    WeekType,
)
from core.services import devices, schedules
from core.services.base import Actor
from core.services.facilities import (
    delete_provider,
    delete_task,
    save_company,
    save_provider,
    save_task,
)
from tests.test_gateway import gateway, next_event  # noqa: F401  (the fixture)

CODE, FOB = "4711", "4640800090"


async def _reason(client: BusClient, present, expected: str) -> None:
    """Present until the gateway answers with `expected` ("" = opened), within 1 s."""
    saved = time.monotonic()
    seen = None
    while True:
        present()
        event = (await next_event(client))["event"]
        seen = "" if event["result"] == "Opening" else event["reason"]
        if seen == expected:
            return
        assert time.monotonic() - saved < 1.0, f"still {seen!r}, not {expected!r} after 1 s"
        await asyncio.sleep(0.02)


@pytest.fixture
async def keypad(store, admin, estate) -> Device:
    """A second device outside the task's perimeter (made before the gateway starts, so
    the simulator has it)."""
    return await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Bin store keypad", DeviceType.CODE_KEYPAD,
        block_id=estate.block.id), [Door(0, 1, "Bin store")])


async def test_provider_code_and_fob_follow_task_week_type_perimeter_and_validity(
        keypad, gateway, store, admin, estate):  # noqa: F811
    sim = gateway.drivers[0]
    me = Actor(admin.operator)  # the real clock: the gateway decides at the real time
    today = me.today(estate.site)
    never = await schedules.save_week_type(store.uow(), me, WeekType(  # no holiday here
        estate.site.id, "Holidays 03:00", [TimeWindow(7, clock_time(3, 0), clock_time(3, 1))]))
    company = await save_company(store.uow(), me, ManagementCompany("Brightside Cleaning"))
    provider = await save_provider(store.uow(), me, ServiceProvider(
        company.id, "Smith John", today + timedelta(days=1), today + timedelta(days=30),
        code_door=CODE, apass_number=FOB))
    task = await save_task(store.uow(), me, Task(
        "Bins", company.id, provider.id, [estate.site.id], {estate.site.id: None},
        [TaskDoor(estate.door.id, by_code=True, by_apass=True)]))
    client = await BusClient.connect(gateway.config.bus.path)
    panel = estate.panel.id

    def code(device: int = panel):
        return lambda: sim.enter_code(CODE, device)

    def fob(device: int = panel):
        return lambda: sim.present(FOB, device)

    try:
        await _reason(client, code(), "not valid yet")  # before validity
        await _reason(client, fob(), "not valid yet")
        provider = await save_provider(store.uow(), me, replace(provider, valid_from=today))
        await _reason(client, code(), "")  # inside validity, perimeter, week type
        await _reason(client, fob(), "")
        await _reason(client, code(keypad.id), "not authorised on this door")  # outside
        await _reason(client, fob(keypad.id), "not authorised on this door")
        task = await save_task(store.uow(), me, replace(task, week_type_ids={
            estate.site.id: never.id}))
        await _reason(client, code(), "outside week type")
        await _reason(client, fob(), "outside week type")
        task = await save_task(store.uow(), me, replace(task, week_type_ids={
            estate.site.id: estate.week_type.id}))
        await _reason(client, fob(), "")
        await save_provider(store.uow(), me, replace(
            provider, valid_from=today - timedelta(days=30),
            valid_to=today - timedelta(days=1)))
        await _reason(client, code(), "validity expired")  # after validity
        await _reason(client, fob(), "validity expired")
        await save_provider(store.uow(), me, replace(provider, valid_to=today))
        await _reason(client, code(), "")
        await delete_task(store.uow(), me, task.id)
        await _reason(client, code(), "not authorised on this door")  # task deleted
        await _reason(client, fob(), "not authorised on this door")
        await delete_provider(store.uow(), me, provider.id)
        await _reason(client, code(), "code unknown")  # provider deleted
        await _reason(client, fob(), "APass unknown")
    finally:
        await client.close()
