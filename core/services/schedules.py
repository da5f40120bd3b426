"""Week types, holidays and access profiles of a site."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, time
from typing import Any

from core import rules
from core.errors import Conflict, ValidationError
from core.model import (
    HOLIDAY,
    AccessPass,
    AccessProfile,
    Block,
    Device,
    Door,
    Holiday,
    PanelDisplay,
    Stored,
    Task,
    TimeWindow,
    WeekType,
)
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, must_get, record, same_named
from core.week_slots import check_day, parse_holidays


def _windows(windows: Sequence[TimeWindow | dict[str, Any]]) -> list[TimeWindow]:
    out = []
    for i, given in enumerate(windows, start=1):
        w = TimeWindow(**given) if isinstance(given, dict) else given
        if isinstance(w.start, str):
            w = replace(w, start=time.fromisoformat(w.start))
        if isinstance(w.end, str):
            w = replace(w, end=time.fromisoformat(w.end))
        if not 0 <= w.day <= HOLIDAY:
            raise ValidationError(f"Window {i}: day must be 0 (Monday) to 6, or 7 for "
                                  "holidays.", field="windows")
        if w.end <= w.start and w.end != time(0, 0):
            raise ValidationError(f"Window {i} ends before it starts.", field="windows")
        out.append(w)
    check_day(out)
    return out


async def _unique_name(uow: UnitOfWork, cls: type[Stored], site_id: int, name: str, own_id: int | None,
                       what: str) -> None:
    if await same_named(uow, cls, name, own_id, site_id=site_id):
        raise Conflict(f"The site already has a {what} named {name!r}.", field="name")


async def save_week_type(uow: UnitOfWork, actor: Actor, week_type: WeekType) -> WeekType:
    """Create (no id) or replace (id) a week type and its windows."""
    async with uow:
        before = await must_get(uow, WeekType, week_type.id, "Week type") if week_type.id else None
        site_id = before.site_id if before else week_type.site_id
        await authorize(uow, actor, site_id, Area.WEEK_TYPES, Action.MODIFY)
        wt = replace(week_type, site_id=site_id,
                     name=rules.text(week_type.name, "name", label="Week type", required=True),
                     windows=_windows(week_type.windows))
        await _unique_name(uow, WeekType, site_id, wt.name, wt.id, "week type")
        if before:
            await uow.update(wt)
        else:
            wt = await uow.add(wt)
        await record(uow, actor, "week_type.update" if before else "week_type.create", wt,
                     before=before, site_id=site_id)
        await uow.commit()
    return wt


async def delete_week_type(uow: UnitOfWork, actor: Actor, week_type_id: int) -> None:
    """Delete a week type no profile or display uses."""
    async with uow:
        wt = await must_get(uow, WeekType, week_type_id, "Week type")
        await authorize(uow, actor, wt.site_id, Area.WEEK_TYPES, Action.MODIFY)
        if await uow.count(AccessProfile, week_type_id=week_type_id) or await uow.count(
                PanelDisplay, auto_open_week_type_id=week_type_id):
            raise Conflict(f"Week type {wt.name!r} is still used by an access profile or a "
                           "panel display.")
        for task in await uow.find(Task):
            if week_type_id in task.week_type_ids.values():
                raise Conflict(f"Week type {wt.name!r} is still used by task {task.name!r}.")
        await uow.delete(wt)
        await record(uow, actor, "week_type.delete", before=wt, site_id=wt.site_id)
        await uow.commit()


async def add_holiday(uow: UnitOfWork, actor: Actor, site_id: int, day: date,
                      name: str) -> Holiday:
    """Declare a holiday: on that day week types use their holiday windows."""
    async with uow:
        await authorize(uow, actor, site_id, Area.WEEK_TYPES, Action.MODIFY)
        if await uow.count(Holiday, site_id=site_id, day=day):
            raise Conflict(f"{day.isoformat()} is already a holiday.", field="day")
        h = await uow.add(Holiday(site_id=site_id, day=day,
                                  name=rules.text(name, "name", label="Holiday", required=True)))
        await record(uow, actor, "holiday.create", h, site_id=site_id)
        await uow.commit()
    return h


async def import_holidays(uow: UnitOfWork, actor: Actor, site_id: int,
                          text: str) -> list[Holiday]:
    """Declare the holidays of a pasted list (one a line): every line is right and none is
    already a holiday, or nothing is imported and the error names the lines."""
    days = parse_holidays(text)
    async with uow:
        await authorize(uow, actor, site_id, Area.WEEK_TYPES, Action.MODIFY)
        known = {h.day for h in await uow.find(Holiday, site_id=site_id)}
        taken = [d.isoformat() for d, _ in days if d in known]
        if taken:
            raise Conflict("Nothing imported: already holidays: " + ", ".join(taken[:5])
                           + (f" and {len(taken) - 5} more" if len(taken) > 5 else "") + ".",
                           field="lines")
        made = []
        for day, name in days:
            h = await uow.add(Holiday(site_id=site_id, day=day, name=rules.text(
                name, "lines", label=f"Holiday of {day.isoformat()}", required=True)))
            await record(uow, actor, "holiday.create", h, site_id=site_id)
            made.append(h)
        await uow.commit()
    return made


async def delete_holiday(uow: UnitOfWork, actor: Actor, holiday_id: int) -> None:
    """Remove a holiday."""
    async with uow:
        h = await must_get(uow, Holiday, holiday_id, "Holiday")
        await authorize(uow, actor, h.site_id, Area.WEEK_TYPES, Action.MODIFY)
        await uow.delete(h)
        await record(uow, actor, "holiday.delete", before=h, site_id=h.site_id)
        await uow.commit()


async def save_access_profile(uow: UnitOfWork, actor: Actor,
                              profile: AccessProfile) -> AccessProfile:
    """Create (no id) or replace (id) an access profile: its doors and week type."""
    async with uow:
        before = (await must_get(uow, AccessProfile, profile.id, "Access profile")
                  if profile.id else None)
        site_id = before.site_id if before else profile.site_id
        await authorize(uow, actor, site_id, Area.ACCESS_PROFILES, Action.MODIFY)
        p = replace(profile, site_id=site_id,
                    name=rules.text(profile.name, "name", label="Access profile", required=True),
                    door_ids=sorted(set(profile.door_ids)))
        await _unique_name(uow, AccessProfile, site_id, p.name, p.id, "access profile")
        if p.week_type_id is not None:
            wt = await uow.get(WeekType, p.week_type_id)
            if wt is None or wt.site_id != site_id:
                raise ValidationError("That week type is not on this site.", field="week_type_id")
        for door_id in p.door_ids:
            door = await uow.get(Door, door_id)
            device = await uow.get(Device, door.device_id) if door else None
            if device is None or device.site_id != site_id:
                raise ValidationError(f"Door {door_id} is not on this site.", field="door_ids")
        if before:
            await uow.update(p)
        else:
            p = await uow.add(p)
        await record(uow, actor, "access_profile.update" if before else "access_profile.create",
                     p, before=before, site_id=site_id)
        await uow.commit()
    return p


async def delete_access_profile(uow: UnitOfWork, actor: Actor, profile_id: int) -> None:
    """Delete a profile no block, display or APass uses."""
    async with uow:
        p = await must_get(uow, AccessProfile, profile_id, "Access profile")
        await authorize(uow, actor, p.site_id, Area.ACCESS_PROFILES, Action.MODIFY)
        uses = []
        for cls, attr, what in ((Block, "default_access_profile_id", "block"),
                                (PanelDisplay, "access_profile_id", "panel display"),
                                (AccessPass, "access_profile_id", "APass")):
            n = await uow.count(cls, **{attr: profile_id})
            if n:
                uses.append(f"{n} {what}{'' if n == 1 else 's'}")
        if uses:
            raise Conflict(f"Access profile {p.name!r} is used by {', '.join(uses)}.")
        await uow.delete(p)
        await record(uow, actor, "access_profile.delete", before=p, site_id=p.site_id)
        await uow.commit()
