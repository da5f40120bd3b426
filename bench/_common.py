"""Small helpers shared by the benchmarks: tables, checks, statistics.

Not a benchmark itself (`make bench` runs only bench/bench_*.py).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows under headers, the first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


class Checks:
    """PASS/FAIL lines, collected and printed as a table."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def check(self, name: str, ok: bool, got: object, want: str) -> bool:
        self.rows.append((name, _fmt(got), want, "PASS" if ok else "FAIL"))
        return ok

    def print(self) -> None:
        table(("check", "got", "target", "result"), self.rows)
        failed = sum(r[3] == "FAIL" for r in self.rows)
        print(f"{len(self.rows) - failed} of {len(self.rows)} checks passed.")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> tuple[float, float, float, float]:
    """p50, p99, p99.9 and max of durations given in seconds, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return (percentile(ms, 50), percentile(ms, 99), percentile(ms, 99.9), ms[-1])


# --- bus subscribers in a separate process -----------------------------------------------

#: the message a benchmark publishes last: a subscriber that reads it has read everything
END_TYPE = "bench_end"


async def _subscribers(path: str, count: int) -> None:
    """The subscriber process: `count` BusClient connections, each counting what it reads.

    Prints "ready" once every connection is open, then, once every client has
    read END_TYPE (or lost its connection), one JSON line with each client's
    counts, this process's CPU seconds and its peak resident memory.
    """
    from console.headless.bus.client import (
        BusClient,  # imported here: _common itself needs only the stdlib
    )

    class CountingClient(BusClient):
        """A console's client that also counts the bytes of every line it reads."""

        bytes_read = 0

        def _dispatch(self, line: bytes) -> None:
            self.bytes_read += len(line) + 1
            super()._dispatch(line)

    async def consume(client: CountingClient) -> dict:
        messages = events = 0
        first = last = None
        ended = False
        async for msg in client.messages():
            if msg.get("type") == END_TYPE:
                ended = True
                break
            messages += 1
            if msg.get("type") in ("event", "alarm"):
                events += 1
                last = time.monotonic()
                if first is None:
                    first = last
        return {"messages": messages, "events": events, "bytes": client.bytes_read,
                "first": first, "last": last, "ended": ended, "dropped": client.dropped}

    clients = [await CountingClient.connect(path, timeout=30) for _ in range(count)]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    print("ready", flush=True)
    results = await asyncio.gather(*(consume(c) for c in clients))
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    for c in clients:
        await c.close()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    sys.stdout.write(json.dumps({"clients": results, "cpu_s": cpu,
                                 "max_rss_mb": cpu1.ru_maxrss / 1024}) + "\n")
    sys.stdout.flush()


class SubscriberProcess:
    """A child Python process holding `count` bus subscribers (see `_subscribers`).

    Start it with `await SubscriberProcess.start(path, count)`; publish END_TYPE
    on the bus when done, then `await proc.finish()` for the counts.
    """

    def __init__(self, proc: asyncio.subprocess.Process, count: int,
                 stderr: IO[bytes]) -> None:
        self.proc = proc
        self.count = count
        self.stderr = stderr  # a temporary file: a pipe nobody reads could fill and block it

    @classmethod
    async def start(cls, path: str, count: int, timeout: float = 60.0,
                    nice: int = 0) -> SubscriberProcess:
        """Start the process; `nice` > 0 lowers its CPU priority below this process's."""
        code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                f"import asyncio, _common; "
                f"asyncio.run(_common._subscribers({str(path)!r}, {count}))")
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by finish() or kill())
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=stderr)
        self = cls(proc, count, stderr)
        if nice:
            os.setpriority(os.PRIO_PROCESS, proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + nice)
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        if line.strip() != b"ready":
            errors = self.errors()
            await self.kill()
            raise SystemExit(f"the subscriber process did not start: {errors}")
        return self

    async def finish(self, timeout: float = 60.0) -> dict:
        """Each client's counts, once all have read END_TYPE, and the process's CPU seconds."""
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            errors = self.errors()
            await self.kill()
            raise SystemExit(f"the subscriber process did not finish within {timeout:g} s: "
                             f"{errors}") from None
        if not line:
            raise SystemExit(f"the subscriber process failed: {self.errors()}")
        result = json.loads(line)
        result["stderr"] = self.errors()
        self.stderr.close()
        return result

    def errors(self) -> str:
        """The last of what the process wrote to stderr."""
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace").strip()[-2000:]

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self.stderr.close()
