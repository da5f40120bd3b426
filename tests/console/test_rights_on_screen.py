"""The issue's leak, tried as the engineer did: a Technical maintenance operator (no
APass right) sees no APass column in a block's flats, no APass(es) tab in Flat
management, and finds no flat by a lost APass number; the administrator, on the same
screens, sees all three."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from console.screens.flat import FlatScreen
from console.widgets.strip_table import StripTable
from core.model import APassState
from core.rights import Profile
from core.services import access_passes
from tests.conftest import make_operator
from tests.console.conftest import context_for, press, settled, until
from tests.console.test_blocks_tab import open_block_c, tab_of
from tests.console.test_search_screen import open_search, rows, settle

LOST = "2222200002"


async def _estate_with_passes(store, admin, estate) -> None:
    flat = estate.flats[0]
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             flat_id=flat.id, resident="Patel, Jane")
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, LOST,
                                             flat_id=flat.id, resident="Patel, Jane")
    await access_passes.send_to_lost(store.uow(), admin, LOST)


def _labels(table: DataTable | StripTable) -> list[str]:
    return [str(c.label) for c in table.ordered_columns]


@pytest.mark.parametrize("profile, sees_passes", [
    (Profile.TECHNICAL_MAINTENANCE, False),
    (Profile.ADMINISTRATION, True),
])
async def test_apasses_absent_for_an_operator_without_the_right(store, admin, estate, make_app,
                                                                profile, sees_passes):
    await _estate_with_passes(store, admin, estate)
    email = "admin@test.example"
    if profile is not Profile.ADMINISTRATION:
        email = "engineer@test.example"
        await make_operator(store, admin, email, estate.site.id, profile)
    app = make_app(await context_for(store, email))
    async with app.run_test(size=(160, 40)) as pilot:
        table = await open_block_c(pilot)
        assert ("Access Passes" in _labels(table)) is sees_passes
        assert ("APass(es)" in _labels(tab_of(app).blocks_table)) is sees_passes
        first = [str(c) for c in table.get_row_at(0)]
        assert ("1111100000" in first) is sees_passes  # the assigned one
        await press(pilot, "enter")
        await until(pilot, lambda: isinstance(app.screen, FlatScreen), "the flat's screen")
        screen = app.screen
        assert ("tab-passes" in screen.panes) is sees_passes
        assert bool(screen.query("#tab-passes")) is sees_passes
        await pilot.press("4")  # the APass(es) tab's key does nothing without it
        await settled(pilot)
        assert (screen.active_pane == "tab-passes") is sees_passes
        await press(pilot, "escape")
        await until(pilot, lambda: app.screen is app.main, "back on the main screen")
        search = await open_search(pilot)
        await pilot.press(*LOST)
        await settle(pilot)
        found = rows(search)
        assert bool(found) is sees_passes
        results = search.query_one("#search-results", StripTable)
        assert ("Access Pass" in _labels(results)) is sees_passes
        if sees_passes:
            assert f"{LOST} (lost)" in found[0][3]
        # whatever the profile, nothing of it reached the screen's text either
        assert sees_passes or all(LOST not in cell for row in found for cell in row)
    async with store.reader() as uow:  # the data is still there: only hidden from them
        from core.model import AccessPass
        [lost] = await uow.find(AccessPass, number=LOST)
        assert lost.state is APassState.LOST
