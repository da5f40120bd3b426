"""Devices of a site and the doors (relays) they open: commissioning, changes, removal.

What each of the guide's types needs is checked here, not only in the console's form:
an OSDP reader's bus (`bus`, its serial port), address, card format and Secure Channel
key; a GSM modem's port (`bus` too) and telephone number; a panel's display capacity. The key is checked and stored, and
never shown again (the audit trail records only that one is set).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace

from core import rules
from core.config import CARD_FORMATS
from core.errors import Conflict, ValidationError
from core.model import AccessProfile, Block, Device, DeviceType, Door, Site, Task, id_of
from core.phones import parse_phone
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, changed, must_get, record, same_named
from core.services.sites import check_quota

EDITABLE = {"name", "type", "block_id", "parent_id", "gsm_access_point", "address", "notes",
            "bus", "card_format", "scbk", "sc_install", "telephone", "display_capacity"}
OSDP_ADDRESS_MAX = 126
DISPLAY_CAPACITY_MAX = 10_000
#: the relays the console's device form edits (a door on another relay is kept as it is)
FORM_RELAYS = range(1, 5)


def new_key() -> str:
    """A fresh Secure Channel key (32 hex digits) for a reader commissioned on its
    install key: the gateway sends it with KEYSET and no one needs to read it."""
    return secrets.token_hex(16)


def _reader(device: Device) -> None:
    """An OSDP reader's bus settings, or none at all for every other device."""
    device.bus = rules.text(device.bus, "bus", label="Port", max_len=120)
    if device.type is not DeviceType.READER:
        for attr, label in (("card_format", "A card format"), ("scbk", "A Secure Channel key")):
            if getattr(device, attr):
                raise ValidationError(f"{label} is only for an OSDP reader.", field=attr)
        device.sc_install = False
        if device.bus and device.type is not DeviceType.GSM_MODEM:
            raise ValidationError("A serial port is only for an OSDP reader or a GSM modem.",
                                  field="bus")
        return
    if not device.bus:  # a reader wired to a control unit, or driven from the config
        if device.scbk or device.sc_install or device.card_format:
            raise ValidationError("Give the reader's bus (its serial port) first.", field="bus")
        return
    if not device.bus.startswith("/"):
        raise ValidationError("Bus must be the serial port's path, e.g. /dev/ttyUSB0.",
                              field="bus")
    device.address = str(rules.whole_number(device.address, "address", "OSDP address", 0,
                                            OSDP_ADDRESS_MAX))
    device.card_format = device.card_format or CARD_FORMATS[0]
    if device.card_format not in CARD_FORMATS:
        raise ValidationError(f"Card format must be one of {', '.join(CARD_FORMATS)}.",
                              field="card_format")
    if device.scbk:
        try:
            key = bytes.fromhex(device.scbk)
        except ValueError:
            key = b""
        if len(key) != 16:
            raise ValidationError("The Secure Channel key must be 32 hex digits "
                                  "(an AES-128 key).", field="scbk")
        device.scbk = key.hex()
    elif device.sc_install:
        raise ValidationError("A reader on its install key needs the key to send it.",
                              field="scbk")


async def _clean(uow: UnitOfWork, device: Device, site: Site) -> Device:
    device.name = rules.text(device.name, "name", label="Device name", required=True)
    device.type = DeviceType(device.type)
    device.address = rules.text(device.address, "address", label="Address")
    device.notes = rules.notes(device.notes)
    _reader(device)
    if device.type is DeviceType.GSM_MODEM:  # both may come later, once the SIM is in
        if device.bus and not device.bus.startswith("/"):
            raise ValidationError("A modem's port must be the serial port's path, "
                                  "e.g. /dev/ttyUSB1.", field="bus")
        if device.telephone:
            device.telephone = parse_phone(device.telephone, site.default_country,
                                           field="telephone").e164
    elif device.telephone:
        raise ValidationError("A telephone number is only for a GSM modem.", field="telephone")
    if device.type.is_panel:
        device.display_capacity = rules.whole_number(
            device.display_capacity, "display_capacity", "Display capacity", 0,
            DISPLAY_CAPACITY_MAX)
    elif device.display_capacity:
        raise ValidationError("A display capacity is only for a panel.",
                              field="display_capacity")
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
    if device.bus and device.type is DeviceType.READER:
        for other in await uow.find(Device, bus=device.bus, address=device.address):
            if other.id != device.id:
                raise Conflict(f"{other.name} already answers at address {device.address} "
                               f"on {device.bus}.", field="address")
    return device


def _clean_door(door: Door) -> Door:
    door.name = rules.text(door.name, "name", label="Door name", required=True)
    if not 1 <= door.relay <= 16:
        raise ValidationError("Relay must be 1 to 16.", field="relay")
    lo, hi = rules.DOOR_OPEN_SECONDS_MIN, rules.DOOR_OPEN_SECONDS_MAX
    door.open_seconds = rules.whole_number(door.open_seconds, "open_seconds", "Open time (s)",
                                           lo, hi)
    if not door.open_seconds <= door.held_open_seconds <= 3600:
        raise ValidationError("Held-open alarm time must be at least the open time and at "
                              "most an hour.", field="held_open_seconds")
    return door


