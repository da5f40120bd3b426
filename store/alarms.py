"""Alarm rows beyond what the event writer creates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from store import tables as t
from store.unit_of_work import SqlUnitOfWork


async def acknowledge_before(uow: SqlUnitOfWork, cutoff: datetime, operator_id: int,
                             note: str) -> int:
    """Mark every alarm raised before `cutoff` acknowledged (and cleared) at raise time.

    Only the demo's history uses this: a live acknowledgement is a service call.
    """
    a = t.alarms.c
    result = await uow._exec(
        update(t.alarms).where(a.raised_at < cutoff, a.acknowledged_at.is_(None))
        .values(acknowledged_at=a.raised_at, acknowledged_by=operator_id, note=note,
                cleared_at=a.raised_at))
    return result.rowcount
