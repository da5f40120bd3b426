#!/usr/bin/env python3
"""GSM dial to open: RING + +CLIP on the pty -> the relay command, against python-gsmmodem-new.

What is measured
----------------
One simulated modem on a pseudo-terminal (drivers/modem/simulated.py, its own
thread) and a small estate in a temporary store: a modem wired to the panel's
door, a resident whose telephone may dial to open. A call is one sample: the
simulator writes `RING` and `+CLIP: "<number>",145` in one write; the time from
then (`Call.rang_at`) to the relay command (an OpenDoor handed to the door's
driver) is the figure. Ours: drivers.modem.ModemDriver reporting to the
gateway's real Runtime (the access engine deciding from memory; events go to
a list, not the store). Each call is then rejected (ATH) before the next one
rings; the time to the ATH is shown too. Target: p99 <= 100 ms.

Baseline, in the same run on the same simulated modem: python-gsmmodem-new
(an independent, threaded AT client) connected in text mode, its incoming-call
callback timed from the same moment, the call then hung up from the callback.
It decides nothing, so it is the floor of "a line read and handed over".

The campaign part (bench/_sms_campaign.py): a campaign of `--recipients` messages
(2,000) through the fake Twilio API by the gateway's sender with the real `twilio`
SDK, at a configured limit of 10/s and 100/s: messages/s against the limit (target
>= 0.9 of it) and resident memory at a quarter and at the end (flat: under 20 MB
more). At 10/s 2,000 messages take 200 s.

Run: .venv/bin/python bench/bench_gsm.py [--calls N] [--recipients N] [--quick]
(--quick: 40 calls a side; campaigns of 10 at 10/s and 50 at 100/s)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import QUICK, QUICK_HELP, Checks, summary_ms, table  # noqa: E402
from bench._sms_campaign import campaigns  # noqa: E402
from core.devices import Command, Driver, OpenDoor  # noqa: E402
from core.model import EventKind  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.services import operators  # noqa: E402
from core.services.base import Actor  # noqa: E402
from drivers.modem.driver import ModemConfig, ModemDriver  # noqa: E402
from drivers.modem.simulated import SimulatedModem  # noqa: E402
from store.database import Store  # noqa: E402
from store.snapshot import load_snapshot  # noqa: E402
from tests.conftest import build_small_estate  # noqa: E402
from tests.modem.conftest import RESIDENT, dial_estate  # noqa: E402
from tests.osdp.conftest import ListSink  # noqa: E402


class Relay(Driver):
    """The door's driver: notes when the relay command comes."""

    name = "relay"

    def __init__(self, device_id: int) -> None:
        self.device_id = device_id
        self.opened = asyncio.Event()
        self.at = 0.0
        self.count = 0

    async def start(self, report) -> None:
        pass

    async def stop(self) -> None:
        pass

    def handles(self, device_id: int) -> bool:
        return device_id == self.device_id

    def command(self, command: Command) -> None:
        if isinstance(command, OpenDoor):
            self.at = time.perf_counter()
            self.count += 1
            self.opened.set()


async def estate(folder: Path):
    store = await Store.open(path=folder / "gsm.db")
    op = await operators.bootstrap_admin(store.uow(), "admin@bench.example", source="bench")
    admin = Actor(op, source="bench")
    small = await build_small_estate(store, admin)
    modem = await dial_estate(store, admin, small)
    snapshot = await load_snapshot(store)
    await store.close()
    return snapshot, modem.id or 0, small.panel.id or 0


async def ours(sim: SimulatedModem, snapshot, modem_id: int, panel_id: int, calls: int):
    sink = ListSink()
    runtime = Runtime(snapshot, sink, lambda message: None)
    relay = Relay(panel_id)
    driver = ModemDriver(ModemConfig(sim.path, modem_id), telemetry=runtime)
    runtime.drivers = [relay, driver]
    await driver.start(runtime.report)
    try:
        while not driver.state.online:
            await asyncio.sleep(0.01)
        to_relay, to_reject = [], []
        for _ in range(calls):
            relay.opened.clear()
            call = sim.ring(RESIDENT)
            try:
                await asyncio.wait_for(relay.opened.wait(), 2.0)
            except TimeoutError:
                raise RuntimeError(f"call {len(to_relay) + 1}: no relay command in 2 s") from None
            to_relay.append(relay.at - call.rang_at)
            while not call.ended:
                await asyncio.sleep(0.0005)
            to_reject.append(call.ended_at - call.rang_at)
        granted = sum(e.kind is EventKind.OPEN_BY_TELEPHONE and e.result.value == "Opening"
                      for e in sink.events)
        return to_relay, to_reject, relay.count, granted
    finally:
        await driver.stop()


