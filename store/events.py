"""The event log's writer: one background task, group commit, and a promise.

`append()` only queues. An event that finds the writer idle is committed at once;
what arrives while a commit is under way, and during the `flush_ms` pause after
it (the desks' turn at the write lock, see store.write_gate), goes into the next
commit, one transaction for all of it (group commit that waits only when there
is a reason to). **An event is announced
(`on_durable`, which the gateway turns into a bus message) only once it is
durable**: committed to the store, or fsync'd to the spill journal. So whatever
a console has seen is stored, and a kill -9 loses at most the events of one
group-commit window, none of which anyone has seen.

When the store refuses a batch for any reason but the data (`store.faults`:
disk full, damaged, read-only, locked past `lock_wait_s`), the batch goes to the
spill journal beside the store instead, `on_fault(name)` is called (the gateway
raises "Store fault: <name>" on every console; a lock is a fault only once it has
lasted `fault_after_s`), and later batches follow it into the journal so order is
kept. The writer tries the store again with back-off; once it takes writes, the
journal is replayed in order (events it already holds are skipped, so a replay
cut short never duplicates), emptied, and `on_fault(None)` says it is over.
Memory holds only what neither the store nor the journal took (at most
`max_memory` events; beyond that they are counted in `lost` and logged).
An event the store refuses as data is logged in full and counted in `rejected`.
On PostgreSQL: a local journal, `origin` and `seq` for exactly once (store.spill).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import StoreError
from core.model import Event
from core.ports import EventSink
from store.event_insert import EventInsert, Maintain, malformed
from store.spill import RESERVE, UNREACHABLE, SpillJournal, journal_fault
from store.write_gate import WriteGate

log = logging.getLogger(__name__)


class EventWriter(EventSink):
    """Appends events to the store in the background with group commit."""

    def __init__(self, engine: AsyncEngine, *, flush_ms: int = 5, max_batch: int = 20_000,
                 spill: str | Path | None = None, gate: WriteGate | None = None,
                 lock_wait_s: float = 0.04, fault_after_s: float = 2.0,
                 max_memory: int = 500_000, spill_reserve: int = RESERVE,
                 maintain: Maintain | None = None, origin: str | None = None) -> None:
        self.engine = engine
        self.origin, self._seq = origin, itertools.count(1)  # on every event appended
        self.maintain = maintain  # PostgreSQL: the events' monthly partitions
        self.flush_s = flush_ms / 1000
        self.max_batch = max_batch
        self.gate = gate
        self.lock_wait_s = lock_wait_s
        self.fault_after_s = fault_after_s
        self.max_memory = max_memory
        self._spill_path, self._spill_reserve = spill, spill_reserve
        self.journal: SpillJournal | None = None
        #: called with each batch once it is durable (in the store or the journal)
        self.on_durable: Callable[[list[Event]], None] | None = None
        #: called with the fault's name when the store starts refusing, None when it is over;
        #: on_set_aside when lines of the journal that are no event were set aside
        self.on_fault: Callable[[str | None], None] | None = None
        self.on_set_aside: Callable[[str], object] | None = None
        self.fault: str | None = None  # the fault announced, if any
        self._refusing_since: float | None = None
        self._queue: deque[Event] = deque()
        self._appended = 0  # events ever appended
        self._durable = 0  # events ever made durable (store or journal)
        self._flush_to = 0  # a flush() waits for this many: write without waiting
        self._wake = asyncio.Event()  # urgent (_urge): ends the pause after a commit
        self._arrived = asyncio.Event()  # work to do: ends an idle wait
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._retry_at = 0.0  # monotonic time of the next try of a refusing store
        self._backoff = self.flush_s
        self.batches = self.failures = 0  # failures: batches the store refused (a fault)
        self.spilled = 0  # events written to the journal
        self.replayed = 0  # events moved from the journal into the store
        self.rejected = 0  # events the database refused outright (logged in full)
        self.lost = 0  # events neither the store nor the journal took, past max_memory
        self._insert: EventInsert | None = None

    # --- life ----------------------------------------------------------------------
    async def start(self) -> EventWriter:
        """Open the journal (replaying what a previous run left) and start the task."""
        if self.journal is None and self._spill_path is not None:
            self.journal = SpillJournal(self._spill_path, self._spill_reserve, self._set_aside)
            if self.journal.events:
                log.warning("%d events wait in the spill journal %s; replaying them",
                            self.journal.events, self.journal.path)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="event-writer")
            self._task.add_done_callback(self._ended)
        return self

    @property
    def running(self) -> bool:
        """True while the background task is alive."""
        return self._task is not None and not self._task.done()

    def failure(self) -> BaseException | None:
        """What ended the task, if it died."""
        task = self._task
        if task is None or not task.done() or task.cancelled():
            return None if task is None or not task.cancelled() else asyncio.CancelledError()
        return task.exception()

    async def restart(self) -> None:
        """Start the task again after it died (the supervisor); nothing queued is lost."""
        if not self.running:
            self._task = None
            await self.start()

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the event writer died", exc_info=task.exception())
        # wake flush(): it must not wait for a writer that is gone
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._progress:
            self._progress.notify_all()

    # --- in ------------------------------------------------------------------------
    def append(self, event: Event) -> None:
        """Queue one event; returns at once. A malformed event is logged in full and
        counted in `rejected`, so it never holds up a batch."""
        if self._closing:
            raise RuntimeError("the event writer is closed")
        problem = malformed(event)
        if problem:
            self.rejected += 1
            log.error("event refused (%s) and kept here instead: %r", problem, event)
            return
        if len(self._queue) >= self.max_memory:
            self.lost += 1
            log.error("event lost: neither the store nor the spill journal takes writes "
                      "and %d wait in memory: %r", len(self._queue), event)
            return
        if self.origin is not None and event.seq is None:
            event.origin, event.seq = self.origin, next(self._seq)
        self._queue.append(event)
        self._appended += 1
        if len(self._queue) == 1:
            self._arrived.set()
        if len(self._queue) >= self.max_batch:
            self._urge()

    def append_many(self, events: Iterable[Event]) -> None:  # queue many events
        for event in events:
            self.append(event)

    @property
    def pending(self) -> int:
        """Events queued and not yet durable."""
        return len(self._queue)

    async def flush(self, timeout: float | None = 30.0) -> None:
        """Wait until every event appended before this call is durable; StoreError if
        the writer's task is not running, or `timeout` seconds passed."""
        target = self._appended
        if self._durable >= target:
            return
        if self._task is None:
            await self.start()
        self._flush_to = max(self._flush_to, target)
        self._urge()
        deadline = None if timeout is None else time.monotonic() + timeout
        async with self._progress:
            while self._durable < target:
                if not self.running:
                    raise StoreError(f"The event writer stopped with {self.pending} events "
                                     f"not yet durable ({self.failure()!r}).")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise StoreError(f"{self.pending} events were not durable within "
                                     f"{timeout:.0f} s.")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(),
                                           0.5 if left is None else min(left, 0.5))

    async def close(self, timeout: float = 30.0) -> None:
        """Make every event durable (in the store, else in the journal), then stop.

        Stopped by a flag, not cancel(): on Python 3.11 wait_for can swallow a
        cancellation (gh-86296). Bounded by `timeout`; what is still queued then goes
        to the journal.
        """
        try:
            await self.flush(timeout)
        except StoreError as err:
            log.error("%s Writing them to the spill journal.", err)
        self._closing = True
        self._urge()
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), 5.0)
            if not self._task.done():
                self._task.cancel()
                with contextlib.suppress(BaseException):
                    await self._task
            self._task = None
        if self._queue:  # the task is gone: the journal is the last resort
            batch = list(self._queue)
            written = self._spill(batch)
            self._done(batch[:written])
            if written < len(batch):
                self.lost += len(batch) - written
                log.error("%d events lost at shutdown: the store and the journal refused "
                          "them: %r", len(batch) - written, batch[written:])
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self.gate is not None:
            self.gate.close()

    # --- the task --------------------------------------------------------------------
    async def _run(self) -> None:
        while not (self._closing and not self._queue):
            if not self._queue and not self._closing:
                await self._idle()
            self._wake.clear()
            self._arrived.clear()
            if self._journal_waiting() and time.monotonic() >= self._retry_at:
                await self._replay()
            if not self._queue:
                continue
            batch = list(itertools.islice(self._queue, self.max_batch))
            if not self._journal_waiting():
                try:
                    await self._store(batch)
                except Exception as err:  # noqa: BLE001 - sorted just below
                    fault = self._fault(err)
                    if fault is None:  # the data itself is refused: isolate the bad events
                        kept = await self._write_one_by_one(batch)
                        self._done(batch, kept)
                        continue
                    self._refused(fault, err, len(batch))
                    batch = batch[:self._spill(batch)]
                else:
                    self._accepted()
            else:  # order: behind what the journal holds
                batch = batch[:self._spill(batch)]
            if not batch:  # neither the store nor the journal: wait in memory
                await self._wait_retry()
                continue
            self._done(batch)
            await self._pause()

    async def _idle(self) -> None:
        """Sleep until an event arrives, something is urgent, or the journal's retry is due."""
        timeout = 0.25
        if self._journal_waiting():
            timeout = max(0.0, min(timeout, self._retry_at - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._arrived.wait()

    def _urge(self) -> None:
        """Something will not wait: a full batch, a flush() or close(), a retry. It ends
        the pause after a commit and, being work to do, an idle wait too."""
        self._wake.set()
        self._arrived.set()

    async def _pause(self) -> None:
        """The desks' turn after a commit (they wait while the writer holds the intent);
        events arriving meanwhile join the next commit. Skipped when a batch is full or a
        flush() or close() is waiting."""
        if self._closing or len(self._queue) >= self.max_batch or self._durable < self._flush_to:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.flush_s):
                await self._wake.wait()

    def _done(self, batch: list[Event], kept: list[Event] | None = None) -> None:
        """The first len(batch) queued events are durable (or refused as data)."""
        for _ in batch:
            self._queue.popleft()
        self._made_durable(batch, kept)

    def _made_durable(self, batch: list[Event], kept: list[Event] | None = None) -> None:
        self._durable += len(batch)
        self.batches += 1
        if self.on_durable is not None:
            try:
                self.on_durable(batch if kept is None else kept)
            except Exception:  # the announcement must never stop the writer
                log.exception("could not announce %d durable events", len(batch))
        asyncio.get_running_loop().create_task(self._notify())

    def _set_aside(self, text: str) -> None:
        if self.on_set_aside is not None:  # set after start(), as on_fault
            self.on_set_aside(text)

    def _journal_waiting(self) -> bool:
        return self.journal is not None and self.journal.events > 0

    def _fault(self, err: BaseException) -> str | None:
        return journal_fault(err, self.engine.dialect.name, self.engine.url.database)

    async def _wait_retry(self) -> None:
        await asyncio.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, 5.0)
        self._urge()

    # --- faults --------------------------------------------------------------------
    def _refused(self, fault: str, err: BaseException, n: int) -> None:
        """Count a refusal; announce the fault (a lock only once it has lasted)."""
        self.failures += 1
        now = time.monotonic()
        self._refusing_since = now if self._refusing_since is None else self._refusing_since
        self._retry_at = now + self._backoff
        self._backoff = min(self._backoff * 2, 5.0)
        lasting = now - self._refusing_since >= self.fault_after_s
        if fault != self.fault and (fault != "locked too long" or lasting):
            log.error("Store fault: %s; %d events go to the spill journal (%s)", fault, n,
                      getattr(err, "orig", err), exc_info=None if fault == UNREACHABLE else err)
            self.fault = fault
            if self.on_fault is not None:
                try:
                    self.on_fault(fault)
                except Exception:
                    log.exception("could not raise the store fault alarm")

    def _accepted(self) -> None:
        self._refusing_since = None
        self._backoff = self.flush_s
        if self.fault is not None:
            log.warning("the store takes writes again (after: %s)", self.fault)
            self.fault = None
            if self.on_fault is not None:
                try:
                    self.on_fault(None)
                except Exception:
                    log.exception("could not clear the store fault alarm")

    def _spill(self, batch: list[Event]) -> int:
        """Write a batch to the journal; how many of its first events were written."""
        written = 0 if self.journal is None else self.journal.append_chunks(batch)
        self.spilled += written
        return written

    async def _replay(self) -> None:
        """Move the journal's events into the store, in order, without duplicates."""
        assert self.journal is not None
        events = self.journal.read()
        try:
            for i in range(0, len(events), self.max_batch):
                await self._store(events[i:i + self.max_batch], replay=True)
        except Exception as err:  # noqa: BLE001 - every refusal waits for the next try
            self._refused(self._fault(err) or "refusing writes", err, 0)
            return
        self.journal.clear()
        self.replayed += len(events)
        log.warning("replayed %d events from the spill journal into the store", len(events))
        self._accepted()

    # --- the store -------------------------------------------------------------------
    async def _store(self, batch: list[Event], replay: bool = False) -> None:
        if self._insert is None:
            self._insert = EventInsert(self.engine.dialect, self.maintain)
        await self._insert.commit(self.engine, batch, gate=self.gate,
                                  lock_wait_s=self.lock_wait_s, replay=replay)

    async def _write_one_by_one(self, batch: list[Event]) -> list[Event]:
        """Write what can be written; log in full (and count) an event the store refuses.
        Returns the events made durable."""
        kept: list[Event] = []
        for event in batch:
            while True:
                try:
                    await self._store([event])
                    kept.append(event)
                    break
                except Exception as err:  # noqa: BLE001 - sorted just below
                    fault = self._fault(err)
                    if fault is None:
                        self.rejected += 1
                        log.error("event refused by the store and kept here instead: %r (%s)",
                                  event, getattr(err, "orig", err))
                        break
                    self._refused(fault, err, 1)
                    if self._spill([event]) == 1:
                        kept.append(event)
                        break
                    await asyncio.sleep(1.0)
        return kept
