"""Open the console on a store: attach to the gateway's bus, or start a gateway (a
simulated one for the demo) as a child process and stop it when the console closes.
The gateway never shares a process with rendering."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import subprocess
import sys
from pathlib import Path

from console.context import ConsoleContext, default_operator, load_context
from console.live import BusCommander, LiveHub
from core.errors import DoorkeeperError
from core.model import id_of
from store.database import Store

log = logging.getLogger(__name__)


def start_gateway(db: str, bus: str, config: str | None, simulate: bool,
                  rate: float | None = None) -> subprocess.Popen:
    """Start `doorkeeper gateway` in the background; its log goes beside the database."""
    log_path = Path(db).with_suffix(".gateway.log")
    cmd = [sys.executable, "-m", "console.cli", "gateway", "--db", db, "--bus", bus]
    if config:
        cmd += ["--config", config]
    if simulate:
        cmd.append("--simulate")
    if rate is not None:
        cmd += ["--rate", str(rate)]
    with open(log_path, "a", encoding="utf-8") as log_file:
        # Same process group: a closed terminal reaches it too, and it stops cleanly.
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log_file,
                                stderr=log_file)


def stop_gateway(proc: subprocess.Popen | None) -> None:
    """SIGTERM and wait: the gateway flushes every event before it exits."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)


async def attach(bus: str, proc: subprocess.Popen | None, timeout: float = 60) -> LiveHub:
    """Connect to the bus once the gateway listens (a stale socket may be there before)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise DoorkeeperError("The gateway stopped at start; see its log.")
        if Path(bus).exists():
            with contextlib.suppress(DoorkeeperError):
                return await LiveHub.connect(bus)
        if proc is None or loop.time() > deadline:
            raise DoorkeeperError("The gateway did not open its bus in time.")
        await asyncio.sleep(0.1)


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
