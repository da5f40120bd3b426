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


async def test_a_stall_is_reported_while_it_lasts_with_where_the_loop_is(caplog):
    monitor = LoopMonitor(interval=0.02, stuck=0.2)
    monitor.start()
    try:
        await asyncio.sleep(0.05)
        with caplog.at_level(logging.WARNING, logger="console.ssh.lag"):
            held_until = time.monotonic() + 0.6
            while time.monotonic() < held_until:  # the loop held: no await
                time.sleep(0.01)
            stuck = [r for r in caplog.records if "stuck" in r.message]
            # reported by the monitor's thread before the loop let go, once
            assert len(stuck) == 1 and monitor.stalls == 1
            assert "test_a_stall_is_reported_while_it_lasts" in stuck[0].message
            await asyncio.sleep(0.1)
        assert len([r for r in caplog.records if "stuck" in r.message]) == 1
    finally:
        monitor.stop()
