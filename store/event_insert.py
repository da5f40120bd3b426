"""The event writer's SQL: one batch of events (and the alarms they raise) in one transaction.

This is the hot path of group commit, so rows are built by one tuple expression
in COLUMNS order rather than through the generic mapper. `skip_stored` is the
replay's guard against duplicates: an event from the spill journal that the
store already holds (the journal was replayed, then the process died before
emptying it) is left out: found by its gateway run and sequence number
(`origin`, `seq`: unique in the store, migration 0010), or for an event without
them by the same time, site, kind, device, credential and description. The
INSERT itself is ON CONFLICT DO NOTHING (SQLite: INSERT OR IGNORE) on that
unique pair, so an event is never stored twice even past the check.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.model import (
    CLEARS,
    EVENT_TEXT_LIMITS,
    SITE_CLEARS,
    Alarm,
    Event,
    EventKind,
    EventResult,
)
from store import tables as t
from store.faults import store_fault
from store.mapping import mapper
from store.postgres import month_of
from store.write_gate import WriteGate

#: how often the writer asks for the write lock while a desk holds it
LOCK_POLL_S = 0.001
#: maintain(engine, months): the partitions of these months exist afterwards
Maintain = Callable[[AsyncEngine, set[date]], Awaitable[object]]

COLUMNS = ("id", "at", "site_id", "kind", "result", "device_id", "block_id", "flat_id",
           "credential", "name", "reason", "description", "origin", "seq")


def malformed(event: Event) -> str:
    """Why an event cannot be stored, or "" (checked before it joins a batch)."""
    if not isinstance(event.at, datetime) or event.at.tzinfo is None:
        return "its time is not timezone-aware"
    if not isinstance(event.kind, EventKind) or not isinstance(event.result, EventResult):
        return "its kind or result is not one of the guide's"
    if not isinstance(event.site_id, int):
        return "it names no site"
    for name, limit in EVENT_TEXT_LIMITS.items():
        value = getattr(event, name)
        if not isinstance(value, str) or len(value) > limit:
            return f"{name} is not text of at most {limit} characters"
    return ""


def _insert_once(dialect: Dialect) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the dialect's own form (the unique
    (origin, seq, at) of migration 0010)."""
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(t.events).on_conflict_do_nothing()
    if dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(t.events).on_conflict_do_nothing()
    return insert(t.events)


def _unchanged(value: datetime) -> object:
    return value


