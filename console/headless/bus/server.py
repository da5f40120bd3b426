"""The gateway's end of the Unix-socket bus: fans published messages out to every peer.

Back-pressure: the gateway never waits for a console. :meth:`BusServer.publish` is a
plain synchronous write into each peer's transport buffer (published messages are
gathered for ``coalesce_ms`` and written in one go per peer); a peer whose buffer grows
past ``max_buffer`` (it stopped reading, or reads too slowly) is disconnected and
counted in :attr:`BusServer.dropped`. Each peer's process and user ids are read from
the socket (Linux SO_PEERCRED): the gateway takes commands only from its own user.
The wire format is in :mod:`console.headless.bus.wire`.

Each incoming message is checked (``check``, the gateway's is
:func:`core.bus_schema.check`) before the handler sees it; a refused one is answered
with the reason when it carries a ``request_id``. A peer has at most ``max_in_flight``
messages being handled; further lines wait in its buffer and the socket (reading
pauses) until one is done, so a burst is carried out in order, never half-done.
Warnings about a peer are rate-limited and summarised (:mod:`.guard`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.headless.bus.peer import BusPeer
from console.headless.bus.wire import (
    check_path_length,
    decode,
    encode,
    excerpt,
    someone_listening,
)
from core.bus import GatewayBus, Message, MessageHandler, Peer, reply_to
from core.bus_schema import MessageRefused, request_id
from core.errors import ConfigError

log = logging.getLogger(__name__)

#: How long :meth:`BusServer.close` lets peers flush before cutting them off.
CLOSE_GRACE = 0.5


class BusServer(GatewayBus):
    """The gateway's end of the bus: fans published messages out to every peer.

    ``on_message(msg, peer)`` is called for every well-formed message a peer
    sends; it may be a plain function or return an awaitable (run as a task;
    its exception is logged). Reply to the peer with :meth:`send` or
    :meth:`reply`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        on_message: MessageHandler,
        *,
        max_buffer: int = 1_000_000,
        max_line: int = 65_536,
        coalesce_ms: float = 5.0,
        check: Callable[[Message], Message] | None = None,
        max_in_flight: int = 8,
    ) -> None:
        self.path = Path(path)
        #: published messages are gathered this long and written in one go per peer:
        #: at 1,000 events/s and 50 subscribers that is 10,000 writes/s, not 50,000
        self.coalesce_s = coalesce_ms / 1000
        self._pending: list[bytes] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self.on_message = on_message
        self.check = check
        self.max_in_flight = max_in_flight
        #: messages refused by ``check`` (wrong kind, field type or range)
        self.refused = 0
        self.max_buffer = max_buffer
        self.max_line = max_line
        #: peers disconnected because they did not keep up (write buffer over max_buffer)
        self.dropped = 0
        #: incoming lines ignored because they were malformed (including too long ones)
        self.malformed = 0
        #: peers disconnected because they sent a line longer than max_line
        self.rejected = 0
        self._peers: dict[BusPeer, None] = {}  # insertion-ordered set
        self._open: set[BusPeer] = set()  # connected, connection_lost not seen yet
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.AbstractServer | None = None
        self._accepting = False
        self._inode: tuple[int, int] | None = None

    # lifecycle

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def subscribers(self) -> int:
        """How many peers are connected (every peer receives what is published)."""
        return len(self._peers)

    @property
    def peers(self) -> list[BusPeer]:
        return list(self._peers)

    async def start(self) -> None:
        """Listen on ``path``; ConfigError if another gateway already does."""
        if self._server is not None:
            raise RuntimeError("the bus server is already started")
        path = self.path
        check_path_length(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the bus folder {path.parent}: {exc.strerror or exc}"
            ) from None
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISSOCK(mode):
                raise ConfigError(f"{path} exists and is not a socket; not replacing it")
            if someone_listening(path):
                raise ConfigError(f"a gateway is already running on {path}")
            log.info("bus: removing stale socket %s", path)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        loop = asyncio.get_running_loop()
        self._accepting = True
        try:
            self._server = await loop.create_unix_server(
                lambda: BusPeer(self), path=os.fspath(path)
            )
            os.chmod(path, 0o660)
            st = path.stat()
        except OSError as exc:
            self._accepting = False
            if self._server is not None:
                self._server.close()
                self._server = None
            raise ConfigError(f"cannot listen on {path}: {exc.strerror or exc}") from None
        self._inode = (st.st_dev, st.st_ino)
        log.info("bus: listening on %s", path)

    async def close(self) -> None:
        """Stop listening, disconnect every peer and remove the socket file."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush()  # what was published before closing still goes out
        server, self._server = self._server, None
        self._accepting = False
        if server is not None:
            server.close()
        peers = list(self._open)
        self._peers.clear()
        for peer in peers:
            if peer.transport is not None and not peer.transport.is_closing():
                peer.transport.close()  # flushes what is buffered, then closes
        waiting = [p._lost for p in peers if p._lost is not None and not p._lost.done()]
        if waiting:
            await asyncio.wait(waiting, timeout=CLOSE_GRACE)
        for peer in peers:
            if peer._lost is not None and not peer._lost.done():
                peer.abort()  # did not flush in time
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), CLOSE_GRACE)
        self._remove_socket_file()

    def _remove_socket_file(self) -> None:
        if self._inode is None:
            return
        inode, self._inode = self._inode, None
        try:
            st = self.path.lstat()
        except FileNotFoundError:
            return
        if (st.st_dev, st.st_ino) == inode:  # ours, not a successor's
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    async def __aenter__(self) -> BusServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # sending

    def publish(self, msg: Message) -> None:
        """Write ``msg`` to every peer without waiting for any of them.

        The message is encoded once. A peer whose unsent data exceeds
        ``max_buffer`` is disconnected. Raises TypeError/ValueError (and sends
        nothing) if ``msg`` is not a JSON-able dict.
        """
        data = encode(msg)
        if self.coalesce_s <= 0:
            for peer in list(self._peers):
                self._write(peer, data)
            return
        self._pending.append(data)
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_later(self.coalesce_s,
                                                                       self._flush)

    def _flush(self) -> None:
        """Write what was published since the last flush to every peer, in one write."""
        self._flush_handle = None
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        for peer in list(self._peers):
            self._write(peer, data)

    def send(self, peer: Peer, msg: Message) -> bool:
        """Write ``msg`` to one peer; False if that peer is gone (or now dropped)."""
        data = encode(msg)
        return isinstance(peer, BusPeer) and self._write(peer, data)

    def _write(self, peer: BusPeer, data: bytes) -> bool:
        transport = peer.transport
        if peer.closed or transport is None or transport.is_closing():
            return False
        transport.write(data)
        size = transport.get_write_buffer_size()
        if size > self.max_buffer:
            self.dropped += 1
            log.warning(
                "bus: %r is not keeping up (%d bytes unsent, limit %d): disconnecting it",
                peer,
                size,
                self.max_buffer,
            )
            peer.abort()
            return False
        return True

    # receiving

    def _attach(self, peer: BusPeer) -> None:
        if not self._accepting:  # closing: refuse late arrivals
            peer.abort()
            return
        self._peers[peer] = None
        self._open.add(peer)
        log.debug("bus: %r connected (%d peers)", peer, len(self._peers))

    def _detach(self, peer: BusPeer, *, lost: bool = False) -> None:
        """Stop publishing to ``peer``; forget it entirely once its connection is lost."""
        self._peers.pop(peer, None)
        if lost:
            self._open.discard(peer)

    def _handle_line(self, peer: BusPeer, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            return
        try:
            msg = decode(line)
        except ValueError as exc:
            self.malformed += 1
            peer.warnings.warn("malformed lines", "bus: ignoring a malformed line from %r: "
                               "%s: %s", peer, exc, excerpt(line))
            return
        if self.check is not None:
            try:
                msg = self.check(msg)
            except MessageRefused as err:
                self.refused += 1
                peer.warnings.warn("refused messages", "bus: refused a message from %r: %s",
                                   peer, err.message)
                rid = request_id(msg)
                if rid is not None:
                    self.send(peer, reply_to({"request_id": rid}, ok=False, error=err.message))
                return
        try:
            result = self.on_message(msg, peer)
        except Exception:
            log.exception("bus: the handler failed on a %r message from %r", msg.get("type"), peer)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            peer.in_flight += 1
            task.add_done_callback(lambda t: self._task_done(t, peer))

    def _task_done(self, task: asyncio.Future[Any], peer: BusPeer) -> None:
        self._tasks.discard(task)
        peer.done_one()
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            log.error("bus: a message handler failed", exc_info=exc)

