"""Open the console on a store: attach to the gateway's bus, or start a gateway (a
simulated one for the demo) as a child process and stop it when the console closes.
The gateway never shares a process with rendering (how it is started:
console.headless.children)."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from console.context import ConsoleContext, default_operator, load_context
from console.headless.children import start_gateway, stop_gateway, wait_for_bus
from console.live import BusCommander, LiveHub
from core.errors import DoorkeeperError
from core.model import id_of
from store.database import Store

log = logging.getLogger(__name__)


async def attach(bus: str, proc: subprocess.Popen | None, timeout: float = 60) -> LiveHub:
    """The live feed, once the gateway listens (see children.wait_for_bus)."""
    return await wait_for_bus(bus, proc, LiveHub.connect, timeout)


async def console_context(store: Store, operator: str | None, hub: LiveHub | None,
                          source: str = "console") -> ConsoleContext:
    """The operator's context, wired to the live feed and the gateway's commands."""
    ctx = await load_context(store, operator or await default_operator(store), source)
    if hub is not None:
        ctx.live = hub.subscribe()
        ctx.commander = BusCommander(hub.client, id_of(ctx.operator))
    return ctx


async def run_console(store: Store, *, db: str, bus: str, config: str | None,
                      operator: str | None, simulate: bool, rate: float | None = None) -> int:
    """Attach to (or start) the gateway and run the console until the operator quits."""
    from console.app import DoorkeeperApp  # Textual loads only for the console

    proc = None
    hub = None
    try:
        try:
            hub = await attach(bus, None)
        except DoorkeeperError:
            print("Starting the gateway (its log: "
                  f"{Path(db).with_suffix('.gateway.log')}) …", flush=True)
            proc = start_gateway(db, bus, config, simulate, rate)
            hub = await attach(bus, proc)
        ctx = await console_context(store, operator, hub)
        await DoorkeeperApp(ctx).run_async()
    finally:
        if hub is not None:
            await hub.close()
        stop_gateway(proc)
    if proc is not None:
        print("Gateway stopped; every event is in the store.")
    return 0
