"""Read models around the event log beyond a page of it: the devices a site's
filters offer, one event's detail with its names, and whether a live event
matches a filter (the same rules as store.queries' WHERE clause, in Python)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from store import tables as t
from store.database import Store
from store.queries import EventFilter


@dataclass(frozen=True)
class DeviceChoice:
    """A device of a site, as the Device filter lists it."""

    id: int
    name: str
    type: str


async def site_devices(store: Store, site_id: int) -> list[DeviceChoice]:
    """Every device of a site, by name."""
    d = t.devices.c
    stmt = select(d.id, d.name, d.type).where(d.site_id == site_id).order_by(d.name)
    async with store.engine.connect() as conn:
        return [DeviceChoice(*r) for r in await conn.execute(stmt)]


@dataclass(frozen=True)
class EventDetail:
    """Every field of one event, with the names of what it refers to."""

    event: dict[str, Any]
    site: str
    device: str
    device_type: str
    block: str
    flat: str


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


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def event_matches(flt: EventFilter, event: dict[str, Any], device_types: dict[int, str]
                  ) -> bool:
    """Whether a live event (a dict as the gateway publishes it) passes the filter;
    `device_types` maps the site's device ids to their type."""
    if flt.site_id is not None and event.get("site_id") != flt.site_id:
        return False
    at = _when(event.get("at"))
    if at is None or at.tzinfo is None:
        return False
    if flt.since is not None and at < flt.since:
        return False
    if flt.until is not None and at >= flt.until:
        return False
    device_id = event.get("device_id")
    if flt.device_id is not None:
        if device_id != flt.device_id:
            return False
    elif flt.device_type is not None and (
            device_id is None or device_types.get(device_id) != flt.device_type.value):
        return False
    if flt.kind and event.get("kind") != flt.kind:
        return False
    if flt.result and event.get("result") != flt.result:
        return False
    if flt.search:
        term = flt.search.strip()
        digits = "".join(ch for ch in term if ch.isdigit() or ch == "+")
        credential = str(event.get("credential") or "")
        name = str(event.get("name") or "")
        if not (credential == term or term.casefold() in name.casefold()
                or (digits and credential == digits)):
            return False
    return True
