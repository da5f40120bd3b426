"""Garbage collection in a worker that hosts many console apps.

Each app holds tens of thousands of objects that Python's cyclic collector tracks, and
Textual keeps strips of recent frames in caches (every Strip carries seven small caches of
its own). With twenty-five sessions in a worker, full collections walked over a million
objects and held the shared event loop for up to 3.6 s every few seconds, so every
concierge on the worker waited (measured with console.ssh.lag under
bench/bench_ssh_sessions.py).

So every `settle` seconds what is alive is frozen (`gc.freeze()`: moved where the
collector no longer walks it). Objects that die are still freed at once by reference
counting, and garbage cycles made within a few seconds are still collected as usual; only
cycles among frozen objects (an app that has closed, a little of the caches' churn: about
150 objects a session a minute, measured) wait for a full pass over everything. That pass
runs once sessions have ended and things are quiet, and every `every` seconds otherwise;
it is timed and logged.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)


class GcPolicy:
    """Freeze what lives every few seconds; a full, logged clean-up after sessions end."""

    def __init__(self, settle: float = 5.0, every: float = 1800.0) -> None:
        self.settle = settle
        self.every = every
        self.cleanups = 0
        self.last_cleanup_s = 0.0
        self._closed_at: float | None = None  # the last close not yet cleaned up after
        self._first_closed_at: float | None = None
        self._cleaned_at = time.monotonic()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        gc.freeze()  # the worker's own modules and state
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def session_closed(self) -> None:
        now = time.monotonic()
        self._first_closed_at = self._first_closed_at or now
        self._closed_at = now

    def cleanup(self, why: str) -> float:
        """Collect everything (frozen objects too), then freeze what is left; seconds."""
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        spent = time.perf_counter() - started
        self.cleanups += 1
        self.last_cleanup_s = spent
        self._cleaned_at = time.monotonic()
        log.info("full garbage collection (%s): %.0f ms, %d unreachable, %d objects kept",
                 why, spent * 1000, found, gc.get_freeze_count())
        return spent

    def _due(self, now: float) -> str | None:
        if self._closed_at is not None:
            if now - self._closed_at >= self.settle:
                return "sessions ended"
            first = self._first_closed_at if self._first_closed_at is not None else now
            if now - first >= 20 * self.settle:
                return "sessions keep ending"
        if now - self._cleaned_at >= self.every:
            return "periodic"
        return None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settle)
            why = self._due(time.monotonic())
            if why is not None:
                self._closed_at = self._first_closed_at = None
                self.cleanup(why)
            else:
                gc.freeze()
