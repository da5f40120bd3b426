"""The bus across machines: PostgreSQL's LISTEN/NOTIFY, for a store on PostgreSQL.

The same two ports as the Unix socket (:mod:`core.bus`), so the gateway and the consoles
do not know which one carries them. Channels:

- ``doorkeeper_bus``: the gateways' published messages, to every console;
- ``doorkeeper_gateway``: the consoles' messages, to every gateway (a gateway handles
  those about its own devices; see :class:`PgGatewayBus`);
- ``doorkeeper_console_<id>``: the replies and ``hello``'s device messages to one console.

Every notification is one JSON envelope: ``{"from": console id, "m": message}`` towards
the gateways, ``{"gw": gateway id, "m": message}`` from them. NOTIFY carries at most
8,000 bytes: a larger message is stored in the UNLOGGED table ``bus_payloads`` and the
notification carries its id (``{"ref": id}``); the reader fetches it, and the gateway
deletes payloads older than a minute. Notifications are delivered when the sending
transaction commits, in commit order, to every listening session: ordering per sender
holds, as on the socket.

Back-pressure, as the ports promise: :meth:`PgGatewayBus.publish` never waits (messages
are gathered for ``coalesce_ms`` and sent in one statement by a task); a console whose
queue of unread messages passes ``max_queue`` is cut off: its :meth:`PgConsoleBus.messages`
ends, and it reconnects and reloads from the store, as after a dropped socket. The trust
boundary is the database role: whoever can connect as it can send commands, which carry
the operator's id and are checked against the store's rights by the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from console.headless.bus.guard import PeerWarnings
from console.headless.bus.pg_wire import (
    MAX_IN_FLIGHT,
    MAX_UNSENT,
    MAX_WAITING,
    PAYLOAD_TTL_S,
    TO_CONSOLES,
    TO_GATEWAYS,
    claim_sites,
    connect_pg,
    console_channel,
    encode,
    make_payload_table,
    notify_all,
    open_envelope,
)
from core.bus import BusClosed, ConsoleBus, GatewayBus, Message, MessageHandler, Peer, reply_to
from core.bus_schema import MessageRefused, request_id
from core.errors import ConfigError

log = logging.getLogger(__name__)

@dataclass(eq=False)
class PgPeer:
    """A console as a gateway sees it on PostgreSQL: its id (no process credentials)."""

    console_id: str
    uid: int | None = None
    pid: int | None = None
    in_flight: int = 0
    waiting: int = 0

    def __post_init__(self) -> None:
        self.warnings = PeerWarnings(log, repr(self))
        self.turns = asyncio.Semaphore(MAX_IN_FLIGHT)

    def __repr__(self) -> str:
        return f"console {self.console_id}"


class PgGatewayBus(GatewayBus):
    """The gateway's end on PostgreSQL.

    One connection listens on ``doorkeeper_gateway``, holds the gateway's claims on its
    sites (pg_wire.claim_sites: a second gateway for a site is refused at :meth:`start`),
    and sends. Every gateway hears every console: ``shared`` tells the gateway to stay
    silent about what another one owns.
    """

    shared = True

    def __init__(self, url: str, on_message: MessageHandler, *, coalesce_ms: float = 5.0,
                 check: Callable[[Message], Message] | None = None,
                 gateway_id: str | None = None) -> None:
        self.url, self.on_message, self.check = url, on_message, check
        self.coalesce_s = coalesce_ms / 1000
        self.gateway_id = gateway_id or secrets.token_hex(6)
        self.refused = self.malformed = self.dropped = 0
        self._conn: asyncpg.Connection | None = None
        self._out: list[tuple[str, str]] = []  # (channel, envelope) waiting to be sent
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._peers: dict[str, PgPeer] = {}
        self.sites: dict[int, str] | None = None  # claimed at start; None: every site
        self._lock = asyncio.Lock()  # asyncpg: one statement at a time on a connection
        self._warnings = PeerWarnings(log, "the PostgreSQL bus")  # before a console is known

    @property
    def running(self) -> bool:
        return self._conn is not None and not self._conn.is_closed() and \
            self._sender is not None and not self._sender.done()

    @property
    def subscribers(self) -> int:
        """Sessions listening for published messages (every machine's)."""
        return len(self._peers)

    async def start(self) -> None:
        if self._conn is None or self._conn.is_closed():
            await self.claim(self.sites)
        conn = self._conn
        assert conn is not None
        await make_payload_table(conn)
        await conn.add_listener(TO_GATEWAYS, self._notified)
        self._sender = asyncio.create_task(self._send_loop(), name="PostgreSQL bus sender")
        if self._out:  # kept while PostgreSQL was away
            self._wake.set()

    async def claim(self, sites: dict[int, str] | None) -> None:
        """Connect and claim the sites this gateway owns ({id: name}; None for every
        site) before anything else of the gateway starts (console/headless/sites.py);
        :meth:`start` claims them again after a lost connection. ConfigError naming a
        site another gateway serves (nothing is held then)."""
        self.sites = sites
        conn = self._conn = await connect_pg(self.url, "doorkeeper gateway")
        try:
            await claim_sites(conn, sites)
        except ConfigError:
            await conn.close()
            self._conn = None
            raise

    async def close(self) -> None:
        if self._conn is None:
            return
        self._wake.set()
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender
        with contextlib.suppress(Exception):
            await self._flush()  # what was published is sent
        conn, self._conn = self._conn, None
        with contextlib.suppress(Exception):
            await conn.close(timeout=2)

    def publish(self, msg: Message) -> None:
        self._queue(TO_CONSOLES, msg)

    def send(self, peer: Peer, msg: Message) -> bool:
        if not isinstance(peer, PgPeer) or self._conn is None:
            return False
        self._queue(console_channel(peer.console_id), msg)
        return True

    def _queue(self, channel: str, msg: Message) -> None:
        text = encode({"gw": self.gateway_id, "m": msg})  # TypeError/ValueError: not sent
        if len(self._out) >= MAX_UNSENT:  # PostgreSQL away: consoles reload when back
            del self._out[: MAX_UNSENT // 10]
            self.dropped += MAX_UNSENT // 10
        self._out.append((channel, text))
        self._wake.set()

    async def _send_loop(self) -> None:
        last_sweep = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.coalesce_s)
            self._wake.clear()
            await self._flush()
            if loop.time() - last_sweep > PAYLOAD_TTL_S / 2 and self._conn is not None:
                last_sweep = loop.time()
                async with self._lock:
                    await self._conn.execute("DELETE FROM bus_payloads WHERE at < now() - "
                                             "make_interval(secs => $1)", PAYLOAD_TTL_S)

    async def _flush(self) -> None:
        """Send what waits; what could not be sent (PostgreSQL away) waits again, first."""
        if not self._out or self._conn is None:
            return
        out, self._out = self._out, []
        sent = 0
        try:
            async with self._lock:
                for channel, group in itertools.groupby(out, key=lambda item: item[0]):
                    texts = [text for _, text in group]
                    await notify_all(self._conn, channel, texts)
                    sent += len(texts)
        except BaseException:
            self._out = (out[sent:] + self._out)[-MAX_UNSENT:]
            raise

    def _notified(self, conn: Any, _pid: int, _channel: str, payload: str) -> None:
        task = asyncio.ensure_future(self._receive(conn, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _receive(self, conn: asyncpg.Connection, payload: str) -> None:
        async with self._lock:
            envelope = await open_envelope(conn, payload)
        console = envelope.get("from") if envelope else None
        if envelope is None or not isinstance(console, str) or not console.isalnum() \
                or len(console) > 32:
            self.malformed += 1
            self._warnings.warn("malformed notifications", "bus: ignoring a malformed "
                                "notification: %.80r", payload)
            return
        msg: Message = envelope["m"]
        if msg.get("type") == "bye":  # a console closing: forget it
            self._peers.pop(console, None)
            return
        peer = self._peers.setdefault(console, PgPeer(console))
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
        if peer.waiting >= MAX_WAITING:  # a flood: what is past this is dropped
            self.dropped += 1
            peer.warnings.warn("dropped messages", "bus: %r has %d messages waiting: "
                               "dropping one", peer, peer.waiting)
            return
        peer.waiting += 1
        async with peer.turns:  # at most MAX_IN_FLIGHT at once, the rest in order
            peer.waiting -= 1
            peer.in_flight += 1
            try:
                result = self.on_message(msg, peer)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("bus: the handler failed on a %r message from %r",
                              msg.get("type"), peer)
            finally:
                peer.in_flight -= 1


_EOF = object()


class PgConsoleBus(ConsoleBus):
    """A console's end on PostgreSQL: listens to what the gateways publish and to its own
    channel, sends on the gateways' channel."""

    def __init__(self, conn: asyncpg.Connection, console_id: str, *,
                 max_queue: int = 10_000) -> None:
        self._conn, self.console_id = conn, console_id
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self.max_queue = max_queue
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self.malformed = 0
        self._tasks: set[asyncio.Future[Any]] = set()
        self._lock = asyncio.Lock()  # one statement at a time on the connection

    @classmethod
    async def connect(cls, url: str, *, max_queue: int = 10_000) -> PgConsoleBus:
        conn = await connect_pg(url, "doorkeeper console")
        bus = cls(conn, secrets.token_hex(8), max_queue=max_queue)
        await conn.add_listener(TO_CONSOLES, bus._notified)
        await conn.add_listener(console_channel(bus.console_id), bus._notified)
        conn.add_termination_listener(lambda _c: bus._end())
        return bus

    @property
    def closed(self) -> bool:
        return self._closed or self._conn.is_closed()

    async def send(self, msg: Message) -> None:
        if self.closed:
            raise BusClosed("the bus connection to PostgreSQL is closed")
        try:
            text = encode({"from": self.console_id, "m": msg})
            async with self._lock:
                await notify_all(self._conn, TO_GATEWAYS, [text])
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
            self._end()
            raise BusClosed(f"the bus connection to PostgreSQL was lost: {exc}") from None

    async def request(self, msg: Message, timeout: float = 5.0) -> Message:
        rid = f"r{next(self._ids)}"
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            await self.send({**msg, "request_id": rid})
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(rid, None)

    async def messages(self) -> AsyncIterator[Message]:
        while True:
            item = await self._queue.get()
            if item is _EOF:
                self._queue.put_nowait(_EOF)
                return
            if isinstance(item, _Ref):  # fetched here, so the order is kept
                async with self._lock:
                    envelope = await open_envelope(self._conn, item.payload)
                msg = self._unwrap(envelope)
                if msg is None or self._answered(msg):
                    continue
                item = msg
            yield item

    async def close(self) -> None:
        if self._closed:
            return
        with contextlib.suppress(Exception):
            await self.send({"type": "bye"})  # the gateways forget this console
        self._end()
        with contextlib.suppress(Exception):
            await self._conn.close(timeout=2)

    def _end(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(_EOF)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BusClosed("the bus connection to PostgreSQL closed"))

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if self._closed:
            return
        if self._queue.qsize() >= self.max_queue:
            log.warning("bus: this console is not keeping up (%d messages unread): "
                        "disconnecting", self._queue.qsize())
            task = asyncio.ensure_future(self.close())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        if payload.startswith('{"ref"'):
            self._queue.put_nowait(_Ref(payload))  # fetched by messages(), in its turn
            return
        try:
            envelope = json.loads(payload)
        except ValueError:
            envelope = None
        msg = self._unwrap(envelope)
        if msg is not None and not self._answered(msg):
            self._queue.put_nowait(msg)

    def _unwrap(self, envelope: Any) -> Message | None:
        if not isinstance(envelope, dict) or not isinstance(envelope.get("m"), dict):
            self.malformed += 1
            return None
        msg: Message = envelope["m"]
        return msg

    def _answered(self, msg: Message) -> bool:
        """True for a reply (it resolves its request: the first gateway's answer wins)."""
        if msg.get("type") != "reply" or "request_id" not in msg:
            return False
        future = self._pending.get(str(msg["request_id"]))
        if future is not None and not future.done():
            future.set_result(msg)
        return True


@dataclass(frozen=True)
class _Ref:
    """A notification carrying a payload by reference, waiting in a console's queue."""

    payload: str
