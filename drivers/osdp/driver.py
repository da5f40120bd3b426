"""The OSDP control panel: polls a bus of readers, reports what they say, carries out commands.

One task per bus. Each turn it serves a reader with a new queued command first
(a grant's OUT goes out before anyone else's POLL), else the reader due that
has had the least bus time so far: each exchange is charged to its reader,
so a reader that makes the bus wait 200 ms for nothing, or answers slowly,
gets no more than its share of the bus and its retries wait their turn.

A reader starts at sequence 0 with ID and CAP (shown on the Devices tab),
then, if it has a key, the Secure Channel handshake; a reader commissioned in
install mode is sent its own key with KEYSET first. A reader with a key is
spoken to only in Secure Channel: one that fails the handshake or answers in
plaintext is refused with an alarm and tried again with back-off, never used
in plaintext. A reader that has not answered for `offline_after` seconds is
reported offline (queued commands dropped: a late relay pulse is worse than
none) and tried again with back-off until it answers. NAKs, bad checks and bad
MACs are counted, never fatal; so are stale replies (the wrong sequence
number: never taken as the answer) and malformed frames. A reader that misses
too many exchanges over a window raises a "communication quality" alarm,
cleared when it answers well again (drivers.osdp.quality).

Meeting a reader (ID, CAP, the handshake, KEYSET) is drivers.osdp.handshake;
what its replies mean as core events is drivers.osdp.replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from core.devices import Command, DeviceEvent, Driver, OpenDoor, Signal, Status, StatusReport
from drivers.osdp import codec, handshake, payloads, replies
from drivers.osdp.channel import Bus, BusError, Fault
from drivers.osdp.codec import Cmd, Nak, Reply
from drivers.osdp.payloads import Color, Output
from drivers.osdp.quality import WINDOW
from drivers.osdp.reader import UNANSWERED, Link, ReaderConfig, ReaderState
from drivers.osdp.secure import SecureError

log = logging.getLogger(__name__)
OFFLINE_AFTER = 1.5  # seconds without a reply (+ one reply timeout: offline within 2 s)
BACKOFF = (0.5, 8.0)  # first and longest wait between attempts at an absent reader
COUNTER_PUSH = 1.0  # seconds between two pushes of the counters
IDLE_WAKE = 0.25  # at most this long asleep (held-open doors are checked)


class Telemetry(Protocol):
    """Where the driver's counters and readers' identities go (the gateway's runtime)."""

    def set_counter(self, device_id: int, counter: str, value: int) -> None: ...

    def describe(self, device_id: int, info: dict[str, str]) -> None: ...


class OsdpDriver(Driver):
    """An OSDP control panel for one bus (one serial port) of up to 126 readers."""

    name = "osdp"

    def __init__(self, port: str, baud: int, readers: Iterable[ReaderConfig], *,
                 telemetry: Telemetry | None = None, poll_interval: float = 0.0,
                 reply_timeout: float = 0.2, offline_after: float = OFFLINE_AFTER,
                 backoff: tuple[float, float] = BACKOFF, quality_window: float = WINDOW,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.bus = Bus(port, baud, reply_timeout=reply_timeout, on_fault=self._on_fault)
        self.readers = [ReaderState(c) for c in readers]
        for reader in self.readers:
            reader.quality.window = quality_window
        addresses = [r.config.address for r in self.readers]
        if len(set(addresses)) != len(addresses):
            raise ValueError("two readers share an address on one bus")
        self.telemetry = telemetry
        self.poll_interval, self.offline_after, self.backoff = poll_interval, offline_after, backoff
        self.clock = clock or (lambda: datetime.now(UTC))
        self._by_device = {r.config.device_id: r for r in self.readers}
        self._by_address = {r.config.address: r for r in self.readers}
        self._door_devices = {r.config.door_device_id for r in self.readers} - {None}
        self._by_door: dict[int, list[ReaderState]] = {}  # a grant's door -> readers pulsing it
        for r in self.readers:
            if r.config.door_id is not None:
                self._by_door.setdefault(r.config.door_id, []).append(r)
        self._report: Callable[[DeviceEvent], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._turn = 0
        self._used = 0.0  # the least bus time of the reader last chosen
        self._pushed = 0.0
        self._stopping = False

    # --- the Driver interface --------------------------------------------------------------
    async def start(self, report: Callable[[DeviceEvent], None]) -> None:
        """Open the port and start polling (a port that cannot open is retried)."""
        if self._task is not None:
            return
        self._report = report
        self._wake = asyncio.Event()
        self._stopping = False
        now = asyncio.get_running_loop().time()
        for reader in self.readers:
            reader.last_reply = now  # an absent reader is offline `offline_after` from now
        self._task = asyncio.create_task(self._run(), name=f"osdp {self.bus.port}")

    async def stop(self) -> None:
        """Stop polling and close the port."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        await self.bus.close()
        self._push(force=True)

    def handles(self, device_id: int) -> bool:
        """Our readers, and the devices whose doors our readers' outputs open."""
        return device_id in self._by_device or device_id in self._door_devices

    def command(self, command: Command) -> None:
        """Queue OUT for a grant's door, LED and BUZ for a reader's feedback (never raises)."""
        try:
            if isinstance(command, OpenDoor):
                for reader in self._by_door.get(command.door_id, ()):
                    if reader.link is Link.ONLINE:
                        tenths = max(1, min(int(command.seconds * 10), 0xFFFF))
                        reader.queue.append((Cmd.OUT, payloads.out_data(
                            reader.config.output, Output.PULSE_ON, tenths)))
                        reader.granted(self._now(), command.seconds)
            elif isinstance(command, Signal):
                signalled = self._by_device.get(command.device_id)
                if signalled is not None and signalled.link is Link.ONLINE:
                    self._feedback(signalled, command.granted)
            self._wake.set()
        except Exception:
            log.exception("osdp: command %r not queued", command)

    def _feedback(self, reader: ReaderState, granted: bool) -> None:
        c = reader.config
        color = Color.GREEN if granted else Color.RED
        reader.queue.append((Cmd.LED, payloads.led_data(color, int(c.led_seconds * 10))))
        if c.buzzer:
            beep = c.short_beep if granted else c.long_beep
            reader.queue.append((Cmd.BUZ, payloads.buz_data(max(1, int(beep * 10)))))

    # --- the polling loop --------------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stopping:
            if not self.bus.is_open:
                try:
                    await self.bus.open()
                    delay = self.backoff[0]
                except BusError as err:
                    log.warning("osdp: %s; trying again in %.1f s", err, delay)
                    self._all_offline(str(err))
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.backoff[1])
                    continue
            reader = self._next_reader(self._now())
            if reader is None:
                await self._idle()
            else:
                try:
                    await self._service(reader)
                except BusError as err:
                    log.warning("osdp: %s", err)
                except asyncio.CancelledError:
                    raise
                except Exception:  # never let one reader's reply stop the bus
                    log.exception("osdp: reader %d", reader.config.address)
                    reader.counters["errors"] = reader.counters.get("errors", 0) + 1
                    reader.reset()
            self._check_doors(self._now())
            self._push()

    def _next_reader(self, now: float) -> ReaderState | None:
        """A new command first; else, of the readers due, the one with the least bus time
        (a retry is only a turn like any other: it never goes ahead of everyone)."""
        n = len(self.readers)
        for reader in self.readers:
            if reader.link is Link.ONLINE and reader.queue and reader.pending is None:
                return reader
        # a reader back from a wait may catch up by one reply timeout, not its whole absence
        floor = self._used - self.bus.reply_timeout
        chosen, turn = None, 0
        for i in range(n):
            reader = self.readers[(self._turn + i) % n]
            if reader.next_due <= now or (reader.link is Link.ONLINE and reader.queue):
                reader.used = max(reader.used, floor)
                if chosen is None or reader.used < chosen.used:
                    chosen, turn = reader, (self._turn + i + 1) % n
        if chosen is not None:
            self._turn, self._used = turn, max(self._used, chosen.used)
        return chosen

    async def _idle(self) -> None:
        now = self._now()
        due = min((r.next_due for r in self.readers), default=now + IDLE_WAKE)
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(0.0, min(due - now, IDLE_WAKE)))

    async def _service(self, reader: ReaderState) -> None:
        if reader.link is not Link.ONLINE:
            await self._connect(reader)
            return
        code, data = reader.queue.popleft() if reader.queue and not reader.pending else (
            Cmd.POLL, b"")
        reply = await self._exchange(reader, code, data)
        if reply is not None:
            self._on_reply(reader, *reply)
            reader.next_due = self._now() + self.poll_interval

    # --- one exchange ------------------------------------------------------------------------
    async def _transact(self, reader: ReaderState, frame: bytes,
                        code: int) -> codec.Frame | None:
        """Send (or send again) a frame; count; None if no reply came."""
        if reader.pending is not None:
            frame = reader.pending
            reader.counters["retries"] += 1
        if code == Cmd.POLL:
            reader.counters["polls"] += 1
        started = self._now()
        reply = await self.bus.transact(reader.config.address, frame)
        now = self._now()
        reader.used += now - started
        if reader.link is Link.ONLINE:
            self._quality(reader, now, reply is not None)
        if reply is None:
            reader.counters["timeouts"] += 1
            reader.pending = frame
            self._missed(reader, now)
            return None
        reader.pending = None
        reader.sequence = codec.next_sequence(reader.sequence)
        reader.last_reply = now
        reader.at_reply = {k: reader.counters.get(k, 0) for k in UNANSWERED}
        reader.counters["replies"] += 1
        rtt = (now - started) * 1000
        reader.rtt_sum = rtt if not reader.rtt_sum else reader.rtt_sum * 0.9 + rtt * 0.1
        reader.counters["round trip ms"] = round(reader.rtt_sum)
        return reply

    async def _exchange(self, reader: ReaderState, code: int,
                        data: bytes = b"") -> tuple[int, bytes] | None:
        """One command and its reply's code and plain data (None: none, or not trusted)."""
        session = reader.session
        address = reader.config.address
        if session is not None and session.active:
            frame = session.wrap(address, code, data, reader.sequence)
        else:
            frame = codec.encode(address, code, data, reader.sequence)
        reply = await self._transact(reader, frame, code)
        if reply is None:
            return None
        body = reply.data
        if session is not None and session.active:
            if reply.scb is None:
                self._refuse(reader, "answered in plaintext")
                return None
            try:
                body = session.unwrap(reply)
            except SecureError:
                reader.counters["MAC errors"] += 1
                reader.reset()  # a new handshake; not fatal
                return None
        elif reader.config.secure and reader.link is Link.ONLINE:
            self._refuse(reader, "no secure channel")
            return None
        if reply.code == Reply.NAK:
            reader.counters["NAKs"] += 1
            reason = payloads.parse_nak(body)
            if reason == Nak.SEQUENCE or (reader.config.secure and reason in (
                    Nak.SECURITY, Nak.SCB_UNSUPPORTED)):
                reader.reset()
        return reply.code, body

    def assume_poor_quality(self, device_ids: Collection[int]) -> None:
        """Readers with an open quality alarm start poor: "restored" once they answer well."""
        for reader in [self._by_device[d] for d in device_ids if d in self._by_device]:
            reader.quality.poor = True

    def _quality(self, reader: ReaderState, now: float, answered: bool) -> None:
        change = reader.quality.record(now, answered)
        if change is not None:
            status = (Status.COMMUNICATION_QUALITY if change == "poor"
                      else Status.COMMUNICATION_RESTORED)
            self._emit(StatusReport(reader.config.device_id, status, self.clock(),
                                    detail=reader.quality.describe()))

    def _on_fault(self, fault: str, address: int | None) -> None:
        """A frame that was not the awaited reply, counted against the reader it concerns."""
        reader = self._by_address.get(address) if address is not None else None
        if fault == Fault.STALE or (fault == Fault.FOREIGN and reader is not None):
            counter = "stale replies"  # one of our readers answering late
        elif fault == Fault.NOISE:
            counter, reader = "noise", None  # charged to the reader asked
        else:  # it names no reader of ours: the reader asked is the one it disturbed
            counter = "CRC errors" if fault == Fault.CHECK else "malformed frames"
            reader = None
        if reader is None and self.bus.last_address is not None:
            reader = self._by_address.get(self.bus.last_address)
        if reader is not None:
            reader.counters[counter] += 1

    def _missed(self, reader: ReaderState, now: float) -> None:
        if reader.link in (Link.OFFLINE, Link.REFUSED):
            self._retry_later(reader, now)
        elif now - reader.last_reply >= self.offline_after:
            self._offline(reader, now, reader.heard_instead())

    def _retry_later(self, reader: ReaderState, now: float) -> None:
        """An absent or refused reader: start again later, the wait doubling up to the longest."""
        reader.reset()
        reader.backoff = min(max(reader.backoff * 2, self.backoff[0]), self.backoff[1])
        reader.next_due = now + reader.backoff

    def _offline(self, reader: ReaderState, now: float, detail: str,
                 link: Link = Link.OFFLINE) -> None:
        reader.reset()
        reader.link = link
        reader.queue.clear()
        reader.backoff = self.backoff[0]
        reader.next_due = now + reader.backoff
        self._emit(StatusReport(reader.config.device_id, Status.OFFLINE, self.clock(),
                                detail=detail))

    def _refuse(self, reader: ReaderState, why: str) -> None:
        log.warning("osdp: reader %d refused: %s", reader.config.address, why)
        if reader.link is Link.REFUSED:
            self._retry_later(reader, self._now())
            return
        self._offline(reader, self._now(), f"secure channel refused: {why}", Link.REFUSED)

    def _all_offline(self, why: str) -> None:
        now = self._now()
        for reader in self.readers:
            if reader.link not in (Link.OFFLINE, Link.REFUSED):
                self._offline(reader, now, why)

    # --- connecting (drivers.osdp.handshake) -------------------------------------------------
    async def _connect(self, reader: ReaderState) -> None:
        """Sequence 0, ID and CAP, then the secure channel if the reader has a key."""
        reader.reset()
        if not await handshake.identify(reader, self._exchange):
            return
        if reader.config.secure:
            secured = await handshake.secure(reader, self._transact, self._exchange)
            if isinstance(secured, str):
                self._refuse(reader, secured)
            if secured is not True:
                return
        reader.info["secure channel"] = "on" if reader.session else "off"
        reader.link = Link.ONLINE
        reader.backoff = 0.0
        reader.next_due = self._now()
        if self.telemetry is not None:
            self.telemetry.describe(reader.config.device_id, dict(reader.info))
        # the runtime raises "device online" only for a device it knew to be offline
        self._emit(StatusReport(reader.config.device_id, Status.ONLINE, self.clock()))

    # --- what readers say (drivers.osdp.replies) --------------------------------------------
    def _on_reply(self, reader: ReaderState, code: int, data: bytes) -> None:
        for event in replies.reply_events(reader, code, data, self._now(), self.clock):
            self._emit(event)

    def _check_doors(self, now: float) -> None:
        for event in replies.held_open(self.readers, now, self.clock):
            self._emit(event)

    def _emit(self, event: DeviceEvent) -> None:
        if self._report is None:
            return
        try:
            self._report(event)
        except Exception:
            log.exception("osdp: the report callback failed on %r", event)

    def _push(self, force: bool = False) -> None:
        """Once a second: readers heard from are seen (the Devices tab's "Last seen"), and
        the counters."""
        now = asyncio.get_running_loop().time()
        if not force and now - self._pushed < COUNTER_PUSH:
            return
        since, self._pushed = self._pushed, now
        for reader in self.readers:
            if reader.link is Link.ONLINE and reader.last_reply > since:
                at = self.clock() - timedelta(seconds=max(0.0, now - reader.last_reply))
                self._emit(StatusReport(reader.config.device_id, Status.ONLINE, at))
        if self.telemetry is None:
            return
        for reader in self.readers:
            for name, value in reader.counters.items():
                self.telemetry.set_counter(reader.config.device_id, name, value)
