"""The Facilities screen's first view: management companies and service providers, their
dialogs and the guide's filter; validity in colour and a word; bad input stays in the
dialog and changes nothing; a company still holding providers is not deleted."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static, Switch

from console.screens.facilities import FacilitiesScreen
from console.screens.facilities_providers import ProvidersPane
from console.widgets.form import ConfirmScreen, FormScreen
from core.model import ManagementCompany, ServiceProvider
from tests.conftest import dump_database, seeded
from tests.console.conftest import press, settled
from tests.console.facilities_book import Book, build_book

SIZE = (120, 40)


@pytest.fixture
async def book(request, store, admin, estate) -> Book:
    return await seeded(request, store, lambda: build_book(store, admin, estate))


async def open_facilities(app, pilot) -> ProvidersPane:
    await settled(pilot)
    await press(pilot, "F")
    assert isinstance(app.screen, FacilitiesScreen)
    pane = app.screen.query_one(ProvidersPane)
    while not pane.loads:  # mounted and read
        await settled(pilot)
    return pane


def cells(table: DataTable) -> list[list[str]]:
    return [[str(getattr(c, "plain", c)) for c in table.get_row_at(i)]
            for i in range(table.row_count)]


async def fill(pilot, form: FormScreen, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#f-{name}", Input).value = value
    await settled(pilot)


async def test_companies_and_providers_with_validity_in_colour_and_a_word(
        console_ctx, make_app, book):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_facilities(app, pilot)
        assert [r[0] for r in cells(pane.company_table)] == [
            "Acme Lifts", "Brightside Cleaning", "Zed Gardens"]
        assert cells(pane.company_table)[1][4:] == ["2", "1", "yes"]
        rows = {r[0]: r for r in cells(pane.providers)}
        assert rows["Smith John"][1] == "Current 2026-01-01 → 2028-01-01"
        assert rows["Smith John"][2].startswith("07546")
        assert rows["Old Olga"][1].startswith("Expired")
        assert rows["Future Fay"][1].startswith("Not started")
        assert rows["Always Al"][1] == "Current permanent"
        styles = {r.provider.name: pane._cells(r)[1].style for r in pane.providers.rows_held}
        assert "red" in styles["Old Olga"] and "orange" in styles["Future Fay"]


async def test_add_a_company_then_a_provider_refused_then_saved(
        console_ctx, make_app, book, store):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_facilities(app, pilot)
        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, FormScreen)
        await fill(pilot, form, name="Greenfingers Ltd", email="hello@green.example")
        await press(pilot, "ctrl+s")
        assert app.screen is not form
        await settled(pilot)
        assert "Greenfingers Ltd" in [r[0] for r in cells(pane.company_table)]
        # a provider: six years of validity is refused by its field, nothing is written
        pane.providers.focus()
        await press(pilot, "n")
        form = app.screen
        await fill(pilot, form, name="Jones Mary", valid_from="2026-12-01",
                   valid_to="2032-12-01", mobile="07546277311", code_door="4711")
        before = dump_database(store.where)
        await press(pilot, "ctrl+s")
        assert app.screen is form
        assert "5 years" in str(form.query_one("#e-valid_to", Static).render())
        await fill(pilot, form, valid_to="2029-12-01")
        await press(pilot, "ctrl+s")  # a code another provider holds
        assert "already used" in str(form.query_one("#e-code_door", Static).render())
        await fill(pilot, form, code_door="8080", mobile="12")
        await press(pilot, "ctrl+s")
        assert "telephone" in str(form.query_one("#e-mobile", Static).render())
        assert dump_database(store.where) == before
        await fill(pilot, form, mobile="07546277311")
        await press(pilot, "ctrl+s")
        assert app.screen is not form
        await settled(pilot)
        assert "Jones Mary" in [r[0] for r in cells(pane.providers)]
    async with store.reader() as uow:
        [mary] = await uow.find(ServiceProvider, name="Jones Mary")
    assert (mary.mobile, mary.code_door, str(mary.valid_to)) == (
        "+447546277311", "8080", "2029-12-01")


async def test_the_guide_filter_narrows_the_providers(console_ctx, make_app, book):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_facilities(app, pilot)
        for field, value, expect in (("code", "5522", ["Future Fay"]),
                                     ("apass", "36958", ["Always Al"]),
                                     ("telephone", "07546 277399", ["Smith John"]),
                                     ("provider", "olg", ["Old Olga"])):
            await press(pilot, "f")
            form = app.screen
            await fill(pilot, form, **{field: value})
            await press(pilot, "ctrl+s")
            await settled(pilot)
            assert [r[0] for r in cells(pane.providers)] == expect, field
            await press(pilot, "x")
            await settled(pilot)
        await press(pilot, "f")
        form = app.screen
        form.query_one("#f-empty_dates", Switch).value = True
        await press(pilot, "ctrl+s")
        await settled(pilot)
        assert [r[0] for r in cells(pane.providers)] == ["Always Al"]
        assert "empty dates" in str(pane.query_one("#providers-title", Static).render())


async def test_a_company_holding_providers_is_not_deleted(console_ctx, make_app, book,
                                                          store):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_facilities(app, pilot)
        pane.company_table.focus()
        pane.company_table.move_cursor(row=1)  # Brightside Cleaning
        await press(pilot, "d")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        await app.workers.wait_for_complete()
        assert any("2 service providers and 1 task" in n.message for n in app._notifications)
        pane.company_table.move_cursor(row=2)  # Zed Gardens: nothing left in it
        await press(pilot, "d", "y")
        await app.workers.wait_for_complete()
        assert [r[0] for r in cells(pane.company_table)] == ["Acme Lifts",
                                                            "Brightside Cleaning"]
    async with store.reader() as uow:
        assert {c.name for c in await uow.find(ManagementCompany)} == {
            "Acme Lifts", "Brightside Cleaning"}
