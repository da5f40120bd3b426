"""One console connected to the gateway's bus, as the server sees it: its ids, the
lines it sends cut at newlines, and how many of its messages are being handled.

Reading pauses while ``max_in_flight`` of its messages are being handled; the lines
already read wait in the peer's buffer and are taken, in order, as handlers finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import struct
from typing import TYPE_CHECKING

from console.headless.bus.guard import PeerWarnings
from core.bus import Message

if TYPE_CHECKING:
    from console.headless.bus.server import BusServer

log = logging.getLogger("console.headless.bus.server")


class BusPeer(asyncio.Protocol):
    """One connected console, as the server sees it (passed to ``on_message``)."""

    _ids = itertools.count(1)

    def __init__(self, server: BusServer) -> None:
        self._server = server
        self.id = next(self._ids)
        #: the peer process's id, when the platform tells (Linux SO_PEERCRED)
        self.pid: int | None = None
        self.uid: int | None = None
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buf = bytearray()
        self._scanned = 0
        self._lost: asyncio.Future[None] | None = None
        #: messages of this peer being handled; reading pauses at the server's maximum
        self.in_flight = 0
        self._held = False  # lines wait in _buf until a handler finishes
        self._eof = False
        self.warnings = PeerWarnings(log, "this peer")

    def __repr__(self) -> str:
        who = f" pid {self.pid}" if self.pid is not None else ""
        return f"<bus peer {self.id}{who}>"

    def send(self, msg: Message) -> bool:
        """Write ``msg`` to this peer only (see :meth:`BusServer.send`)."""
        return self._server.send(self, msg)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._lost = asyncio.get_running_loop().create_future()
        sock = transport.get_extra_info("socket")
        if sock is not None and hasattr(socket, "SO_PEERCRED"):
            with contextlib.suppress(OSError):
                creds = sock.getsockopt(
                    socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
                )
                self.pid, self.uid, _gid = struct.unpack("3i", creds)
        self.warnings.who = f"pid {self.pid}" if self.pid is not None else f"peer {self.id}"
        self._server._attach(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._server._detach(self, lost=True)
        self._buf.clear()
        self.warnings.close()
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        if exc is not None:
            log.debug("%r disconnected: %s", self, exc)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        buf = self._buf
        buf += data
        max_line = self._server.max_line
        start = 0
        pos = self._scanned  # bytes before this were already searched for a newline
        while True:
            if self.in_flight >= self._server.max_in_flight:
                self._hold()
                break
            nl = buf.find(b"\n", pos)
            if nl < 0:
                break
            if nl - start > max_line:
                self._too_long(nl - start)
                return
            line = bytes(buf[start:nl])
            start = pos = nl + 1
            self._server._handle_line(self, line)
            if self.closed:
                return
        if start:
            del buf[:start]
        if len(buf) > max_line:
            self._too_long(len(buf))
            return
        self._scanned = len(buf)

    def eof_received(self) -> bool | None:
        if self._held:  # lines still wait for a slot: answer them, then close
            self._eof = True
            return True
        if self._buf and not self.closed:
            # a last line without its newline: take it if it is whole JSON
            line, self._buf = bytes(self._buf), bytearray()
            self._server._handle_line(self, line)
        return None  # close our side too

    # internals

    def _hold(self) -> None:
        if not self._held and self.transport is not None:
            self._held = True
            self.transport.pause_reading()

    def done_one(self) -> None:
        """A handler of this peer's finished: take the lines that waited for it."""
        self.in_flight -= 1
        if not self._held or self.closed or self.in_flight >= self._server.max_in_flight:
            return
        self._held = False
        self._scanned = 0
        self.data_received(b"")
        if self._held or self.closed or self.transport is None:
            return
        if self._eof:
            self.eof_received()
            self.transport.close()
        else:
            self.transport.resume_reading()

    def _too_long(self, size: int) -> None:
        log.warning(
            "bus: %r sent a line of %d+ bytes (limit %d): disconnecting it",
            self,
            size,
            self._server.max_line,
        )
        self._server.malformed += 1
        self._server.rejected += 1
        self.abort()

    def abort(self) -> None:
        """Cut the connection now, discarding anything not yet written."""
        if not self.closed:
            self.closed = True
            self._server._detach(self)
        if self.transport is not None:
            self.transport.abort()
