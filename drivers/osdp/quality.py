"""A reader's communication quality: how many of its exchanges went unanswered lately.

A reader that answers most commands but misses too many is not offline, yet
each miss costs the bus a reply timeout and may delay a door: the installer
must look at its wiring, termination or address. Exchanges are counted in
one-second buckets over a sliding window (constant memory at any poll rate).
The alarm is raised when at least POOR of the window's exchanges went
unanswered, and cleared only when the window is back under GOOD (hysteresis:
a reader on the edge does not flap). Too few exchanges decide nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

WINDOW = 30.0  # seconds of exchanges judged together
POOR = 0.20  # share unanswered that raises the alarm
GOOD = 0.05  # share unanswered under which it clears
MIN_EXCHANGES = 10  # fewer in the window decide nothing


@dataclass
class Quality:
    """One reader's recent exchanges and whether its alarm is raised."""

    window: float = WINDOW
    poor: bool = False
    #: [second, exchanges, unanswered], oldest first
    buckets: deque[list[int]] = field(default_factory=deque)

    def record(self, now: float, answered: bool) -> str | None:
        """Count one exchange; "poor" or "restored" when the alarm should change, else None."""
        second = int(now)
        if self.buckets and self.buckets[-1][0] == second:
            bucket = self.buckets[-1]
        else:
            bucket = [second, 0, 0]
            self.buckets.append(bucket)
        bucket[1] += 1
        bucket[2] += not answered
        while self.buckets and self.buckets[0][0] <= now - self.window:
            self.buckets.popleft()
        total, missed = self.totals()
        if total < MIN_EXCHANGES:
            return None
        if not self.poor and missed >= POOR * total:
            self.poor = True
            return "poor"
        if self.poor and missed < GOOD * total:
            self.poor = False
            return "restored"
        return None

    def totals(self) -> tuple[int, int]:
        """Exchanges and unanswered ones in the window."""
        return sum(b[1] for b in self.buckets), sum(b[2] for b in self.buckets)

    def describe(self) -> str:
        """The window in words, for the alarm's description."""
        total, missed = self.totals()
        return f"{missed} timeouts in {total} exchanges over {self.window:g} s"
