"""LogTable, the Events tab's list: keyset pages, a live tail that formats only new rows,
the cursor and the keys, drawn from cached strips."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from console.widgets.log_table import LogTable
from console.widgets.paged_table import PREFETCH
from tests.console.conftest import settled

ROWS = [{"n": n, "what": f"row {n}", "note": "x" * (n % 7)} for n in range(1000, 0, -1)]


class Host(App):
    def __init__(self, rows: list[dict]) -> None:
        super().__init__()
        self.rows = rows
        self.fetches: list[object] = []
        self.formatted: list[int] = []
        self.selected: list[int] = []

    async def fetch(self, after, limit):
        self.fetches.append(after)
        rows = [r for r in self.rows if after is None or r["n"] < after]
        return rows[:limit]

    def cells(self, row: dict) -> tuple[Text, ...]:
        self.formatted.append(row["n"])
        return Text(str(row["n"])), Text(row["what"]), Text(row["note"])

    def compose(self) -> ComposeResult:
        yield LogTable(("N°", "What", "Note"), fetch=self.fetch, cells=self.cells,
                       key=lambda r: r["n"])

    def on_log_table_row_selected(self, event: LogTable.RowSelected) -> None:
        self.selected.append(event.cursor_row)


def lines(app: Host) -> list[str]:
    table = app.query_one(LogTable)
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_the_first_page_then_the_next_when_the_cursor_nears_the_end():
    app = Host(ROWS)
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(LogTable)
        await table.load()
        await settled(pilot)
        assert len(table.rows_held) == table.first_page == 50
        assert lines(app)[0].split() == ["N°", "What", "Note"]
        assert lines(app)[1].split()[:3] == ["1000", "row", "1000"]
        table.focus()
        for _ in range(3):
            await pilot.press("pagedown")
        await app.workers.wait_for_complete()
        held = len(table.rows_held)
        assert table.cursor_row >= 50 - PREFETCH and held in (150, 250)  # a page or two ahead
        assert app.fetches == [None, 951, 851][:1 + (held - 50) // 100]
        assert [r["n"] for r in table.rows_held] == list(range(1000, 1000 - held, -1))


async def test_a_live_prepend_formats_only_the_new_rows_and_keeps_the_cap():
    app = Host(ROWS[5:])
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(LogTable)
        await table.load()
        await settled(pilot)
        app.formatted.clear()
        table.prepend(ROWS[:5], cap=30)  # newest first, as the bus brings them
        await settled(pilot)
        assert app.formatted == [1000, 999, 998, 997, 996]
        assert len(table.rows_held) == 30 and not table.exhausted
        assert lines(app)[1].split()[0] == "1000" and table.cursor_row == 0
        await pilot.press("end")  # what fell off pages back in from the store
        await app.workers.wait_for_complete()
        assert len(table.rows_held) > 30
        ns = [r["n"] for r in table.rows_held]
        assert ns == sorted(set(ns), reverse=True)


async def test_keys_move_the_cursor_and_enter_or_a_second_click_selects():
    app = Host(ROWS[:10])
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(LogTable)
        await table.load()
        table.focus()
        await pilot.press("down", "down", "up")
        assert table.cursor_row == 1 and table.current["n"] == 999
        await pilot.press("enter")
        await settled(pilot)
        assert app.selected == [1]
        await pilot.click(LogTable, offset=(3, 4))  # the header is line 0: row 3
        assert table.cursor_row == 3
        await pilot.click(LogTable, offset=(3, 4))
        await settled(pilot)
        assert app.selected == [1, 3]
        await pilot.click(LogTable, offset=(3, 0))  # the header selects nothing
        await settled(pilot)
        assert table.cursor_row == 3 and app.selected == [1, 3]


async def test_right_and_left_move_a_column_at_a_time():
    wide = [{"n": n, "what": "w" * 40, "note": "note"} for n in range(10, 0, -1)]
    app = Host(wide)
    async with app.run_test(size=(30, 12)) as pilot:
        table = app.query_one(LogTable)
        await table.load()
        table.focus()
        await settled(pilot)
        await pilot.press("right")
        await settled(pilot)
        assert lines(app)[0].split()[0] == "What"
        await pilot.press("right")
        await settled(pilot)
        assert lines(app)[0].split() == ["Note"]
        await pilot.press("left", "left")
        await settled(pilot)
        assert lines(app)[0].split()[0] == "N°"


async def test_a_long_cell_is_cut_with_an_ellipsis():
    app = Host([{"n": 1, "what": "y" * 300, "note": ""}])
    async with app.run_test(size=(200, 10)) as pilot:
        table = app.query_one(LogTable)
        await table.load()
        await settled(pilot)
        cell = table.get_row_at(0)[1]
        assert cell.cell_len == 300  # what the cells were: the detail shows all of it
        shown = lines(app)[1]
        assert "y" * 99 + "…" in shown and "y" * 101 not in shown
