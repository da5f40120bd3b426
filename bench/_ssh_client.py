"""The SSH benchmark's client side: sessions as the administrator, every byte each one
receives and when, the bus feed matched against their screens, and the key loops.

Used by bench_ssh_sessions.py, and by session_start.py (the key, the size). Not a
benchmark itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncssh

from console.headless.bus.client import BusClient

SIZE = (100, 30)
ADMIN = "admin@doorkeeper.example"


async def add_key(db: Path, key: Path) -> None:
    """The public half of `key` as the administrator's SSH key in the store at `db`."""
    from core.model import Operator
    from core.services import operator_keys
    from core.services.base import Actor
    from store.database import Store

    store = await Store.open(path=db)
    try:
        async with store.reader() as uow:
            admin = (await uow.find(Operator, email=ADMIN))[0]
        await operator_keys.add_key(store.uow(), Actor(admin, source="bench"), admin.id,
                                    (key.with_suffix(".pub")).read_text())
    finally:
        await store.close()


@dataclass
class Session:
    """One SSH console and everything it received."""

    number: int
    conn: asyncssh.SSHClientConnection | None = None
    process: asyncssh.SSHClientProcess | None = None
    out: bytearray = field(default_factory=bytearray)
    opened_s: float = 0.0  # from connecting to the first full screen
    overview: bool = False  # on the live overview rather than a tab
    chunks: list[tuple[float, int]] = field(default_factory=list)  # (time, end offset)
    reader: asyncio.Task | None = None
    #: set by the reader on each chunk: waiters sleep on it instead of polling (fifty
    #: sessions polling every few ms took a good part of a core from what is measured)
    more: asyncio.Event = field(default_factory=asyncio.Event)

    def when(self, needle: bytes, offset: int) -> float | None:
        """When the first byte of `needle` after `offset` arrived."""
        at = self.out.find(needle, offset)
        if at < 0:
            return None
        for t, end in self.chunks:
            if end > at:
                return t
        return None

    async def wait(self, needle: bytes, offset: int, timeout: float = 30) -> float:
        deadline = time.perf_counter() + timeout
        while (t := self.when(needle, offset)) is None:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"session {self.number}: {needle!r} never came")
            await self.output_after(len(self.out), deadline - time.perf_counter())
        return t

    async def output_after(self, offset: int, timeout: float = 30) -> None:
        """Until something arrived past `offset` (or `timeout`)."""
        if len(self.out) == offset:
            self.more.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.more.wait(), max(0.0, timeout))

    def send(self, data: bytes) -> tuple[float, int]:
        offset = len(self.out)
        t0 = time.perf_counter()
        self.process.stdin.write(data)
        return t0, offset


async def open_session(n: int, port: int, key: Path, events_tab: bool = True,
                       overview: bool = False) -> Session:
    s = Session(n, overview=overview)
    started = time.perf_counter()
    s.conn = await asyncssh.connect(
        "127.0.0.1", port, local_addr=(f"127.0.{1 + n // 200}.{1 + n % 200}", 0),
        username=ADMIN, client_keys=[str(key)], known_hosts=None, agent_path=None)
    s.process = await s.conn.create_process(term_type="xterm-256color", term_size=SIZE,
                                            encoding=None)

    async def read() -> None:
        while data := await s.process.stdout.read(1 << 16):
            s.out += data
            s.chunks.append((time.perf_counter(), len(s.out)))
            s.more.set()

    s.reader = asyncio.get_running_loop().create_task(read())
    s.opened_s = await s.wait(b"Blocks", 0, timeout=120) - started
    if overview:
        t0, offset = s.send(b"O")  # the live overview
        await s.wait(b"Door activity now", offset, timeout=120)
    elif events_tab:
        t0, offset = s.send(b"5")  # the Events tab: the live tail
        await s.wait(b"Date & time", offset, timeout=120)
    else:
        await s.wait(b"Flat(s)", 0, timeout=120)
    return s


async def close_session(s: Session) -> None:
    if s.process is not None:
        s.process.stdin.write(b"\x11")
    if s.conn is not None:
        s.conn.close()
    if s.reader is not None:
        s.reader.cancel()


@dataclass
class Published:
    at: float
    needle: bytes
    offsets: dict[int, int]


