"""The gateway's local bus: newline-delimited JSON over a Unix domain socket.

Protocol
--------
The gateway listens on a Unix stream socket (mode 0660, so the gateway's group
may connect). Every message, in either direction, is one JSON object encoded
as UTF-8 on one line, ending with ``\\n`` (compact JSON never contains a raw
newline: newlines inside strings are escaped). Blank lines are ignored.

Every connected peer is a subscriber: whatever the gateway publishes is
written to all of them, in publication order. Messages the gateway uses:

- published to every console::

    {"type": "event", ...}     an access event (door opened, card refused, ...)
    {"type": "alarm", ...}     an alarm raised or cleared
    {"type": "device", ...}    a device's state (online, offline, fault, ...)

- sent by consoles to the gateway::

    {"type": "change", ...}     the store changed; reload what is named
    {"type": "open_door", ...}  a command
    {"type": "ack_alarm", ...}  an operator acknowledged an alarm

- a request (a console message carrying ``"request_id"``) is answered to that
  console alone with::

    {"type": "reply", "request_id": <the request's id>, "ok": true|false,
     "error": "why not"?, ...}

The bus itself is generic: it does not interpret types, it only frames, fans
out and (on the client side) routes replies to the request waiting for them.

Back-pressure: the gateway never waits for a console. :meth:`BusServer.publish`
is a plain synchronous write into each peer's transport buffer; a peer whose
buffer grows past ``max_buffer`` (it stopped reading, or reads too slowly) is
disconnected and counted in :attr:`BusServer.dropped`. A console that is
dropped sees its :meth:`BusClient.messages` end; it should reconnect and
reload its views from the store.

Robustness: a malformed incoming line (not UTF-8, not JSON, not an object) is
logged and ignored and the peer stays connected; a line longer than
``max_line`` gets the peer disconnected, so one peer can never make the
gateway buffer without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import logging
import os
import socket
import stat
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from core.errors import ConfigError, DoorkeeperError

log = logging.getLogger(__name__)

#: Linux's sun_path holds 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107
#: How long :meth:`BusServer.close` lets peers flush before cutting them off.
CLOSE_GRACE = 0.5
#: The client's line limit: generous, a console must not choke on a big message.
CLIENT_LINE_LIMIT = 16 * 1024 * 1024

#: What the server calls for every well-formed incoming message.
MessageHandler = Callable[[dict, "BusPeer"], Awaitable[Any] | Any]


class BusClosed(DoorkeeperError):
    """The connection to the gateway's bus is closed (or was never open)."""


