"""The gateway's task supervisor: every long-running part has an owner that watches it.

A part is watched by two functions: `alive()` and `restart()` (a driver, the
event writer and the bus keep their own tasks; `run()` makes a plain coroutine
such a part). Every `interval` the supervisor looks at each part; one that has
died is logged with its traceback, reported to `on_failure(name, why)` (the
gateway raises a "Gateway task failed" alarm on every console), and restarted
after a back-off that doubles from 1 s to 60 s and starts again at 1 s once the
part has stayed up for a minute. A restart that fails (the bus server while the centre
is away) is tried again after the same back-off; its failures are logged as one line
when they begin, a count every 30 s and one line when they end (console/headless/
repeats.py), not a traceback each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from console.headless.repeats import Repeats

log = logging.getLogger(__name__)
FIRST_BACKOFF, MAX_BACKOFF, STEADY_S = 1.0, 60.0, 60.0


@dataclass
class Part:
    """One supervised part."""

    name: str
    alive: Callable[[], bool]
    restart: Callable[[], Awaitable[None]]
    failure: Callable[[], BaseException | None]
    backoff: float = FIRST_BACKOFF
    restarts: int = 0
    up_since: float = 0.0
    restart_at: float | None = None  # when a dead part is due to start again
    failing: Repeats | None = None  # its restarts' failures, while they last


class TaskSupervisor:
    """Watches parts, reports and restarts those that die."""

    def __init__(self, on_failure: Callable[[str, str], None], interval: float = 0.2) -> None:
        self.on_failure = on_failure
        self.interval = interval
        self.parts: dict[str, Part] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        #: called after every pass of the check loop (the systemd watchdog's WATCHDOG=1:
        #: a loop that stalls stops it)
        self.after_check: Callable[[], None] | None = None

    def watch(self, name: str, alive: Callable[[], bool], restart: Callable[[], Awaitable[None]],
              failure: Callable[[], BaseException | None] = lambda: None) -> None:
        """Supervise a part that keeps its own task."""
        self.parts[name] = Part(name, alive, restart, failure, up_since=time.monotonic())

    def unwatch(self, name: str) -> None:
        """Stop supervising a part that was removed on purpose (an OSDP bus with no readers
        left, or one replaced by a new driver)."""
        self.parts.pop(name, None)

    def run(self, name: str, factory: Callable[[], Coroutine[Any, Any, None]]
            ) -> asyncio.Task[None]:
        """Start a coroutine as a supervised task (started again from `factory`)."""
        def start() -> asyncio.Task[None]:
            task = asyncio.create_task(factory(), name=name)
            self._tasks[name] = task
            return task

        async def restart() -> None:
            start()

        def failure() -> BaseException | None:
            task = self._tasks.get(name)
            if task is None or not task.done():
                return None
            return asyncio.CancelledError() if task.cancelled() else task.exception()

        task = start()
        self.watch(name, lambda: not self._tasks[name].done(), restart, failure)
        return task

    def task(self, name: str) -> asyncio.Task[None] | None:
        """The current task of a part started by `run`."""
        return self._tasks.get(name)

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="supervisor")

    async def check(self) -> None:
        """Look at every part once (the loop does this every `interval`)."""
        now = time.monotonic()
        for part in list(self.parts.values()):
            if self._stopping:
                return
            if part.alive():
                if part.restart_at is None and now - part.up_since >= STEADY_S:
                    part.backoff = FIRST_BACKOFF
                continue
            if part.restart_at is None:  # just found dead
                err = part.failure()
                why = f"{type(err).__name__}: {err}" if err is not None else "it stopped"
                log.error("gateway task %s died (%s); restarting in %.0f s", part.name, why,
                          part.backoff, exc_info=err if err is not None else None)
                try:
                    self.on_failure(part.name, why)
                except Exception:
                    log.exception("could not raise the alarm for %s", part.name)
                part.restart_at = now + part.backoff
                part.backoff = min(part.backoff * 2, MAX_BACKOFF)
            elif now >= part.restart_at:
                part.restart_at = None
                part.restarts += 1
                part.up_since = now
                if part.failing is None:
                    part.failing = Repeats(log, f"gateway task {part.name} could not be "
                                                "restarted")
                try:
                    await part.restart()
                except Exception as err:
                    part.failing.failed(err)
                    part.restart_at = now + part.backoff
                else:
                    part.failing.ended()
                    log.warning("gateway task %s restarted (%d)", part.name, part.restarts)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.check()
            except Exception:  # the watcher itself must not die of a part's oddity
                log.exception("supervisor check failed")
            else:
                if self.after_check is not None:
                    self.after_check()
            await asyncio.sleep(self.interval)

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; cancel the tasks started by `run` (bounded by `timeout`)."""
        self._stopping = True
        tasks = [t for t in (self._loop_task, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)