async def _door_users(uow: UnitOfWork, site_id: int, door_ids: set[int]) -> list[str]:
    """What still opens these doors: access profiles and tasks, by name."""
    users = [f"access profile {p.name!r}" for p in await uow.find(AccessProfile, site_id=site_id)
             if door_ids & set(p.door_ids)]
    users += [f"task {t.name!r}" for t in await uow.find(Task)
              if door_ids & {d.door_id for d in t.doors}]
    return users


async def _doors(uow: UnitOfWork, device: Device, doors: Sequence[Door],
                 relays: Sequence[int]) -> None:
    """Make the device's doors on `relays` those given: add, change, remove (a door still
    opened by a profile or task is not removed: refused with what uses it)."""
    wanted: dict[int, Door] = {}
    for door in doors:
        try:
            door = _clean_door(replace(door, device_id=id_of(device)))
        except ValidationError as err:  # by the relay's own field in a form
            err.field = f"relay{door.relay}_{err.field}"
            raise
        if door.relay in wanted:
            raise Conflict(f"Relay {door.relay} is given twice.", field="relay")
        wanted[door.relay] = door
    existing = {d.relay: d for d in await uow.find(Door, device_id=id_of(device))}
    for relay in relays:
        old, new = existing.get(relay), wanted.pop(relay, None)
        if old is not None and new is None:
            users = await _door_users(uow, device.site_id, {id_of(old)})
            if users:
                raise Conflict(f"Door {old.name!r} (relay {relay}) is still used by "
                               f"{', '.join(users)}.", field=f"relay{relay}_name")
            await uow.delete(old)
        elif new is not None:
            if old is not None:
                await uow.update(replace(new, id=old.id))
            else:
                await uow.add(replace(new, id=None))
    for door in wanted.values():  # a relay outside `relays`: add it
        if door.relay in existing:
            raise Conflict(f"Relay {door.relay} already opens {existing[door.relay].name!r}.",
                           field="relay")
        await uow.add(replace(door, id=None))


async def create_device(uow: UnitOfWork, actor: Actor, device: Device,
                        doors: list[Door] | None = None) -> Device:
    """Commission a device with its doors; panels count against the panel quota."""
    async with uow:
        site = await authorize(uow, actor, device.site_id, Area.DEVICES, Action.MODIFY)
        device = await _clean(uow, replace(device, id=None), site)
        if device.type.is_panel:
            await check_quota(uow, site, "panels")
        device = await uow.add(device)
        await _doors(uow, device, doors or [], ())
        await record(uow, actor, "device.create", device, site_id=site.id)
        await uow.commit()
    return device


async def update_device(uow: UnitOfWork, actor: Actor, device_id: int,
                        doors: Sequence[Door] | None = None,
                        door_relays: Sequence[int] = FORM_RELAYS, **changes: object) -> Device:
    """Change a device (`scbk=None` keeps the key set, "" removes it); with `doors`, its
    doors on `door_relays` become those given, in the same transaction."""
    async with uow:
        before = await must_get(uow, Device, device_id, "Device")
        site = await authorize(uow, actor, before.site_id, Area.DEVICES, Action.MODIFY)
        if "scbk" in changes and changes["scbk"] is None:
            del changes["scbk"]
        device = await _clean(uow, changed(before, changes, EDITABLE), site)
        if device.type.is_panel and not before.type.is_panel:
            await check_quota(uow, site, "panels")
        await uow.update(device)
        if doors is not None:
            await _doors(uow, device, doors, door_relays)
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
    """Decommission a device; refused, with everything that uses it, while devices are
    wired to it, profiles or tasks open its doors, or panel displays show only on it."""
    async with uow:
        device = await must_get(uow, Device, device_id, "Device")
        site = await authorize(uow, actor, device.site_id, Area.DEVICES, Action.MODIFY)
        doors = await uow.find(Door, device_id=device_id)
        users = await _door_users(uow, id_of(site), {id_of(d) for d in doors})
        wired = await uow.count(Device, parent_id=device_id)
        if wired:
            users.append(f"{wired} device{'s' if wired != 1 else ''} wired to it")
        if device.type.is_panel:
            usage = await uow.site_usage(id_of(site))
            if usage["panels"] <= 1 and usage["panel_names"]:
                users.append(f"{usage['panel_names']} panel displays (the site's only panel)")
        if users:
            raise Conflict(f"{device.name} is still used by {'; '.join(users)}.")
        for door in doors:
            await uow.delete(door)
        await uow.delete(device)
        await record(uow, actor, "device.delete", before=device, site_id=site.id)
        await uow.commit()