def encode(msg: dict) -> bytes:
    """One message as one line of compact UTF-8 JSON, newline included.

    Raises TypeError/ValueError for something that is not a JSON-able dict.
    """
    if not isinstance(msg, dict):
        raise TypeError(f"a bus message is a dict, not {type(msg).__name__}")
    return (json.dumps(msg, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def decode(line: bytes) -> dict:
    """One received line (without its newline) as a message; ValueError if malformed."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        msg = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(msg, dict):
        raise ValueError(f"not a JSON object (a JSON {type(msg).__name__})")
    return msg


def _excerpt(line: bytes | bytearray, size: int = 60) -> str:
    text = repr(bytes(line[:size]))
    return text + ("..." if len(line) > size else "")


def _check_path_length(path: Path) -> None:
    size = len(os.fsencode(path))
    if size > MAX_SOCKET_PATH:
        raise ConfigError(
            f"bus socket path {path} is too long ({size} bytes; a Unix socket path "
            f"may have at most {MAX_SOCKET_PATH})"
        )


def _someone_listening(path: Path) -> bool:
    """Whether a process accepts connections on the socket at ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.setblocking(False)
    try:
        probe.connect(os.fspath(path))
    except BlockingIOError:
        return True  # listening, its backlog is merely full
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError as exc:
        raise ConfigError(f"cannot check the bus socket {path}: {exc.strerror or exc}") from None
    else:
        return True
    finally:
        probe.close()


# ------------------------------------------------------------------ server


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

    def __repr__(self) -> str:
        who = f" pid {self.pid}" if self.pid is not None else ""
        return f"<bus peer {self.id}{who}>"

    def send(self, msg: dict) -> bool:
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
        self._server._attach(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._server._detach(self, lost=True)
        self._buf.clear()
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
        if self._buf and not self.closed:
            # a last line without its newline: take it if it is whole JSON
            line, self._buf = bytes(self._buf), bytearray()
            self._server._handle_line(self, line)
        return None  # close our side too

    # internals

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


class BusServer:
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
    ) -> None:
        self.path = Path(path)
        #: published messages are gathered this long and written in one go per peer:
        #: at 1,000 events/s and 50 subscribers that is 10,000 writes/s, not 50,000
        self.coalesce_s = coalesce_ms / 1000
        self._pending: list[bytes] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self.on_message = on_message
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
        _check_path_length(path)
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
            if _someone_listening(path):
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

    def publish(self, msg: dict) -> None:
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

    def send(self, peer: BusPeer, msg: dict) -> bool:
        """Write ``msg`` to one peer; False if that peer is gone (or now dropped)."""
        return self._write(peer, encode(msg))

    def reply(
        self,
        peer: BusPeer,
        request: dict,
        *,
        ok: bool = True,
        error: str | None = None,
        **fields: Any,
    ) -> bool:
        """Answer ``request`` (a message carrying ``request_id``) to the peer that sent it."""
        msg: dict[str, Any] = {"type": "reply", "request_id": request.get("request_id"), "ok": ok}
        if error is not None:
            msg["error"] = error
        msg.update(fields)
        return self.send(peer, msg)

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
            log.warning("bus: ignoring a malformed line from %r: %s: %s", peer, exc, _excerpt(line))
            return
        try:
            result = self.on_message(msg, peer)
        except Exception:
            log.exception("bus: the handler failed on a %r message from %r", msg.get("type"), peer)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)  # type: ignore[arg-type]
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("bus: a message handler failed", exc_info=(type(exc), exc, exc.__traceback__))


# ------------------------------------------------------------------ client


_EOF = object()
#: queued messages beyond which the client's reader yields to consumers after each line
_YIELD_BACKLOG = 64


class BusClient:
    """A console's end of the bus. Create with :meth:`connect`.

    A background task reads every line: replies to a pending :meth:`request`
    go to it, everything else is queued for :meth:`messages`. The queue holds
    at most ``max_queue`` messages; beyond that the oldest are discarded
    (counted in :attr:`dropped`), so a console that never iterates does not
    grow without bound and its requests still get their replies (a consumer
    that falls that far behind should rather reconnect and reload).
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        path: Path,
        max_queue: int = 10_000,
    ) -> None:
        self.path = path
        self.max_queue = max_queue
        #: published messages discarded because nobody consumed them in time
        self.dropped = 0
        #: received lines skipped because they were malformed
        self.malformed = 0
        self._reader = reader
        self._writer = writer
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future[dict]] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self._eof = False
        self._read_task = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def connect(
        cls,
        path: str | os.PathLike[str],
        *,
        timeout: float = 5.0,
        limit: int = CLIENT_LINE_LIMIT,
        max_queue: int = 10_000,
    ) -> BusClient:
        """Connect to the gateway's bus; ConfigError if no gateway is listening."""
        path = Path(path)
        _check_path_length(path)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(os.fspath(path), limit=limit), timeout
            )
        except (FileNotFoundError, ConnectionRefusedError):
            raise ConfigError(
                f"no gateway is listening on {path} (is `doorkeeper gateway` running?)"
            ) from None
        except PermissionError:
            raise ConfigError(
                f"not allowed to connect to the gateway's bus {path} "
                "(is this user in the gateway's group?)"
            ) from None
        except TimeoutError:
            raise ConfigError(
                f"the gateway on {path} did not accept the connection within {timeout:g} s"
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"cannot connect to the gateway's bus {path}: {exc.strerror or exc}"
            ) from None
        return cls(reader, writer, path=path, max_queue=max_queue)

    @property
    def closed(self) -> bool:
        """True once the connection is closed, by either side."""
        return self._closed or self._eof

    async def send(self, msg: dict) -> None:
        """Send one message to the gateway (waits only for the socket buffer)."""
        data = encode(msg)
        if self.closed or self._writer.is_closing():
            raise BusClosed(f"the bus connection to {self.path} is closed")
        self._writer.write(data)
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            raise BusClosed(f"the bus connection to {self.path} was lost: {exc}") from None

    async def request(self, msg: dict, timeout: float = 5.0) -> dict:
        """Send ``msg`` with a fresh ``request_id`` and return the gateway's reply.

        The reply is returned as it is (check its ``ok``). Raises TimeoutError
        if none comes within ``timeout`` seconds, BusClosed if the connection
        ends first.
        """
        request_id = f"r{next(self._ids)}"
        future: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self.send({**msg, "request_id": request_id})
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(request_id, None)

    async def messages(self) -> AsyncIterator[dict]:
        """Every message the gateway sends (except replies), in order, until the bus closes.

        Meant for one consumer at a time.
        """
        while True:
            if self._eof and self._queue.empty():
                return
            item = await self._queue.get()
            if item is _EOF:
                self._queue.put_nowait(_EOF)  # so later iterations end too
                return
            yield item

    async def close(self) -> None:
        """Close the connection; :meth:`messages` ends, pending requests fail."""
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()
        self._read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._read_task

    async def __aenter__(self) -> BusClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # internals

    async def _read_loop(self) -> None:
        try:
            while True:
                try:
                    line = await self._reader.readline()
                except ValueError as exc:  # a line over the stream limit; its bytes are skipped
                    self.malformed += 1
                    log.warning("bus: skipping an over-long line from the gateway: %s", exc)
                    continue
                if not line:
                    break
                self._dispatch(line.rstrip(b"\r\n"))
                if self._queue.qsize() >= _YIELD_BACKLOG:
                    # readline() does not suspend while lines are buffered: let the
                    # consumer run so a burst does not overflow the queue
                    await asyncio.sleep(0)
        except (ConnectionError, OSError) as exc:
            log.debug("bus: connection to %s lost: %s", self.path, exc)
        finally:
            self._eof = True
            self._queue.put_nowait(_EOF)
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(BusClosed(f"the bus connection to {self.path} closed"))

    def _dispatch(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            msg = decode(line)
        except ValueError as exc:
            self.malformed += 1
            log.warning(
                "bus: skipping a malformed line from the gateway: %s: %s", exc, _excerpt(line)
            )
            return
        if msg.get("type") == "reply" and "request_id" in msg:
            future = self._pending.get(str(msg["request_id"]))
            if future is not None and not future.done():
                future.set_result(msg)
            else:
                log.debug("bus: dropping a reply nobody waits for: %s", msg.get("request_id"))
            return
        if self._queue.qsize() >= self.max_queue:
            self._queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning(
                    "bus: messages are not being consumed; %d discarded so far", self.dropped
                )
        self._queue.put_nowait(msg)
