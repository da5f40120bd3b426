"""A light table drawn from ready-made strips: the Events list (LogTable) and the search
results share it.

Textual's DataTable lays out and renders every visible cell again (through Rich)
whenever rows change: a live tail adding rows several times a second, or a search
keystroke bringing a new set of hits, cost tens of milliseconds each, and served over
SSH to fifty concierges that saturated both cores (bench/bench_ssh_sessions.py,
bench/bench_search_keys.py). Here a row becomes a Strip once, when it is first shown at
the current column widths, and a frame only crops and tints the strips in view. The
header stays on the first line; the columns scroll sideways together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.widgets.columns import GAP, Col, as_cols, fit
from console.widgets.kept_lines import KeptLines

#: a cell wider than this is cut with an ellipsis (the row's detail shows all of it)
MAX_CELL = 100

Cells = tuple[Text, ...]


class Column(NamedTuple):
    """A column as DataTable's ordered_columns gives it (tests and callers read .label)."""

    label: Text


class RowMessage(Message):
    """Something happened on a row of a StripTable."""

    def __init__(self, table: StripTable, cursor_row: int) -> None:
        super().__init__()
        self.table, self.cursor_row = table, cursor_row

    @property
    def control(self) -> StripTable:
        return self.table


class StripTable(KeptLines, ScrollView, can_focus=True):
    """Rows of cells with a row cursor, rendered from cached strips. `set_rows` shows a
    new set of rows; subclasses that page (LogTable) hold rows through `_hold`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "striptable--header", "striptable--cursor", "striptable--even-row"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+end,end", "scroll_bottom", "Last row", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
    ]
    DEFAULT_CSS = """
    StripTable { background: $surface; color: $foreground; height: 1fr; }
    StripTable > .striptable--header { text-style: bold; background: $panel;
                                       color: $foreground; }
    StripTable > .striptable--even-row { background: $surface-lighten-1 50%; }
    StripTable > .striptable--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    StripTable:focus > .striptable--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    """

    #: Widget declares virtual_size with layout=True: every new set of rows (a search's
    #: hits, a live tail's row) asked the whole screen for a layout. The table's own size
    #: does not depend on its rows, so only a scrollbar appearing or going needs one
    #: (`_resize_content`).
    virtual_size: Reactive[Size] = Reactive(Size(0, 0))

    class RowHighlighted(RowMessage):
        """The cursor moved to another row."""

    class RowSelected(RowMessage):
        """Enter (or a second click) on a row."""

    def __init__(self, columns: Sequence[str | Col], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._set_columns(columns)
        self._cells_held: list[Cells] = []
        self._strips: list[Strip | None] = []  # None: not yet drawn at these widths
        self._widths = [cell_len(label.plain) for label in self.labels]  # each one's own
        #: the widths drawn at the table's width (None: left out; console/widgets/columns.py)
        self._fitted: list[int | None] = list(self._widths)
        self._header: Strip | None = None
        self._view = (0, 0)  # (scroll_x, width) the strips are cut to
        self._styles = (Style(),) * 4
        self.cursor_row = 0

    # --- what DataTable offered and callers use ------------------------------------------
    header_height = 1

    @property
    def row_count(self) -> int:
        return len(self._cells_held)

    @property
    def cells_held(self) -> list[Cells]:
        """The cells of every row held, top to bottom (do not change it)."""
        return self._cells_held

    @property
    def ordered_columns(self) -> list[Column]:
        return [Column(label) for label in self.labels]

    def get_row_at(self, index: int) -> list[Text]:
        """The cells of one row held."""
        return list(self._cells_held[index])

    def move_cursor(self, *, row: int | None = None, animate: bool = False,
                    **_: Any) -> None:
        """Put the cursor on a row (kept within the rows held) and keep it in view."""
        if row is None:
            return
        old = self.cursor_row
        new = max(0, min(row, self.row_count - 1))
        self.cursor_row = new
        self._scroll_to_cursor()
        if new != old:
            self.refresh_line(old + 1)
            self.refresh_line(new + 1)
            self.post_message(self.RowHighlighted(self, new))

    # --- rows ----------------------------------------------------------------------------
    def _set_columns(self, columns: Sequence[str | Col]) -> None:
        self.cols = as_cols(columns)
        self.labels = [Text(c.label) for c in self.cols]

    @property
    def shown_labels(self) -> list[str]:
        """The headings of the columns drawn at the table's width."""
        return [label.plain for label, w in zip(self.labels, self._fitted, strict=True)
                if w is not None]

    def set_rows(self, rows: Sequence[Sequence[Text]],
                 columns: Sequence[str | Col] | None = None) -> None:
        """Show these rows (and columns, if given) instead of those held: the column widths
        fit them, the cursor and the view go back to the top. Nothing is drawn until it
        comes into view."""
        if columns is not None:
            self._set_columns(columns)
        cells = [tuple(row) for row in rows]
        self._hold(cells, [None] * len(cells), cells, start_over=True)
        self.cursor_row = -1
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.move_cursor(row=0)

    def _hold(self, cells: list[Cells], strips: list[Strip | None], new: list[Cells], *,
              start_over: bool = False) -> None:
        """Hold these cells; the columns widen to fit the `new` cells (all of them start
        over with start_over) and every strip is cut again if a width changed."""
        self._cells_held, self._strips = cells, strips
        widths = ([cell_len(label.plain) for label in self.labels] if start_over
                  else list(self._widths))
        for row in new:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], min(MAX_CELL, cell.cell_len))
        if widths != self._widths:
            self._widths = widths
            self._strips = [None] * len(cells)
            self._header = None
        elif start_over:
            self._header = None  # the labels may be new
        self._refit()
        self._resize_content(Size(self._drawn_width(), len(cells) + 1))
        self.refresh()

    def _refit(self) -> None:
        """Which columns are drawn, how wide, at the table's width (a vertical scrollbar's
        room always kept, so one coming does not reshuffle the columns)."""
        room = self.size.width - self.styles.scrollbar_size_vertical
        fitted: list[int | None] = (fit(self._widths, self.cols, room) if room > 0
                                    else list(self._widths))
        if fitted != self._fitted:
            self._fitted = fitted
            self._strips = [None] * len(self._cells_held)
            self._header = None

    def _drawn_width(self) -> int:
        return sum(w + GAP for w in self._fitted if w is not None)

    def on_resize(self) -> None:
        before = self._fitted
        self._refit()
        if self._fitted != before:
            self._resize_content(Size(self._drawn_width(), self.row_count + 1))
            self.refresh()

    def _resize_content(self, size: Size) -> None:
        """A new virtual size: a layout only when a scrollbar may come or go (either
        dimension crosses the view's edge, with or without the other's scrollbar);
        otherwise the scrollbars' thumbs are updated here."""
        old, self.virtual_size = self.virtual_size, size
        if old == size:
            return
        width, height = self.size
        bar_w, bar_h = self.styles.scrollbar_size_vertical, self.styles.scrollbar_size_horizontal
        edges = ((width, 0), (width - bar_w, 0), (height, 1), (height - bar_h, 1))
        if any((old[axis] > edge) != (size[axis] > edge) for edge, axis in edges):
            self.refresh(layout=True)
            return
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.window_virtual_size = size.height
        if self.show_horizontal_scrollbar:
            self.horizontal_scrollbar.window_virtual_size = size.width

    # --- drawing -------------------------------------------------------------------------
    def _line(self, cells: Sequence[Text]) -> Strip:
        text = Text(no_wrap=True, end="")
        for cell, width in zip(cells, self._fitted, strict=False):
            if width is None:
                continue
            piece = cell.copy()
            piece.truncate(width, overflow="ellipsis", pad=True)
            text.append(" ")
            text.append_text(piece)
            text.append(" ")
        return Strip(text.render(self.app.console), text.cell_len)

    def fresh_lines(self, crop: Region) -> list[Strip]:
        """The lines in `crop`, straight from the row strips.

        Textual's generic path (StylesCache: borders, padding, tint, line filters) made
        new strips for every line of every frame; this widget has none of those, so its
        lines go to the compositor as they are (and are kept until the table is
        refreshed: KeptLines). The styles are read once a frame (DOMNode.rich_style
        walks the ancestors)."""
        base = self.rich_style
        self._styles = (base + self.get_component_rich_style("striptable--header"),
                        base + self.get_component_rich_style("striptable--cursor"),
                        base + self.get_component_rich_style("striptable--even-row"), base)
        x1, x2 = crop.x, crop.right
        return [self.render_line(y).crop_extend(x1, x2, base)
                for y in range(crop.y, crop.bottom)]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        header, cursor, even, base = self._styles
        if (scroll_x, width) != self._view:  # the rows are kept cut to the view
            self._view = (scroll_x, width)
            self._strips = [None] * self.row_count
            self._header = None
        if y == 0:
            if self._header is None:
                self._header = self._cut(self.labels)
            return self._header.apply_style(header)
        index = scroll_y + y - 1
        if index >= self.row_count:
            return Strip.blank(width, base)
        strip = self._strips[index]
        if strip is None:
            strip = self._strips[index] = self._cut(self._cells_held[index])
        if index == self.cursor_row:
            return strip.apply_style(cursor)
        return strip.apply_style(even if index % 2 else base)  # cached by the strip

    def _cut(self, cells: Sequence[Text]) -> Strip:
        """A row cut to the view, through the app's line filters (once, not per frame)."""
        scroll_x, width = self._view
        strip = self._line(cells).crop_extend(scroll_x, scroll_x + width, None)
        background = self.background_colors[1]
        for line_filter in self.app.get_line_filters():
            strip = strip.apply_filter(line_filter, background)
        return strip

    # --- keys and mouse ------------------------------------------------------------------
    @property
    def _page(self) -> int:
        """Rows in view (the header takes a line)."""
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = self.scroll_offset.y
        if self.cursor_row < top:
            top = self.cursor_row
        elif self.cursor_row >= top + self._page:
            top = self.cursor_row - self._page + 1
        if top != self.scroll_offset.y:
            self.scroll_to(y=top, animate=False, immediate=True)

    def _moved(self) -> None:
        """The cursor moved down (a paging table loads ahead here)."""

    def _column_starts(self) -> list[int]:
        starts, x = [], 0
        for width in self._fitted:
            if width is None:
                continue
            starts.append(x)
            x += width + GAP
        return starts

    def action_scroll_right(self) -> None:
        """Right: the next column comes to the left edge."""
        later = [x for x in self._column_starts() if x > self.scroll_x]
        if later:
            self.scroll_to(x=later[0], animate=False, immediate=True)

    def action_scroll_left(self) -> None:
        """Left: back a column."""
        earlier = [x for x in self._column_starts() if x < self.scroll_x]
        self.scroll_to(x=earlier[-1] if earlier else 0, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)
        self._moved()

    def action_page_up(self) -> None:
        """A screen up: the view and the cursor move together (as DataTable's do)."""
        step = self._page
        self.scroll_to(y=self.scroll_offset.y - step, animate=False, immediate=True)
        self.move_cursor(row=self.cursor_row - step)

    def action_page_down(self) -> None:
        """A screen down: the next rows come into view, the cursor keeps its place."""
        step = self._page
        self.scroll_to(y=self.scroll_offset.y + step, animate=False, immediate=True)
        self.move_cursor(row=self.cursor_row + step)
        self._moved()

    async def action_scroll_bottom(self) -> None:
        """End: the last row held."""
        self.move_cursor(row=self.row_count - 1)

    def action_select_cursor(self) -> None:
        if self.row_count:
            self.post_message(self.RowSelected(self, self.cursor_row))

    async def _on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        row = self.scroll_offset.y + event.y - 1
        if row >= self.row_count:
            return
        if row == self.cursor_row:
            self.action_select_cursor()
        else:
            self.move_cursor(row=row)
            self._moved()
