"""Read models of alarms: how many are open, and the list to acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_

from core.views.rows import AlarmRow
from store import tables as t
from store.database import Store


async def open_alarm_count(store: Store, site_ids: list[int]) -> int:
    """Alarms not yet acknowledged on these sites."""
    a = t.alarms.c
    stmt = select(func.count()).select_from(t.alarms).where(
        a.site_id.in_(site_ids), a.acknowledged_at.is_(None))
    async with store.engine.connect() as conn:
        return (await conn.execute(stmt)).scalar_one()


async def alarm_page(store: Store, site_ids: list[int], *, acknowledged: bool = False,
                     before: tuple[datetime, int] | None = None,
                     limit: int = 100) -> list[AlarmRow]:
    """The newest `limit` alarms of these sites raised before `before` (raised_at, id):
    the open ones only, or with `acknowledged` every one."""
    a, s, d, o = t.alarms.c, t.sites.c, t.devices.c, t.operators.c
    stmt = (select(a.id, a.event_id, a.site_id, s.name, d.name, a.kind, a.raised_at,
                   a.acknowledged_at, o.email, a.note, a.cleared_at, a.device_id)
            .select_from(t.alarms.outerjoin(t.sites, s.id == a.site_id)
                         .outerjoin(t.devices, d.id == a.device_id)
                         .outerjoin(t.operators, o.id == a.acknowledged_by))
            .where(a.site_id.in_(site_ids)))
    if not acknowledged:
        stmt = stmt.where(a.acknowledged_at.is_(None))
    if before is not None:
        stmt = stmt.where(tuple_(a.raised_at, a.id) < tuple_(*before))
    stmt = stmt.order_by(a.raised_at.desc(), a.id.desc()).limit(limit)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    out = []
    for r in rows:
        device = r[4] or (f"#{r[11]} (deleted)" if r[11] is not None else "")
        out.append(AlarmRow(r[0], r[1], r[2], r[3] or f"#{r[2]}", device, r[5], r[6], r[7],
                            r[8] or "", r[9], r[10]))
    return out


async def alarm_signature(store: Store, site_ids: list[int]) -> tuple[Any, ...]:
    """A cheap fingerprint of these sites' alarms: it changes when one is raised,
    acknowledged or cleared (the Alarms screen polls it, then reloads on a change)."""
    a = t.alarms.c
    stmt = select(func.max(a.id), func.count(a.acknowledged_at), func.count(a.cleared_at)
                  ).where(a.site_id.in_(site_ids))
    async with store.engine.connect() as conn:
        return tuple((await conn.execute(stmt)).one())


async def open_alarms_by_kind(store: Store) -> dict[str, tuple[int, int]]:
    """Alarms not cleared, by kind: (how many, how many of them not acknowledged either)
    (`doorkeeper status`)."""
    a = t.alarms.c
    stmt = (select(a.kind, func.count(), func.count().filter(a.acknowledged_at.is_(None)))
            .where(a.cleared_at.is_(None)).group_by(a.kind))
    async with store.engine.connect() as conn:
        return {r[0]: (r[1], r[2]) for r in await conn.execute(stmt)}
