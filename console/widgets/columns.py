"""Columns that give way on a narrow terminal: each list says which of its columns matter
most, and the ones that matter least are left out first when the table is narrower than
all of them (what is left out is in the row's detail: Enter).

A column has a priority (0: always shown; then 1, 2, … are dropped from the highest
number up) and may have a minimum width: a column wider than its minimum (an event's
Description) is cut down towards it, with "…", before any column is dropped for it.
`fit` is the rule, with no Textual in it; StripTable (the Events list, search results)
and PagedTable (the block's flats, Access Passes, Displays) apply it on every resize."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: the blank either side of a cell (both tables pad a cell with one space each side)
GAP = 2


@dataclass(frozen=True)
class Col:
    """A column: its heading, how much it matters (0 most; never dropped) and the
    narrowest it may be cut to (0: never cut)."""

    label: str
    priority: int = 0
    min_width: int = 0


def as_cols(columns: Sequence[str | Col]) -> list[Col]:
    """Plain headings are columns of priority 0 (always shown, never cut)."""
    return [c if isinstance(c, Col) else Col(c) for c in columns]


def fit(natural: Sequence[int], cols: Sequence[Col], width: int,
        gap: int = GAP) -> list[int | None]:
    """The width of each column in a table `width` cells wide (None: left out).

    `natural` is each column's own width (its widest cell or heading). The columns of
    priority 0 are always kept; the others join by priority (then from the left) while
    they fit at their minimum width; the first that does not fit stops it, so a less
    important column never takes the place of a more important one. Then the kept
    columns wider than their minimum give up the cells still missing, the least
    important first."""
    mins = [min(n, c.min_width) if c.min_width else n for n, c in zip(natural, cols,
                                                                      strict=True)]
    kept = {i for i, c in enumerate(cols) if c.priority == 0}
    used = sum(mins[i] + gap for i in kept)
    for i in sorted((i for i, c in enumerate(cols) if c.priority),
                    key=lambda i: (cols[i].priority, i)):
        if used + mins[i] + gap > width:
            break
        kept.add(i)
        used += mins[i] + gap
    widths: list[int | None] = [natural[i] if i in kept else None for i in range(len(cols))]
    excess = sum(natural[i] + gap for i in kept) - width
    for i in sorted(kept, key=lambda i: (-cols[i].priority, -i)):
        if excess <= 0:
            break
        cut = min(excess, natural[i] - mins[i])
        widths[i] = natural[i] - cut
        excess -= cut
    return widths


def shown(widths: Sequence[int | None]) -> list[int]:
    """The indexes of the columns kept."""
    return [i for i, w in enumerate(widths) if w is not None]
