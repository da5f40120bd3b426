"""A standalone console's own gateway is started again when it dies (kill -9 here): the
console's bus then finds it by itself (test_gateway_away.py shows that part on screen)."""

from __future__ import annotations

import asyncio
import time

from console.headless.children import start_gateway, stop_gateway
from console.launch import StartedGateway, attach
from tests.console.test_live_gateway import short_socket


async def test_a_killed_gateway_started_by_the_console_is_started_again(store, estate):
    bus = short_socket()
    own = StartedGateway(lambda: start_gateway(store.where, bus, None, simulate=False))
    first = own.proc
    hub = await attach(bus, first)
    await hub.close()
    keeper = asyncio.create_task(own.watch(poll_s=0.1))
    try:
        first.kill()
        first.wait()
        deadline = time.monotonic() + 15
        while own.proc is first:
            assert time.monotonic() < deadline, "the gateway was not started again"
            assert not keeper.done(), keeper
            await asyncio.sleep(0.1)
        assert own.restarts == 1
        hub = await attach(bus, own.proc)  # the new one answers on the same bus
        await hub.close()
    finally:
        keeper.cancel()
        stop_gateway(own.proc)
    assert own.proc.returncode == 0  # and stops cleanly
