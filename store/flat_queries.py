"""Read models for the Blocks tab's dialogs: one flat with everything its Flat
management window shows (and the audit entries of its History tab), the next free
Flat N° of a block, a site's profiles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, and_, cast, func, or_, select, tuple_

from core.errors import NotFound
from core.model import (
    AccessPass,
    AccessProfile,
    APassState,
    AuditEntry,
    Block,
    Flat,
    PanelDisplay,
    Site,
    Telephone,
    WeekType,
)
from core.views.rows import FlatDetail, FlatSheetRow
from store import tables as t
from store.database import Store
from store.mapping import mapper
from store.queries import in_site


async def flat_detail(store: Store, flat_id: int) -> FlatDetail:
    """Everything Flat management shows for one flat, read in one transaction."""
    async with store.reader() as uow:
        flat = await uow.get(Flat, flat_id)
        if flat is None:
            raise NotFound(f"Flat {flat_id} does not exist.")
        block = await uow.get(Block, flat.block_id)
        site = await uow.get(Site, block.site_id) if block is not None else None
        if block is None or site is None:  # the foreign keys forbid it
            raise NotFound(f"Flat {flat_id}'s block or site does not exist.")
        telephones = await uow.find(Telephone, order_by="id", flat_id=flat_id)
        displays = await uow.find(PanelDisplay, order_by="id", flat_id=flat_id)
        passes = [p for p in await uow.find(AccessPass, order_by="number", flat_id=flat_id)
                  if p.state in (APassState.ASSIGNED, APassState.LOST)]
        profiles = await uow.find(AccessProfile, order_by="name", site_id=site.id)
        week_types = await uow.find(WeekType, order_by="name", site_id=site.id)
        usage = await uow.site_usage(block.site_id)
    return FlatDetail(site, block, flat, telephones, displays, passes, profiles, week_types,
                      usage["panel_names"])


async def flat_block(store: Store, flat_id: int) -> int | None:
    """The block a flat is in (None when the flat is gone)."""
    async with store.engine.connect() as conn:
        return (await conn.execute(
            select(t.flats.c.block_id).where(t.flats.c.id == flat_id))).scalar_one_or_none()


async def flat_place(store: Store, flat_id: int) -> tuple[int, int] | None:
    """The (site, block) a flat is in (None when the flat is gone)."""
    f, b = t.flats.c, t.blocks.c
    async with store.engine.connect() as conn:
        row = (await conn.execute(select(b.site_id, f.block_id).join_from(
            t.flats, t.blocks, b.id == f.block_id).where(f.id == flat_id))).first()
    return (row[0], row[1]) if row else None


async def next_flat_number(store: Store, block_id: int, *, site_id: int | None = None) -> int:
    """One past the highest numeric Flat N° of a block (1 for an empty block)."""
    f = t.flats.c
    async with store.engine.connect() as conn:
        top = (await conn.execute(select(func.max(cast(f.number, Integer)))
                                  .where(f.block_id == block_id, in_site(f.block_id, site_id))
                                  )).scalar_one_or_none()
    return (top or 0) + 1


async def site_profiles(store: Store, site_id: int) -> list[AccessProfile]:
    """A site's access profiles, by name (for a block's default profile)."""
    async with store.reader() as uow:
        return await uow.find(AccessProfile, order_by="name", site_id=site_id)


async def flat_sheet_page(store: Store, site_id: int, block_id: int, after: str | None,
                          limit: int) -> list[FlatSheetRow]:
    """Up to `limit` flats of a block of the site after Flat N° `after` (a keyset page),
    each with its telephones and emails and its assigned APasses."""
    f, tel, ap = t.flats.c, t.telephones.c, t.access_passes.c
    stmt = select(t.flats).where(f.block_id == block_id, in_site(f.block_id, site_id))
    if after is not None:
        stmt = stmt.where(f.number > after)
    async with store.engine.connect() as conn:
        result = await conn.execute(stmt.order_by(f.number).limit(limit))
        keys = tuple(result.keys())
        flats = [Flat(**dict(zip(keys, r, strict=True))) for r in result]
        ids = [flat.id for flat in flats]
        if not ids:
            return []
        phones: dict[int, list[str]] = {}
        for flat_id, value in await conn.execute(
                select(tel.flat_id, tel.value).where(tel.flat_id.in_(ids)).order_by(tel.id)):
            phones.setdefault(flat_id, []).append(value)
        passes: dict[int, list[str]] = {}
        for flat_id, number in await conn.execute(
                select(ap.flat_id, ap.number).where(ap.flat_id.in_(ids),
                                                    ap.state == APassState.ASSIGNED.value)
                .order_by(ap.number)):
            passes.setdefault(flat_id, []).append(number)
    return [FlatSheetRow(flat, phones.get(flat.id or 0, []), passes.get(flat.id or 0, []))
            for flat in flats]


async def flat_audit_page(store: Store, site_id: int, flat_id: int, entities: list[str],
                          before: tuple[datetime, int] | None = None, limit: int = 50
                          ) -> list[AuditEntry]:
    """The newest audit entries about the flat (its creation, changes, deletion) and about
    the telephones, panel displays or APasses of `entities` whose before or after image
    names the flat, on the site, older than `before` (at, id)."""
    a = t.audit_entries.c
    about = [and_(a.entity == "flat", a.entity_id == flat_id,
                  a.action != "flat.create_batch")]  # a batch's entity_id is its block
    if entities:
        about.append(and_(a.site_id == site_id, a.entity.in_(entities),
                          or_(a.after["flat_id"].as_integer() == flat_id,
                              a.before["flat_id"].as_integer() == flat_id)))
    stmt = select(t.audit_entries).where(or_(*about))
    if before is not None:
        stmt = stmt.where(tuple_(a.at, a.id) < tuple_(*before))
    stmt = stmt.order_by(a.at.desc(), a.id.desc()).limit(limit)
    mp = mapper(AuditEntry)
    async with store.engine.connect() as conn:
        return [mp.from_row(r) for r in await conn.execute(stmt)]
