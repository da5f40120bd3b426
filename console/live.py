"""The live feed between the gateway's bus and console sessions.

One `LiveHub` reads the bus (one connection per process, however many sessions it
serves) and hands every message to each session's `LiveBuffer`. A buffer only
gathers: the session drains it on its own timer a few times a second, so a burst
of events costs one repaint, and a session that is busy or slow never holds up the
hub (its buffer keeps the newest events only). No Textual import here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from console.context import Commander
from console.headless.bus.client import BusClient
from core.bus import BusClosed, ConsoleBus, Kind
from core.errors import DoorkeeperError

log = logging.getLogger(__name__)

#: events a buffer keeps between two drains; older ones are only counted
BUFFER_EVENTS = 500
#: how often a session takes its batch: a few times a second, half as often once a
#: process serves many sessions (each batch costs a frame per session; the bus-to-screen
#: aim is 1 s)
DRAIN_S, BUSY_DRAIN_S, BUSY_SESSIONS = 0.25, 0.5, 12
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

    def __bool__(self) -> bool:
        return bool(self.events or self.devices or self.acknowledged or self.changed
                    or self.skipped)


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

    def drain(self) -> LiveBatch:
        """Everything gathered since the last drain (empty batch if nothing)."""
        batch = LiveBatch(list(self._events), self._alarms, self._devices,
                          self._acknowledged, self._changed, self._skipped,
                          self._hub is None or self._hub.connected)
        self._events.clear()
        self._alarms, self._devices, self._acknowledged = [], {}, []
        self._changed, self._skipped = False, 0
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
        return BUSY_DRAIN_S if len(self._buffers) > BUSY_SESSIONS else DRAIN_S

    @property
    def connected(self) -> bool:
        return not self.client.closed

    @classmethod
    async def connect(cls, path: str) -> LiveHub:
        """Connect to the gateway's bus and ask for every device's state."""
        hub = cls(await BusClient.connect(path))
        hub._task = asyncio.get_running_loop().create_task(hub._run())
        try:
            await hub.client.request({"type": Kind.HELLO})
        except (TimeoutError, BusClosed) as err:
            await hub.close()
            raise DoorkeeperError(f"The gateway on {path} did not answer.") from err
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
        elif msg.get("type") in ("alarm", "alarm_acknowledged", "changed"):
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


class BusCommander(Commander):
    """Commands over the bus, in the operator's name."""

    def __init__(self, client: ConsoleBus, operator_id: int) -> None:
        self.client = client
        self.operator_id = operator_id

    async def request(self, msg: dict) -> dict:
        try:
            reply = await self.client.request({**msg, "operator_id": self.operator_id})
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