class EventInsert:
    """The compiled INSERT for one dialect, and the transaction that uses it."""

    def __init__(self, dialect: Dialect, maintain: Maintain | None = None) -> None:
        #: PostgreSQL: makes the monthly partitions of months not seen yet (store.postgres)
        self.maintain = maintain
        self.months: set[date] = set()
        stmt = _insert_once(dialect).values({c: bindparam(c) for c in COLUMNS})
        compiled = stmt.compile(dialect=dialect)
        if not compiled.positional or list(compiled.positiontup or ()) != list(COLUMNS):
            raise RuntimeError(f"the event writer needs a positional driver ({dialect.name})")
        self.sql = compiled.string
        at_type = t.events.c.at.type
        self._at: Callable[[datetime], object] = (
            at_type.dialect_impl(dialect).bind_processor(dialect) or _unchanged)

    def rows(self, batch: list[Event], first_id: int) -> list[tuple[Any, ...]]:
        at = self._at
        return [(i, at(e.at), e.site_id, e.kind.value, e.result.value, e.device_id, e.block_id,
                 e.flat_id, e.credential, e.name, e.reason, e.description, e.origin, e.seq)
                for i, e in enumerate(batch, start=first_id)]

    async def skip_stored(self, conn: AsyncConnection, batch: list[Event]) -> list[Event]:
        """The events of a replayed batch that the store does not hold yet."""
        e = t.events.c
        numbered: dict[str, list[int]] = {}
        for ev in batch:
            if ev.origin is not None and ev.seq is not None:
                numbered.setdefault(ev.origin, []).append(ev.seq)
        held: set[tuple[str, int]] = set()
        for origin, seqs in numbered.items():  # ux_events_origin_seq
            for i in range(0, len(seqs), 500):
                rows = await conn.execute(select(e.seq).where(e.origin == origin,
                                                              e.seq.in_(seqs[i:i + 500])))
                held.update((origin, r[0]) for r in rows)
        batch = [ev for ev in batch if (ev.origin, ev.seq) not in held]
        unnumbered = [ev for ev in batch if ev.origin is None or ev.seq is None]
        if not unnumbered:
            return batch
        ats = sorted({ev.at.astimezone(UTC) for ev in unnumbered})
        stored: set[tuple[Any, ...]] = set()
        for i in range(0, len(ats), 500):
            rows = await conn.execute(select(e.at, e.site_id, e.kind, e.device_id, e.credential,
                                             e.description).where(e.at.in_(ats[i:i + 500])))
            stored.update(tuple(r) for r in rows)
        return [ev for ev in batch if ev.seq is not None and ev.origin is not None
                or (ev.at.astimezone(UTC), ev.site_id, ev.kind.value, ev.device_id,
                    ev.credential, ev.description) not in stored]

    async def write(self, conn: AsyncConnection, batch: list[Event]) -> int:
        """Insert the batch (ids, alarms, cleared alarms) in `conn`'s transaction; the first id."""
        last = (await conn.execute(select(func.max(t.events.c.id)))).scalar() or 0
        first = last + 1
        await conn.exec_driver_sql(self.sql, self.rows(batch, first))
        alarms = [
            mapper(Alarm).to_row(Alarm(event_id=i, site_id=ev.site_id, kind=ev.kind,
                                       raised_at=ev.at, device_id=ev.device_id))
            for i, ev in enumerate(batch, start=first) if ev.kind.is_alarm
        ]
        if alarms:
            await conn.execute(insert(t.alarms), alarms)
        a = t.alarms.c
        back = [{"d": ev.device_id, "back_at": ev.at, "online_id": i, "k": CLEARS[ev.kind].value}
                for i, ev in enumerate(batch, start=first)
                if ev.kind in CLEARS and ev.device_id is not None]
        if back:  # "device online" clears "device offline", and so on (CLEARS)
            await conn.execute(
                update(t.alarms).where(a.device_id == bindparam("d"), a.kind == bindparam("k"),
                                       a.cleared_at.is_(None), a.event_id < bindparam("online_id"))
                .values(cleared_at=bindparam("back_at", type_=a.cleared_at.type)), back)
        recovered = [{"s": ev.site_id, "back_at": ev.at, "online_id": i,
                      "k": SITE_CLEARS[ev.kind].value}
                     for i, ev in enumerate(batch, start=first) if ev.kind in SITE_CLEARS]
        if recovered:  # "store recovered" clears its site's "store fault" alarms, and so on
            await conn.execute(
                update(t.alarms).where(a.site_id == bindparam("s"), a.kind == bindparam("k"),
                                       a.cleared_at.is_(None), a.event_id < bindparam("online_id"))
                .values(cleared_at=bindparam("back_at", type_=a.cleared_at.type)), recovered)
        return first

    async def commit(self, engine: AsyncEngine, batch: list[Event], *,
                     gate: WriteGate | None, lock_wait_s: float, replay: bool = False) -> None:
        """One transaction, ids set on the events; waits for the write lock up to
        `lock_wait_s`, asking every millisecond while holding the intent (desks wait for
        it, see store.write_gate). With `replay`, events already stored are left out."""
        if self.maintain is not None:
            months = {month_of(e.at) for e in batch} - self.months
            if months:
                await self.maintain(engine, months)
                self.months |= months
        deadline = time.monotonic() + lock_wait_s
        with gate.intent() if gate is not None else contextlib.nullcontext():
            while True:
                try:
                    async with engine.connect() as conn:
                        # "events": on PostgreSQL the event batches' own lock (ids follow
                        # the largest stored), not the desks' (store/postgres.py)
                        conn = await conn.execution_options(write="events")
                        async with conn.begin():
                            todo = await self.skip_stored(conn, batch) if replay else batch
                            first = await self.write(conn, todo) if todo else 0
                    break
                except DBAPIError as err:
                    if store_fault(err) != "locked too long" or time.monotonic() >= deadline:
                        raise
                await asyncio.sleep(LOCK_POLL_S)
        for i, event in enumerate(todo, start=first):
            event.id = i
