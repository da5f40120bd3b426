"""The live feed between the gateway's bus and console sessions.

One `LiveHub` reads the bus (one connection per process, however many sessions it
serves) and hands every message to each session's `LiveBuffer`. A buffer only
gathers: the session drains it on its own timer a few times a second, so a burst
of events costs one repaint, and a session that is busy or slow never holds up the
hub (its buffer keeps the newest events only). No Textual import here.

When the gateway goes away (stopped, restarted, killed) the hub says so to every
buffer, keeps trying its bus with back-off (`ReconnectingBus`), and once it answers
again tells them it is back: the sessions then reload their views from the store, so
what was published meanwhile is there (every event the gateway published is stored).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from console.context import Commander
from console.headless.bus.connect import connect as connect_bus
from console.headless.bus.connect import shown
from core.bus import BusClosed, ConsoleBus, Kind, Message
from core.errors import DoorkeeperError

log = logging.getLogger(__name__)

#: events a buffer keeps between two drains; older ones are only counted
BUFFER_EVENTS = 500
#: how often a session takes its batch: a few times a second, half as often once a
#: process serves many sessions or the machine is busy (each batch costs a frame per
#: session; the bus-to-screen aim is 1 s)
DRAIN_S, BUSY_DRAIN_S, BUSY_SESSIONS = 0.25, 0.5, 12
#: the machine is busy while its load average passes its cores (read every few seconds)
LOAD_EVERY_S = 5.0
_load_seen: list[float] = [-LOAD_EVERY_S, 0.0]  # when read, whether busy
#: a lost gateway's bus is tried again after this long, doubling up to the cap
RETRY_FIRST_S, RETRY_MAX_S = 0.2, 2.0
#: the hub's own messages about the gateway (never on the wire)
GATEWAY_LOST, GATEWAY_BACK = "gateway_lost", "gateway_back"
T = TypeVar("T")


@dataclass
class LiveBatch:
    """What arrived since the last drain."""

    events: list[dict] = field(default_factory=list)  # newest last; alarms included
    alarms: list[dict] = field(default_factory=list)  # the events that are alarms
    devices: dict[int, dict] = field(default_factory=dict)  # device id -> latest health
    acknowledged: list[int] = field(default_factory=list)  # alarm ids acknowledged
    changed: bool = False  # the store changed (another console, the CLI)
    skipped: int = 0  # events that did not fit in the buffer
    connected: bool = True
    #: the gateway went away (True) or came back (False) since the last drain
    gateway_lost: bool | None = None

    @property
    def reconnected(self) -> bool:
        """The gateway came back: what it published meanwhile is in the store only."""
        return self.gateway_lost is False

    def __bool__(self) -> bool:
        return bool(self.events or self.devices or self.acknowledged or self.changed
                    or self.skipped or self.gateway_lost is not None)


def machine_busy() -> bool:
    """More runnable work than cores (one-minute load average), as last read: with
    fifty SSH sessions each a process, every session drawing half as many frames
    leaves the cores to keys and new logins (docs/ssh-sessions.md)."""
    now = time.monotonic()
    if now - _load_seen[0] >= LOAD_EVERY_S:
        try:
            _load_seen[1] = float(os.getloadavg()[0] > (os.cpu_count() or 1))
        except OSError:
            _load_seen[1] = 0.0
        _load_seen[0] = now
    return bool(_load_seen[1])


class LiveBuffer:
    """One session's share of the live feed."""

    def __init__(self, hub: LiveHub | None = None, limit: int = BUFFER_EVENTS) -> None:
        self._hub = hub
        self._events: deque[dict] = deque(maxlen=limit)
        self._alarms: list[dict] = []
        self._devices: dict[int, dict] = {}
        self._acknowledged: list[int] = []
        self._changed = False
        self._skipped = 0
        self._gateway_lost: bool | None = None

    def put(self, msg: dict) -> None:
        """Take one bus message (malformed ones are ignored)."""
        kind = msg.get("type")
        if kind in ("event", "alarm") and isinstance(msg.get("event"), dict):
            if len(self._events) == self._events.maxlen:
                self._skipped += 1
            self._events.append(msg["event"])
            if kind == "alarm":
                self._alarms.append(msg["event"])
                del self._alarms[:-100]
        elif kind == "device" and isinstance(msg.get("device"), dict):
            device_id = msg["device"].get("device_id")
            if isinstance(device_id, int):
                self._devices[device_id] = msg["device"]
        elif kind == "alarm_acknowledged" and isinstance(msg.get("alarm_id"), int):
            self._acknowledged.append(msg["alarm_id"])
        elif kind == "changed":
            self._changed = True
        elif kind == GATEWAY_LOST:
            self._gateway_lost = True
        elif kind == GATEWAY_BACK:
            # lost and back within one drain still reloads; the store changed meanwhile
            self._gateway_lost, self._changed = False, True

    def drain(self) -> LiveBatch:
        """Everything gathered since the last drain (empty batch if nothing)."""
        batch = LiveBatch(list(self._events), self._alarms, self._devices,
                          self._acknowledged, self._changed, self._skipped,
                          self._hub is None or self._hub.connected, self._gateway_lost)
        self._events.clear()
        self._alarms, self._devices, self._acknowledged = [], {}, []
        self._changed, self._skipped, self._gateway_lost = False, 0, None
        return batch

    @property
    def drain_interval(self) -> float:
        return self._hub.drain_interval if self._hub is not None else DRAIN_S

    async def shared_read(self, key: Hashable, read: Callable[[], Awaitable[T]],
                          later: float = 0.0) -> T:
        """A store read shared with the other sessions of this process (the alarm count,
        the tree's blocks, the site header): one started after the last alarm or change
        news arrived (plus `later` seconds) is reused."""
        if self._hub is None:
            return await read()
        return await self._hub.reads.get(key, self._hub.news_at + later, read)

    def device_states(self) -> dict[int, dict]:
        """The latest health of every device the hub has heard of."""
        return dict(self._hub.devices) if self._hub is not None else {}

    def close(self) -> None:
        if self._hub is not None:
            self._hub.unsubscribe(self)


