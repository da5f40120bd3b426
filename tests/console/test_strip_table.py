"""StripTable, the search results' table: a new set of rows, the cursor and the keys,
and the lines it keeps between frames until something changes it (KeptLines)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Input

from console.widgets.strip_table import StripTable
from tests.console.conftest import settled


class Host(App):
    def __init__(self) -> None:
        super().__init__()
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield Input(id="field")
        yield StripTable(("Site", "Flat"), id="table")

    def on_strip_table_row_selected(self, event: StripTable.RowSelected) -> None:
        self.selected.append(event.cursor_row)


def rows(n: int, word: str = "flat") -> list[tuple[Text, ...]]:
    return [(Text(f"site {i}"), Text(f"{word} {i}")) for i in range(n)]


async def test_rows_cursor_and_kept_lines():
    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(StripTable)
        table.set_rows(rows(30))
        await settled(pilot)
        crop = Region(0, 0, *table.size)
        first = table.render_lines(crop)
        assert first[0].text.split() == ["Site", "Flat"]
        assert first[1].text.split() == ["site", "0", "flat", "0"]
        # a key in the field beside it: the table gives the same lines back
        await pilot.press("a")
        assert table.render_lines(crop) is first
        table.focus()
        await pilot.press("down", "down", "enter")
        assert app.selected == [2] and table.cursor_row == 2
        moved = table.render_lines(crop)
        assert moved is not first and moved[3].text == first[3].text  # the cursor's row
        await pilot.press("pagedown")
        assert table.scroll_offset.y > 0
        assert table.render_lines(crop)[1].text != first[1].text
        # a new set of rows: back to the top, widths fitted to them
        table.set_rows(rows(2, "a much longer flat name"), columns=("Site", "Flat name"))
        await settled(pilot)
        again = table.render_lines(crop)
        assert table.row_count == 2 and table.cursor_row == 0 and table.scroll_offset.y == 0
        assert "Flat name" in again[0].text and "a much longer" in again[1].text
        assert [str(c.label) for c in table.ordered_columns] == ["Site", "Flat name"]
