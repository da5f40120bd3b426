"""Alarm rows beyond what the event writer creates."""

from __future__ import annotations

from sqlalchemy import select, update

from store import tables as t
from store.unit_of_work import SqlUnitOfWork


async def acknowledge_all_but_newest(uow: SqlUnitOfWork, keep: int, operator_id: int,
                                    note: str) -> int:
    """Mark every alarm but the `keep` newest acknowledged (and cleared) when raised.

    Only the demo's history uses this: a live acknowledgement is a service call.
    """
    a = t.alarms.c
    newest = select(a.id).order_by(a.raised_at.desc(), a.id.desc()).limit(keep)
    result = await uow._exec(
        update(t.alarms).where(a.id.not_in(newest), a.acknowledged_at.is_(None))
        .values(acknowledged_at=a.raised_at, acknowledged_by=operator_id, note=note,
                cleared_at=a.raised_at))
    changed: int = result.rowcount
    return changed
