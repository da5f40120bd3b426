"""Devices of a site and the doors (relays) they open."""

from __future__ import annotations

from dataclasses import replace

from core import rules
from core.errors import Conflict, ValidationError
from core.model import AccessProfile, Block, Device, DeviceType, Door, Task, id_of
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, changed, must_get, record, same_named
from core.services.sites import check_quota

EDITABLE = {"name", "type", "block_id", "parent_id", "gsm_access_point", "address", "notes"}


async def _clean(uow: UnitOfWork, device: Device) -> Device:
    device.name = rules.text(device.name, "name", label="Device name", required=True)
    device.type = DeviceType(device.type)
    device.address = rules.text(device.address, "address", label="Address")
    device.notes = rules.notes(device.notes)
    if device.block_id is not None:
        block = await uow.get(Block, device.block_id)
        if block is None or block.site_id != device.site_id:
            raise ValidationError("That block is not on this site.", field="block_id")
    if device.parent_id is not None:
        parent = await uow.get(Device, device.parent_id)
        if parent is None or parent.site_id != device.site_id or parent.id == device.id:
            raise ValidationError("The parent device must be another device of this site.",
                                  field="parent_id")
    if device.gsm_access_point and device.type not in (
            DeviceType.IPGUARD_4G, DeviceType.PANEL_3G, DeviceType.GSM_MODEM):
        raise ValidationError("A GSM access point is always an IPGUARD panel or a DATA modem.",
                              field="gsm_access_point")
    if await same_named(uow, Device, device.name, device.id, site_id=device.site_id):
        raise Conflict(f"The site already has a device named {device.name!r}.", field="name")
    return device


def _clean_door(door: Door) -> Door:
    door.name = rules.text(door.name, "name", label="Door name", required=True)
    if not 1 <= door.relay <= 16:
        raise ValidationError("Relay must be 1 to 16.", field="relay")
    lo, hi = rules.DOOR_OPEN_SECONDS_MIN, rules.DOOR_OPEN_SECONDS_MAX
    if not lo <= door.open_seconds <= hi:
        raise ValidationError(f"Open time must be {lo} to {hi} seconds.", field="open_seconds")
    if not door.open_seconds <= door.held_open_seconds <= 3600:
        raise ValidationError("Held-open alarm time must be at least the open time and at "
                              "most an hour.", field="held_open_seconds")
    return door


async def create_device(uow: UnitOfWork, actor: Actor, device: Device,
                        doors: list[Door] | None = None) -> Device:
    """Commission a device with its doors; panels count against the panel quota."""
    async with uow:
        site = await authorize(uow, actor, device.site_id, Area.DEVICES, Action.MODIFY)
        device = await _clean(uow, replace(device, id=None))
        if device.type.is_panel:
            await check_quota(uow, site, "panels")
        device = await uow.add(device)
        relays = set()
        for door in doors or []:
            door = _clean_door(replace(door, device_id=id_of(device), id=None))
            if door.relay in relays:
                raise Conflict(f"Relay {door.relay} is given twice.", field="relay")
            relays.add(door.relay)
            await uow.add(door)
        await record(uow, actor, "device.create", device, site_id=site.id)
        await uow.commit()
    return device


async def update_device(uow: UnitOfWork, actor: Actor, device_id: int,
                        **changes: object) -> Device:
    """Rename, move to a block, re-address a device."""
    async with uow:
        before = await must_get(uow, Device, device_id, "Device")
        site = await authorize(uow, actor, before.site_id, Area.DEVICES, Action.MODIFY)
        device = await _clean(uow, changed(before, changes, EDITABLE))
        if device.type.is_panel and not before.type.is_panel:
            await check_quota(uow, site, "panels")
        await uow.update(device)
        await record(uow, actor, "device.update", device, before=before, site_id=site.id)
        await uow.commit()
    return device


async def save_door(uow: UnitOfWork, actor: Actor, door: Door) -> Door:
    """Create (no id) or change (id) a door of a device: relay, name, times."""
    async with uow:
        device = await must_get(uow, Device, door.device_id, "Device")
        site = await authorize(uow, actor, device.site_id, Area.DEVICES, Action.MODIFY)
        before = await must_get(uow, Door, door.id, "Door") if door.id else None
        if before and before.device_id != door.device_id:
            raise ValidationError("A door cannot move to another device.", field="device_id")
        door = _clean_door(replace(door))
        for other in await uow.find(Door, device_id=device.id, relay=door.relay):
            if other.id != door.id:
                raise Conflict(f"Relay {door.relay} already opens {other.name!r}.",
                               field="relay")
        if before:
            await uow.update(door)
        else:
            door = await uow.add(door)
        await record(uow, actor, "door.update" if before else "door.create", door,
                     before=before, site_id=site.id)
        await uow.commit()
    return door


async def delete_device(uow: UnitOfWork, actor: Actor, device_id: int) -> None:
    """Decommission a device; refused while a profile still opens its doors."""
    async with uow:
        device = await must_get(uow, Device, device_id, "Device")
        site = await authorize(uow, actor, device.site_id, Area.DEVICES, Action.MODIFY)
        if await uow.count(Device, parent_id=device_id):
            raise Conflict(f"{device.name} still has devices wired to it.")
        doors = await uow.find(Door, device_id=device_id)
        door_ids = {d.id for d in doors}
        for profile in await uow.find(AccessProfile, site_id=site.id):
            if door_ids & set(profile.door_ids):
                raise Conflict(f"Access profile {profile.name!r} still opens a door of "
                               f"{device.name}.")
        for task in await uow.find(Task):
            if door_ids & {d.door_id for d in task.doors}:
                raise Conflict(f"Task {task.name!r} still opens a door of {device.name}.")
        for door in doors:
            await uow.delete(door)
        await uow.delete(device)
        await record(uow, actor, "device.delete", before=device, site_id=site.id)
        await uow.commit()
