"""The gateway's SMS sender: works through the outbox at the route's rate.

One task under the gateway's supervisor. At start it first settles the messages a
previous run handed to the route without storing the answer (a crash between the
send and the write): the route is asked whether it has each (Twilio: the messages
to that number since the attempt, matched by text); found, its SID is stored;
not found, it is sent again. Then, in a loop: a batch of due messages is marked
as being handed (one write), each is sent at the rate limit and its reference
stored before the next goes; a send whose answer was lost (a timeout, an
unreadable answer) is looked up at the route, as after a crash, and goes
again only if the route does not have it. A transient error puts it back
with back-off (doubling from `retry_first_s` to `retry_max_s`; after
`max_attempts` it fails with the last error), a permanent one fails it with the provider's reason, and a
route fault (credentials refused, no modem) raises "SMS route fault" on every
console once and holds the batch back until the route works again. Between
batches the delivery status of accepted messages is polled until final (routes
that can). A new campaign wakes it (the gateway's change watcher calls `wake`).

The store away (PostgreSQL unreachable, a store fault) never ends the task: it waits
with back-off (`STORE_WAIT_S` doubling to `STORE_WAIT_MAX_S`) and carries on when the
store answers. A reference the route gave meanwhile is kept in memory and written
first, and the messages left marked as being handed are settled again (asked of the
route, else put back), so nothing is sent twice. A route that cannot be asked (the
modem) hands no further message while a reference is unwritten. The gateway stopped
while references are in memory is a crash for them: on the next start Twilio is asked
for each, and a modem's one message whose reference was lost goes again. The alarm for
the store is the gateway's ("Centre unreachable", console/headless/store_faults.py), not
the sender's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from core.config_sms import SmsConfig
from core.errors import StoreError
from core.model import EventKind
from core.sms import MessageStatus
from core.sms_port import (
    PermanentSmsError,
    SmsRoute,
    SmsRouteFault,
    TransientSmsError,
    UncertainSmsError,
)
from store import sms_outbox as outbox
from store.database import Store
from store.faults import store_fault

log = logging.getLogger(__name__)
BATCH_MAX = 100  # messages marked for handing at once (a second's worth at most)
IDLE_S = 1.0  # with nothing due: how often the outbox is looked at anyway
#: the store away: the first wait before asking it again, and the longest
STORE_WAIT_S, STORE_WAIT_MAX_S = 0.5, 10.0


def store_away(err: BaseException) -> bool:
    """Whether an error is the store refusing or unreachable (waited out), not a bug."""
    return isinstance(err, StoreError) or store_fault(err) is not None


def can_look_up(route: SmsRoute) -> bool:
    """Whether the route can tell afterwards if it took a message (Twilio's `find`; a
    modem cannot)."""
    return type(route).find is not SmsRoute.find


class Pacer:
    """At most `rate` sends a second on average, evenly spaced: each slot a gap after the
    last one's (not after the moment the sleep woke: a sleep overshoots, and the lost
    time would lower the rate); after an idle spell at most half a slot of credit."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self.next_at = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            await asyncio.sleep(self.next_at - now)
        self.next_at = max(self.next_at, time.monotonic() - self.gap / 2) + self.gap


