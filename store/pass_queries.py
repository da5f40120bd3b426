"""Read models of the Access Passes tab: the guide's three lists ("APasses assigned",
"APasses in stock", "APasses lost"), a page at a time by keyset on the 10-digit
number, and what the APass dialogs need (blocks, profiles, a flat by its Flat N°)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.model import APassState
from core.views.rows import FlatRef, PassChoices, PassRow
from store import tables as t
from store.database import Store
from store.queries import in_site


def _prefix_bounds(prefix: str) -> tuple[str, str]:
    """The range of numbers starting with `prefix` (an index range, unlike LIKE)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


async def pass_page(store: Store, site_id: int, state: APassState, *,
                    block_id: int | None = None, prefix: str = "", after: str | None = None,
                    limit: int = 100) -> list[PassRow]:
    """Up to `limit` passes of a site in a state, numbers after `after`, in number order.

    `block_id` restricts to a block; `prefix` to numbers starting with it.
    """
    ap, b, f, p = t.access_passes.c, t.blocks.c, t.flats.c, t.access_profiles.c
    stmt = (select(ap.id, ap.number, ap.type, ap.colour, ap.state, ap.block_id,
                   func.coalesce(b.name, ""), ap.flat_id, func.coalesce(f.number, ""),
                   func.coalesce(f.name, ""), ap.resident, ap.access_profile_id,
                   func.coalesce(p.name, ""), ap.notes)
            .select_from(t.access_passes
                         .outerjoin(t.blocks, b.id == ap.block_id)
                         .outerjoin(t.flats, f.id == ap.flat_id)
                         .outerjoin(t.access_profiles, p.id == ap.access_profile_id))
            .where(ap.site_id == site_id, ap.state == APassState(state).value))
    if block_id is not None:
        stmt = stmt.where(ap.block_id == block_id)
    if prefix:
        low, high = _prefix_bounds(prefix)
        stmt = stmt.where(ap.number >= low, ap.number < high)
    if after is not None:
        stmt = stmt.where(ap.number > after)
    stmt = stmt.order_by(ap.number).limit(limit)
    async with store.engine.connect() as conn:
        return [PassRow(*tuple(r)) for r in await conn.execute(stmt)]


async def pass_counts(store: Store, site_id: int, block_id: int | None = None
                      ) -> dict[APassState, int]:
    """How many passes a site has in each state (assigned ones in `block_id` only)."""
    ap = t.access_passes.c
    stmt = (select(ap.state, func.count()).where(ap.site_id == site_id)
            .group_by(ap.state))
    counts = {s: 0 for s in APassState}
    async with store.engine.connect() as conn:
        for state, n in await conn.execute(stmt):
            counts[APassState(state)] = n
        if block_id is not None:
            counts[APassState.ASSIGNED] = (await conn.execute(
                select(func.count()).where(ap.site_id == site_id, ap.block_id == block_id,
                                           ap.state == APassState.ASSIGNED.value))).scalar_one()
    return counts


async def pass_choices(store: Store, site_id: int) -> PassChoices:
    """A site's blocks and access profiles, by name."""
    b, p = t.blocks.c, t.access_profiles.c
    async with store.engine.connect() as conn:
        blocks = (await conn.execute(select(b.name, b.id).where(b.site_id == site_id)
                                     .order_by(b.name))).all()
        profiles = (await conn.execute(select(p.name, p.id).where(p.site_id == site_id)
                                       .order_by(p.name))).all()
    return PassChoices([(r[0], r[1]) for r in blocks], [(r[0], r[1]) for r in profiles],
                       site_id)


async def flat_by_number(store: Store, block_id: int, typed: str, *,
                         site_id: int | None = None) -> FlatRef | None:
    """The flat of a block with this Flat N°; "7" also finds "007" or "0007"."""
    typed = (typed or "").strip()
    if not typed:
        return None
    f = t.flats.c
    forms = [typed]
    if typed.isascii() and typed.isdigit():
        bare = typed.lstrip("0") or "0"
        forms += [bare.zfill(width) for width in range(len(bare), 11)]
    stmt = (select(f.id, f.block_id, f.number, f.name)
            .where(f.block_id == block_id, in_site(f.block_id, site_id), f.number.in_(forms))
            .order_by(f.number != typed, f.number).limit(1))
    async with store.engine.connect() as conn:
        row = (await conn.execute(stmt)).first()
    return FlatRef(*row) if row else None