def baseline(sim: SimulatedModem, calls: int) -> tuple[list[float], list[float]]:
    from gsmmodem.modem import GsmModem

    heard = threading.Event()
    at = [0.0]

    def incoming(call) -> None:
        at[0] = time.perf_counter()
        heard.set()
        call.hangup()

    modem = GsmModem(sim.path, 115200, incomingCallCallbackFunc=incoming)
    modem.smsTextMode = True
    modem.connect()
    try:
        to_callback, to_reject = [], []
        for _ in range(calls):
            heard.clear()
            call = sim.ring(RESIDENT)
            if not heard.wait(2.0):
                raise RuntimeError("python-gsmmodem-new missed a call")
            to_callback.append(at[0] - call.rang_at)
            deadline = time.monotonic() + 2.0
            while not call.ended and time.monotonic() < deadline:
                time.sleep(0.0005)
            to_reject.append(call.ended_at - call.rang_at)
        return to_callback, to_reject
    finally:
        modem.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=40 if QUICK else 500)
    parser.add_argument("--recipients", type=int, default=0,
                        help="messages in each campaign (default 2,000; quick: 10 and 50)")
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="doorkeeper-bench-gsm-") as folder:
        snapshot, modem_id, panel_id = asyncio.run(estate(Path(folder)))
    sim = SimulatedModem(ring_interval=30)
    try:
        ours_relay, ours_reject, opened, granted = asyncio.run(
            ours(sim, snapshot, modem_id, panel_id, args.calls))
        sim.calls.clear()
        base_callback, base_reject = baseline(sim, args.calls)
        answered = sum(c.ended == "answered" for c in sim.calls)
    finally:
        sim.close()
    rows = [("ours: +CLIP -> relay command", *summary_ms(ours_relay)),
            ("ours: +CLIP -> ATH at the modem", *summary_ms(ours_reject)),
            ("python-gsmmodem-new: +CLIP -> callback", *summary_ms(base_callback)),
            ("python-gsmmodem-new: +CLIP -> ATH", *summary_ms(base_reject))]
    print(f"{args.calls} calls a side; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    table(("ms", "p50", "p99", "p99.9", "max"), rows)
    p50, p99 = summary_ms(ours_relay)[:2]
    b50, b99 = summary_ms(base_callback)[:2]
    checks = Checks()
    checks.target("+CLIP -> relay p99 (ms)", p99 <= 100, f"{p99:.1f}", "<= 100",
                  baseline=f"{b99:.1f}", ratio=f"{p99 / b99:.2f}" if b99 else "")
    checks.info("+CLIP -> relay p50 (ms)", True, f"{p50:.1f}", "no target",
                baseline=f"{b50:.1f}", ratio=f"{p50 / b50:.2f}" if b50 else "")
    checks.check("every call opened the door once", opened == granted == args.calls,
                 f"{opened} relay, {granted} events", f"{args.calls}")
    checks.check("no call answered (free for the caller)", answered == 0, answered, "0")
    sms_rows = []
    runs = [(args.recipients or (10 if QUICK else 2000), 10.0),
            (args.recipients or (50 if QUICK else 2000), 100.0)]
    with tempfile.TemporaryDirectory(prefix="doorkeeper-bench-sms-") as folder:
        figures = campaigns(Path(folder), runs)
    for (size, rate), (per_s, quarter, end, received) in zip(runs, figures, strict=True):
        sms_rows.append((f"campaign of {size} at {rate:g}/s", f"{per_s:.1f}",
                         f"{per_s / rate:.2f}", f"{quarter:.0f}", f"{end:.0f}"))
        checks.target(f"SMS at a limit of {rate:g}/s (messages/s)", per_s >= 0.9 * rate,
                      f"{per_s:.1f}", f">= {0.9 * rate:g}", ratio=f"{per_s / rate:.2f}")
        checks.target(f"SMS at {rate:g}/s: memory growth (MB)", end - quarter < 20,
                      f"{end - quarter:.1f}", "< 20")
        checks.check(f"SMS at {rate:g}/s: each message received once", received == size,
                     received, f"{size}")
    table(("SMS campaign", "messages/s", "of limit", "RSS MB at 1/4", "RSS MB at end"),
          sms_rows)
    checks.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
