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
from tests.console.setup_helpers import on_screen, open_form, save, settle

SIZE = (120, 40)


def _fill(form: FormScreen, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#f-{name}", Input).value = value


async def test_a_quota_below_use_is_refused_then_a_site_is_created_and_joins_the_tree(
        console_ctx, make_app, store, estate):
    app = make_app(console_ctx)
    async with on_screen(app, "S", SitesScreen, SIZE) as (pilot, screen):
        # the estate's site has 3 flats: a quota of 2 is refused with the counts
        before = dump_database(store.where)
        form = await open_form(pilot, "e", FormScreen)
        _fill(form, max_flats="2")
        await save(pilot)
        assert app.screen is form
        assert "cannot be 2: 3 are in use" in str(form.query_one("#e-max_flats").render())
        assert dump_database(store.where) == before
        await press(pilot, "escape")
        await settle(pilot)
        # a new site: a bad time zone refused by its field, then saved
        form = await open_form(pilot, "n", FormScreen)
        _fill(form, name="Harbour View", address="1 Quay Street, Leith",
              default_country="fr", timezone="Europe/Nowhere", max_flats="2200")
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
