"""The modem's serial port: lines in, one command at a time out.

Bytes are cut into lines as they arrive (a Protocol over pyserial-asyncio-fast,
as the OSDP bus opens its port). Each line is, in this order: an unsolicited
result code (handed to `on_urc` at once, even in the middle of a reply, so a
RING is never held behind a slow command), the echo of our own command (a
modem echoes until ATE0, and again after a reboot: dropped), or part of the
reply of the command in flight. `command()` holds a lock so one command is
in flight; its reply ends at the final result, or it raises ModemTimeout.
A line that comes with no command waiting (a late reply) is counted, never
taken as the next command's answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, cast

import serial_asyncio_fast

from drivers.modem.codec import Urc, error_of, is_final, urc_of

log = logging.getLogger(__name__)
CTRL_Z = "\x1a"
ESC = "\x1b"


class ModemPortError(OSError):
    """The serial port cannot be opened or was lost."""


class ModemTimeout(TimeoutError):
    """No final result came in time."""


class _Protocol(asyncio.Protocol):
    def __init__(self, port: ModemPort) -> None:
        self.port = port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.port._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.port._received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.port._lost()


class ModemPort:
    """A serial port speaking AT commands."""

    def __init__(self, port: str, baud: int, on_urc: Callable[[Urc, str], None]) -> None:
        self.port, self.baud, self.on_urc = port, baud, on_urc
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._lock = asyncio.Lock()
        self._command = ""  # the command in flight (its echo is dropped)
        self._lines: list[str] = []
        self._done: asyncio.Future[list[str]] | None = None
        self._prompt: asyncio.Future[None] | None = None
        self.last_heard = 0.0  # time.monotonic() of the last line
        self.stray_lines = 0
        self.lost = False

    @property
    def is_open(self) -> bool:
        """True while the port is open."""
        return self._transport is not None and not self.lost

    async def open(self) -> None:
        """Open the port (8N1); ModemPortError if it cannot be."""
        self.lost = False
        self._buffer = b""
        try:
            self._transport, _ = await serial_asyncio_fast.create_serial_connection(
                asyncio.get_running_loop(), lambda: _Protocol(self), self.port,
                baudrate=self.baud)
        except (OSError, ValueError) as err:  # serial.SerialException is an OSError
            raise ModemPortError(f"cannot open {self.port}: {err}") from err

    async def close(self) -> None:
        """Close the port."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        self._fail(ModemPortError(f"{self.port} was closed"))

    def _lost(self) -> None:
        self.lost = True
        self._transport = None
        self._fail(ModemPortError(f"{self.port} was lost"))

    def _fail(self, error: Exception) -> None:
        for future in (self._done, self._prompt):
            if future is not None and not future.done():
                future.set_exception(error)

    # --- lines in ----------------------------------------------------------------------
    def _received(self, data: bytes) -> None:
        buffer = self._buffer + data
        while True:
            cut = min((i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0),
                      default=-1)
            if cut < 0:
                break
            line, buffer = buffer[:cut], buffer[cut + 1:]
            if line.strip():
                self._line(line.decode("utf-8", errors="replace").strip())
        if buffer.lstrip(b"\r\n").startswith(b"> ") and self._prompt is not None:
            buffer = b""
            if not self._prompt.done():
                self._prompt.set_result(None)
        self._buffer = buffer[-4096:]  # no line end for 4 kB: noise, not a line

    def _line(self, line: str) -> None:
        self.last_heard = time.monotonic()
        urc = urc_of(line)
        if urc is not None:
            try:
                self.on_urc(urc, line)
            except Exception:  # a URC handler's fault never stops the port
                log.exception("modem %s: URC %r not handled", self.port, line)
            return
        done = self._done
        if done is None or done.done():
            self.stray_lines += 1
            return
        if line.upper() == self._command.upper() or (self._prompt is not None
                                                     and (CTRL_Z in line or ESC in line)):
            return  # our own command (or the SMS text we sent) echoed
        self._lines.append(line)
        if is_final(line):
            done.set_result(list(self._lines))

    # --- commands out ------------------------------------------------------------------
    async def command(self, command: str, timeout: float = 2.0, *,
                      text: str | None = None) -> list[str]:
        """Send one command; its reply's lines without the final result. Raises the named
        ModemError on an error result, ModemTimeout, or ModemPortError. With `text` (the
        AT+CMGS body) the text goes after the "> " prompt, ended by Ctrl-Z."""
        async with self._lock:
            if self._transport is None or self.lost:
                raise ModemPortError(f"{self.port} is not open")
            loop = asyncio.get_running_loop()
            self._command, self._lines = command, []
            self._done = loop.create_future()
            self._prompt = loop.create_future() if text is not None else None
            try:
                async with asyncio.timeout(timeout):
                    self._transport.write(command.encode() + b"\r")
                    if self._prompt is not None:
                        either: set[asyncio.Future[Any]] = {self._prompt, self._done}
                        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
                        if self._prompt.done() and not self._done.done():
                            self._prompt.result()
                            self._transport.write(text.encode() + CTRL_Z.encode()
                                                  if text is not None else b"")
                    lines = await self._done
            except TimeoutError:
                raise ModemTimeout(f"{command}: no answer in {timeout:.1f} s") from None
            finally:
                self._done = self._prompt = None
            error = error_of(lines[-1], command)
            if error is not None:
                raise error
            return lines[:-1]
