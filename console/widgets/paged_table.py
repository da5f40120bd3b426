"""A table that holds only the pages it was asked for.

The first page loads on `load()`; the next one when the cursor comes within
PREFETCH rows of the last row held. Rows come from an async `fetch(after, limit)` that pages
by keyset (`after` is the key of the last row held), so a deep page costs what the
first does, and a list of millions opens at once (as toolong opens huge logs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from console import textual_compat

if TYPE_CHECKING:
    from console.widgets.log_table import LogTable

R = TypeVar("R")
#: the next page loads when the cursor comes this close to the last row held
PREFETCH = 25


async def next_page(table: PagedTable | LogTable) -> list[R] | None:
    """The page after the last row a table holds, by its keyset; None when there is none,
    one is already coming, or a newer load began meanwhile. Sets `exhausted`."""
    if table.exhausted or table._loading:
        return None
    table._loading = True
    generation = table._generation
    try:
        after = table.key(table.rows_held[-1]) if table.rows_held else None
        rows = await table.fetch(after, table.page_size)
    finally:
        table._loading = False
    if generation != table._generation:
        return None
    table.exhausted = len(rows) < table.page_size
    return rows


class PagedTable(DataTable, Generic[R]):
    """A DataTable fed a page at a time from the store."""

    def __init__(self, columns: Sequence[str], *,
                 fetch: Callable[[Any, int], Awaitable[list[R]]],
                 cells: Callable[[R], Sequence[Text | str]],
                 key: Callable[[R], Any],
                 page_size: int = 100, first_page: int = 50, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self._columns = list(columns)
        self.fetch = fetch
        self.cells = cells
        self.key = key
        self.page_size = page_size
        #: the first page is about a screenful: it is what the operator waits for
        self.first_page = min(first_page, page_size)
        self.rows_held: list[R] = []
        self.exhausted = False
        self._loading = False
        self._generation = 0

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    def on_idle(self, _event: events.Idle) -> None:
        # On a real terminal a table shown and filled in one go kept header-wide columns
        # in the rows it had already drawn: repaint once the widths are measured.
        # (Textual calls this before DataTable's own idle handler, which measures them.)
        if textual_compat.widths_pending(self):
            self.call_after_refresh(self.refresh)

    @property
    def current(self) -> R | None:
        """The row under the cursor."""
        if 0 <= self.cursor_row < len(self.rows_held):
            return self.rows_held[self.cursor_row]
        return None

    async def load(self, keep_cursor: bool = False) -> None:
        """(Re)load from the first page; with keep_cursor, as many pages as were held."""
        self._generation += 1
        generation = self._generation
        want = max(self.first_page, len(self.rows_held)) if keep_cursor else self.first_page
        row = self.cursor_row
        rows = await self.fetch(None, want)
        if generation != self._generation:
            return  # a newer load started meanwhile
        self.clear()
        self.rows_held = []
        self.exhausted = len(rows) < want
        self._add(rows)
        if keep_cursor and self.rows_held:
            self.move_cursor(row=min(row, len(self.rows_held) - 1), animate=False)

    async def more(self) -> bool:
        """Load the next page; False when there is none."""
        rows: list[R] | None = await next_page(self)
        if rows is None:
            return False
        self._add(rows)
        return bool(rows)

    def _add(self, rows: list[R]) -> None:
        self.rows_held.extend(rows)
        self.add_rows([tuple(self.cells(r)) for r in rows])

    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self and event.cursor_row >= len(self.rows_held) - PREFETCH:
            self.run_worker(self.more(), group="page", exclusive=False)

    # async where DataTable's is not: Textual awaits an async action, and the page must load
    async def action_scroll_bottom(self) -> None:  # type: ignore[override]
        """End: the last row held, then the next page."""
        super().action_scroll_bottom()
        await self.more()
