"""The search screen (`/`): type, see the guide's columns and "(N found)", Enter goes to
the flat; only the operator's sites; every value shown literally; works at 80x24."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static

from console.screens.search import DEBOUNCE_S, SearchScreen
from console.widgets.strip_table import StripTable
from core.model import PanelDisplay
from core.services import residents
from tests.conftest import make_operator
from tests.console.conftest import context_for, settled
from tests.search_cases import Residents, add_people


@pytest.fixture
async def people(store, admin, estate) -> Residents:
    return await add_people(store, admin, estate)


@pytest.fixture
async def admin_ctx(store, people):
    """The administrator, who sees both sites."""
    return await context_for(store, "admin@test.example")


async def settle(pilot) -> None:
    """Past the debounce, and the search worker done."""
    await pilot.pause(DEBOUNCE_S + 0.05)
    await pilot.app.workers.wait_for_complete()
    await settled(pilot)


async def open_search(pilot) -> SearchScreen:
    await settled(pilot)
    await pilot.press("slash")
    await settled(pilot)
    assert isinstance(pilot.app.screen, SearchScreen)
    return pilot.app.screen


def rows(screen: SearchScreen) -> list[tuple[str, ...]]:
    table = screen.query_one("#search-results", StripTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def status(screen: SearchScreen) -> str:
    return str(screen.query_one("#search-status", Static).render())


async def test_typing_a_name_lists_residents_and_enter_opens_the_flat(admin_ctx, make_app,
                                                                      people):
    app = make_app(admin_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"smith")
        await settle(pilot)
        assert rows(screen) == [
            ("Demo Cases", "Block C", "Appt. 001", "", "Smith, John"),
            ("Demo Cases", "Block C", "Appt. 002", "1111100008", "Smithson"),
        ]
        assert "(2 found)" in status(screen) and "smith" in status(screen)
        await pilot.press("down", "down", "enter")  # to the results, the second row
        await pilot.pause(0.3)
        main = app.main
        assert not isinstance(app.screen, SearchScreen)
        assert (main.site_id, main.block_id) == (people.site.id, await _block(app, people))
        assert type(app.screen).__name__ == "FlatScreen"
        assert app.screen.detail.flat.id == people.flat["002"]


async def test_the_same_hits_leave_the_table_as_it_is(admin_ctx, make_app, people):
    """A letter more that finds the same flats redraws the count, not the table."""
    app = make_app(admin_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"smith")
        await settle(pilot)
        table = screen.query_one("#search-results", StripTable)
        held = table.cells_held
        await pilot.press("space")
        await settle(pilot)
        assert table.cells_held is held and len(held) == 2
        assert "smith" in status(screen) and "(2 found)" in status(screen)
        await pilot.press(*"jo")
        await settle(pilot)
        assert [r[2] for r in rows(screen)] == ["Appt. 001"]


async def _block(app, people: Residents) -> int:
    from core.model import Flat
    async with app.ctx.store.reader() as uow:
        return (await uow.get(Flat, people.flat["002"])).block_id


async def test_a_number_in_any_form_by_telephone(admin_ctx, make_app, people):
    app = make_app(admin_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot)
        screen.query_one("#search-by", Select).value = "telephone"
        for written in ("+44 7546 288399", "00447546288399", "07546 28"):
            screen.query_one("#search-keyword", Input).value = written
            await settle(pilot)
            assert [r[2] for r in rows(screen)] == ["Appt. 001"], written
            assert "07546288399" in rows(screen)[0][4]
        screen.query_one("#search-by", Select).value = "resident"
        await settle(pilot)
        assert rows(screen) == [] and "(0 found)" in status(screen)


async def test_in_one_site_or_all_my_sites(admin_ctx, make_app, people):
    app = make_app(admin_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"john")
        await settle(pilot)
        assert [(r[0], r[2]) for r in rows(screen)] == [
            ("Demo Cases", "Appt. 001"), ("Harbour View", "Penthouse (H01)")]
        screen.query_one("#search-in", Select).value = people.other.id
        await settle(pilot)
        assert [(r[0], r[2]) for r in rows(screen)] == [("Harbour View", "Penthouse (H01)")]


async def test_a_desk_operator_searches_only_their_sites(store, admin, people, make_app):
    await make_operator(store, admin, "desk@test.example", people.site.id, "Concierge")
    ctx = await context_for(store, "desk@test.example")
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot)
        options = [str(o[0]) for o in screen.query_one("#search-in", Select)._options]
        assert "Harbour View" not in options and "Demo Cases" in options
        await pilot.press(*"john")
        await settle(pilot)
        assert [(r[0], r[2]) for r in rows(screen)] == [("Demo Cases", "Appt. 001")]


async def test_the_newest_keyword_wins(admin_ctx, make_app, people):
    app = make_app(admin_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"john")
        await pilot.pause(DEBOUNCE_S + 0.05)  # "john" is being searched ...
        await pilot.press(*["backspace"] * 4, *"zoe")
        await settle(pilot)
        assert [r[2] for r in rows(screen)] == ["Appt. 002"]
        screen.run_search(0, "john", "any", [people.site.id])  # an answer for an old query
        await settle(pilot)
        assert [r[2] for r in rows(screen)] == ["Appt. 002"]


async def test_names_are_shown_literally_and_escape_closes(store, admin, people, make_app):
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        people.flat["003"], "[red]Smitty[/red] [@click=app.quit]x", "3", hardwired=True))
    ctx = await context_for(store, "admin@test.example")
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"smitty")
        await settle(pilot)
        cells = screen.query_one("#search-results", StripTable).get_row_at(0)
        assert cells[4].plain == "[red]Smitty[/red] [@click=app.quit]x"
        assert cells[3].plain == ""  # flat 003's only pass is lost: shown when it matches
        screen.query_one("#search-keyword", Input).value = "1111100009"
        await settle(pilot)
        cells = screen.query_one("#search-results", StripTable).get_row_at(0)
        assert cells[3].plain == "1111100009 (lost)"
        await pilot.press("escape")
        await settled(pilot)
        assert not isinstance(app.screen, SearchScreen) and app.is_running


async def test_fits_80x24(admin_ctx, make_app, people):
    app = make_app(admin_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"appt")
        await settle(pilot)
        for widget_id in ("#search-in", "#search-by", "#search-keyword", "#search-results"):
            region = screen.query_one(widget_id).region
            assert region.width > 0 and region.right <= 80 and region.bottom <= 24, widget_id
        assert screen.query_one("#search-keyword").region.width >= 16
        assert len(rows(screen)) == 3


async def test_a_long_resident_is_cut_with_an_ellipsis_at_80_columns(store, admin, people,
                                                                     make_app):
    """The Resident column ends in "…" where the screen ends (the cell is whole), and
    nothing is drawn off to the right."""
    long_name = "Featherstonehaugh-Cholmondeley, Georgina Alexandra"
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        people.flat["003"], long_name, "3", hardwired=True))
    app = make_app(await context_for(store, "admin@test.example"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"featherstone")
        await settle(pilot)
        table = screen.query_one("#search-results", StripTable)
        assert long_name in table.get_row_at(0)[4].plain
        assert table.virtual_size.width <= table.size.width
        line = "".join(seg.text for seg in table.render_line(1))
        assert "Featherstone" in line and line.rstrip().endswith("…"), line
