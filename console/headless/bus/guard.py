"""What keeps one bus peer from flooding the gateway's log: warnings rate-limited per
peer and summarised.

10 MB of ``x\\n`` is 5 million malformed lines; logged one by one (~150 bytes each) that
would be ~750 MB of log. A peer gets at most ``burst`` warnings of one kind per
``window`` seconds; the rest are counted and summarised once the window ends ("bus:
19,998 more malformed lines from pid 1234 in the last 10 s"), or when the peer goes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

WINDOW_S = 10.0
BURST = 5


@dataclass
class _Count:
    started: float
    logged: int = 0
    suppressed: int = 0


@dataclass
class PeerWarnings:
    """Rate-limited warnings about one peer (``who``: "pid 1234")."""

    log: logging.Logger
    who: str
    window: float = WINDOW_S
    burst: int = BURST
    _counts: dict[str, _Count] = field(default_factory=dict)
    _timer: asyncio.TimerHandle | None = None

    def warn(self, what: str, fmt: str, *args: object) -> None:
        """Log ``fmt % args`` unless ``burst`` lines about ``what`` (plural noun:
        "malformed lines") were logged in this window; then only count it."""
        now = time.monotonic()
        count = self._counts.get(what)
        if count is not None and now - count.started >= self.window:
            self._summarise(what, count)
            count = None
        if count is None:
            count = self._counts[what] = _Count(now)
        if count.logged < self.burst:
            count.logged += 1
            self.log.warning(fmt, *args)
            return
        count.suppressed += 1
        if self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._timer = loop.call_later(self.window, self.flush)

    def flush(self) -> None:
        """Summarise what was counted and start afresh (the peer left, or time passed)."""
        self._timer = None
        for what, count in list(self._counts.items()):
            self._summarise(what, count)
        self._counts.clear()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.flush()

    def _summarise(self, what: str, count: _Count) -> None:
        if count.suppressed:
            seconds = max(1, round(min(time.monotonic() - count.started, self.window)))
            self.log.warning("bus: %s more %s from %s in the last %d s",
                             f"{count.suppressed:,}", what, self.who, seconds)
        self._counts.pop(what, None)
