"""Console fixtures: the small estate opened in the app as a chosen operator.

The commander records the commands the console would send to the gateway: unit
tests of the screens have no gateway process (tests/console/test_live_gateway.py
runs a real one over the bus)."""

from __future__ import annotations

import pytest

from console.app import DoorkeeperApp
from console.context import Commander, ConsoleContext, load_context
from console.live import LiveBuffer
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


async def context_for(store: Store, who: str) -> ConsoleContext:
    """The console context of an operator at the tests' fixed clock, with a live
    buffer tests can put bus messages into."""
    ctx = await load_context(store, who, source="test", clock=fixed_clock)
    ctx.commander = RecordingCommander()
    ctx.live = LiveBuffer()
    return ctx


@pytest.fixture
async def console_ctx(store, estate) -> ConsoleContext:
    """The administrator's context over the small estate."""
    return await context_for(store, "admin@test.example")


@pytest.fixture
def make_app():
    """An app over a context (size with run_test(size=...))."""
    return lambda ctx: DoorkeeperApp(ctx)