class SmsSender:
    """The outbox's one consumer in this gateway."""

    def __init__(self, store: Store, config: SmsConfig,
                 route_for: Callable[[int], SmsRoute | None],
                 alarm: Callable[[EventKind, str], None],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.config, self.route_for = store, config, route_for
        self.alarm, self.clock = alarm, clock
        self.pacer = Pacer(config.rate)
        self._wake = asyncio.Event()
        self._fault = ""  # the route fault last raised (raised once until it changes)
        self._next_poll = time.monotonic() + config.poll_s
        self._halt = ""  # a route fault met in this batch: the rest of it waits
        self._taken: list[tuple[int, str, MessageStatus]] = []  # references not yet written
        self._unsure: set[int] = set()  # sent, fate unknown, the route could not say yet
        self._writing = asyncio.Lock()
        self.sent = 0  # accepted by the route in this run

    @property
    def unwritten(self) -> int:
        """References the route gave that are not stored yet (the store away)."""
        return len(self._taken)

    def wake(self) -> None:
        """A campaign was queued: look at the outbox now."""
        self._wake.set()

    async def run(self) -> None:
        """Settle what a previous run left unanswered, then send and poll forever; the
        store away is waited out (references taken meanwhile are written first, then
        what was being handed is settled again)."""
        wait, settled = STORE_WAIT_S, False
        while True:
            try:
                await self._write_taken()
                if not settled or self._unsure:
                    self._unsure.clear()
                    await self._settle()
                    settled = True
                handed = await self._send_batch()
                polled = await self._poll()
                if not handed and not polled:
                    await self._idle()
                wait = STORE_WAIT_S
            except Exception as err:
                if not store_away(err):
                    raise  # a bug: the supervisor reports it and starts the task again
                log.warning("sms: the store does not answer (%s); again in %.1f s, %d "
                            "references kept meanwhile", err, wait, len(self._taken))
                settled = False
                await asyncio.sleep(wait)
                wait = min(wait * 2, STORE_WAIT_MAX_S)

    async def _idle(self) -> None:
        self._wake.clear()
        timeout = IDLE_S
        due = await outbox.next_due_at(self.store)
        if due is not None:
            timeout = min(timeout, max(0.0, (due - self.clock()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wake.wait()

    # --- sending -------------------------------------------------------------------------
    async def _settle(self) -> None:
        """The messages a previous run handed to the route without storing its answer."""
        for message in await outbox.unresolved(self.store):
            route = self.route_for(message.site_id)
            ref = None
            wait = self.config.retry_first_s
            while route is not None and message.attempt_at is not None:
                try:
                    # a little before the attempt: the provider's clock is not ours
                    ref = await route.find(message.number, message.text,
                                           message.attempt_at - timedelta(minutes=5))
                    break
                except TransientSmsError as err:  # not known yet: never guess, ask again
                    log.warning("sms: could not ask the route about message %d (%s); "
                                "again in %.0f s", message.id, err, wait)
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, self.config.retry_max_s)
            if ref is not None:
                log.info("sms: message %d was accepted before the restart (%s)",
                         message.id, ref)
                await self._accepted(message.id, ref, MessageStatus.QUEUED)
            else:
                await outbox.put_back(self.store, [message.id], self.clock())

    async def _send_batch(self) -> int:
        """Mark a batch as being handed, then send each at the rate; how many were handed.

        A route that can tell afterwards whether it took a message (Twilio's `find`) may
        have a few sends in flight at once (`window`): each reference is still stored the
        moment its answer comes, and after a crash the batch's unanswered messages are
        looked up there (`_settle`). A route that cannot (the modem) sends one at a time,
        its reference stored before the next one goes."""
        size = max(1, min(BATCH_MAX, int(self.config.rate)))
        batch = await outbox.due(self.store, self.clock(), size)
        if not batch:
            return 0
        await outbox.handing(self.store, [m.id for m in batch], self.clock())
        self._halt = ""
        slots = asyncio.Semaphore(self.window)
        sending: list[asyncio.Task[None]] = []
        handed = 0
        try:
            for message in batch:
                route = self.route_for(message.site_id)
                if route is None:
                    self._halt = (f"no SMS route for site {message.site_id} (sms.route is "
                                  f"{self.config.route!r})")
                    break
                if self._halt:
                    break
                await self.pacer.wait()
                await slots.acquire()
                if self._halt or (self._taken and not can_look_up(route)):
                    slots.release()  # a route fault; or, on a route that cannot be asked
                    break  # (the modem), the last reference unwritten: the store away
                    # (were the gateway stopped now, only that message would go twice)
                handed += 1
                sending.append(asyncio.create_task(self._send_one(route, message, slots)))
            # every send in flight ends (its reference kept, written or not) before an
            # error of one of them (the store away) goes up
            for outcome in await asyncio.gather(*sending, return_exceptions=True):
                if isinstance(outcome, Exception):
                    raise outcome
        finally:  # stopped (or killed) in the middle: no send goes on without its owner
            for task in sending:
                task.cancel()
        if self._halt:  # a route fault: the rest wait, as they were
            self._route_fault(self._halt)
            await outbox.put_back(self.store, [m.id for m in batch
                                               if m.id not in self._unsure], self.clock())
            await asyncio.sleep(min(self.config.retry_max_s, 5.0))
        return handed

    async def _accepted(self, message_id: int, ref: str, status: MessageStatus) -> None:
        """Store a reference; durable when this returns. The sends in flight share the
        writes: the references that came while one write was under way go in the next
        (one writer, no two transactions waiting on each other's lock)."""
        self._taken.append((message_id, ref, status))
        await self._write_taken()

    async def _write_taken(self) -> None:
        """Write the references not yet written (none: the write that just ended took
        them); a write that fails keeps them, in order, for the next."""
        async with self._writing:
            if not self._taken:
                return
            taken, self._taken = self._taken, []
            try:
                await outbox.accepted(self.store, taken, self.clock())
            except BaseException:
                self._taken[:0] = taken
                raise

    @property
    def window(self) -> int:
        """Sends in flight at once: one, or a tenth of a second's worth at a high rate
        on a route that can look a lost answer up."""
        route = self.route_for(0) if self.config.route == "twilio" else None
        if route is None or not can_look_up(route):
            return 1
        return max(1, int(self.config.rate / 10))

    async def _send_one(self, route: SmsRoute, message: outbox.Outgoing,
                        slots: asyncio.Semaphore) -> None:
        try:
            since = self.clock()
            try:
                ref, status = await route.send(message.number, message.text)
            except SmsRouteFault as err:
                self._halt = err.message
                return
            except UncertainSmsError as err:
                await self._uncertain(route, message, since, err)
                return
            except PermanentSmsError as err:
                async with self._writing:
                    await outbox.set_status(self.store, message.id, MessageStatus.FAILED,
                                            err.message, self.clock())
                return
            except TransientSmsError as err:
                async with self._writing:
                    await self._later(message.id, message.attempts + 1, err.message)
                return
            self.sent += 1
            await self._accepted(message.id, ref, status)
            if self._fault:
                log.info("sms: the route works again")
                self._fault = ""
        finally:
            slots.release()

    async def _uncertain(self, route: SmsRoute, message: outbox.Outgoing, since: datetime,
                         err: UncertainSmsError) -> None:
        """The route may have taken the message (its answer lost): asked first, as after a
        crash; taken, its reference is stored; not taken, it goes again after the back-off;
        the route cannot be asked now, it stays marked as being handed and is settled (asked
        again until it answers) before anything else is sent."""
        ref = None
        if can_look_up(route):
            try:
                ref = await route.find(message.number, message.text,
                                       since - timedelta(minutes=5))
            except TransientSmsError as lookup:
                log.warning("sms: message %d may have been taken (%s); the route cannot "
                            "say yet (%s)", message.id, err.message, lookup.message)
                self._unsure.add(message.id)
                return
        if ref is not None:
            log.info("sms: message %d was taken though its answer was lost (%s)",
                     message.id, ref)
            self.sent += 1
            await self._accepted(message.id, ref, MessageStatus.QUEUED)
            return
        async with self._writing:
            await self._later(message.id, message.attempts + 1, err.message)

    async def _later(self, message_id: int, attempts: int, error: str) -> None:
        if attempts >= self.config.max_attempts:
            await outbox.set_status(self.store, message_id, MessageStatus.FAILED,
                                    f"gave up after {attempts} tries: {error}", self.clock())
            return
        wait = min(self.config.retry_first_s * 2 ** (attempts - 1), self.config.retry_max_s)
        now = self.clock()
        await outbox.later(self.store, message_id, now + timedelta(seconds=wait), error, now)

    def _route_fault(self, why: str) -> None:
        if why == self._fault:
            return
        self._fault = why
        log.error("sms: %s", why)
        self.alarm(EventKind.SMS_ROUTE_FAULT, f"SMS route fault: {why}. The messages wait "
                   "in the outbox until the route works again.")

    # --- delivery status -------------------------------------------------------------------
    async def _poll(self) -> int:
        """Ask for the status of accepted messages not yet final, every `poll_s`."""
        if time.monotonic() < self._next_poll:
            return 0
        self._next_poll = time.monotonic() + self.config.poll_s
        asked = 0
        # a second's worth of sending at most: polls never hold a campaign back for long
        for message_id, site_id, ref in await outbox.to_poll(self.store,
                                                             max(1, int(self.config.rate))):
            route = self.route_for(site_id)
            if route is None or not route.polls:
                continue
            try:
                status, why = await route.status(ref)
            except PermanentSmsError as err:  # this message's only: the others are asked
                log.warning("sms: status of %s not known: %s", ref, err.message)
                await outbox.status_unknown(self.store, message_id, err.message, self.clock())
                continue
            except TransientSmsError as err:  # the route's: asked again next time
                log.warning("sms: status of %s not known: %s", ref, err.message)
                break
            await outbox.set_status(self.store, message_id, status, why, self.clock())
            asked += 1
        return asked
