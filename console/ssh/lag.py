"""A worker's own health: how long its event loop was held up, and by garbage collection.

Every session of a worker shares one event loop, so anything that holds it up (a long
collection of Python's cyclic garbage collector, a slow synchronous call) delays every
concierge's screen at once. The monitor logs a warning when the loop answered late and
keeps the figures for `describe()`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)

#: a tick later than this is logged
LATE = 0.5


class LoopMonitor:
    """Ticks every `interval` seconds and notes how late each tick ran; times GC passes."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.worst_lag = 0.0
        self.gc_passes = 0
        self.gc_seconds = 0.0
        self.gc_worst = 0.0
        self._gc_start = 0.0
        self._task: asyncio.Task | None = None

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        spent = time.perf_counter() - self._gc_start
        self.gc_passes += 1
        self.gc_seconds += spent
        if spent > self.gc_worst:
            self.gc_worst = spent
            if spent > LATE / 5:
                log.warning("garbage collection of generation %s took %.0f ms",
                            info.get("generation"), spent * 1000)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            lag = loop.time() - due
            if lag > self.worst_lag:
                self.worst_lag = lag
            if lag > LATE:
                log.warning("event loop held up %.0f ms (GC so far: %d passes, %.1f s, "
                            "worst %.0f ms)", lag * 1000, self.gc_passes, self.gc_seconds,
                            self.gc_worst * 1000)

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
