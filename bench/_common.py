"""Small helpers shared by the benchmarks: tables, checks, statistics.

Not a benchmark itself (`make bench` runs only bench/bench_*.py).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path

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
