"""A failure that repeats while it lasts, logged so that a person can read the log.

While the centre is away, parts that try again every second or two (the bus server's
restart, the clock's look at the newest stored event) would log a line each time, with
a traceback: hundreds of lines from ten gateways over a 30 s outage, the useful ones
lost among them. `Repeats` logs the first failure, then one line every `every` seconds
with how many more there were, and one line when it ends. A traceback is logged only
for the first failure, and only when the error is not an expected one (the store away,
a clear Doorkeeper error): a bug still shows where it is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from core.errors import DoorkeeperError
from store.faults import store_fault

#: seconds between two lines about the same failure while it lasts
SUMMARY_S = 30.0


def expected(err: BaseException) -> bool:
    """An error the gateway expects while its store or network is away (no traceback)."""
    return (isinstance(err, (DoorkeeperError, OSError, TimeoutError))
            or store_fault(err) is not None)


def describe(err: BaseException) -> str:
    """One line: the error's type and message."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


class Repeats:
    """One kind of failure of one part: its first line, a count every `every` seconds,
    its end."""

    def __init__(self, logger: logging.Logger, what: str, every: float = SUMMARY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.what, self.every, self.clock = logger, what, every, clock
        self.since: float | None = None  # when the failure began (None: not failing)
        self.count = 0  # failures since it began
        self._said_at, self._said_count = 0.0, 0

    def failed(self, err: BaseException, level: int = logging.ERROR) -> None:
        """One more failure: logged if it is the first, counted otherwise (a line every
        `every` seconds)."""
        now = self.clock()
        self.count += 1
        if self.since is None:
            self.since, self._said_at, self._said_count = now, now, self.count
            self.log.log(level, "%s: %s (while it lasts, a line every %.0f s)",
                         self.what, describe(err), self.every,
                         exc_info=None if expected(err) else err)
        elif now - self._said_at >= self.every:
            self.log.log(level, "%s: %d more times in %.0f s, the last: %s", self.what,
                         self.count - self._said_count, now - self._said_at, describe(err))
            self._said_at, self._said_count = now, self.count

    def ended(self) -> None:
        """The part works again: one line if it had failed."""
        if self.since is None:
            return
        self.log.warning("%s: works again after %d failure%s over %.0f s", self.what,
                         self.count, "" if self.count == 1 else "s", self.clock() - self.since)
        self.since, self.count = None, 0
