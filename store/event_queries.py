"""Read models around the event log beyond a page of it: the devices a site's
filters offer, and one event's detail with its names."""

from __future__ import annotations

from sqlalchemy import select

from core.views.rows import DeviceChoice, EventDetail
from store import tables as t
from store.database import Store


async def site_devices(store: Store, site_id: int) -> list[DeviceChoice]:
    """Every device of a site, by name."""
    d = t.devices.c
    stmt = select(d.id, d.name, d.type).where(d.site_id == site_id).order_by(d.name)
    async with store.engine.connect() as conn:
        return [DeviceChoice(*r) for r in await conn.execute(stmt)]


async def event_detail(store: Store, event_id: int) -> EventDetail | None:
    """One event and the names of its site, device, block and flat (those still there)."""
    e, s, d, b, f = (t.events.c, t.sites.c, t.devices.c, t.blocks.c, t.flats.c)
    stmt = (select(t.events, s.name.label("site_name"), d.name.label("device_name"),
                   d.type.label("device_type"), b.name.label("block_name"),
                   f.number.label("flat_number"), f.name.label("flat_name"))
            .select_from(t.events.outerjoin(t.sites, s.id == e.site_id)
                         .outerjoin(t.devices, d.id == e.device_id)
                         .outerjoin(t.blocks, b.id == e.block_id)
                         .outerjoin(t.flats, f.id == e.flat_id))
            .where(e.id == event_id))
    async with store.engine.connect() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    m = dict(row._mapping)
    event = {c.name: m[c.name] for c in t.events.columns}
    flat = ""
    if m["flat_number"] is not None:
        flat = f"{m['flat_number']} – {m['flat_name']}" if m["flat_name"] else m["flat_number"]
    elif event["flat_id"] is not None:
        flat = f"#{event['flat_id']} (deleted)"
    device = m["device_name"] or (f"#{event['device_id']} (deleted)"
                                  if event["device_id"] is not None else "")
    block = m["block_name"] or (f"#{event['block_id']} (deleted)"
                                if event["block_id"] is not None else "")
    return EventDetail(event, m["site_name"] or f"#{event['site_id']}", device,
                       m["device_type"] or "", block, flat)
