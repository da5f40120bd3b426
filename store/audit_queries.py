"""The audit trail's read model: a keyset page of entries (newest first, by id) within
the scopes core allows the reader (a site and its entities), narrowed by the Audit
screen's filters. Block, flat and APass filters look inside the entries' before and
after images (JSON): an entry is about a flat when it is the flat or names it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from core.views.audit import AuditFilter, Scope
from store import tables as t
from store.database import Store

a = t.audit_entries.c


def _names(key: str, value: object) -> ColumnElement[bool]:
    """The entry's before or after image holds `key` = `value`."""
    if isinstance(value, int):
        return or_(a.before[key].as_integer() == value, a.after[key].as_integer() == value)
    return or_(a.before[key].as_string() == value, a.after[key].as_string() == value)


def _where(scopes: Sequence[Scope], flt: AuditFilter) -> list[ColumnElement[bool]]:
    allowed = [and_(a.site_id.is_(None) if s.site_id is None else a.site_id == s.site_id,
                    a.entity.in_(sorted(s.entities))) for s in scopes]
    found: list[ColumnElement[bool]] = [or_(false(), *allowed)]
    if flt.since is not None:
        found.append(a.at >= flt.since)
    if flt.until is not None:
        found.append(a.at < flt.until)
    if flt.actor.strip():
        found.append(a.actor.icontains(flt.actor.strip(), autoescape=True))
    if flt.block_id is not None:
        in_block = select(t.flats.c.id).where(t.flats.c.block_id == flt.block_id)
        found.append(or_(and_(a.entity == "block", a.entity_id == flt.block_id),
                         and_(a.action == "flat.create_batch", a.entity_id == flt.block_id),
                         _names("block_id", flt.block_id),
                         a.before["flat_id"].as_integer().in_(in_block),
                         a.after["flat_id"].as_integer().in_(in_block)))
    if flt.flat_id is not None:
        # (a batch of flats is audited with its block's id: not a flat's)
        found.append(or_(and_(a.entity == "flat", a.entity_id == flt.flat_id,
                              a.action != "flat.create_batch"),
                         _names("flat_id", flt.flat_id)))
    if flt.apass.strip():
        found.append(and_(a.entity == "access_pass", _names("number", flt.apass.strip())))
    return found


async def audit_count(store: Store, scopes: Sequence[Scope], flt: AuditFilter) -> int:
    """How many entries within the scopes match the filter (an export's progress)."""
    stmt = select(func.count()).select_from(t.audit_entries).where(*_where(scopes, flt))
    async with store.engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())


async def audit_page(store: Store, scopes: Sequence[Scope], flt: AuditFilter,
                     before: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` entries older than entry `before`, newest first."""
    stmt = (select(a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.site_id,
                   a.before, a.after, a.source)
            .where(*_where(scopes, flt)).order_by(a.id.desc()).limit(limit))
    if before is not None:
        stmt = stmt.where(a.id < before)
    async with store.engine.connect() as conn:
        result = await conn.execute(stmt)
        keys = list(result.keys())
        return [dict(zip(keys, row, strict=True)) for row in result]
