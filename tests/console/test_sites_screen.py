"""Sites (key S, the "Create a site" right): a site created from the console joins the
tree and the operator administers it; a bad time zone, and a quota lowered below use
(with the counts), are refused by their field and nothing is saved. Who has the S key:
tests/console/test_commission_rights.py."""

from __future__ import annotations

from textual.widgets import Input

from console.screens.sites import SitesScreen
from console.widgets.chrome import SiteTree
from console.widgets.form import FormScreen
from core.model import Site
from core.rights import Profile
from tests.conftest import dump_database
from tests.console.conftest import press
from tests.console.setup_helpers import open_screen, save, settle

SIZE = (120, 40)


def _fill(form: FormScreen, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#f-{name}", Input).value = value


async def test_a_site_is_created_and_joins_the_tree(console_ctx, make_app, store):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_screen(pilot, "S", SitesScreen)
        await press(pilot, "n")
        await settle(pilot)
        form = app.screen
        _fill(form, name="Harbour View", address="1 Quay Street, Leith",
              default_country="fr", timezone="Europe/Nowhere", max_flats="2200")
        before = dump_database(store.where)
        await save(pilot)
        assert app.screen is form
        assert "timezone" in str(form.query_one("#e-timezone").render())
        assert dump_database(store.where) == before
        _fill(form, timezone="Europe/Paris")
        await save(pilot)
        assert app.screen is screen
        line = next(r for r in screen.rows if r.site.name == "Harbour View")
        assert (line.site.default_country, line.site.max_flats) == ("FR", 2200)
        assert line.header.usage["flats"] == 0
        await press(pilot, "escape")
        await settle(pilot)
        labels = [str(n.label) for n in app.main.query_one(SiteTree).root.children]
        assert "Harbour View" in labels
    async with store.reader() as uow:
        site = (await uow.find(Site, name="Harbour View"))[0]
    assert site.address == "1 Quay Street, Leith" and site.timezone == "Europe/Paris"
    assert console_ctx.viewer.grants[site.id].profile == Profile.ADMINISTRATION


async def test_a_quota_below_use_is_refused_with_the_counts(console_ctx, make_app, store,
                                                            estate):
    before = dump_database(store.where)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_screen(pilot, "S", SitesScreen)
        await press(pilot, "e")
        await settle(pilot)
        form = app.screen
        _fill(form, max_flats="2")
        await save(pilot)
        assert app.screen is form
        error = str(form.query_one("#e-max_flats").render())
        assert "cannot be 2: 3 are in use" in error
    assert dump_database(store.where) == before
