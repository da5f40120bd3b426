"""FLAT MANAGEMENT: the flat's fields, its telephones & emails, its panel displays within
the site's quota of names, its APasses; refusals by their field and nothing half-saved.
(What each profile may touch there: test_blocks_tab.test_keys_follow_the_operators_rights.)"""

from __future__ import annotations

from textual.widgets import DataTable, Input, TabbedContent

from console.screens.flat import FlatScreen
from console.widgets.form import ConfirmScreen, FormScreen
from core.model import AccessPass, APassState, Flat, PanelDisplay, Telephone
from core.services import access_passes, residents
from tests.conftest import dump_database
from tests.console.conftest import press, settled, until

SIZE = (80, 24)


def text(widget) -> str:
    return str(widget.render())


def table_rows(widget) -> list[list[str]]:
    table = widget.query_one(DataTable)
    cells = getattr(table, "all_cells", table.get_row_at)  # every column, drawn or not
    return [[str(c) for c in cells(i)] for i in range(table.row_count)]


async def open_flat(pilot, row: int = 0) -> FlatScreen:
    """Blocks tab → Block C → the flat on `row` → Enter (each step waited for on what it
    shows, not on a pause: a busy machine can take longer than one)."""
    tab = pilot.app.main.tabs["pane-blockstab"]
    await until(pilot, lambda: tab.blocks_table.row_count > 0, "the blocks list")
    await press(pilot, "enter")
    await until(pilot, lambda: tab.flats_table.row_count > row, "Block C's flats")
    await pilot.press(*["down"] * row)
    await press(pilot, "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, FlatScreen), "the flat's screen")
    return pilot.app.screen


async def to_pane(pilot, index: int) -> None:
    pilot.app.screen.action_pane(index)
    await settled(pilot)
    await settled(pilot)


async def fill(pilot, values: dict[str, object]) -> None:
    """Set the fields of the dialog on top, then Save (ctrl+s)."""
    for name, value in values.items():
        pilot.app.screen.query_one(f"#f-{name}").value = value
    await pilot.press("ctrl+s")
    await settled(pilot)


async def test_modify_a_flat_refusals_by_field_then_saved(console_ctx, make_app, store,
                                                         estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot, row=1)
        assert screen.query_one(TabbedContent).active == "tab-flat"
        assert screen.query_one("#f-number", Input).value == "002"
        before = dump_database(store.where)
        for field, value, message in [
            ("name", "", "Name of flat is required"),
            ("floor", "second", "whole number"),
            ("notes", "x" * 161, "at most 160"),
            ("code_main_door", "12a4", "digits only"),
            ("number", "003", "already exists"),
        ]:
            good = {"name": "Half saved?", "floor": "1", "notes": "", "code_main_door": "",
                    "number": "002"}
            # a good change alongside the bad one must not be half-saved
            await fill(pilot, {**good, field: value})
            assert message in text(screen.query_one(f"#e-{field}")), field
            assert screen.query_one(f"#f-{field}", Input).value == value  # typed stays
            assert dump_database(store.where) == before
        await fill(pilot, {"number": "002", "name": "Smith", "notes": "Key with the concierge",
                           "floor": "2", "code_main_door": "4321"})
        assert "Flat saved" in text(screen.query_one("#flat-message"))
        assert text(screen.query_one("#e-number")) == ""
        await pilot.press("escape", "escape")  # out of the field, then closed
        await settled(pilot)
        flats = app.main.tabs["pane-blockstab"].flats_table
        assert app.screen is app.main and flats.cursor_row == 1  # cursor kept
        row = [str(c) for c in flats.all_cells(1)]
        assert row[:2] == ["002", "Smith"] and row[6:] == ["Main door : 4321",
                                                         "Key with the concierge"]
    async with store.reader() as uow:
        flat = await uow.get(Flat, estate.flats[1].id)
    assert (flat.name, flat.notes, flat.floor) == ("Smith", "Key with the concierge", 2)


async def add_phone(pilot, value: str) -> FormScreen:
    await pilot.press("n")
    await settled(pilot)
    form = pilot.app.screen
    assert isinstance(form, FormScreen)
    await fill(pilot, {"value": value})
    return form


async def test_telephones_in_display_form_bad_ones_and_a_fourth_refused(
        console_ctx, make_app, store, estate):
    flat = estate.flats[0]
    phone = await residents.add_telephone(store.uow(), console_ctx.actor, flat.id,
                                          "07546277360")
    await residents.add_panel_display(store.uow(), console_ctx.actor, PanelDisplay(
        flat.id, "Flat 1", "1", call_chain=[{"telephone_id": phone.id, "ring_seconds": 20}]))
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot)
        await to_pane(pilot, 1)
        assert screen.query_one(TabbedContent).active == "tab-phones"
        pane = screen.query_one("#tab-phones")
        before = dump_database(store.where)
        form = await add_phone(pilot, "0754627")
        for value, message in [("0754627", "not a valid telephone number"),
                               ("call me", "not a telephone number")]:
            await fill(pilot, {"value": value})
            assert app.screen is form
            assert message in text(form.query_one("#e-value"))
            assert form.query_one("#f-value", Input).value == value
            assert dump_database(store.where) == before
        await fill(pilot, {"value": "+33 6 12 34 56 78"})
        assert app.screen is screen
        await add_phone(pilot, "0044 7598 958062")
        assert [r[0] for r in table_rows(pane)] == [
            "07546277360 GB", "0612345678 FR (foreign)", "07598958062 GB"]
        before = dump_database(store.where)
        form = await add_phone(pilot, "07777777777")
        assert app.screen is form
        assert "maximum of 3" in text(form.query_one("#e-value"))
        assert dump_database(store.where) == before
        await pilot.press("escape")
        await settled(pilot)
        # the first number is called by the panel display: deleting it is refused
        await pilot.press("home", "d")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settled(pilot)
        assert "still called by panel display" in text(screen.query_one("#flat-message"))
        assert dump_database(store.where) == before
        await to_pane(pilot, 0)  # another of the flat's tabs: the refusal was about this one
        assert text(screen.query_one("#flat-message")) == ""


