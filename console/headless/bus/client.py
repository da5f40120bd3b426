"""A console's end of the Unix-socket bus (the wire is in :mod:`console.headless.bus.wire`).

A background task reads every line: replies go to the request waiting for them,
everything else is queued for :meth:`BusClient.messages`, which ends when the gateway
closes the connection or drops this console for not keeping up (the console then
reconnects and reloads its views from the store).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from console.headless.bus.wire import check_path_length, decode, encode, excerpt
from core.bus import BusClosed, ConsoleBus, Message
from core.errors import ConfigError

log = logging.getLogger(__name__)

#: The client's line limit: generous, a console must not choke on a big message.
CLIENT_LINE_LIMIT = 16 * 1024 * 1024

_EOF = object()
#: queued messages beyond which the client's reader yields to consumers after each line
_YIELD_BACKLOG = 64


class BusClient(ConsoleBus):
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
        self._pending: dict[str, asyncio.Future[Message]] = {}
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
        check_path_length(path)
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

    async def send(self, msg: Message) -> None:
        """Send one message to the gateway (waits only for the socket buffer)."""
        data = encode(msg)
        if self.closed or self._writer.is_closing():
            raise BusClosed(f"the bus connection to {self.path} is closed")
        self._writer.write(data)
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            raise BusClosed(f"the bus connection to {self.path} was lost: {exc}") from None

    async def request(self, msg: Message, timeout: float = 5.0) -> Message:
        """Send ``msg`` with a fresh ``request_id`` and return the gateway's reply.

        The reply is returned as it is (check its ``ok``). Raises TimeoutError
        if none comes within ``timeout`` seconds, BusClosed if the connection
        ends first.
        """
        request_id = f"r{next(self._ids)}"
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self.send({**msg, "request_id": request_id})
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(request_id, None)

    async def messages(self) -> AsyncIterator[Message]:
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
                "bus: skipping a malformed line from the gateway: %s: %s", exc, excerpt(line)
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
