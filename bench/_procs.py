"""What the benchmarks read of processes in /proc: CPU time and RSS, the process tree
under `doorkeeper serve` (its workers, their zygotes, the sessions forked from them),
PSS, and the machine's busy time (bench/bench_ssh_sessions.py, bench/session_start.py).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def proc_stat(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return cpu, rss


def descendants(root: int) -> list[int]:
    """Every live process under `root`: the workers, their zygotes, the sessions."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] != "Z":
                parents[int(entry.name)] = int(stat[1])
    found, frontier = [], [root]
    while frontier:
        kids = [p for p, parent in parents.items() if parent in frontier]
        found += kids
        frontier = kids
    return found


def cpu_by_part(root: int, gateway: int) -> dict[str, float]:
    """CPU seconds so far of the serving side's parts, and the machine's busy and total
    core-seconds (/proc/stat): whether a window was CPU-bound, and who spent it."""
    everyone = descendants(root)
    forks = {p for p in everyone if b"console.ssh.zygote" in _cmdline(p)}  # and sessions
    zygotes = {p for p in forks if parent_of(p) not in forks}
    parts = {"workers": 0.0, "zygotes": 0.0, "sessions": 0.0}
    for pid in [root, *everyone]:
        try:
            cpu = proc_stat(pid)[0]
        except OSError:
            continue
        part = ("zygotes" if pid in zygotes else "sessions" if parent_of(pid) in zygotes
                else "workers")
        parts[part] += cpu
    with contextlib.suppress(OSError):
        parts["gateway"] = proc_stat(gateway)[0]
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    parts["machine busy"] = (sum(ticks) - ticks[3] - ticks[4]) / hz  # not idle, not iowait
    parts["machine"] = sum(ticks) / hz
    return parts


def sessions_of(root: int) -> list[int]:
    """The session processes under `root` (children of the zygotes)."""
    zygotes = {p for p in descendants(root) if b"console.ssh.zygote" in _cmdline(p)}
    return [p for p in descendants(root) if parent_of(p) in zygotes]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def usage(root: int) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of everything serving under `root`."""
    cpu = rss = 0.0
    for pid in descendants(root):
        try:
            c, r = proc_stat(pid)
        except OSError:
            continue
        cpu, rss = cpu + c, rss + r
    return cpu, rss