async def test_add_a_panel_display_and_the_names_left_count_down(console_ctx, make_app,
                                                                 store, estate):
    await residents.add_telephone(store.uow(), console_ctx.actor, estate.flats[0].id,
                                  "07546277360")
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot)
        await to_pane(pilot, 2)
        pane = screen.query_one("#tab-displays")
        assert "You can still program : 3 name(s)" in text(pane.query_one(".pane-caption"))
        await pilot.press("n")
        await settled(pilot)
        form = app.screen
        assert form.query_one("#f-display_name").value == "Appt. 001"
        assert form.query_one("#f-call_code").value == "1"
        await fill(pilot, {"display_name": "Solomon"})  # no number and not hardwired
        assert "primary telephone number" in text(form.query_one("#e-call_1"))
        async with store.reader() as uow:
            phone = (await uow.find(Telephone, flat_id=estate.flats[0].id))[0]
        await fill(pilot, {"call_1": phone.id, "ring_1": "later"})
        assert "whole number" in text(form.query_one("#e-ring_1"))
        await fill(pilot, {"ring_1": "3"})
        assert "from 5 to 120" in text(form.query_one("#e-ring_1"))
        await fill(pilot, {"ring_1": "25"})
        assert app.screen is screen
        assert table_rows(pane) == [["Solomon", "1", "Profil - Block C",
                                     "07546277360 GB 25 s", "Never"]]
        assert "You can still program : 2 name(s)" in text(pane.query_one(".pane-caption"))
        await pilot.press("escape")
        await settled(pilot)
        row = [str(c) for c in app.main.tabs["pane-blockstab"].flats_table.all_cells(0)]
        assert row[3:6] == ["Solomon", "1", "07546277360 GB"]


async def test_send_a_pass_to_the_lost_record(console_ctx, make_app, store, estate):
    flat = estate.flats[0]
    await access_passes.create_access_passes(store.uow(), console_ctx.actor, estate.site.id,
                                             "0778005691", 2, flat_id=flat.id,
                                             resident="Mrs Smith")
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot)
        await to_pane(pilot, 3)
        pane = screen.query_one("#tab-passes")
        assert [r[0] for r in table_rows(pane)] == ["0778005691", "0778005692"]
        await pilot.press("down", "l")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settled(pilot)
        assert table_rows(pane)[1][5] == "LOST"
        assert "lost record" in text(screen.query_one("#flat-message"))
        await pilot.press("escape")
        await settled(pilot)
        # the flats table lists the flat's assigned passes only
        assert str(app.main.tabs["pane-blockstab"].flats_table.all_cells(0)[2]) == "0778005691"
    async with store.reader() as uow:
        lost = (await uow.find(AccessPass, number="0778005692"))[0]
    assert lost.state is APassState.LOST and lost.resident == "Mrs Smith"


async def test_open_flat_from_elsewhere_lands_on_the_flat(console_ctx, make_app, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        flat = estate.flats[2]
        await app.main.open_flat(estate.site.id, estate.block.id, flat.id)
        await settled(pilot)
        assert isinstance(app.screen, FlatScreen)
        assert app.screen.query_one("#f-number", Input).value == "003"
        assert app.main.tabs["pane-blockstab"].flats_table.cursor_row == 2
