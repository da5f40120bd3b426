#!/usr/bin/env python3
"""One SSH session alone: its process's CPU from fork to its first full frame, and PSS.

Not one of `make bench`'s benchmarks (a probe for docs/ssh-sessions.md, "What a session
costs now"): `doorkeeper serve --simulate` with one worker on the demo estate (no past
events unless BENCH_START_EVENTS), then N sessions (BENCH_START_SESSIONS, 6) opened one
after another as the administrator (100x30, xterm-256color). For each, the CPU time of
its process (/proc/PID/stat) when its first full frame (the Blocks tab's "Flat(s)")
reaches this client; then, with all N open and settled, each one's PSS
(/proc/PID/smaps_rollup). With BENCH_START_PAGES=1 (as root), where the last two
sessions' private pages come from: copied from the zygote's, or new (bench/_pages.py).
Run it under `flock /tmp/heavy.lock` on a shared machine.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncssh  # noqa: E402

from bench._common import demo_estate  # noqa: E402
from bench._pages import describe, page_sources  # noqa: E402
from bench._procs import parent_of, proc_stat, pss_mb, sessions_of  # noqa: E402
from bench._ssh_client import ADMIN, SIZE, add_key  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = int(os.environ.get("BENCH_START_SESSIONS", 6))
#: BENCH_START_PAGES=1: where the last two sessions' private pages come from (bench/_pages)
PAGES = os.environ.get("BENCH_START_PAGES") == "1"
EVENTS = int(os.environ.get("BENCH_START_EVENTS", 0))


async def open_one(port: int, key: Path, serve: int, known: set[int]) -> tuple[object, float, float]:
    """(connection, wall seconds to the first full frame, the process's CPU seconds then)."""
    started = time.perf_counter()
    conn = await asyncssh.connect("127.0.0.1", port, username=ADMIN, client_keys=[str(key)],
                                  known_hosts=None, agent_path=None)
    process = await conn.create_process(term_type="xterm-256color", term_size=SIZE,
                                        encoding=None)
    out = bytearray()
    while b"Flat(s)" not in out:
        data = await asyncio.wait_for(process.stdout.read(1 << 16), 60)
        if not data:
            raise RuntimeError(f"the session ended: {bytes(out[-500:])!r}")
        out += data
    wall = time.perf_counter() - started
    pid = next(p for p in sessions_of(serve) if p not in known)
    known.add(pid)
    return conn, wall, proc_stat(pid)[0]


async def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="dk-session-start-"))
    db = folder / "serve.db"
    db.write_bytes(demo_estate(EVENTS).read_bytes())
    key = folder / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    await add_key(db, key)
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = folder / "serve.out"
    with open(log, "w") as out:
        serve = subprocess.Popen([sys.executable, "-m", "console.cli", "serve", "--db", str(db),
                                  "--bus", str(folder / "bus.sock"), "--simulate", "--rate",
                                  "1", "--listen", f"127.0.0.1:{port}", "--workers", "1"],
                                 cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        while "Serving" not in log.read_text():
            if serve.poll() is not None:
                print(log.read_text())
                return 1
            await asyncio.sleep(0.05)
        known: set[int] = set()
        conns, walls, cpus = [], [], []
        for _ in range(SESSIONS):
            conn, wall, cpu = await open_one(port, key, serve.pid, known)
            conns.append(conn)
            walls.append(wall)
            cpus.append(cpu)
            await asyncio.sleep(1.0)
        await asyncio.sleep(2.0)
        pss = [pss_mb(p) for p in sorted(known)]
        print(f"{SESSIONS} sessions one after another, load average {os.getloadavg()[0]:.1f}")
        print("CPU to first full frame ms: " + " ".join(f"{c * 1000:.0f}" for c in cpus)
              + f"  median {statistics.median(cpus) * 1000:.0f}")
        print("wall to first full frame ms: " + " ".join(f"{w * 1000:.0f}" for w in walls)
              + f"  median {statistics.median(walls) * 1000:.0f}")
        print("PSS MB: " + " ".join(f"{p:.1f}" for p in pss)
              + f"  mean {statistics.mean(pss):.1f}")
        if PAGES:
            zygote = parent_of(max(known))
            for pid in sorted(known)[-2:]:
                print(f"session {pid}: " + describe(page_sources(zygote, pid)))
        for conn in conns:
            conn.close()
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