class Feed:
    """The bus as this process sees it: when each event of the shown site came."""

    def __init__(self, site_id: int, tz: str, sessions: list[Session],
                 shown: str = "%Y-%m-%d %H:%M:%S", kinds: frozenset[str] | None = None) -> None:
        self.site_id = site_id
        self.shown = shown  # how the screen writes an event's time
        self.kinds = kinds  # the kinds the screen shows (None: every one)
        self.tz = ZoneInfo(tz)
        self.sessions = sessions
        self.events: list[Published] = []
        self.seconds: set[str] = set()
        self.on = False

    async def run(self, bus: BusClient) -> None:
        async for msg in bus.messages():
            event = msg.get("event") if msg.get("type") in ("event", "alarm") else None
            if not self.on or not isinstance(event, dict) or event.get("site_id") != self.site_id:
                continue
            if self.kinds is not None and event.get("kind") not in self.kinds:
                continue
            # the list shows the time to the second: the first event of each second is
            # known on screen by its "Date & time" (a later one of the same second only
            # makes the measure longer, never shorter)
            shown = datetime.fromisoformat(event["at"]).astimezone(self.tz).strftime(
                self.shown)
            if shown in self.seconds:
                continue
            self.seconds.add(shown)
            self.events.append(Published(time.perf_counter(), shown.encode(),
                                         {s.number: len(s.out) for s in self.sessions}))


def event_latencies(feed: Feed, sessions: list[Session]) -> tuple[list[float], int]:
    """Seconds from publication to screen, over every (event, watching session); misses."""
    out, missed = [], 0
    for e in feed.events:
        for s in sessions:
            t = s.when(e.needle, e.offsets[s.number])
            if t is None:
                missed += 1
            else:
                out.append(t - e.at)
    return out, missed


async def press_loop(sessions: list[Session], seconds: float) -> list[float]:
    """Each session (on the Blocks tab: no live tail there) moves the cursor down or up
    twice a second; from the key to the first output after it."""
    latencies: list[float] = []

    async def one(s: Session) -> None:
        await asyncio.sleep(s.number * 0.1 % 1)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for key in (b"\x1b[B", b"\x1b[A"):
                t0, offset = s.send(key)
                while len(s.out) == offset:
                    await s.output_after(offset)
                latencies.append(s.when(b"", offset) - t0)
                await asyncio.sleep(0.5)

    await asyncio.gather(*(one(s) for s in sessions))
    return latencies


async def loop_lag(lags: list[float], every: float = 0.01) -> None:
    """How late this process's own loop wakes (until cancelled): an echo can only be
    seen as soon as this loop reads it, so a late loop is measured, not the server."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(time.perf_counter() - t - every)


async def typing_loop(sessions: list[Session], seconds: float, search_opens: list[float],
                      settle: float, lags: list[float] | None = None,
                      cpu: Callable[[], dict[str, float]] | None = None,
                      spent: dict[str, float] | None = None) -> list[float]:
    """Every session opens search; once all are open (fifty search screens composing
    at the same instant is a burst of its own, not typing) and `settle` seconds later,
    each types one letter a second; from each key to the first output after it
    (`lags`: this client's loop lag while they type; `spent`: what `cpu()`, a snapshot
    of CPU seconds by part, grew by while they typed)."""
    latencies: list[float] = []

    async def open_search(s: Session) -> None:
        if s.overview:  # "/" is the main screen's: back to it first
            t0, offset = s.send(b"\x1b")
            await s.wait(b"Blocks", offset, timeout=30)
        t0, offset = s.send(b"/")
        search_opens.append(await s.wait(b"Search", offset, timeout=30) - t0)

    async def one(s: Session) -> None:
        await asyncio.sleep(s.number * 0.02 % 1)
        deadline = time.perf_counter() + seconds
        letters = b"abcdefghijklmnop"
        n = 0
        while time.perf_counter() < deadline:
            t0, offset = s.send(letters[n % len(letters):][:1])
            n += 1
            while len(s.out) == offset:
                await s.output_after(offset)
            latencies.append(s.when(b"", offset) - t0)
            await asyncio.sleep(min(1.0, max(0.0, deadline - time.perf_counter())))
        s.send(b"\x1b")  # back from search

    opened = await asyncio.gather(*(open_search(s) for s in sessions), return_exceptions=True)
    typing = [s for s, o in zip(sessions, opened, strict=True) if o is None]
    await asyncio.sleep(settle)
    sampler = asyncio.get_running_loop().create_task(loop_lag([] if lags is None else lags))
    before = cpu() if cpu is not None else {}
    try:
        await asyncio.gather(*(one(s) for s in typing), return_exceptions=True)
    finally:
        sampler.cancel()
    if cpu is not None and spent is not None:
        spent.update({k: v - before.get(k, 0.0) for k, v in cpu().items()})
    return latencies
