"""Open the console on a store: attach to the gateway's bus, or start a gateway (a
simulated one for the demo) as a child process and stop it when the console closes.
The gateway never shares a process with rendering (how it is started:
console.headless.children)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from console.context import ConsoleContext, default_operator, load_context
from console.headless.children import release, start_gateway, stop_gateway, wait_for_bus
from console.live import BusCommander, LiveHub
from console.terminal_watch import watch_terminal
from core.errors import DoorkeeperError
from core.model import id_of
from store.database import Store

log = logging.getLogger(__name__)


#: a gateway that lived this long before it stopped is started again at once
STEADY_S = 60.0


class StartedGateway:
    """The gateway this console started, started again whenever it stops on its own.

    The console's bus connection reconnects by itself (`ReconnectingBus`), and its banner
    says the gateway is away meanwhile. A gateway that keeps stopping is started again
    after a back-off: 1 s, doubling to 30 s, back to 1 s once one has run a minute. Each
    stop is logged with its exit status (the console's log; the gateway's own says why).
    """

    def __init__(self, start: Callable[[], subprocess.Popen]) -> None:
        self._start = start
        self.proc = start()
        self.started = time.monotonic()
        self.restarts = 0

    async def watch(self, poll_s: float = 0.5) -> None:
        """Until cancelled."""
        backoff = 1.0
        while True:
            await asyncio.sleep(poll_s)
            code = self.proc.poll()
            if code is None:
                continue
            if time.monotonic() - self.started >= STEADY_S:
                backoff = 1.0
            log.error("the gateway stopped (exit %s); starting it again in %.0f s",
                      code, backoff)
            release(self.proc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            try:
                self.proc = self._start()
            except OSError as err:  # tried again after the next back-off
                log.error("the gateway could not be started again: %s", err)
                continue
            self.started = time.monotonic()
            self.restarts += 1


async def attach(bus: str, proc: subprocess.Popen | None, timeout: float = 60) -> LiveHub:
    """The live feed, once the gateway listens (see children.wait_for_bus)."""
    return await wait_for_bus(bus, proc, LiveHub.connect, timeout)


async def console_context(store: Store, operator: str | None, hub: LiveHub | None,
                          source: str = "console") -> ConsoleContext:
    """The operator's context, wired to the live feed and the gateway's commands."""
    ctx = await load_context(store, operator or await default_operator(store), source)
    if hub is not None:
        wire(ctx, hub)
    return ctx


def wire(ctx: ConsoleContext, hub: LiveHub) -> None:
    """Give a context the live feed and the gateway's commands."""
    ctx.live = hub.subscribe()
    ctx.commander = BusCommander(hub.client, id_of(ctx.operator), ctx.actor.source)


async def run_console(store: Store, *, db: str, bus: str, config: str | None,
                      operator: str | None, simulate: bool, rate: float | None = None) -> int:
    """Attach to (or start) the gateway and run the console until the operator quits."""
    from console.app import DoorkeeperApp  # Textual loads only for the console

    # the operator and the terminal are checked before a gateway is started for them
    ctx = await console_context(store, operator, None)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):  # it would draw into a file forever
        raise DoorkeeperError("The console needs a terminal, and its input or output is not "
                              "one (a file or a pipe); 'doorkeeper status' and 'doorkeeper "
                              "export' print text.")
    own: StartedGateway | None = None
    keeper: asyncio.Task[None] | None = None
    hub = None
    try:
        try:
            hub = await attach(bus, None)
        except DoorkeeperError:
            print("Starting the gateway (its log: "
                  f"{Path(db).with_suffix('.gateway.log')}) …", flush=True)
            own = StartedGateway(lambda: start_gateway(db, bus, config, simulate, rate))
            hub = await attach(bus, own.proc)
            keeper = asyncio.create_task(own.watch(), name="started-gateway")
        wire(ctx, hub)
        app = DoorkeeperApp(ctx)
        loop = asyncio.get_running_loop()
        watch_terminal(lambda: loop.call_soon_threadsafe(app.exit))
        await app.run_async()
    finally:
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        if hub is not None:
            await hub.close()
        stop_gateway(own.proc if own is not None else None)
    if own is not None:
        print("Gateway stopped; every event is in the store.")
    return 0
