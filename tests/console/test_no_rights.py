"""An operator whose custom profile gives none of the main screen's tabs sees a plain
message saying so (the main screen once failed with a KeyError), and may quit."""

from __future__ import annotations

from textual.widgets import Static

from console.screens.main import MainScreen
from console.screens.no_rights import NoRightsScreen
from core.rights import Profile
from tests.conftest import make_operator
from tests.console.conftest import context_for, settled


async def test_an_operator_with_no_tab_gets_a_plain_message(store, admin, estate, make_app):
    await make_operator(store, admin, "hr@test.example", estate.site.id, Profile.CUSTOM,
                        custom=["users:consult"])
    app = make_app(await context_for(store, "hr@test.example"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert isinstance(app.screen, NoRightsScreen)
        assert not any(isinstance(s, MainScreen) for s in app.screen_stack)
        said = str(app.screen.query_one("#no-rights", Static).render())
        assert "hr@test.example" in said and "no rights" in said
        await pilot.press("q")
        await settled(pilot)
    assert app.return_code == 0
