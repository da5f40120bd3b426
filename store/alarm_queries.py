"""Read models of alarms: how many are open, and the list to acknowledge."""

from __future__ import annotations

from sqlalchemy import func, select

from store import tables as t
from store.database import Store


async def open_alarm_count(store: Store, site_ids: list[int]) -> int:
    """Alarms not yet acknowledged on these sites."""
    a = t.alarms.c
    stmt = select(func.count()).select_from(t.alarms).where(
        a.site_id.in_(site_ids), a.acknowledged_at.is_(None))
    async with store.engine.connect() as conn:
        return (await conn.execute(stmt)).scalar_one()
