"""Throttled connections, logged as one line per address per interval.

A client hammering the port is refused on arrival (console.ssh.gatekeeper); a line per
refusal would flood the serve log (two thousand lines in twenty seconds from one
address), so refusals are counted and each address gets one summary line per interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable

log = logging.getLogger(__name__)

#: seconds between two summary lines for one address
INTERVAL = 10.0


class ThrottleLog:
    """Counts refusals per address; the first is logged at once, the rest once an interval."""

    def __init__(self, interval: float = INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.pending: Counter[str] = Counter()
        self.last: dict[str, float] = {}  # address -> when its last line was written
        self._flush: asyncio.TimerHandle | None = None

    def note(self, address: str) -> None:
        """One connection from `address` was refused."""
        now = self.clock()
        if now - self.last.get(address, -self.interval) >= self.interval:
            self.last[address] = now
            log.warning("throttled a connection from %s (more in the next %.0f s are "
                        "counted, not logged one by one)", address, self.interval)
            return
        self.pending[address] += 1
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(self.interval, self.flush)

    def flush(self) -> list[str]:
        """Write one line per address refused since its last line; the lines written."""
        self._flush = None
        lines = [f"throttled {n} more connection{'s' * (n != 1)} from {address} in the "
                 f"last {self.interval:.0f} s" for address, n in sorted(self.pending.items())]
        now = self.clock()
        for address in self.pending:
            self.last[address] = now
        self.pending.clear()
        for line in lines:
            log.warning("%s", line)
        if len(self.last) > 10_000:
            self.last = {a: t for a, t in self.last.items() if now - t < self.interval}
        return lines
