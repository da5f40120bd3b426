"""Progress of a long command-line job (building the demo estate, a store's migrations,
an export, an import, a backup: any job a person waits more than a second for): counts,
rate and time left.

On a terminal it is Rich's progress bar, redrawn in place; when the output is not a
terminal (a pipe, a log, CI) it is a plain line at most every PLAIN_EVERY_S seconds
and one at the end, so a log holds a few lines, not a bar's redraws. A job whose size is
not known ahead (total 0) counts without "of N" or time left. Jobs beside a command's
own output (migrations, backups, imports, exports) write to stderr, so what a command
prints for a script (`status --json`) stays clean."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # Rich is imported when a bar is drawn: the CLI's headless commands
    from rich.progress import Progress, TaskID  # (gateway, serve) never load it

#: a plain progress line at most this often
PLAIN_EVERY_S = 2.0
#: the jobs beside a command's own output (migrations, backups, imports, exports) say
#: nothing when over sooner: a second is where waiting starts, and a quick command's
#: output stays its one line
BESIDE_QUIET_S = 3.0


class JobProgress:
    """One job of `total` units (`what` names them: "past events"); `advance(n)` as they
    are done, `stage(text)` for what is being done now. Use as a context manager."""

    def __init__(self, what: str, total: int, *, out: TextIO | None = None,
                 terminal: bool | None = None, quiet_s: float = 0.0) -> None:
        self.what = what
        #: a job over within this many seconds says nothing (not a terminal: no line)
        self.quiet_s = quiet_s
        self._said = False
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
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                TextColumn("left"), TimeRemainingColumn(),
                console=Console(file=self.out), transient=self.quiet_s > 0)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total or None, rate="")
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

    def advance(self, n: int = 1, *, then: str | None = None) -> None:
        """`n` more units done; `then` names what is done now or next (one line for both
        when not a terminal: a job of a few steps says each)."""
        self.done = min(self.total, self.done + n) if self.total else self.done + n
        if then is not None:
            self.stage_text = then
        if self._bar is not None and self._task is not None:
            if then is not None:
                self._bar.update(self._task, description=f"{self.what}: {then}")
            self._bar.update(self._task, completed=self.done, rate=self.rate_text())
        else:
            self._say(force=then is not None)

    def rate_text(self) -> str:
        seconds = time.monotonic() - self._counting_since
        rate = self.done / seconds if seconds > 0.05 and self.done else 0.0
        return f"{rate:,.0f}/s" if rate >= 1 else ""  # a few slow steps: time left says it

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
        parts = [f"{self.done:,} of {self.total:,} {self.what}" if self.total
                 else f"{self.done:,} {self.what}"]
        rate = self.rate_text()
        if rate:
            parts.append(rate)
        left = self.left_s()
        if left is not None and self.done < self.total:
            parts.append(f"about {left:,.0f} s left")
        return f"  {elapsed:5.1f} s  {stage}: " + ", ".join(parts)

    def _say(self, force: bool = False, final: bool = False) -> None:
        now = time.monotonic()
        if now - self._began < self.quiet_s or (final and not self._said and self.quiet_s):
            return  # a short job, or the end of one that said nothing: no line
        if force or final or now - self._said_at >= PLAIN_EVERY_S:
            self._said_at = now
            self._said = True
            print(self.line(), file=self.out, flush=True)


class UpgradeProgress:
    """A store's upgrade on a command line (store.upgrade.UpgradeSteps): nothing when the
    store is already at this release's schema; else a bar (or lines) over the backup and
    each revision, on stderr."""

    def __init__(self, out: TextIO | None = None, terminal: bool | None = None) -> None:
        self.out = out or sys.stderr
        self.terminal = terminal
        self._job: JobProgress | None = None

    def begin(self, steps: int, found: str | None, head: str) -> None:
        self._job = JobProgress("migrations", steps, out=self.out, terminal=self.terminal,
                                quiet_s=BESIDE_QUIET_S)
        self._job.__enter__()
        self._job.stage(f"store schema {found} to {head}" if found else
                        f"a new store, schema {head}")

    def step(self, name: str) -> None:
        """A step is done: counted, then named (a line for each when not a terminal)."""
        if self._job is not None:
            self._job.advance(then=f"{name[:70]} (done)")

    def end(self) -> None:
        if self._job is not None:
            self._job.__exit__(None, None, None)
            self._job = None


def stages(what: str, names: list[str]) -> StagedJob:
    """A job of a few named stages (a backup: copy, check, sync), each counted once done."""
    return StagedJob(what, names)


class StagedJob(JobProgress):
    """JobProgress over named stages, on stderr: `next()` begins the next stage."""

    def __init__(self, what: str, names: list[str], *, out: TextIO | None = None,
                 terminal: bool | None = None) -> None:
        super().__init__(what, len(names), out=out or sys.stderr, terminal=terminal,
                         quiet_s=BESIDE_QUIET_S)
        self.names = names
        self._at = -1

    def __enter__(self) -> StagedJob:
        super().__enter__()
        return self

    def next(self) -> None:
        """The stage before is done; the next begins."""
        self._at += 1
        name = self.names[min(self._at, len(self.names) - 1)]
        if self._at == 0:
            self.stage(name)
        else:
            self.advance(then=name)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None and self._at >= 0 and self.done < self.total:
            self.advance()  # the last stage is done
        super().__exit__(kind, error, trace)
