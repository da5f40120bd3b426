"""Helpers for the console benchmarks: when did a change reach the screen?

Textual's headless driver (run_test) computes every frame but writes none, so the
moment a frame is composed is taken at `App._display`, the call that would write it
to the terminal. Not a benchmark itself (`make bench` runs only bench/bench_*.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual import events
from textual.app import App


class FrameClock:
    """Notes the time of every frame the app composes."""

    def __init__(self, app: App) -> None:
        self.frames: list[float] = []
        original = app._display

        def display(screen, renderable) -> None:
            if renderable is not None:
                self.frames.append(time.perf_counter())
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    async def first_frame_after(self, t0: float, ready: Callable[[], bool],
                                timeout: float = 30.0) -> float:
        """Seconds from t0 to the first frame composed once `ready()` holds."""
        deadline = time.perf_counter() + timeout
        t_ready = t0  # the last moment it was seen not ready: the change came after it
        while not ready():
            if time.perf_counter() > deadline:
                raise TimeoutError("the screen never became ready")
            t_ready = time.perf_counter()
            await asyncio.sleep(0.0005)
        while True:
            later = [f for f in self.frames if f >= t_ready]
            if later:
                return later[0] - t0
            if time.perf_counter() > deadline:
                raise TimeoutError("no frame was composed")
            await asyncio.sleep(0.0005)


def press(app: App, key: str) -> float:
    """Post a key press as the terminal driver would; returns when it was sent."""
    t0 = time.perf_counter()
    app.post_message(events.Key(key, None))
    return t0
