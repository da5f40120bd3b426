"""Read models for the console (groundwork for issue 4): the guide's tables, a page
at a time.

Lists never load whole: a page is a keyset query (`after` the last row seen),
so the 1,000th page costs what the first does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, or_, select, true, tuple_, type_coerce

from core.errors import NotFound
from core.model import APassState, Site, id_of
from core.views.rows import BlockRow, EventFilter, FlatRow, SiteHeader
from store import tables as t
from store.database import Store


async def block_rows(store: Store, site_id: int) -> list[BlockRow]:
    """Every block of a site with its counts (the guide's Blocks tab)."""
    b = t.blocks.c
    flats = (select(func.count()).select_from(t.flats).where(t.flats.c.block_id == b.id)
             .scalar_subquery())
    devs = (select(func.count()).select_from(t.devices).where(t.devices.c.block_id == b.id)
            .scalar_subquery())
    passes = (select(func.count()).select_from(t.access_passes)
              .where(t.access_passes.c.block_id == b.id,
                     t.access_passes.c.state == APassState.ASSIGNED.value).scalar_subquery())
    stmt = (select(b.id, b.name, flats, devs, passes, b.notes).where(b.site_id == site_id)
            .order_by(b.name))
    async with store.engine.connect() as conn:
        return [BlockRow(*r) for r in await conn.execute(stmt)]


async def site_header(store: Store, site_id: int) -> SiteHeader:
    """A site's quotas and how much of each is used."""
    async with store.reader() as uow:
        site = await uow.get(Site, site_id)
        usage = await uow.site_usage(site_id)
    if site is None:
        raise NotFound(f"Site {site_id} does not exist.")
    quotas = {"panels": site.max_panels, "flats": site.max_flats,
              "foreign_numbers": site.max_foreign_numbers,
              "panel_names": site.max_panel_names}
    return SiteHeader(id_of(site), site.name, usage, quotas)


def in_site(block_id: ColumnElement[int], site_id: int | None) -> ColumnElement[bool]:
    """The block is one of the site's (always true when no site is named)."""
    if site_id is None:
        return true()
    return block_id.in_(select(t.blocks.c.id).where(t.blocks.c.site_id == site_id))


async def flat_page(store: Store, block_id: int, after: str | None = None,
                    limit: int = 100, *, site_id: int | None = None) -> list[FlatRow]:
    """Up to `limit` flats of a block (of the site, when given) after Flat N° `after`,
    with their columns filled."""
    f = t.flats.c
    stmt = select(f.id, f.number, f.name, f.code_main_door, f.notes).where(
        f.block_id == block_id, in_site(f.block_id, site_id))
    if after is not None:
        stmt = stmt.where(f.number > after)
    async with store.engine.connect() as conn:
        flats = (await conn.execute(stmt.order_by(f.number).limit(limit))).all()
        ids = [r.id for r in flats]
        if not ids:
            return []
        passes: dict[int, list[str]] = {}
        ap = t.access_passes.c
        for flat_id, number in await conn.execute(
                select(ap.flat_id, ap.number).where(ap.flat_id.in_(ids),
                                                    ap.state == APassState.ASSIGNED.value)
                .order_by(ap.number)):
            passes.setdefault(flat_id, []).append(number)
        phones: dict[int, list[str]] = {}
        tel = t.telephones.c
        for flat_id, value, country in await conn.execute(
                select(tel.flat_id, tel.value, tel.country).where(tel.flat_id.in_(ids))
                .order_by(tel.id)):
            phones.setdefault(flat_id, []).append(f"{value} {country}".strip())
        displays: dict[int, tuple[str, str]] = {}
        d = t.panel_displays.c
        for flat_id, name, code in await conn.execute(
                select(d.flat_id, d.display_name, d.call_code).where(d.flat_id.in_(ids))
                .order_by(d.id)):
            displays.setdefault(flat_id, (name, code))
    return [FlatRow(r.id, r.number, r.name, passes.get(r.id, []),
                    *displays.get(r.id, ("", "")), phones.get(r.id, []),
                    r.code_main_door or "", r.notes) for r in flats]


def _event_where(flt: EventFilter) -> ColumnElement[bool]:
    e = t.events.c
    clauses: list[ColumnElement[bool]] = []
    if flt.site_id is not None:
        clauses.append(e.site_id == flt.site_id)
    if flt.since is not None:
        clauses.append(e.at >= flt.since)
    if flt.until is not None:
        clauses.append(e.at < flt.until)
    if flt.device_id is not None:
        clauses.append(e.device_id == flt.device_id)
    elif flt.device_type is not None:
        ids = select(t.devices.c.id).where(t.devices.c.type == flt.device_type.value)
        clauses.append(e.device_id.in_(ids))
    if flt.block_id is not None:
        clauses.append(e.block_id == flt.block_id)
    if flt.flat_id is not None:
        clauses.append(e.flat_id == flt.flat_id)
    if flt.kind:
        clauses.append(e.kind == flt.kind)
    if flt.result:
        clauses.append(e.result == flt.result)
    if flt.search:
        term = flt.search.strip()
        digits = "".join(ch for ch in term if ch.isdigit() or ch == "+")
        options = [e.credential == term, e.name.ilike(f"%{term}%")]
        if digits:
            options.append(e.credential == digits)
        clauses.append(or_(*options))
    return and_(True, *clauses)


#: what an export reads of each event, in this order ("at" as stored: UTC text)
EXPORT_COLUMNS = ("at", "id", "device_id", "kind", "result", "name", "credential",
                  "description")


async def event_rows(store: Store, flt: EventFilter, site_ids: list[int],
                     before: tuple[str, int] | None, limit: int) -> list[tuple[Any, ...]]:
    """An export's keyset page: plain tuples of EXPORT_COLUMNS, newest first, older than
    `before` (the stored text of "at", id). No type processing: the time stays the
    stored UTC text ("YYYY-MM-DD HH:MM:SS.ffffff") for the caller to turn in bulk."""
    e = t.events.c
    at = type_coerce(e.at, String)
    stmt = (select(at, *(e[c] for c in EXPORT_COLUMNS[1:])).where(_event_where(flt))
            .where(e.site_id.in_(site_ids)))
    if before is not None:
        stmt = stmt.where(tuple_(at, e.id) < tuple_(*before))
    stmt = stmt.order_by(e.at.desc(), e.id.desc()).limit(limit)
    async with store.engine.connect() as conn:
        # SQLAlchemy's statement cache makes the compile cheap; no column has a result
        # processor, so the rows come as the driver's tuples (Row, a tuple subclass)
        return list((await conn.execute(stmt)).all())


async def event_count(store: Store, flt: EventFilter, site_ids: list[int]) -> int:
    """How many events match the filter on these sites (an export's progress)."""
    stmt = (select(func.count()).select_from(t.events).where(_event_where(flt))
            .where(t.events.c.site_id.in_(site_ids)))
    async with store.engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())


async def event_page(store: Store, flt: EventFilter, before: tuple[datetime, int] | None = None,
                     limit: int = 100, *, site_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The newest `limit` events matching the filter (on these sites, when given), older
    than `before` (at, id)."""
    e = t.events.c
    stmt = select(t.events).where(_event_where(flt))
    if site_ids is not None:
        stmt = stmt.where(e.site_id.in_(site_ids))
    if before is not None:
        stmt = stmt.where(tuple_(e.at, e.id) < tuple_(*before))
    stmt = stmt.order_by(e.at.desc(), e.id.desc()).limit(limit)
    async with store.engine.connect() as conn:
        result = await conn.execute(stmt)
        keys = tuple(result.keys())  # zip, not Row._mapping: a third of an export's time
        return [dict(zip(keys, r, strict=True)) for r in result]
