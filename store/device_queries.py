"""Read models of devices (the guide's Devices tab): every device of a site or block
with its block, the control unit it is wired to, and the doors (relays) it opens.

A site holds tens of devices, not thousands, so a tab reads them in one query (two
with the doors) instead of paging.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core.model import DeviceType, Door
from core.views.rows import DeviceRow
from store import tables as t
from store.database import Store

#: the order devices are listed in within a block: panels first, as the guide's filter
TYPE_ORDER = {kind: rank for rank, kind in enumerate(DeviceType)}


async def device_rows(store: Store, site_id: int, block_id: int | None = None
                      ) -> list[DeviceRow]:
    """Every device of a site (of one block when `block_id` is given), in block order,
    panels first, then by name."""
    d = t.devices.c
    parent = aliased(t.devices)
    stmt = (select(d.id, d.site_id, d.name, d.type, d.block_id, t.blocks.c.name.label("block"),
                   d.parent_id, parent.c.name.label("parent"), d.gsm_access_point, d.address,
                   d.notes, d.bus, d.card_format, (d.scbk != "").label("secure"),
                   d.sc_install, d.telephone, d.display_capacity)
            .select_from(t.devices.outerjoin(t.blocks, t.blocks.c.id == d.block_id)
                         .outerjoin(parent, parent.c.id == d.parent_id))
            .where(d.site_id == site_id))
    if block_id is not None:
        stmt = stmt.where(d.block_id == block_id)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
        ids = {r.id for r in rows} | {r.parent_id for r in rows if r.parent_id is not None}
        doors: dict[int, list[Door]] = {}
        wired: dict[int, list[str]] = {}
        if ids:
            o = t.doors.c
            for door in await conn.execute(
                    select(o.id, o.device_id, o.relay, o.name, o.open_seconds,
                           o.held_open_seconds).where(o.device_id.in_(ids))
                    .order_by(o.device_id, o.relay)):
                doors.setdefault(door.device_id, []).append(Door(
                    door.device_id, door.relay, door.name, door.open_seconds,
                    door.held_open_seconds, door.id))
            for parent_id, name in await conn.execute(
                    select(d.parent_id, d.name).where(d.parent_id.in_({r.id for r in rows}))
                    .order_by(d.name)):
                wired.setdefault(parent_id, []).append(name)
    out = []
    for r in rows:
        own = tuple(doors.get(r.id, ()))
        inherited = () if own or r.parent_id is None else tuple(doors.get(r.parent_id, ()))
        out.append(DeviceRow(r.id, r.site_id, r.name, DeviceType(r.type), r.block_id,
                             r.block or "", r.parent_id, r.parent or "",
                             bool(r.gsm_access_point), r.address, r.notes, own, inherited,
                             tuple(wired.get(r.id, ())), r.bus, r.card_format,
                             bool(r.secure), bool(r.sc_install), r.telephone,
                             r.display_capacity))
    out.sort(key=lambda x: (x.block_id is not None, x.block.casefold(), TYPE_ORDER[x.type],
                            x.name.casefold(), x.id))
    return out
