"""The week grid: a week type drawn as one bar per day (Monday to Sunday, then the
holiday rule), across the 24 hours, with the slots written beside it, so "Monday to
Friday 08:00-18:00" can be read at a glance and a gap or a stray slot stands out."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

from core.model import TimeWindow
from core.week_slots import DAY_SHORT, day_spans, day_text

#: cells of the bar: 48 half hours fit an 80-column dialog with the slots beside
CELLS = 48
DAY_MINUTES = 24 * 60


def _bar(spans: list[tuple[int, int]], cells: int) -> str:
    """One day's bar: a full block where a slot covers the cell, a half block where it
    covers part of it (the half it starts or ends in)."""
    size = DAY_MINUTES / cells
    out = []
    for i in range(cells):
        lo, hi = i * size, (i + 1) * size
        covered = sum(max(0.0, min(hi, e) - max(lo, s)) for s, e in spans)
        if covered >= size - 1e-9:
            out.append("█")
        elif covered <= 0:
            out.append("·")
        else:
            starts_inside = any(lo < s < hi for s, _ in spans)
            out.append("▐" if starts_inside else "▌")
    return "".join(out)


def grid_text(windows: Iterable[TimeWindow], cells: int = CELLS,
              with_slots: bool = True) -> Text:
    """The grid as text: an hour ruler, then a row per day."""
    windows = list(windows)
    step = cells // 4
    ruler = "".join(f"{h:<{step}}" for h in (0, 6, 12, 18))[:cells] + "24"
    text = Text(f"    {ruler}\n", style="dim")
    for day, label in enumerate(DAY_SHORT):
        spans = day_spans(windows, day)
        text.append(f"{label} ", style="bold")
        text.append(_bar(spans, cells), style="green" if spans else "dim")
        if with_slots:
            text.append(f" {day_text(windows, day) or '—'}")
        if day < len(DAY_SHORT) - 1:
            text.append("\n")
    return text


class WeekGrid(Static):
    """A week type's grid; `show` draws other slots."""

    DEFAULT_CSS = "WeekGrid { height: auto; padding: 0 1; }"

    def __init__(self, windows: Iterable[TimeWindow] = (), **kwargs) -> None:
        super().__init__(grid_text(windows), **kwargs)
        self.windows = list(windows)

    def show(self, windows: Iterable[TimeWindow]) -> None:
        self.windows = list(windows)
        self.update(grid_text(self.windows))
