"""A light table for a log that grows at the top: the Events tab's list.

A StripTable (console/widgets/strip_table.py: rows drawn once as strips, a frame only
crops and tints those in view) that pages from the store by keyset, like PagedTable,
through a Pager (console/widgets/pager.py): a screenful on `load()`, the next page when
the cursor comes within PREFETCH rows of the last row held, and a live tail that
`prepend`s new rows, formatting only those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text

from console.widgets.columns import Col
from console.widgets.guard import attempt
from console.widgets.pager import PREFETCH, Fetch, PagedRows, Pager, R
from console.widgets.strip_table import StripTable


class LogTable(StripTable, PagedRows[R]):
    """A keyset-paged list with a row cursor, rendered from cached strips."""

    class RowHighlighted(StripTable.RowHighlighted):
        """The cursor moved to another row."""

    class RowSelected(StripTable.RowSelected):
        """Enter (or a second click) on a row."""

    def __init__(self, columns: Sequence[str | Col], *,
                 fetch: Fetch[R],
                 cells: Callable[[R], Sequence[Text]],
                 key: Callable[[R], Any],
                 page_size: int = 100, first_page: int = 50, **kwargs: Any) -> None:
        super().__init__(columns, **kwargs)
        self.cells = cells
        self.pager = Pager(fetch, key, page_size=page_size, first_page=first_page)

    # --- loading -------------------------------------------------------------------------
    async def load(self, keep_cursor: bool = False) -> None:
        """(Re)load from the first page; with keep_cursor, as many rows as were held."""
        row = self.cursor_row if keep_cursor else 0
        rows = await self.pager.load(keep=keep_cursor)
        if rows is None:
            return  # a newer load started meanwhile
        cells = [tuple(self.cells(r)) for r in rows]
        self._hold(cells, [None] * len(rows), cells, start_over=True)
        self.cursor_row = -1
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.move_cursor(row=row)

    async def more(self) -> bool:
        """Load the next page; False when there is none."""
        rows = await self.pager.more()
        if rows is None:
            return False
        cells = [tuple(self.cells(r)) for r in rows]
        self._hold(self._cells_held + cells, self._strips + [None] * len(rows), cells)
        return bool(rows)

    def prepend(self, rows: list[R], cap: int) -> None:
        """Put rows above those held (a live tail), keeping at most `cap` rows; what falls
        off the bottom pages back in from the store when the cursor gets there. Only the
        new rows are formatted; the others keep their strips."""
        keep = max(cap, len(rows))
        self.pager.prepend(rows, keep)
        cells = [tuple(self.cells(r)) for r in rows]
        self._hold((cells + self._cells_held)[:keep],
                   ([None] * len(rows) + self._strips)[:keep], cells)
        self.move_cursor(row=self.cursor_row)

    # --- paging as the cursor and the view move ------------------------------------------
    def _moved(self) -> None:
        if self.cursor_row >= len(self.rows_held) - PREFETCH:
            self._moved_view()

    async def action_scroll_bottom(self) -> None:
        """End: the last row held, then the next page."""
        await super().action_scroll_bottom()
        await self.more()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new + self.scrollable_content_region.height >= len(self.rows_held) - PREFETCH:
            self._moved_view()

    def _moved_view(self) -> None:
        if self.pager.can_load_more:
            self.run_worker(attempt(self, self.more()), group="page", exclusive=False)
