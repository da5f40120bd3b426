"""One way of writing a pass's type and colour (core/vocabulary.py): the Access Passes tab,
Flat management's APass(es) tab and the dialogs' choices say the same words."""

from __future__ import annotations

from console.screens.flat_panes import PassesPane
from console.screens.pass_forms import COLOUR_OPTIONS, TYPE_OPTIONS
from core.model import APassColour, APassType
from core.services import access_passes
from core.vocabulary import colour_name, pass_type_name
from tests.console.conftest import settled, show_tab
from tests.console.test_flat_management import open_flat, table_rows, to_pane


def test_the_names():
    assert [pass_type_name(t) for t in APassType] == [
        "Proximity fob", "Radio transmitter", "Dual tech"]
    assert colour_name("green") == "GREEN" and colour_name("teal") == "teal"
    assert [name for name, _ in TYPE_OPTIONS] == [pass_type_name(t) for t in APassType]
    assert [name for name, _ in COLOUR_OPTIONS] == [c.value.upper() for c in APassColour]


async def test_the_tab_and_the_flat_write_a_pass_alike(console_ctx, make_app, store, estate):
    await access_passes.create_access_passes(
        store.uow(), console_ctx.actor, estate.site.id, "0000000900", 1,
        type=APassType.RADIO_TRANSMITTER.value, colour=APassColour.GREEN.value,
        flat_id=estate.flats[0].id)
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await show_tab(pilot, "4")
        cells = app.main.tabs["pane-accesspassestab"].table.all_cells(0)
        assert [str(c) for c in cells[:3]] == ["0000000900", "Radio transmitter", "GREEN"]
        await show_tab(pilot, "1")
        await open_flat(pilot)
        await to_pane(pilot, 3)
        assert table_rows(app.screen.query_one(PassesPane))[0][:3] == [
            "0000000900", "Radio transmitter", "GREEN"]


def test_the_audit_trail_writes_a_pass_alike():
    from core.views.audit_words import changes
    found = changes("access_pass", {"type": "proximity fob", "colour": "black"},
                    {"type": "dual tech", "colour": "green"})
    assert ("Type", "Proximity fob", "Dual tech") in found
    assert ("Colour", "BLACK", "GREEN") in found
