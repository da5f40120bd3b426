"""Console fixtures: the small estate opened in the app as a chosen operator.

The commander records the commands the console would send to the gateway: unit
tests of the screens have no gateway process (tests/console/test_live_gateway.py
runs a real one over the bus).

`handled` and `press` wait for what a test did to be over, store reads included, on the
app's own signal: Textual publishes every message on its node's `message_signal` once the
handler has returned. (`pilot.pause()` only waits for the messages queued when it is
called, then for the process to look idle; a handler awaiting a read from a busy disk, or a
message still bubbling up, is not waited for.)"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from textual import events
from textual.message import Message
from textual.message_pump import MessagePump
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import TabbedContent

from console.app import DoorkeeperApp
from console.context import Commander, ConsoleContext, load_context
from console.live import LiveBatch, LiveBuffer
from store.database import Store
from tests.conftest import fixed_clock


class RecordingCommander(Commander):
    """Keeps what would have gone to the gateway, and answers ok."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.notices: list[dict] = []

    async def request(self, msg: dict) -> dict:
        self.requests.append(msg)
        return {"type": "reply", "ok": True}

    async def notify(self, msg: dict) -> None:
        self.notices.append(msg)


@asynccontextmanager
async def _published(node: MessagePump, last: Callable[[Message], bool], what: str,
                     timeout: float = 30.0) -> AsyncIterator[None]:
    """Wait, after the block, until `node` has handled a message for which `last` is true."""
    done = asyncio.Event()

    def published(message: Message) -> None:
        if last(message):
            done.set()

    node.message_signal.subscribe(node, published, immediate=True)
    try:
        yield
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"{node} did not handle {what} within {timeout} s") from None
    finally:
        node.message_signal.unsubscribe(node)


def handled(node: MessagePump, message_type: type[Message],
            times: int = 1) -> AbstractAsyncContextManager[None]:
    """Wait, after the block, until `node` has handled `times` messages of the type (their
    handlers returned, with whatever they awaited)."""
    seen: list[Message] = []

    def last(message: Message) -> bool:
        if isinstance(message, message_type):
            seen.append(message)
        return len(seen) >= times

    return _published(node, last, f"{times} {message_type.__name__}")


async def press(pilot: Pilot, *keys: str) -> None:
    """Press keys bound to actions, each once its action has run to the end.

    The app handles a key twice: when it forwards it to the focused widget, and when it
    bubbles back up from the screen, which is when the bindings' actions run (awaited); a
    priority binding runs at once and the key goes no further. Not for keys a focused
    widget keeps (text typed into an Input)."""
    for key in keys:
        async with _published(pilot.app, _key_handled(), f"the key {key!r}"):
            await pilot.press(key)


async def show_tab(pilot: Pilot, key: str) -> None:
    """Press a tab's number (1-5) and, if that changed the tab shown, wait until the main
    screen has shown the new one, its store reads included."""
    main = pilot.app.main
    tabbed = main.query_one("#tabs", TabbedContent)
    before = tabbed.active
    activated = asyncio.Event()

    def published(message: Message) -> None:
        if isinstance(message, TabbedContent.TabActivated):
            activated.set()

    main.message_signal.subscribe(main, published, immediate=True)
    try:
        await press(pilot, key)
        if tabbed.active != before:
            await asyncio.wait_for(activated.wait(), 30)
    finally:
        main.message_signal.unsubscribe(main)


async def type_into(pilot: Pilot, widget: Widget, text: str) -> None:
    """Type text into the focused widget as a quick typist does: the keys reach the app as
    the driver sends them, with no pause between them (`pilot.press` waits for the app to
    look idle after every key), and this returns once the widget has handled each one.
    (The app forwards each key to the widget focused when it gets there, so a `focus()`
    just before takes effect first.)"""
    async with handled(widget, events.Key, times=len(text)):
        for char in text:
            key = char if char.isalnum() else unicodedata.name(char).lower().replace(
                "-", "_").replace(" ", "_")  # the key's name, as textual.keys gives it
            pilot.app.post_message(events.Key(key, char))


async def until(pilot: Pilot, check: Callable[[], object], what: str,
                timeout: float = 10.0) -> float:
    """Let the app run until `check()` holds (what a live change or a timer does in its own
    time); how long that took. Fails naming `what` after `timeout` seconds, which is
    generous: how fast is for the benchmarks, a test says only that it happens."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"not within {timeout} s: {what}"
        await pilot.pause(0.02)
    return time.monotonic() - start


async def settled(pilot: Pilot, timeout: float = 30.0) -> None:
    """Let the app finish what it is doing: its messages handled, and no read or change of
    the store under way (the console context counts them), twice in a row, since a read
    that ends lets its handler go on (push a screen, fill a table), which may read again.
    What `pilot.pause()` alone misses: a handler or worker awaiting the store looks idle."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        await pilot.pause()
        ctx = getattr(pilot.app, "ctx", None)
        busy = ctx is not None and ctx.in_flight > 0
        quiet = 0 if busy else quiet + 1
        if busy:
            assert time.monotonic() < deadline, f"the store was still busy after {timeout} s"
            await asyncio.sleep(0.005)


def _key_handled() -> Callable[[Message], bool]:
    seen: list[Message] = []

    def last(message: Message) -> bool:
        if not isinstance(message, events.Key):
            return False
        seen.append(message)
        return not message.is_forwarded or seen.count(message) == 2

    return last


class WatchedLive(LiveBuffer):
    """The live buffer, which can tell a test when the console has shown what was put."""

    def __init__(self) -> None:
        super().__init__()
        self.drains = 0
        self._drained = asyncio.Event()

    def drain(self) -> LiveBatch:
        self.drains += 1
        self._drained.set()
        return super().drain()

    async def shown(self, timeout: float = 10.0) -> None:
        """Until what was put before this call has been drained and handled. The main
        screen drains on a timer, one drain after the other: when the second drain from
        now begins, the first, which took what was put, has finished."""
        goal = self.drains + 2
        try:
            async with asyncio.timeout(timeout):
                while self.drains < goal:
                    self._drained.clear()
                    await self._drained.wait()
        except TimeoutError:
            raise AssertionError(f"the console drained the live feed {self.drains - goal + 2}"
                                 f" times in {timeout} s, not 2") from None


async def context_for(store: Store, who: str) -> ConsoleContext:
    """The console context of an operator at the tests' fixed clock, with a live
    buffer tests can put bus messages into (and wait until they are shown)."""
    ctx = await load_context(store, who, source="test", clock=fixed_clock)
    ctx.commander = RecordingCommander()
    ctx.live = WatchedLive()
    return ctx


@pytest.fixture
async def console_ctx(store, estate) -> ConsoleContext:
    """The administrator's context over the small estate."""
    return await context_for(store, "admin@test.example")


@pytest.fixture
def make_app():
    """An app over a context (size with run_test(size=...))."""
    return lambda ctx: DoorkeeperApp(ctx)
