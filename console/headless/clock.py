"""The gateway's clock: synchronised, and not jumping, because decisions depend on it.

Access decisions read local time and week types (core/access.py, in each site's own
time zone), so a gateway whose clock drifts opens doors on the wrong schedule. Every
`gateway.clock_check_s` the gateway asks:

- **is the clock synchronised?** systemd-timesyncd (or any NTP client systemd knows):
  `timedatectl show -p NTPSynchronized --value`; else chrony: `chronyc -n tracking`'s
  "Leap status"; else, with no time service to ask, a sanity check: a clock earlier
  than the store's newest event (by more than the jump threshold) is wrong. Not
  synchronised raises **"Clock not synchronised"** on every site (every console rings);
  synchronised again records "Clock synchronised", which clears it.
- **did it jump?** The wall clock minus the monotonic clock is constant while nobody
  sets the time; a change of more than `gateway.clock_jump_s` (60 s) either way is a
  **"Clock jumped"** event on every site with both times (what the clock would have
  said, and what it says).

`ClockSource` is the boundary with the system (the clocks and the time services); tests
give the gateway a fake one, the decision code is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from console.headless.repeats import Repeats
from core.model import EventKind

log = logging.getLogger(__name__)
#: how long a time service may take to answer
ASK_TIMEOUT = 5.0


async def _run(*argv: str) -> str | None:
    """A command's output, or None when it is missing, fails or is slow."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    except OSError:
        return None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), ASK_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        return None
    return out.decode(errors="replace") if proc.returncode == 0 else None


class ClockSource:
    """The system's clocks and time services."""

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def synchronised(self) -> tuple[bool | None, str]:
        """(synchronised?, which service said so); None when no service answers."""
        answer = await _run("timedatectl", "show", "-p", "NTPSynchronized", "--value")
        if answer is not None and answer.strip() in ("yes", "no"):
            return answer.strip() == "yes", "timedatectl"
        answer = await _run("chronyc", "-n", "tracking")
        if answer is not None:
            for line in answer.splitlines():
                key, _, value = line.partition(":")
                if key.strip() == "Leap status":
                    return value.strip() != "Not synchronised", "chrony"
        return None, "no time service"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: float) -> str:
    seconds = abs(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours} h " if hours else "") + f"{rest // 60} min {rest % 60} s"


class ClockWatch:
    """Checks the clock; reports through `record(kind, description)` (the runtime's
    system events: every site)."""

    def __init__(self, record: Callable[[EventKind, str], None],
                 newest_event: Callable[[], Awaitable[datetime | None]], *,
                 source: ClockSource | None = None, jump_s: float = 60.0) -> None:
        self.record = record
        self.newest_event = newest_event
        self.source = source or ClockSource()
        self.jump_s = jump_s
        #: False while a "Clock not synchronised" alarm is open (set at start from the store)
        self.synced: bool | None = None
        self.how = ""  # the last answer, for `doorkeeper status`'s log line
        self._wall: datetime | None = None
        self._mono = 0.0
        self._failing = Repeats(log, "could not check the clock")

    async def check(self) -> None:
        """One look: a jump since the last, then the synchronisation."""
        wall, mono = self.source.wall(), self.source.monotonic()
        if self._wall is not None:
            expected = self._wall + timedelta(seconds=mono - self._mono)
            step = (wall - expected).total_seconds()
            if abs(step) > self.jump_s:
                way = "forward" if step > 0 else "backward"
                self.record(EventKind.CLOCK_JUMPED,
                            f"Clock jumped {way} by {_span(step)}: it said {_when(expected)}, "
                            f"now {_when(wall)}.")
        self._wall, self._mono = wall, mono
        synced, source = await self.source.synchronised()
        why = f"{source} says the clock is not synchronised"
        if synced is None:
            newest = await self.newest_event()
            behind = newest is not None and wall < newest - timedelta(seconds=self.jump_s)
            synced = not behind
            if behind and newest is not None:
                why = (f"no time service answers, and the clock ({_when(wall)}) is behind "
                       f"the newest stored event ({_when(newest)})")
        self.how = source
        if not synced and self.synced is not False:
            self.record(EventKind.CLOCK_NOT_SYNCHRONISED,
                        f"Clock not synchronised: {why}. Doors follow local time and week "
                        "types: check the time service (timedatectl status).")
        elif synced and self.synced is False:
            self.record(EventKind.CLOCK_SYNCHRONISED,
                        f"Clock synchronised again ({source}).")
        self.synced = synced

    async def run(self, every: float, stopping: asyncio.Event) -> None:
        """Check every `every` seconds until `stopping` (a supervised task)."""
        while not stopping.is_set():
            try:
                await self.check()
            except Exception as err:  # a time service that answers oddly, the store
                self._failing.failed(err)  # away: try again next time (one line a while)
            else:
                self._failing.ended()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await stopping.wait()
