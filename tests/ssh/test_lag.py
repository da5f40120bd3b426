"""The worker's loop monitor notes and logs a held-up event loop (console/ssh/lag.py)."""

from __future__ import annotations

import asyncio
import logging
import time

from console.ssh.lag import LoopMonitor


async def test_a_held_up_loop_is_measured_and_logged(caplog):
    monitor = LoopMonitor(interval=0.02)
    monitor.start()
    try:
        await asyncio.sleep(0.1)
        assert monitor.worst_lag < 0.5
        with caplog.at_level(logging.WARNING, logger="console.ssh.lag"):
            time.sleep(0.7)  # a synchronous call holding the loop
            await asyncio.sleep(0.1)
        assert monitor.worst_lag >= 0.6
        assert any("held up" in r.message for r in caplog.records)
    finally:
        monitor.stop()
