"""A worker's own health: how long its event loop was held up, and by garbage collection.

Every session of a worker shares one event loop, so anything that holds it up (a long
collection of Python's cyclic garbage collector, a slow synchronous call) delays every
concierge's screen at once. The monitor logs a warning when the loop answered late and
keeps the figures for `describe()`. A thread of its own reports a stall while it lasts
(the loop has not ticked for STUCK seconds), once per stall, with the stack of the
loop's thread: where it is held, even when it never lets go.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import time
import traceback

log = logging.getLogger(__name__)

#: a tick later than this is logged
LATE = 0.5
#: a loop that has not ticked for this long is reported while it is held
STUCK = 2.0


class LoopMonitor:
    """Ticks every `interval` seconds and notes how late each tick ran; times GC passes."""

    def __init__(self, interval: float = 0.1, stuck: float = STUCK) -> None:
        self.interval = interval
        self.stuck = stuck
        self.stalls = 0  # stalls reported while they lasted
        self._ticked = time.monotonic()
        self._loop_thread = 0
        self._stop = threading.Event()
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
            self._ticked = time.monotonic()
            lag = loop.time() - due
            if lag > self.worst_lag:
                self.worst_lag = lag
            if lag > LATE:
                log.warning("event loop held up %.0f ms (GC so far: %d passes, %.1f s, "
                            "worst %.0f ms)", lag * 1000, self.gc_passes, self.gc_seconds,
                            self.gc_worst * 1000)

    def _watch(self) -> None:
        """In a thread: report a stall once, while it lasts, with where the loop is."""
        reported = 0.0
        while not self._stop.wait(self.interval):
            ticked = self._ticked
            held = time.monotonic() - ticked
            if held < self.stuck or reported == ticked:
                continue
            reported = ticked
            self.stalls += 1
            frame = sys._current_frames().get(self._loop_thread)
            where = "".join(traceback.format_stack(frame)) if frame is not None else "?"
            log.warning("event loop stuck for %.1f s so far; it is at:\n%s", held,
                        where.rstrip())

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._ticked = time.monotonic()
        self._loop_thread = threading.get_ident()
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._stop.clear()
        threading.Thread(target=self._watch, name="loop-monitor", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
