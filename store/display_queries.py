"""Read models of the Displays tab: the names programmed on a site's panels, grouped
by block (a panel shows the names of its block's flats), a page at a time by keyset
on (block, display name, id), with each name's call chain."""

from __future__ import annotations

from sqlalchemy import func, select, tuple_

from core.model import DeviceType
from core.views.rows import CallLink, DisplayRow, PanelRow
from store import tables as t
from store.database import Store

PANEL_TYPES = [d.value for d in DeviceType if d.is_panel]


async def display_page(store: Store, site_id: int, *, block_id: int | None = None,
                       after: tuple[str, str, int] | None = None,
                       limit: int = 100) -> list[DisplayRow]:
    """Up to `limit` names of a site (or of one block) after the key `after`."""
    d, f, b = t.panel_displays.c, t.flats.c, t.blocks.c
    p, w = t.access_profiles.c, t.week_types.c
    stmt = (select(d.id, d.display_name, d.call_code, f.id, f.number, f.name, b.id, b.name,
                   func.coalesce(p.name, ""), w.name, d.hardwired)
            .select_from(t.panel_displays
                         .join(t.flats, f.id == d.flat_id)
                         .join(t.blocks, b.id == f.block_id)
                         .outerjoin(t.access_profiles, p.id == d.access_profile_id)
                         .outerjoin(t.week_types, w.id == d.auto_open_week_type_id))
            .where(b.site_id == site_id))
    if block_id is not None:
        stmt = stmt.where(b.id == block_id)
    if after is not None:
        stmt = stmt.where(tuple_(b.name, d.display_name, d.id) > tuple_(*after))
    stmt = stmt.order_by(b.name, d.display_name, d.id).limit(limit)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
        if not rows:
            return []
        calls, tel = t.panel_display_calls.c, t.telephones.c
        chains: dict[int, list[CallLink]] = {}
        for display_id, value, country, ring in await conn.execute(
                select(calls.panel_display_id, tel.value, tel.country, calls.ring_seconds)
                .select_from(t.panel_display_calls.join(t.telephones,
                                                        tel.id == calls.telephone_id))
                .where(calls.panel_display_id.in_([r[0] for r in rows]))
                .order_by(calls.panel_display_id, calls.position)):
            chains.setdefault(display_id, []).append(CallLink(value, country, ring))
    return [DisplayRow(*r, call_chain=tuple(chains.get(r[0], ()))) for r in rows]


async def site_panels(store: Store, site_id: int) -> list[PanelRow]:
    """The panels of a site (IPGUARD 4G, 3G panels), by block then name."""
    dv, b = t.devices.c, t.blocks.c
    stmt = (select(dv.id, dv.name, dv.type, dv.block_id, func.coalesce(b.name, ""))
            .select_from(t.devices.outerjoin(t.blocks, b.id == dv.block_id))
            .where(dv.site_id == site_id, dv.type.in_(PANEL_TYPES))
            .order_by(func.coalesce(b.name, ""), dv.name))
    async with store.engine.connect() as conn:
        return [PanelRow(*r) for r in await conn.execute(stmt)]
