"""Operations at the desk: open a door remotely, acknowledge an alarm, restart a reader's
session."""

from __future__ import annotations

from dataclasses import replace

from core import rules
from core.errors import Conflict, ValidationError
from core.model import Alarm, Device, DeviceType, Door
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, must_get, record

REMOTE_OPEN_MAX_SECONDS = 600


async def open_door(uow: UnitOfWork, actor: Actor, door_id: int,
                    seconds: int | None = None) -> Door:
    """Check and audit a remote opening; the gateway then pulses the relay.

    Opening a door is part of watching a site's devices, so it needs the
    Devices right (Consult): the desk opens for a visitor without being able
    to commission hardware.
    """
    async with uow:
        door = await must_get(uow, Door, door_id, "Door")
        device = await must_get(uow, Device, door.device_id, "Device")
        site = await authorize(uow, actor, device.site_id, Area.DEVICES, Action.CONSULT)
        seconds = door.open_seconds if seconds is None else seconds
        if not isinstance(seconds, int) or not 1 <= seconds <= REMOTE_OPEN_MAX_SECONDS:
            raise ValidationError(f"Open for 1 to {REMOTE_OPEN_MAX_SECONDS} seconds.",
                                  field="seconds")
        await record(uow, actor, "door.open", {"door_id": door.id, "door": door.name,
                                               "seconds": seconds},
                     site_id=site.id, entity_id=door.id)
        await uow.commit()
    return replace(door, open_seconds=seconds)


async def restart_reader(uow: UnitOfWork, actor: Actor, device_id: int) -> Device:
    """Check and audit restarting an OSDP reader's session (ID, CAP, the Secure Channel
    handshake); the gateway then does it. Maintenance, so Devices Create/Modify."""
    async with uow:
        device = await must_get(uow, Device, device_id, "Device")
        site = await authorize(uow, actor, device.site_id, Area.DEVICES, Action.MODIFY)
        if device.type is not DeviceType.READER or not device.bus:
            raise ValidationError(f"{device.name} is not an OSDP reader on a bus.",
                                  field="device_id")
        await record(uow, actor, "reader.restart", {"device_id": device.id,
                                                    "device": device.name},
                     site_id=site.id, entity_id=device.id)
        await uow.commit()
    return device


async def acknowledge_alarm(uow: UnitOfWork, actor: Actor, alarm_id: int, note: str) -> Alarm:
    """Acknowledge an alarm with a note (Events: Create/Modify)."""
    async with uow:
        before = await must_get(uow, Alarm, alarm_id, "Alarm")
        await authorize(uow, actor, before.site_id, Area.EVENTS, Action.MODIFY)
        if before.acknowledged_at is not None:
            raise Conflict("This alarm is already acknowledged.")
        alarm = replace(before, acknowledged_at=actor.now(), acknowledged_by=actor.operator.id,
                        note=rules.notes(note, "note"))
        await uow.update(alarm)
        await record(uow, actor, "alarm.acknowledge", alarm, before=before,
                     site_id=alarm.site_id)
        await uow.commit()
    return alarm
