"""A plain live tail of the gateway's bus: what `doorkeeper demo` shows until the
Textual console exists. Every value that came from outside is made terminal-safe."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from core.bus import BusClient
from core.errors import DoorkeeperError
from core.model import Device
from core.text import safe_text
from store.database import Store


def format_event(event: dict, devices: dict[int, str], width: int = 200) -> str:
    """One line in the guide's order: time, device, type, result, description."""
    at = datetime.fromisoformat(event["at"]).astimezone()
    wide = width >= 120
    when = at.strftime("%Y-%m-%d %H:%M:%S" if wide else "%H:%M:%S")
    device = devices.get(event.get("device_id"), "")
    cols = [when, device[:24 if wide else 18].ljust(24 if wide else 18),
            event["kind"][:26 if wide else 21].ljust(26 if wide else 21),
            event["result"][:27 if wide else 14].ljust(27 if wide else 14),
            event.get("description", "")]
    return safe_text("  ".join(cols))[:width]


async def _connect(path: str, proc: subprocess.Popen, timeout: float = 60) -> BusClient:
    """Connect once the gateway listens (a stale socket file may be there before)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if proc.poll() is not None:
            raise DoorkeeperError("The gateway stopped at start; see its log.")
        if Path(path).exists():
            with contextlib.suppress(DoorkeeperError):
                return await BusClient.connect(path, timeout=1.0)
        if loop.time() > deadline:
            raise DoorkeeperError("The gateway did not open its bus in time.")
        await asyncio.sleep(0.1)


async def run_demo_tail(store: Store, db: str, bus: str, rate: float = 2.0) -> int:
    """Start a simulated gateway over the demo estate and print its events until Ctrl+C."""
    async with store.reader() as uow:
        devices = {d.id: d.name for d in await uow.find(Device)}
    await store.close()
    log_path = Path(db).with_suffix(".gateway.log")
    print(f"Starting the gateway (its log: {log_path}) …", flush=True)
    with open(log_path, "a", encoding="utf-8") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "console.cli", "gateway", "--db", db,
                                 "--bus", bus, "--simulate", "--rate", str(rate)],
                                stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # The gateway shares our process group: Ctrl+C or a closed terminal reach it too,
    # and it stops cleanly on each; we also stop it ourselves below.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    try:
        client = await _connect(bus, proc)
        print("Live events from the simulated estate (Ctrl+C to stop):", flush=True)

        async def show() -> None:
            async for msg in client.messages():
                if msg.get("type") not in ("event", "alarm"):
                    continue
                mark = "!" if msg["type"] == "alarm" else " "
                width = shutil.get_terminal_size().columns - 3
                try:
                    print(mark, format_event(msg["event"], devices, width), flush=True)
                except (KeyError, TypeError, ValueError):
                    continue  # a malformed message is skipped
            stop.set()  # the gateway went away

        shower = asyncio.create_task(show())
        await stop.wait()
        shower.cancel()
        await client.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
    print("\nGateway stopped; every event is in the store.")
    return 0
