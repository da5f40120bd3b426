"""A table that holds only the pages it was asked for (console/widgets/pager.py pages
them from the store by keyset: a list of millions opens at once)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from console import textual_compat
from console.widgets.columns import Col, as_cols, fit, shown
from console.widgets.guard import attempt
from console.widgets.pager import PREFETCH, Fetch, PagedRows, Pager, R
from console.widgets.plain import cut


class RowTable(DataTable[Any]):
    """A list of rows: Home and ctrl+home go to the first row, End and ctrl+end to the
    last (DataTable's Home and End scroll sideways, which a row list does with the
    arrows)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,ctrl+home", "first_row", "First row", show=False),
        Binding("end,ctrl+end", "last_row", "Last row", show=False),
    ]

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)


class TotalledTable(RowTable):
    """A RowTable whose last row is a Total: read, never picked. The cursor stays on the
    row above it (End, ctrl+end and Down land there), where the rows' keys work."""

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self and self.row_count > 1 and \
                event.cursor_row >= self.row_count - 1:
            self.move_cursor(row=self.row_count - 2, animate=False)


class FittedTable(RowTable):
    """A RowTable whose columns, given as `Col`s, give way by priority on a narrow
    terminal (console/widgets/columns.py): it holds every column's cells and draws those
    that fit, again on each resize. A column with a minimum width (a call chain, a
    task's mission) is cut towards it with "…" before any column is left out for it;
    the cell held stays whole (Enter, the detail, the export)."""

    #: the rows measured for the columns' own widths (the first pages are enough)
    MEASURED_ROWS = 200

    def __init__(self, columns: Sequence[str | Col] = (), **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self.cols = as_cols(columns)
        self._kept = list(range(len(self.cols)))  # the columns drawn
        self._cuts: dict[int, int] = {}  # the width of each column drawn cut
        self._all: list[tuple[Text | str, ...]] = []  # every column's cells, by row

    def on_mount(self) -> None:
        self.add_columns(*(self.cols[i].label for i in self._kept))

    @property
    def shown_labels(self) -> list[str]:
        """The headings of the columns drawn at the table's width."""
        return [self.cols[i].label for i in self._kept]

    def all_cells(self, index: int) -> list[Text | str]:
        """Every column's cell of a row held, drawn or not."""
        return list(self._all[index])

    def set_columns(self, columns: Sequence[str | Col]) -> None:
        """Other columns, and no rows (load or set the rows again, in these columns)."""
        self.cols = as_cols(columns)
        self._all = []
        self._relayout(force=True)

    def set_rows(self, rows: Sequence[Sequence[Text | str]]) -> None:
        """Show these rows (every column's cells) instead of those held."""
        self._all = [tuple(r) for r in rows]
        layout = self._layout()
        if layout != (self._kept, self._cuts):  # these rows' widths make other columns fit
            self._set_columns(*layout)
        else:
            self.clear()
        self._draw(self._all)

    def append_rows(self, rows: Sequence[Sequence[Text | str]]) -> None:
        """Add rows below those held."""
        new = [tuple(r) for r in rows]
        self._all += new
        self._draw(new)

    def _draw(self, rows: list[tuple[Text | str, ...]]) -> None:
        kept, cuts = self._kept, self._cuts
        if len(kept) == len(self.cols) and not cuts:
            self.add_rows(rows)
        else:
            self.add_rows([tuple(cut(cells[i], cuts[i]) if i in cuts else cells[i]
                                 for i in kept) for cells in rows])

    def _layout(self) -> tuple[list[int], dict[int, int]]:
        """The columns that fit the table's width, by priority, and the width of each
        one cut below its own."""
        room = self.size.width - self.styles.scrollbar_size_vertical
        if room <= 0:
            return list(range(len(self.cols))), {}
        natural = [len(c.label) for c in self.cols]
        for row in self._all[:self.MEASURED_ROWS]:
            for i, cell in enumerate(row):
                width = cell.cell_len if isinstance(cell, Text) else len(cell)
                natural[i] = max(natural[i], width)
        widths = fit(natural, self.cols, room)
        return shown(widths), {i: w for i, w in enumerate(widths)
                               if w is not None and w < natural[i]}

    def _set_columns(self, kept: list[int], cuts: dict[int, int]) -> None:
        self._kept, self._cuts = kept, cuts
        self.clear(columns=True)
        for i in kept:
            self.add_column(self.cols[i].label, width=cuts.get(i))

    def _relayout(self, force: bool = False) -> None:
        """Draw the columns that fit now, if they are not those drawn."""
        layout = self._layout()
        if layout == (self._kept, self._cuts) and not force:
            return
        row = self.cursor_row
        self._set_columns(*layout)
        self._draw(self._all)
        if self._all:
            self.move_cursor(row=min(row, len(self._all) - 1), animate=False)

    def on_resize(self) -> None:
        self._relayout()


# PagedRows declares cursor_row as an attribute (LogTable sets it); DataTable derives it
class PagedTable(FittedTable, PagedRows[R]):  # type: ignore[override]
    """A FittedTable fed a page at a time from the store. End reads what is left of the
    list at once (Pager.rest) and goes to its true last row: it used to go one page
    further per press. `cells` gives a row's every column."""

    def __init__(self, columns: Sequence[str | Col], *,
                 fetch: Fetch[R],
                 cells: Callable[[R], Sequence[Text | str]],
                 key: Callable[[R], Any],
                 page_size: int = 100, first_page: int = 50, **kwargs: Any) -> None:
        super().__init__(columns, **kwargs)
        self.cells = cells
        self.pager = Pager(fetch, key, page_size=page_size, first_page=first_page)

    def on_idle(self, _event: events.Idle) -> None:
        # On a real terminal a table shown and filled in one go kept header-wide columns
        # in the rows it had already drawn: repaint once the widths are measured.
        # (Textual calls this before DataTable's own idle handler, which measures them.)
        if textual_compat.widths_pending(self):
            self.call_after_refresh(self.refresh)

    async def load(self, keep_cursor: bool = False) -> None:
        """(Re)load from the first page; with keep_cursor, as many pages as were held."""
        row = self.cursor_row
        rows = await self.pager.load(keep=keep_cursor)
        if rows is None:
            return  # a newer load started meanwhile
        self.set_rows([tuple(self.cells(r)) for r in rows])
        if keep_cursor and rows:
            self.move_cursor(row=min(row, len(rows) - 1), animate=False)

    async def more(self) -> bool:
        """Load the next page; False when there is none."""
        rows = await self.pager.more()
        if rows is None:
            return False
        self._add(rows)
        return bool(rows)

    def _add(self, rows: list[R]) -> None:
        self.append_rows([tuple(self.cells(r)) for r in rows])

    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self and event.cursor_row >= len(self.rows_held) - PREFETCH:
            self.run_worker(attempt(self, self.more()), group="page", exclusive=False)

    # async where RowTable's is not: Textual awaits an async action, and the rows must load
    async def action_last_row(self) -> None:  # type: ignore[override]
        """The last row of the whole list (read from the store if not held yet)."""
        rows = await self.pager.rest()
        if rows:
            self._add(rows)
        super().action_last_row()
