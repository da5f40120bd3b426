"""The flat's "Add APasses" (from the site stock, or new ones created and assigned at
once; a pass not in stock refused by its field, nothing saved) and the Blocks list's
"go to Flat N°" (one step to the flat; a number the block lacks said by the field)."""

from __future__ import annotations

from textual.widgets import Input, Select

from console.screens.flat import FlatScreen
from console.widgets.form import FormScreen
from console.widgets.key_bar import KeyBar
from core.model import AccessPass, APassState, Block, Site
from core.rights import Profile
from core.services import access_passes, blocks, flats, sites
from tests.conftest import dump_database, make_operator
from tests.console.conftest import context_for
from tests.console.setup_helpers import open_form, save, settle

SIZE = (120, 40)


def _footer_save(form: FormScreen) -> str:
    """What the key bar says ctrl+s does in the dialog."""
    return next(k.description for k in form.query_one(KeyBar).shown if k.key == "ctrl+s")


async def _go_to(pilot, number: str) -> FormScreen:
    """Blocks list, the block under the cursor, g, the Flat N°, Go."""
    await settle(pilot)
    form = await open_form(pilot, "g", FormScreen)
    assert _footer_save(form) == "Go to the flat"
    form.query_one("#f-number", Input).value = number
    await save(pilot)
    return form


async def test_go_to_flat_in_one_step_then_add_apasses_from_stock_and_new(
        console_ctx, make_app, store, estate):
    flat = estate.flats[2]
    await access_passes.create_access_passes(store.uow(), console_ctx.actor, estate.site.id,
                                             "0000000500", 1)  # the site stock
    await access_passes.create_access_passes(store.uow(), console_ctx.actor, estate.site.id,
                                             "0000000600", 1, flat_id=estate.flats[0].id)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        # go to Flat N°: a number the block lacks said by the field, then the flat at once
        form = await _go_to(pilot, "999")
        assert app.screen is form
        assert "has no flat N° 999" in str(form.query_one("#e-number").render())
        form.query_one("#f-number", Input).value = flat.number
        await save(pilot)
        screen = app.screen
        assert isinstance(screen, FlatScreen)
        assert screen.detail.flat.id == flat.id
        screen.action_pane(3)
        await settle(pilot)
        form = await open_form(pilot, "n", FormScreen)
        assert _footer_save(form) == "Add APasses"
        form.query_one("#f-number", Input).value = "0000000600"  # another flat's
        before = dump_database(store.where)
        await save(pilot)
        assert app.screen is form and "not in the site stock" in str(
            form.query_one("#e-number").render())
        assert dump_database(store.where) == before
        form.query_one("#f-number", Input).value = "0000000500"
        form.query_one("#f-resident", Input).value = "Mr Ode"
        await save(pilot)
        assert app.screen is screen
        form = await open_form(pilot, "n", FormScreen)
        form.query_one("#f-source", Select).value = "create"
        form.query_one("#f-number", Input).value = "0000000700"
        form.query_one("#f-quantity", Input).value = "2"
        await save(pilot)
        assert app.screen is screen
        assert [p.number for p in screen.detail.passes] == [
            "0000000500", "0000000700", "0000000701"]
    async with store.reader() as uow:
        mine = await uow.find(AccessPass, flat_id=flat.id)
    assert {(p.number, p.state) for p in mine} == {
        ("0000000500", APassState.ASSIGNED), ("0000000700", APassState.ASSIGNED),
        ("0000000701", APassState.ASSIGNED)}
    assert next(p for p in mine if p.number == "0000000500").resident == "Mr Ode"


async def test_add_apasses_from_stock_says_nothing_of_another_sites_passes(
        store, admin, estate, make_app):
    """An operator of one site who types another site's APass N° in the flat's Add
    APasses (from the site stock) learns neither its state nor that site's name: the
    number is only "not in the site stock" of their own site, and nothing changes."""
    other = await sites.create_site(store.uow(), admin, Site(
        name="Other Court", max_panels=1, max_flats=5, max_foreign_numbers=0,
        max_panel_names=1))
    block = await blocks.create_block(store.uow(), admin, Block(other.id, "Block Z"))
    [theirs] = await flats.create_flats(store.uow(), admin, block.id, 1, 1)
    await access_passes.create_access_passes(store.uow(), admin, other.id, "0000000800", 1)
    await access_passes.create_access_passes(store.uow(), admin, other.id, "0000000900", 1,
                                             flat_id=theirs.id)
    await make_operator(store, admin, "desk@test.example", estate.site.id, Profile.CUSTOM,
                        custom=["blocks:consult", "flats:consult", "apass_management:modify"])
    app = make_app(await context_for(store, "desk@test.example"))
    async with app.run_test(size=SIZE) as pilot:
        await _go_to(pilot, estate.flats[0].number)
        screen = app.screen
        assert isinstance(screen, FlatScreen)
        screen.action_pane(3)
        await settle(pilot)
        form = await open_form(pilot, "n", FormScreen)
        before = dump_database(store.where)
        for number in ("0000000800", "0000000900", "0000000999"):  # stock, assigned, none
            form.query_one("#f-number", Input).value = number
            await save(pilot)
            assert app.screen is form
            said = str(form.query_one("#e-number").render())
            assert said == f"APass {number} is not in the site stock of Demo Cases."
            assert "Other Court" not in str(form.query_one(".form-error").render())
        assert dump_database(store.where) == before