class SharedReads:
    """One store read for many sessions: a read started after `not_before` is shared."""

    def __init__(self) -> None:
        self._last: dict[Hashable, tuple[float, asyncio.Future]] = {}

    async def get(self, key: Hashable, not_before: float,
                  read: Callable[[], Awaitable[T]]) -> T:
        entry = self._last.get(key)
        if entry is None or entry[0] < not_before or (
                entry[1].done() and entry[1].exception() is not None):
            entry = (time.monotonic(), asyncio.ensure_future(read()))
            self._last[key] = entry
        return await asyncio.shield(entry[1])


class LiveHub:
    """Reads the bus and fans each message out to every subscribed buffer."""

    def __init__(self, client: ConsoleBus) -> None:
        self.client = client
        self.devices: dict[int, dict] = {}
        self._buffers: list[LiveBuffer] = []
        self._task: asyncio.Task | None = None
        self.reads = SharedReads()
        #: when the last alarm, acknowledgement or change notice arrived (monotonic)
        self.news_at = 0.0

    @property
    def drain_interval(self) -> float:
        busy = len(self._buffers) > BUSY_SESSIONS or machine_busy()
        return BUSY_DRAIN_S if busy else DRAIN_S

    @property
    def connected(self) -> bool:
        """Whether the gateway is there now (a ReconnectingBus is away between the two)."""
        client = self.client
        return client.online if isinstance(client, ReconnectingBus) else not client.closed

    @classmethod
    async def connect(cls, path: str, *, reconnect: bool = True) -> LiveHub:
        """Connect to the gateway's bus and ask for every device's state; with
        `reconnect`, the hub outlives the gateway and finds it again."""
        client = await hello(path)
        hub = cls(ReconnectingBus(path, client) if reconnect else client)
        hub._task = asyncio.get_running_loop().create_task(hub._run())
        return hub

    def subscribe(self) -> LiveBuffer:
        buffer = LiveBuffer(self)
        self._buffers.append(buffer)
        return buffer

    def unsubscribe(self, buffer: LiveBuffer) -> None:
        if buffer in self._buffers:
            self._buffers.remove(buffer)

    def dispatch(self, msg: dict) -> None:
        """Keep device health, then give the message to every buffer."""
        if msg.get("type") == "device" and isinstance(msg.get("device"), dict):
            device_id = msg["device"].get("device_id")
            if isinstance(device_id, int):
                self.devices[device_id] = msg["device"]
        elif msg.get("type") in ("alarm", "alarm_acknowledged", "changed", GATEWAY_BACK):
            self.news_at = time.monotonic()
        for buffer in self._buffers:
            buffer.put(msg)

    async def _run(self) -> None:
        async for msg in self.client.messages():
            try:
                self.dispatch(msg)
            except Exception:  # one bad message never stops the feed
                log.exception("live: could not dispatch %r", msg.get("type"))

    async def close(self) -> None:
        await self.client.close()
        if self._task is not None:
            self._task.cancel()


