"""Read models of the set-up screens: week types, holidays, access profiles with what
uses them, and the doors a profile can open. A site holds tens of each, so each read is
one or two queries, not a page."""

from __future__ import annotations

from sqlalchemy import func, select

from core.model import AccessProfile, Holiday, WeekType
from core.views.setup_rows import DoorChoice, ProfileRow
from store import tables as t
from store.database import Store


async def site_week_types(store: Store, site_id: int) -> list[WeekType]:
    async with store.reader() as uow:
        return await uow.find(WeekType, order_by="name", site_id=site_id)


async def site_holidays(store: Store, site_id: int) -> list[Holiday]:
    async with store.reader() as uow:
        return await uow.find(Holiday, order_by="day", site_id=site_id)


async def profile_rows(store: Store, site_id: int) -> list[ProfileRow]:
    """Each profile of the site with its week type's name, the blocks whose default it is,
    and how many panel displays and APasses name it."""
    async with store.reader() as uow:
        profiles = await uow.find(AccessProfile, order_by="name", site_id=site_id)
        names = {w.id: w.name for w in await uow.find(WeekType, site_id=site_id)}
    ids = [p.id for p in profiles]
    b, d, a = t.blocks.c, t.panel_displays.c, t.access_passes.c
    async with store.engine.connect() as conn:
        blocks: dict[int, list[str]] = {}
        for pid, name in await conn.execute(
                select(b.default_access_profile_id, b.name)
                .where(b.default_access_profile_id.in_(ids)).order_by(b.name)):
            blocks.setdefault(pid, []).append(name)
        displays: dict[int, int] = {pid: n for pid, n in await conn.execute(
            select(d.access_profile_id, func.count()).where(d.access_profile_id.in_(ids))
            .group_by(d.access_profile_id))}
        passes: dict[int, int] = {pid: n for pid, n in await conn.execute(
            select(a.access_profile_id, func.count()).where(a.access_profile_id.in_(ids))
            .group_by(a.access_profile_id))}
    return [ProfileRow(p, names.get(p.week_type_id, "") if p.week_type_id else "",
                       tuple(blocks.get(p.id, ())), displays.get(p.id, 0), passes.get(p.id, 0))
            for p in profiles if p.id is not None]


async def site_doors(store: Store, site_id: int) -> list[DoorChoice]:
    """Every door of the site's devices, by device name and relay."""
    dv, dr = t.devices.c, t.doors.c
    stmt = (select(dr.id, dr.device_id, dv.name.label("device"), dr.name, dr.relay)
            .select_from(t.doors.join(t.devices, dv.id == dr.device_id))
            .where(dv.site_id == site_id).order_by(dv.name, dr.relay))
    async with store.engine.connect() as conn:
        return [DoorChoice(r.id, r.device_id, r.device, r.name, r.relay)
                for r in await conn.execute(stmt)]
