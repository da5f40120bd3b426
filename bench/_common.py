"""Small helpers shared by the benchmarks: tables, checks, statistics, quick mode.

Not a benchmark itself (`make bench` runs only bench/bench_*.py, through bench/run.py).

Two environment variables tie a script to bench/run.py:

- `BENCH_QUICK=1` (or `--quick` on a script's command line) asks for quick mode:
  the same code paths with small sizes, so a broken benchmark shows the day it
  breaks (`QUICK`);
- `BENCH_REPORT=<file>`: every line of `Checks` is also appended to that file as
  one JSON object, which the runner reads for its summary table.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import math
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0") or "--quick" in sys.argv[1:]
QUICK_HELP = "small sizes, the same code paths (also BENCH_QUICK=1)"


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
    """What a benchmark found against what it should: a table, and lines for bench/run.py.

    Three kinds of line:

    - `target(...)`: a performance figure against its bound (p95 <= 5 ms, ratio
      >= 0.3). PASS or FAIL; in quick mode a miss is MISS, which does not fail
      the run (the sizes are too small for the figure to mean much);
    - `check(...)`: a correctness condition that holds at any size (every event
      stored, the same rows on both sides). PASS or FAIL in both modes;
    - `info(...)`: printed beside them with its bound, never a failure
      ("not a target"): ok or missed.
    """

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def target(self, name: str, ok: bool, got: object, want: str, *,
               baseline: object = "", ratio: object = "") -> bool:
        """A performance target: PASS, FAIL (MISS in quick mode)."""
        return self._add("target", name, ok, got, want, baseline, ratio,
                         "PASS" if ok else ("MISS" if QUICK else "FAIL"))

    def check(self, name: str, ok: bool, got: object, want: str) -> bool:
        """A correctness check: PASS or FAIL, quick mode or not."""
        return self._add("check", name, ok, got, want, "", "", "PASS" if ok else "FAIL")

    def info(self, name: str, ok: bool, got: object, want: str, *,
             baseline: object = "", ratio: object = "") -> bool:
        """A figure shown against a bound that is not a target: never a failure."""
        return self._add("info", name, ok, got, want, baseline, ratio,
                         "ok" if ok else "missed")

    def _add(self, kind: str, name: str, ok: bool, got: object, want: str, baseline: object,
             ratio: object, result: str) -> bool:
        self.rows.append({"kind": kind, "name": name, "figure": _fmt(got), "target": want,
                          "baseline": _fmt(baseline), "ratio": _fmt(ratio), "result": result})
        return ok

    @property
    def failed(self) -> int:
        return sum(r["result"] == "FAIL" for r in self.rows)

    def print(self) -> None:
        """The table on stdout; each line also to $BENCH_REPORT for bench/run.py."""
        table(("check", "got", "baseline", "ratio", "target", "result"),
              [(r["name"], r["figure"], r["baseline"], r["ratio"], r["target"], r["result"])
               for r in self.rows])
        counted = [r for r in self.rows if r["kind"] != "info"]
        passed = sum(r["result"] == "PASS" for r in counted)
        print(f"{passed} of {len(counted)} targets and checks passed"
              + (" (quick mode: a missed target is MISS, not FAIL)." if QUICK else "."))
        report(self.rows)


def no_postgresql(checks: Checks) -> bool:
    """True (and said, in the checks too) when PostgreSQL's binaries are not installed:
    a PostgreSQL benchmark then measures nothing and is not a failure."""
    from tests import pg

    if pg.available():
        return False
    print("PostgreSQL's binaries are not installed: nothing measured.")
    checks.info("PostgreSQL available (not a target)", False, "no", "yes")
    checks.print()
    return True


def report(rows: Sequence[dict[str, str]]) -> None:
    """Append rows to the file named by $BENCH_REPORT, one JSON object a line."""
    path = os.environ.get("BENCH_REPORT")
    if not path:
        return
    bench = Path(sys.argv[0]).stem
    with open(path, "a", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({"bench": bench, **row}) + "\n")


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


# --- the demo estate, built once ------------------------------------------------------------

def estate_version() -> str:
    """Names the kept estate by what makes it: the demo builder's code and the schema's
    migrations (an estate from older code is built again, never reused)."""
    root = Path(__file__).resolve().parent.parent
    sources = sorted([*(root / "console" / "demo").glob("*.py"),
                      *(root / "store" / "migrations").rglob("*.py")])
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def estate_path(events: int = 0) -> Path:
    """Where the demo estate (seed 1) with `events` past events is kept between runs."""
    version = estate_version()
    return Path(tempfile.gettempdir()) / (
        f"doorkeeper-bench-estate-{version}.db" if events == 0
        else f"doorkeeper-bench-estate-{version}-{events}.db")


@contextlib.contextmanager
def building_estate(events: int = 0, wait: bool = True) -> Iterator[Path | None]:
    """Hold the estate's lock; give the partial file to build it into, or None.

    None when the estate exists already, or (`wait=False`) when another process
    holds the lock. A partial file built by the end of the block becomes the
    estate; on an error, or when the file was not made, nothing does.
    """
    path = estate_path(events)
    with open(path.with_name(path.name + ".lock"), "w") as lock:  # unlocked on close
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield None
            return
        if path.exists():
            yield None
            return
        partial = path.with_name(path.name + ".partial")
        remove_db(partial)
        try:
            yield partial
        except BaseException:
            remove_db(partial)
            raise
        if partial.exists():
            con = sqlite3.connect(partial)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file: the WAL folded in
            con.close()
            remove_db(partial, ("-wal", "-shm"))
            partial.rename(path)


def remove_db(path: Path, suffixes: Sequence[str] = ("", "-wal", "-shm", "-journal")) -> None:
    """Remove an SQLite file and the files beside it."""
    for suffix in suffixes:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def demo_estate(events: int = 0) -> Path:
    """The demo estate (seed 1) with `events` past events, built once into the temp folder.

    Built by `doorkeeper demo --no-ui` into a partial file renamed when complete,
    so an interrupted build is never reused, under a lock, so benchmarks run side by
    side (`bench/run.py --jobs`) build it once; bench_demo_build.py's builds of the
    same estate fill it too. It is never part of the repository.
    """
    with building_estate(events) as partial:
        if partial is not None:
            print(f"building the demo estate ({events:,} past events) in "
                  f"{estate_path(events)} (once) …", flush=True)
            subprocess.run([sys.executable, "-m", "console.cli", "demo", "--no-ui", "--db",
                            str(partial), "--seed", "1", "--events", str(events)],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return estate_path(events)
