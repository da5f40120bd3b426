"""The event log's writer: one background task, group commit.

`append()` only queues; every `flush_ms` (or sooner when a batch fills) the
writer commits everything queued in one transaction, so a caller never waits
for the disk and an event is durable within about twice `flush_ms`. Event ids
are given by the writer inside the write lock, which lets an alarm row point
at its event in the same commit. A batch that fails to commit stays queued
and is retried with back-off: nothing acknowledged is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.model import CLEARS, EVENT_TEXT_LIMITS, Alarm, Event, EventKind, EventResult
from core.ports import EventSink
from store import tables as t
from store.mapping import mapper

log = logging.getLogger(__name__)
COLUMNS = ("id", "at", "site_id", "kind", "result", "device_id", "block_id", "flat_id",
           "credential", "name", "reason", "description")


def _malformed(event: Event) -> str:
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



def _unchanged(value: datetime) -> object:
    return value

class EventWriter(EventSink):
    """Appends events to the store in the background with group commit."""

    def __init__(self, engine: AsyncEngine, *, flush_ms: int = 50, max_batch: int = 20_000):
        self.engine = engine
        self.flush_s = flush_ms / 1000
        self.max_batch = max_batch
        self._queue: deque[Event] = deque()
        self._appended = 0  # events ever appended
        self._durable = 0  # events ever committed
        self._flush_to = 0  # a flush() waits for this many: write without waiting
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.failures = 0
        self.rejected = 0  # events the database refused outright (logged in full)
        self._sql: str | None = None
        self._at: Callable[[datetime], object] = _unchanged  # the dialect's bind of `at`

    async def start(self) -> EventWriter:
        """Start the background task (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-writer")
        return self

    def append(self, event: Event) -> None:
        """Queue one event; returns at once. A malformed event is logged in full and
        counted in `rejected`, so it never holds up a batch."""
        if self._closing:
            raise RuntimeError("the event writer is closed")
        problem = _malformed(event)
        if problem:
            self.rejected += 1
            log.error("event refused (%s) and kept here instead: %r", problem, event)
            return
        self._queue.append(event)
        self._appended += 1
        if len(self._queue) >= self.max_batch:
            self._wake.set()

    def append_many(self, events: Iterable[Event]) -> None:
        """Queue many events."""
        for event in events:
            self.append(event)

    @property
    def pending(self) -> int:
        """Events queued and not yet committed."""
        return self._appended - self._durable

    async def flush(self) -> None:
        """Wait until every event appended before this call is committed."""
        target = self._appended
        if self._durable >= target:
            return
        if self._task is None:
            await self.start()
        self._flush_to = max(self._flush_to, target)
        self._wake.set()
        async with self._progress:
            await self._progress.wait_for(lambda: self._durable >= target)

    async def close(self) -> None:
        """Flush everything, then stop (by a flag, not cancel(): on Python 3.11
        wait_for can swallow a cancellation, gh-86296)."""
        await self.flush()
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        backoff = self.flush_s
        while not (self._closing and not self._queue):
            if len(self._queue) < self.max_batch and self._durable >= self._flush_to:
                # group commit: gather what arrives during one interval
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.flush_s):
                        await self._wake.wait()
            self._wake.clear()
            if not self._queue:
                continue
            batch = list(itertools.islice(self._queue, self.max_batch))
            try:
                await self._write(batch)
            except OperationalError:  # locked, disk full, I/O: keep the batch, retry
                self.failures += 1
                log.exception("event batch of %d not written; retrying in %.2fs",
                              len(batch), backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                self._wake.set()
                continue
            except Exception:  # the data itself is refused: isolate the bad events
                await self._write_one_by_one(batch)
            backoff = self.flush_s
            for _ in batch:
                self._queue.popleft()
            self._durable += len(batch)
            self.batches += 1
            async with self._progress:
                self._progress.notify_all()

    async def _write_one_by_one(self, batch: list[Event]) -> None:
        """Write what can be written; log in full (and count) an event the store refuses."""
        for event in batch:
            while True:
                try:
                    await self._write([event])
                    break
                except OperationalError:
                    self.failures += 1
                    await asyncio.sleep(1.0)
                except Exception as err:
                    self.rejected += 1
                    log.error("event refused by the store and kept here instead: %r (%s)",
                              event, getattr(err, "orig", err))
                    break

    def _compile(self) -> str:
        """The INSERT in the dialect's own SQL, taking rows as plain tuples.

        This is the hot path of group commit, so rows are built by one tuple
        expression in COLUMNS order rather than through the generic mapper.
        """
        dialect = self.engine.dialect
        stmt = insert(t.events).values({c: bindparam(c) for c in COLUMNS})
        compiled = stmt.compile(dialect=dialect)
        if not compiled.positional or list(compiled.positiontup or ()) != list(COLUMNS):
            raise RuntimeError(f"the event writer needs a positional driver ({dialect.name})")
        self._sql = compiled.string
        at_type = t.events.c.at.type
        self._at = at_type.dialect_impl(dialect).bind_processor(dialect) or _unchanged
        return self._sql

    def _rows(self, batch: list[Event], first_id: int) -> list[tuple[Any, ...]]:
        at = self._at
        return [(i, at(e.at), e.site_id, e.kind.value, e.result.value, e.device_id, e.block_id,
                 e.flat_id, e.credential, e.name, e.reason, e.description)
                for i, e in enumerate(batch, start=first_id)]

    async def _write(self, batch: list[Event]) -> None:
        sql = self._sql if self._sql is not None else self._compile()
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(write=True)
            async with conn.begin():
                last = (await conn.execute(select(func.max(t.events.c.id)))).scalar() or 0
                await conn.exec_driver_sql(sql, self._rows(batch, last + 1))
                alarms = [
                    mapper(Alarm).to_row(Alarm(event_id=i, site_id=e.site_id, kind=e.kind,
                                               raised_at=e.at, device_id=e.device_id))
                    for i, e in enumerate(batch, start=last + 1) if e.kind.is_alarm
                ]
                if alarms:
                    await conn.execute(insert(t.alarms), alarms)
                back = [{"d": e.device_id, "back_at": e.at, "online_id": i,
                         "k": CLEARS[e.kind].value}
                        for i, e in enumerate(batch, start=last + 1)
                        if e.kind in CLEARS and e.device_id is not None]
                if back:  # "device online" clears "device offline", and so on (CLEARS)
                    a = t.alarms.c
                    await conn.execute(
                        update(t.alarms).where(a.device_id == bindparam("d"),
                                               a.kind == bindparam("k"),
                                               a.cleared_at.is_(None),
                                               a.event_id < bindparam("online_id"))
                        .values(cleared_at=bindparam("back_at", type_=a.cleared_at.type)), back)
        for i, event in enumerate(batch, start=last + 1):
            event.id = i
