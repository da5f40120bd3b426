"""Where a session process's private memory comes from: its pages against its zygote's.

For each page of a session's anonymous memory (the small-object arenas, the malloc
heap, the interpreter's data), `/proc/PID/pagemap` gives the physical frame. A page at
an address the zygote also has is *shared* when both map the same frame, *copied* when
the session has its own (it wrote to it: a reference count, a cache, an object put in a
hole the zygote left), and *new* at an address the zygote does not map (memory the
session allocated afresh). The frames need root (CAP_SYS_ADMIN); without it the
kernel gives zeros and nothing is said. Used by bench/session_start.py
(BENCH_START_PAGES=1); docs/ssh-sessions.md reads its figures.
"""

from __future__ import annotations

import struct
from collections import Counter

PAGE = 4096
PRESENT = 1 << 63
FRAME = (1 << 55) - 1
#: the mappings compared: anonymous memory and the interpreter's own data
REGIONS = ("[anon]", "[heap]")


def _regions(pid: int) -> list[tuple[int, int, str]]:
    found = []
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            parts = line.split()
            name = parts[5] if len(parts) > 5 else "[anon]"
            if name in REGIONS or "python" in name.rsplit("/", 1)[-1]:
                start, end = (int(x, 16) for x in parts[0].split("-"))
                found.append((start, end, "python" if name not in REGIONS else name))
    return found


def _frames(pid: int, start: int, end: int) -> dict[int, int]:
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        pagemap.seek(start // PAGE * 8)
        data = pagemap.read((end - start) // PAGE * 8)
    frames = {}
    for i, (entry,) in enumerate(struct.iter_unpack("Q", data)):
        if entry & PRESENT:
            frames[start + i * PAGE] = entry & FRAME
    return frames


def page_sources(zygote: int, session: int) -> Counter[str] | None:
    """MB of the session's pages by (region, shared/copied/new); None without the
    frames (not root)."""
    theirs: dict[int, int] = {}
    for start, end, _ in _regions(zygote):
        theirs.update(_frames(zygote, start, end))
    if theirs and not any(theirs.values()):
        return None  # frames hidden: not root
    pages: Counter[str] = Counter()
    for start, end, name in _regions(session):
        for address, frame in _frames(session, start, end).items():
            if address not in theirs:
                source = "new"
            else:
                source = "shared" if theirs[address] == frame else "copied"
            pages[f"{name} {source}"] += 1
    return Counter({key: count * PAGE / 2**20 for key, count in pages.items()})


def describe(sources: Counter[str] | None) -> str:
    """One line: the copied, new and shared MB, and the copied by region."""
    if sources is None:
        return "pages against the zygote's: not readable (needs root)"
    total = Counter[str]()
    for key, mb in sources.items():
        total[key.rsplit(" ", 1)[1]] += mb
    copied = ", ".join(f"{key.rsplit(' ', 1)[0]} {mb:.1f}" for key, mb
                       in sorted(sources.items()) if key.endswith(" copied"))
    return (f"pages against the zygote's: copied {total['copied']:.1f} MB ({copied}), "
            f"new {total['new']:.1f} MB, still shared {total['shared']:.1f} MB")
