"""The serial bus: one command out, one reply back, with OSDP's timing.

RS-485 is half duplex and the control panel speaks first: before sending we
keep the line idle for at least two character times after the last byte
heard; a reader has `reply_timeout` (200 ms) to answer; a frame left
unfinished for more than the inter-character timeout (20 ms) is thrown away.
Frames that fail their CRC or checksum are counted and dropped by the
Deframer; our own commands echoed back by an adapter are ignored (no reply bit).
The port is opened with pyserial-asyncio-fast as a Protocol (bytes are parsed
as they arrive, without a reader task in between).
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import serial_asyncio_fast

from drivers.osdp.codec import Deframer, Frame

log = logging.getLogger(__name__)
INTER_CHAR_TIMEOUT = 0.020
REPLY_TIMEOUT = 0.200


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

    def __init__(self, port: str, baud: int = 9600, *, reply_timeout: float = REPLY_TIMEOUT) -> None:
        self.port, self.baud, self.reply_timeout = port, baud, reply_timeout
        self.idle_gap = max(2 * 10 / baud, 0.0002)  # two characters of 10 bits
        self.deframer = Deframer()
        self._transport: asyncio.Transport | None = None
        self._waiting: tuple[int, asyncio.Future[Frame]] | None = None
        self._last_rx = 0.0
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
        if self._waiting and not self._waiting[1].done():
            self._waiting[1].cancel()
        self._waiting = None

    def _received(self, data: bytes) -> None:
        now = self._loop.time() if self._loop else 0.0
        if self.deframer.buf and now - self._last_rx > INTER_CHAR_TIMEOUT:
            self.deframer.clear()  # the rest of that frame never came
        self._last_rx = now
        for frame in self.deframer.feed(data):
            waiting = self._waiting
            if (frame.reply and waiting is not None and frame.address == waiting[0]
                    and not waiting[1].done()):
                waiting[1].set_result(frame)

    async def transact(self, address: int, frame: bytes,
                       timeout: float | None = None) -> Frame | None:
        """Send one command frame and return the reply from `address`, None on timeout."""
        if self._transport is None or self.lost:
            raise BusError(f"{self.port} is not open")
        loop = self._loop or asyncio.get_running_loop()
        gap = self._last_rx + self.idle_gap - loop.time()
        if gap > 0:
            await asyncio.sleep(gap)
        future: asyncio.Future[Frame] = loop.create_future()
        self._waiting = (address, future)
        self.deframer.clear()
        self._transport.write(frame)
        try:
            async with asyncio.timeout(timeout or self.reply_timeout):
                return await future
        except TimeoutError:
            return None
        except asyncio.CancelledError:
            if self.lost or self._transport is None:
                raise BusError(f"{self.port} was lost") from None
            raise
        finally:
            self._waiting = None
