"""A session's own account of its start, for the benchmarks (bench/bench_ssh_sessions.py,
bench/session_start.py): with DOORKEEPER_START_PROBE set to a folder, each session
process writes there its CPU and wall time from the fork to its first frame, the frames
Textual wrote and the live batches it took before it, the hellos it sent the gateway,
and a fixed loop's CPU time (what contention alone costs). Unset, nothing is hooked."""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import TYPE_CHECKING, Any

from console.textual_compat import on_frame

if TYPE_CHECKING:
    from console.app import DoorkeeperApp
    from console.context import ConsoleContext

#: DOORKEEPER_START_PROBE=<folder>: each session writes there how its start went (the
#: benchmarks read it: CPU to the first frame, frames and live batches before it)
PROBE = "DOORKEEPER_START_PROBE"
#: the probe's fixed CPU-bound loop (about 10 ms alone): its CPU time under a load,
#: against alone, is what contention by itself costs a start
CALIBRATION_LOOPS = 200_000


class StartProbe:
    """How one session's start went, for the benchmarks (only with PROBE set): its CPU
    and wall time from the fork to its first frame, the frames Textual wrote and the live
    batches the session took before it, the hellos it sent the gateway, and a fixed
    loop's CPU time (contention alone)."""

    forked = 0.0
    hellos = 0

    def __init__(self, folder: str, app: DoorkeeperApp, ctx: ConsoleContext) -> None:
        self.folder = folder
        self.frames = self.batches = self.events = 0
        self.calibration = _calibrate()
        on_frame(app, self._frame)
        live = ctx.live
        if live is not None:
            drain = live.drain

            def drained() -> Any:
                batch = drain()
                if batch:
                    self.batches += 1
                    self.events += len(batch.events)
                return batch

            live.drain = drained  # type: ignore[method-assign]

    def _frame(self) -> None:
        self.frames += 1

    @classmethod
    def start(cls, app: DoorkeeperApp, ctx: ConsoleContext) -> StartProbe | None:
        folder = os.environ.get(PROBE)
        return cls(folder, app, ctx) if folder else None

    def write(self) -> None:
        """One JSON file per session process, named by its pid."""
        times = os.times()
        figures = {"cpu_s": times.user + times.system - self.calibration,
                   "wall_s": time.monotonic() - self.forked, "frames": self.frames,
                   "batches": self.batches, "events": self.events, "hellos": self.hellos,
                   "calibration_s": self.calibration}
        with contextlib.suppress(OSError), \
                open(os.path.join(self.folder, f"{os.getpid()}.json"), "w") as out:
            json.dump(figures, out)


def _calibrate() -> float:
    """The thread CPU time of a fixed pure-Python loop."""
    t0 = time.thread_time()
    total = 0
    for i in range(CALIBRATION_LOOPS):
        total += i * i % 7
    return time.thread_time() - t0 - (total < 0)
