"""The serial bus: one command out, one reply back, with OSDP's timing.

RS-485 is half duplex and the control panel speaks first: before sending we
keep the line idle for at least two character times after the last byte
heard. Two clocks then run, as the spec has them: the reader has
`reply_timeout` (200 ms) from the end of our command to *start* its reply,
and once a frame has started each byte must follow the one before within the
inter-character timeout (20 ms); a frame left unfinished is thrown away.
So a reply of any legal length arrives whatever the baud rate (1,000 bytes
take ~1 s at 9600), and a slow reader's bytes 15 ms apart still make a frame.
Bytes that keep coming never hold the bus, though: past the start time only
the frame already under way may be the reply, so once that frame ends (a
fault, another reader's frame) the command is unanswered, and a reply under
way must be complete within REPLY_BUDGET_S plus the time a frame of MAX_FRAME
bytes takes at the baud rate. Without these, noise on the line (a babbling
device, a bad cable) with no 50 ms pause kept one command waiting for ever:
no reader was polled again, and none was reported offline.
We see bytes from user space, late by however long the event loop was busy,
so a frame is given up only after the inter-character timeout plus
SCHEDULING_SLACK of silence (measured on a loaded 2-core machine: a reader's
15 ms gaps were seen as 20-45 ms); being lenient here costs nothing, as the
CRC still rejects two frames run together.

A reply counts only if it comes from the address asked and carries the
command's sequence number: anything else (a late reply to an earlier command,
a reply from another address, a frame too short or too long, a bad check) is
dropped and reported to `on_fault`, never taken as the answer. Our own
commands echoed back by an adapter are ignored (no reply bit). The port is
opened with pyserial-asyncio-fast as a Protocol (bytes are parsed as they
arrive, without a reader task in between).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import cast

import serial_asyncio_fast

from drivers.osdp.codec import CTRL_SQN, MAX_FRAME, Deframer, Frame

log = logging.getLogger(__name__)
INTER_CHAR_TIMEOUT = 0.020
REPLY_TIMEOUT = 0.200
SCHEDULING_SLACK = 0.030
REPLY_BUDGET_S = 1.0  # a reply under way at its start time: this long for a slow reader's pauses


class Fault:
    """What `on_fault` is told: a frame that was not the awaited reply."""

    CHECK = "check"  # bad CRC or checksum
    MALFORMED = "malformed"  # bad length, cut short, or not a frame
    STALE = "stale"  # the right reader, but not the command awaited (sequence), or unasked
    FOREIGN = "foreign"  # a reply from another address than the one asked
    NOISE = "noise"  # bytes that began no frame (another baud rate, a bad line)


#: (fault, the address the frame names or None when it names none)
FaultHandler = Callable[[str, int | None], None]


class BusError(OSError):
    """The serial port cannot be opened or was lost."""


class _Protocol(asyncio.Protocol):
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # the serial port's transport is a full asyncio.Transport (it writes)
        self.bus._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.bus._received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.bus._lost(exc)


class Bus:
    """A serial port carrying OSDP: `transact()` sends a command and awaits its reply."""

    def __init__(self, port: str, baud: int = 9600, *, reply_timeout: float = REPLY_TIMEOUT,
                 inter_char_timeout: float = INTER_CHAR_TIMEOUT,
                 on_fault: FaultHandler | None = None) -> None:
        self.port, self.baud, self.reply_timeout = port, baud, reply_timeout
        self.gap_limit = inter_char_timeout + SCHEDULING_SLACK  # silence that ends a frame
        self.char_time = 10 / baud  # 8N1: ten bits a character
        self.idle_gap = max(2 * self.char_time, 0.0002)
        self.deframer = Deframer()
        self.on_fault = on_fault
        self.last_address: int | None = None  # the reader last asked (faults with no address)
        self._transport: asyncio.Transport | None = None
        #: (address, sequence, reply) of the command awaiting its reply
        self._waiting: tuple[int, int, asyncio.Future[Frame]] | None = None
        self._wake: asyncio.Future[None] | None = None  # resolved when bytes arrive
        self._last_rx = 0.0
        self._ended = 0  # frames that ended (replies and faults): the reply under way ended
        self._loop: asyncio.AbstractEventLoop | None = None
        self.lost = False

    @property
    def is_open(self) -> bool:
        """True while the port is open."""
        return self._transport is not None and not self.lost

    async def open(self) -> None:
        """Open the port (8N1 at the bus's baud rate); BusError if it cannot be."""
        self._loop = asyncio.get_running_loop()
        self.lost = False
        try:
            self._transport, _ = await serial_asyncio_fast.create_serial_connection(
                self._loop, lambda: _Protocol(self), self.port, baudrate=self.baud)
        except (OSError, ValueError) as err:  # serial.SerialException is an OSError
            raise BusError(f"cannot open {self.port}: {err}") from err

    async def close(self) -> None:
        """Close the port."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        self._fail_waiter()

    def _lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._transport = None
        self._fail_waiter()

    def _fail_waiter(self) -> None:
        if self._waiting and not self._waiting[2].done():
            self._waiting[2].cancel()
        self._waiting = None
        self._wakeup()

    def _wakeup(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def _fault(self, fault: str, address: int | None = None) -> None:
        self._ended += fault != Fault.NOISE  # noise ends no frame (a mark byte is not noise)
        if self.on_fault is not None:
            self.on_fault(fault, address)

    def _drop_partial(self) -> None:
        """The inter-character timeout ran out on a frame: it is cut short."""
        if self.deframer.buf:
            self.deframer.clear()
            self._fault(Fault.MALFORMED)

    def _received(self, data: bytes) -> None:
        now = self._loop.time() if self._loop else 0.0
        if now - self._last_rx > self.gap_limit:
            self._drop_partial()  # the rest of that frame never came
        self._last_rx = now
        deframer = self.deframer
        checks, bad, noise = deframer.bad_checks, deframer.bad_frames, deframer.noise
        frames = deframer.feed(data)
        if deframer.noise > noise:
            self._fault(Fault.NOISE)
        for _ in range(deframer.bad_checks - checks):
            self._fault(Fault.CHECK)
        for _ in range(deframer.bad_frames - bad):
            self._fault(Fault.MALFORMED)
        for frame in frames:
            if frame.reply:  # not our own command echoed
                self._reply(frame)
        self._wakeup()

    def _reply(self, frame: Frame) -> None:
        self._ended += 1
        waiting = self._waiting
        if waiting is None or waiting[2].done():
            self._fault(Fault.STALE, frame.address)  # nothing asked: a late reply
        elif frame.address != waiting[0]:
            self._fault(Fault.FOREIGN, frame.address)
        elif frame.sequence != waiting[1]:
            self._fault(Fault.STALE, frame.address)
        else:
            waiting[2].set_result(frame)

    async def transact(self, address: int, frame: bytes,
                       timeout: float | None = None) -> Frame | None:
        """Send one command frame; its reply (same address and sequence), None if none came.

        `timeout` (the bus's reply timeout unless given) is how long the reader has
        to start replying once our frame is on the wire; a reply under way may
        take as long as its bytes keep coming within the inter-character timeout.
        """
        if self._transport is None or self.lost:
            raise BusError(f"{self.port} is not open")
        loop = self._loop or asyncio.get_running_loop()
        gap = self._last_rx + self.idle_gap - loop.time()
        if gap > 0:
            await asyncio.sleep(gap)
        reply: asyncio.Future[Frame] = loop.create_future()
        self._drop_partial()
        self._waiting = (address, frame[4] & CTRL_SQN, reply)
        self.last_address = address
        self._transport.write(frame)
        # the reader starts its clock when our last byte has left the wire
        start_by = loop.time() + len(frame) * self.char_time + (timeout or self.reply_timeout)
        give_up = start_by + REPLY_BUDGET_S + MAX_FRAME * self.char_time
        ended: int | None = None  # frames ended by the start time: one more, and it was not ours
        try:
            while not reply.done():
                now = loop.time()
                if now >= start_by:
                    ended = self._ended if ended is None else ended
                    if self._ended > ended or now >= give_up:
                        self._drop_partial()
                        return None
                under_way = bool(self.deframer.buf)
                limit = min(self._last_rx + self.gap_limit, give_up) if under_way else start_by
                wait = limit - now
                if wait <= 0:
                    if not under_way:
                        return None
                    self._drop_partial()
                    continue
                self._wake = loop.create_future()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake
            return reply.result()
        except asyncio.CancelledError:
            if self.lost or self._transport is None:
                raise BusError(f"{self.port} was lost") from None
            raise
        finally:
            self._waiting = None
            self._wake = None
