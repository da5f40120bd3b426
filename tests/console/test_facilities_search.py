"""The cross-site search (/) finds service providers and management companies by name,
telephone, code and APass, marked as such; Enter opens the Facilities screen filtered to
the one found. An operator without the Facilities right finds none of them."""

from __future__ import annotations

import pytest

from console.screens.facilities import FacilitiesScreen
from console.screens.facilities_providers import ProvidersPane
from core.rights import Profile
from tests.conftest import make_operator, seeded
from tests.console.conftest import context_for, settled
from tests.console.facilities_book import Book, build_book
from tests.console.test_search_screen import open_search, rows, settle

SIZE = (120, 40)


@pytest.fixture
async def book(request, store, admin, estate) -> Book:
    return await seeded(request, store, lambda: build_book(store, admin, estate))


@pytest.mark.parametrize("typed, found", [
    ("Smith", [("[Service provider]", "Brightside Cleaning", "Smith John")]),
    ("07546 277399", [("[Service provider]", "Brightside Cleaning", "Smith John")]),
    ("5522", [("[Service provider]", "Acme Lifts", "Future Fay")]),
    ("4640800", [("[Service provider]", "Brightside Cleaning", "Smith John")]),
    ("Brightside", [("[Management co.]", "Brightside Cleaning", "Brightside Cleaning")]),
])
async def test_search_finds_providers_and_companies(console_ctx, make_app, book, typed,
                                                    found):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        search = await open_search(pilot)
        await pilot.press(*typed)
        await settle(pilot)
        assert [(r[0], r[1], r[4].split("  ")[-1]) for r in rows(search)] == found


async def test_enter_opens_facilities_filtered_to_the_provider(console_ctx, make_app, book):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        search = await open_search(pilot)
        await pilot.press(*"Fay")
        await settle(pilot)
        await pilot.press("enter")  # to the results
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, FacilitiesScreen)
        pane = app.screen.query_one(ProvidersPane)
        while not pane.loads:
            await settled(pilot)
        assert [r.provider.name for r in pane.providers.rows_held] == ["Future Fay"]
        assert search is not app.screen


async def test_no_facilities_right_finds_no_provider(store, admin, estate, book, make_app):
    await make_operator(store, admin, "eng@test.example", estate.site.id,
                        Profile.TECHNICAL_MAINTENANCE)
    app = make_app(await context_for(store, "eng@test.example"))
    async with app.run_test(size=SIZE) as pilot:
        search = await open_search(pilot)
        await pilot.press(*"Smith")
        await settle(pilot)
        assert rows(search) == []


@pytest.mark.parametrize("typed", ["Flat 20", "Smith 99"])
async def test_digits_in_words_are_not_telephone_numbers(console_ctx, make_app, book, typed):
    """"Flat 20" once found Brightside Cleaning (its telephone 02079460000 holds "20"),
    and "Smith 99" Smith John by his mobile's last digits: the digits of a word were
    looked for in the facilities' telephones, which the flats' search never does."""
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        search = await open_search(pilot)
        await pilot.press(*typed)
        await settle(pilot)
        assert [r for r in rows(search) if r[0].startswith("[")] == []
