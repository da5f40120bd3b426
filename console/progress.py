"""Progress of a long command-line job (building the demo estate, and any job a person
waits more than a second for): counts, rate and time left.

On a terminal it is Rich's progress bar, redrawn in place; when the output is not a
terminal (a pipe, a log, CI) it is a plain line at most every PLAIN_EVERY_S seconds
and one at the end, so a log holds a few lines, not a bar's redraws."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: a plain progress line at most this often
PLAIN_EVERY_S = 2.0


class JobProgress:
    """One job of `total` units (`what` names them: "past events"); `advance(n)` as they
    are done, `stage(text)` for what is being done now. Use as a context manager."""

    def __init__(self, what: str, total: int, *, out: TextIO | None = None,
                 terminal: bool | None = None) -> None:
        self.what = what
        self.total = max(total, 0)
        self.out = out or sys.stdout
        self.terminal = self.out.isatty() if terminal is None else terminal
        self.done = 0
        self.stage_text = ""
        self._began = time.monotonic()
        self._counting_since = self._began  # the rate is of the counted stage only
        self._said_at = 0.0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> JobProgress:
        self._began = time.monotonic()
        if self.terminal:
            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                TextColumn("left"), TimeRemainingColumn(),
                console=Console(file=self.out), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total, rate="")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif kind is None:
            self._say(final=True)

    def stage(self, text: str) -> None:
        """What is being done now (shown before the counts)."""
        self.stage_text = text
        if not self.done:  # the stages before the counted one do not slow its rate
            self._counting_since = time.monotonic()
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=f"{self.what}: {text}")
        else:
            self._say(force=True)

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n) if self.total else self.done + n
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done, rate=self.rate_text())
        else:
            self._say()

    def rate_text(self) -> str:
        seconds = time.monotonic() - self._counting_since
        return f"{self.done / seconds:,.0f}/s" if seconds > 0.05 and self.done else ""

    def left_s(self) -> float | None:
        """Seconds left at the rate so far (None before anything is done)."""
        seconds = time.monotonic() - self._counting_since
        if not self.done or not self.total or seconds <= 0:
            return None
        return (self.total - self.done) * seconds / self.done

    def line(self) -> str:
        """The plain line: "  12.3 s  the history: 40,000 of 200,000 past events, ..."."""
        elapsed = time.monotonic() - self._began
        stage = self.stage_text or self.what
        if not self.done:  # a stage before the counted one: its name is the line
            return f"  {elapsed:5.1f} s  {stage} …"
        parts = [f"{self.done:,} of {self.total:,} {self.what}"]
        rate = self.rate_text()
        if rate:
            parts.append(rate)
        left = self.left_s()
        if left is not None and self.done < self.total:
            parts.append(f"about {left:,.0f} s left")
        return f"  {elapsed:5.1f} s  {stage}: " + ", ".join(parts)

    def _say(self, force: bool = False, final: bool = False) -> None:
        now = time.monotonic()
        if force or final or now - self._said_at >= PLAIN_EVERY_S:
            self._said_at = now
            print(self.line(), file=self.out, flush=True)
