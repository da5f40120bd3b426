"""What the gateway raises when its store fails, and when the fault ends.

SQLite: "Store fault: <name>", with the way to `doorkeeper doctor`. PostgreSQL that
cannot be reached: "Centre unreachable": the gateway keeps deciding from its snapshot
and keeps its events in its local spill journal; the alarm is itself journaled and
stored, in order, once the centre answers, so every console sees it then, and
"Store recovered" clears it (core.model.SITE_CLEARS).

Two things notice a fault: the event writer, when a write is refused, and, on
PostgreSQL, the centre probe (`StoreFaults.probe`): an idle gateway (a quiet night, no
card read) writes nothing, so without it the centre could be away for hours with no
alarm ever recorded. Both feed `StoreFaults.found`, which raises each fault once.

A supervised part that dies while the centre is away (the PostgreSQL bus's LISTEN
connection drops with it) is that same outage: `task_failed` asks the centre first and
raises "Gateway task failed" only if it answers; the part is restarted either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from core.model import EventKind
from store.database import Store
from store.spill import UNREACHABLE, journal_fault

log = logging.getLogger(__name__)
#: seconds between two probes of the centre (a `SELECT 1`), and how long one may take
PROBE_S, PROBE_TIMEOUT_S = 3.0, 5.0


def fault_event(store: Store, fault: str | None, was: str | None) -> tuple[EventKind, str]:
    """The system event for a fault that began (`fault`), or for the end of `was`."""
    if fault == UNREACHABLE:
        return EventKind.STORE_FAULT, (
            f"Centre unreachable: the store {store.where} does not answer. Doors keep "
            "deciding from memory; events wait in this gateway's spill journal "
            f"{store.spill_file} and are stored in order once it is back.")
    if fault is not None:
        return EventKind.STORE_FAULT, (
            f"Store fault: {fault}. Events are kept in the spill journal beside the store; "
            f"run `doorkeeper doctor --db {store.where}`.")
    if was == UNREACHABLE:
        return EventKind.STORE_RECOVERED, (
            "Centre reachable again: the events kept in this gateway's spill journal "
            "meanwhile are stored, in order, each once.")
    return EventKind.STORE_RECOVERED, ("Store recovered: it takes writes again; the events "
                                       "kept in the spill journal are stored.")


class StoreFaults:
    """The store fault under way, raised once on every console and ended once.

    `raise_event` records a system event (the runtime's: through the event writer, so
    while the centre is away the alarm waits in the journal with the door events, in
    order). `writer_fault` is the fault the event writer knows of: while it has one, its
    own replay ends it; a fault only the probe saw is ended by the probe."""

    def __init__(self, store: Store, raise_event: Callable[[EventKind, str], None],
                 writer_fault: Callable[[], str | None], interval: float = PROBE_S,
                 timeout: float = PROBE_TIMEOUT_S) -> None:
        self.store, self.raise_event, self.writer_fault = store, raise_event, writer_fault
        self.interval, self.timeout = interval, timeout
        self.fault: str | None = None  # the fault raised and not yet ended
        self.probes = 0  # probes made (the tests wait on it)
        self._asking: set[asyncio.Task[None]] = set()  # task_failed's questions

    def found(self, fault: str | None) -> None:
        """A fault began (or, None, the one under way ended); the same again is ignored:
        the writer and the probe may both see one outage."""
        if fault == self.fault:
            return
        self.raise_event(*fault_event(self.store, fault, self.fault))
        self.fault = fault

    def task_failed(self, name: str, why: str, report: Callable[[str, str], None]) -> None:
        """A supervised part died: `report` it ("Gateway task failed"), unless the centre
        is away, which the one "Centre unreachable" already says (on SQLite, report)."""
        if not self.store.is_postgres:
            report(name, why)
            return
        task = asyncio.create_task(self._unless_away(name, why, report), name=f"why {name}")
        self._asking.add(task)
        task.add_done_callback(self._asked)

    async def _unless_away(self, name: str, why: str,
                           report: Callable[[str, str], None]) -> None:
        if await self.reachable():
            report(name, why)
            return
        log.warning("gateway task %s died with the centre away (%s): restarted, under the "
                    "centre's alarm", name, why)
        self.found(UNREACHABLE)

    def _asked(self, task: asyncio.Task[None]) -> None:
        self._asking.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not tell why a gateway task died", exc_info=task.exception())

    async def reachable(self) -> bool:
        """Ask the centre once (`SELECT 1`, bounded): False when it cannot be reached."""
        try:
            async with asyncio.timeout(self.timeout):
                async with self.store.engine.connect() as conn:
                    await conn.exec_driver_sql("SELECT 1")
        except TimeoutError:
            return False  # a server that hangs is as away as one that refuses
        except Exception as err:  # noqa: BLE001 - sorted just below
            if journal_fault(err, "postgresql", None) == UNREACHABLE:
                return False
            log.warning("centre probe: %s (not taken for the centre being away)", err)
        finally:
            self.probes += 1
        return True

    async def probe(self) -> None:
        """Every `interval`: the centre away is the fault UNREACHABLE; back, and the writer
        never saw it away (nothing to replay), the fault ends here."""
        while True:
            await asyncio.sleep(self.interval)
            if not await self.reachable():
                self.found(UNREACHABLE)
            elif self.fault == UNREACHABLE and self.writer_fault() is None:
                self.found(None)