async def hello(path: str) -> ConsoleBus:
    """A client on the gateway's bus that has been answered (its devices' states follow)."""
    client = await connect_bus(path)
    try:
        await client.request({"type": Kind.HELLO})
    except (TimeoutError, BusClosed) as err:
        await client.close()
        raise DoorkeeperError(f"The gateway on {shown(path)} did not answer.") from err
    return client


class ReconnectingBus(ConsoleBus):
    """A console's bus that outlives its gateway: while the gateway is away, sends fail
    at once (BusClosed, "the gateway is away") and `messages()` yields GATEWAY_LOST, then
    tries the bus again with back-off, and yields GATEWAY_BACK once a gateway answers."""

    def __init__(self, path: str, client: ConsoleBus,
                 connect: Callable[[str], Awaitable[ConsoleBus]] = hello) -> None:
        self.path = path
        self._client = client
        self._connect = connect
        self._closed = False
        self.online = True
        #: how many times the gateway came back
        self.reconnects = 0

    @property
    def closed(self) -> bool:
        """Only once closed by this side: a lost gateway is `online` False, not closed."""
        return self._closed

    def _current(self) -> ConsoleBus:
        if self._closed or not self.online:
            raise BusClosed(f"the gateway on {self.path} is away; it is being tried again")
        return self._client

    async def send(self, msg: Message) -> None:
        await self._current().send(msg)

    async def request(self, msg: Message, timeout: float = 5.0) -> Message:
        return await self._current().request(msg, timeout)

    async def messages(self) -> AsyncIterator[Message]:
        while not self._closed:
            async for msg in self._client.messages():
                yield msg
            if self._closed:
                return
            self.online = False
            log.warning("live: the gateway on %s went away; trying again", self.path)
            yield {"type": GATEWAY_LOST}
            await self._find_again()
            if self._closed:
                return
            yield {"type": GATEWAY_BACK}

    async def _find_again(self) -> None:
        await self._client.close()
        delay = RETRY_FIRST_S
        while not self._closed:
            try:
                client = await self._connect(self.path)
            except DoorkeeperError:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if self._closed:
                await client.close()
                return
            self._client, self.online = client, True
            self.reconnects += 1
            log.warning("live: the gateway on %s is back", self.path)
            return

    async def close(self) -> None:
        self._closed = True
        await self._client.close()


class BusCommander(Commander):
    """Commands over the bus, in the operator's name."""

    def __init__(self, client: ConsoleBus, operator_id: int, source: str = "") -> None:
        self.client = client
        self.operator_id = operator_id
        self.source = source[:120]  # the audit trail's "from" of the gateway's entry

    async def request(self, msg: dict) -> dict:
        try:
            reply = await self.client.request({**msg, "operator_id": self.operator_id,
                                               "source": self.source})
        except (TimeoutError, BusClosed) as err:
            raise DoorkeeperError("The gateway did not answer; try again.") from err
        if not reply.get("ok"):
            raise DoorkeeperError(str(reply.get("error") or "The gateway refused."))
        return reply

    async def notify(self, msg: dict) -> None:
        try:
            await self.client.send(msg)
        except BusClosed:
            log.warning("live: the gateway is gone; it will read the change when it starts")
