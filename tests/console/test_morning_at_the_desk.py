"""A morning at the desk (issue 19), with keys only, counting them: add two telephones to
a flat, give it two fobs, report one lost, find the flat again by a telephone number and
read the flat's history. Every step is checked in what the screens show; the count is
the number of keys a concierge presses (each character typed is one)."""

from __future__ import annotations

from textual.widgets import DataTable

from console.screens.flat import FlatScreen
from console.screens.search import SearchScreen
from console.widgets.form import ConfirmScreen, FormScreen
from console.widgets.log_table import LogTable
from core.services import access_passes
from tests.console.conftest import settled, until

SIZE = (100, 30)


class Hands:
    """Presses keys as a person does, one at a time, and counts them."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.count = 0

    async def keys(self, *keys: str) -> None:
        for key in keys:
            await self.pilot.press(key)
            self.count += 1
        await settled(self.pilot)

    async def type(self, text: str) -> None:
        await self.keys(*text)


def rows(table: DataTable) -> list[list[str]]:
    cells = getattr(table, "all_cells", table.get_row_at)  # every column, drawn or not
    return [[str(c) for c in cells(i)] for i in range(table.row_count)]


async def test_a_morning_at_the_desk_with_keys_only(console_ctx, make_app, store, estate,
                                                    admin):
    # the site's stock of fobs, made by the manager beforehand
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100050",
                                             quantity=2)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        hands = Hands(pilot)
        await hands.keys("enter", "enter")  # Block C, then its first flat
        flat = app.screen
        assert isinstance(flat, FlatScreen) and flat.detail.flat.number == "001"

        await hands.keys("2")  # Telephone(s) & Email(s)
        for number in ("07802980851", "07400123456"):
            await hands.keys("n")
            assert isinstance(app.screen, FormScreen)
            await hands.type(number)
            await hands.keys("ctrl+s")
            assert app.screen is flat, app.screen
        phones = flat.query_one("#tab-phones DataTable", DataTable)
        assert [r[0] for r in rows(phones)] == ["07802980851 GB", "07400123456 GB"]

        await hands.keys("4")  # APass(es): two fobs from the site stock
        for number in ("1111100050", "1111100051"):
            await hands.keys("n")
            assert isinstance(app.screen, FormScreen)
            await hands.type(number)
            await hands.keys("ctrl+s")
            assert app.screen is flat, app.screen
        passes = flat.query_one("#tab-passes DataTable", DataTable)
        assert [r[0] for r in rows(passes)] == ["1111100050", "1111100051"]

        await hands.keys("down", "l")  # the second one is lost
        assert isinstance(app.screen, ConfirmScreen)
        await hands.keys("y")
        assert rows(passes)[1][5] == "LOST"

        await hands.keys("escape", "slash")  # search by a telephone number
        assert isinstance(app.screen, SearchScreen)
        await hands.type("07400 123456")
        await until(pilot, lambda: app.screen.hits, "the hit")
        await hands.keys("enter", "enter")  # to the results, then the flat
        flat = app.screen
        assert isinstance(flat, FlatScreen) and flat.detail.flat.number == "001"

        await hands.keys("5")  # History: the changes made this morning
        table = flat.query_one("#history-table", LogTable)
        await until(pilot, lambda: table.row_count > 0, "the flat's history")
        what = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert what[:5] == ["APass to lost record", "APass assigned", "APass assigned",
                            "Telephone added", "Telephone added"], what
        print(f"\nkeys pressed for the morning: {hands.count}")
        assert hands.count <= 75

