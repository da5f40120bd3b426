"""Per-session resource limits, watched by the worker.

Every `every` seconds the worker reads (in a thread) each session process's memory (PSS, from
/proc/PID/smaps_rollup: what it costs beyond the pages it shares with the zygote and
its siblings) and CPU time (/proc/PID/stat). A session over its memory limit, or one
that kept a whole core busy for `cpu_window` seconds, is ended at once (SIGKILL: it may
be too busy to quit) with a one-line message to its client and an audit entry; the
other sessions, each in its own process, never notice.

CPU is shared fairly before it comes to that: a session that kept more than
`BUSY_SHARE` of a core busy over the last few seconds (a storm of resizes at the largest
window, a flood of search keys) is lowered in priority (nice `BUSY_NICE`, every thread),
so the quiet sessions' keys are served first on a loaded machine. It stays lowered for
the rest of its life (raising a priority again needs privileges the server does not
hold).

A watchdog rather than RLIMIT_AS: the address space of a Python process with threads
(Textual's writer thread, glibc's per-thread arenas) is several times what it uses, so
an address-space limit either fails good sessions or does not bound bad ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: a session process may use this much memory (PSS) before it is ended
MEMORY_LIMIT_MB = 400
#: a session that keeps this share of a core busy over the window is ended
CPU_SHARE = 0.9
CPU_WINDOW = 30.0
#: a session that keeps this share of a core busy over BUSY_WINDOW is lowered in priority
BUSY_SHARE = 0.5
BUSY_WINDOW = 3.0
BUSY_NICE = 15  # below the sessions' own nice ([ssh] session_nice, 10 by default)
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def pss_kb(pid: int) -> int | None:
    """A process's proportional set size in kB (None: it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return 0


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a process has used (None: it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, ValueError, IndexError):
        return None


def lower_priority(pid: int, nice: int = BUSY_NICE) -> bool:
    """Lower every thread of a process to `nice` (Linux sets it per thread), and its
    terminal session's scheduling group (autogroup: what the kernel ranks first where
    autogroups are on, docs/ssh-sessions.md), never raising either; False if it is
    gone."""
    try:
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return False
    for tid in threads:
        with contextlib.suppress(OSError):  # never raised: a session may start above it
            os.setpriority(os.PRIO_PROCESS, tid,
                           max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
    with contextlib.suppress(OSError, ValueError, IndexError):  # no autogroups: no file
        group = f"/proc/{pid}/autogroup"
        with open(group, encoding="ascii") as f:
            now = int(f.read().split()[-1])  # "/autogroup-42 nice 5"
        if nice > now:
            with open(group, "w", encoding="ascii") as f:
                f.write(str(nice))
    return True


#: pid -> (CPU seconds, PSS kB), each None when the process is gone
Readings = dict[int, tuple[float | None, int | None]]


def measure(pids: list[int], lower: set[int]) -> Readings:
    """Read each process's CPU time and PSS, after lowering the priority of those in
    `lower` (run in a thread: see Watchdog._run)."""
    for pid in lower:
        lower_priority(pid)
    return {pid: (cpu_seconds(pid), pss_kb(pid)) for pid in pids}


@dataclass
class Usage:
    """What one session has used, sample by sample."""

    samples: list[tuple[float, float]] = field(default_factory=list)  # (time, cpu seconds)
    lowered: bool = False  # its priority was lowered

    def recent_share(self, window: float) -> float:
        """The share of a core used over about the last `window` seconds (0: too early)."""
        now, cpu = self.samples[-1]
        older = [s for s in self.samples if now - s[0] >= window]
        if not older:
            return 0.0
        then, used = older[-1]
        return (cpu - used) / (now - then)

    def busy_share(self, now: float, cpu: float, window: float) -> float | None:
        """The share of a core used over the last `window` seconds (None: too early)."""
        self.samples.append((now, cpu))
        while len(self.samples) > 2 and now - self.samples[1][0] >= window:
            self.samples.pop(0)
        start, used = self.samples[0]
        if now - start < window:
            return None
        return (cpu - used) / (now - start)


def over_limit(pss: int | None, share: float | None, memory_mb: int,
               cpu_share: float) -> str | None:
    """Why a session must end, as its client is told; None when it is within its limits."""
    if pss is not None and pss > memory_mb * 1024:
        return (f"This session used more than {memory_mb} MB of memory and was closed; "
                "it is logged. Connect again to carry on.")
    if share is not None and share > cpu_share:
        return ("This session kept a processor busy for too long and was closed; it is "
                "logged. Connect again to carry on.")
    return None


class Watchdog:
    """Samples `sessions()` (pairs of a key and a pid) and calls `stop(key, why)`."""

    def __init__(self, sessions: Callable[[], Iterable[tuple[object, int]]],
                 stop: Callable[[object, str], object], *, every: float = 1.0,
                 memory_mb: int = MEMORY_LIMIT_MB, cpu_share: float = CPU_SHARE,
                 cpu_window: float = CPU_WINDOW) -> None:
        self.sessions = sessions
        self.stop_session = stop
        self.every = every
        self.memory_mb = memory_mb
        self.cpu_share = cpu_share
        self.cpu_window = cpu_window
        self.usage: dict[int, Usage] = {}
        self._lower: set[int] = set()  # processes whose priority the next reading lowers
        self._task: asyncio.Task[None] | None = None

    def check(self, now: float, readings: Readings | None = None) -> None:
        """One round over every session, with what `measure` read (read here if None)."""
        sessions = list(self.sessions())
        if readings is None:
            readings = measure([pid for _, pid in sessions], set())
        seen = set()
        for key, pid in sessions:
            if pid not in readings:
                continue  # started after the reading: the next round sees it
            seen.add(pid)
            cpu, pss = readings[pid]
            usage = self.usage.setdefault(pid, Usage())
            share = None if cpu is None else usage.busy_share(now, cpu, self.cpu_window)
            if (cpu is not None and not usage.lowered
                    and usage.recent_share(BUSY_WINDOW) > BUSY_SHARE):
                usage.lowered = True
                self._lower.add(pid)  # by the next reading, in its thread
                log.info("session process %d is busy: its priority is lowered", pid)
            why = over_limit(pss, share, self.memory_mb, self.cpu_share)
            if why is not None:
                log.warning("session process %d over its limit: %s", pid, why)
                self.usage.pop(pid, None)
                self.stop_session(key, why)
        for pid in set(self.usage) - seen:
            del self.usage[pid]

    async def _run(self) -> None:
        """Read in a thread, decide on the loop: reading /proc/PID/smaps_rollup waits
        for the process's memory map lock, which a session busy faulting in pages (just
        forked, fifty at once) holds for a long while; on the loop that held the
        worker's every connection for seconds (bench/bench_ssh_sessions.py)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.every)
            try:
                pids = [pid for _, pid in self.sessions()]
                lower, self._lower = self._lower, set()
                readings = await asyncio.to_thread(measure, pids, lower)
                self.check(loop.time(), readings)
            except Exception:
                log.exception("the session watchdog failed a round")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
