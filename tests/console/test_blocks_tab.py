"""The Blocks tab: the blocks with their counts, a block's flats a page at a time, adding
flats within the site's quota, blocks that cannot be deleted, keys by rights, and
names from outside shown literally."""

from __future__ import annotations

import sqlite3

import pytest
from textual.widgets import DataTable, Input

from console.screens.flat import FlatScreen
from console.widgets.chrome import SiteHeaderBar, SiteTree
from console.widgets.form import ConfirmScreen, FormScreen
from console.widgets.paged_table import PagedTable
from core.model import Flat, PanelDisplay
from core.rights import Profile
from core.services import access_passes, flats, residents, sites
from tests.conftest import dump_database, make_operator
from tests.console.conftest import context_for, press, settled, show_tab, until

SIZE = (80, 24)


def tab_of(app):
    return app.main.tabs["pane-blockstab"]


def rows(table: DataTable) -> list[list[str]]:
    """Every column of the rows, drawn or not (a narrow table leaves some out)."""
    cells = table.all_cells if isinstance(table, PagedTable) else table.get_row_at
    return [[str(c) for c in cells(i)] for i in range(table.row_count)]


def text(widget) -> str:
    return str(widget.render())


async def open_block_c(pilot) -> PagedTable:
    """Enter on Block C (the first row of the blocks list), once its flats are shown."""
    tab = tab_of(pilot.app)
    await until(pilot, lambda: tab.blocks_table.row_count > 0, "the blocks list")
    await press(pilot, "enter")
    await until(pilot, lambda: tab.in_block and tab.flats_table.row_count > 0, "Block C's flats")
    return tab.flats_table


async def fill(pilot, values: dict[str, str]) -> None:
    """Type into the fields of the dialog on top, then Save."""
    for name, value in values.items():
        pilot.app.screen.query_one(f"#f-{name}").value = value
    await pilot.press("ctrl+s")
    await settled(pilot)


async def test_blocks_then_block_c_flats_in_the_guides_columns(console_ctx, make_app, estate,
                                                               store, admin):
    flat = estate.flats[0]
    phone = await residents.add_telephone(store.uow(), admin, flat.id, "07546277360")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        flat.id, "Flat 1", "A22", call_chain=[{"telephone_id": phone.id, "ring_seconds": 20}]))
    await flats.update_flat(store.uow(), admin, flat.id, code_main_door="1234")
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                             "1111100000", 2, flat_id=flat.id)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        blocks = tab_of(app).blocks_table
        assert [str(c.label) for c in blocks.columns.values()] == [
            "Block", "Flat(s)", "Device(s)", "APass(es)", "Notes"]
        assert rows(blocks) == [["Block C", "3", "1", "2", ""], ["Total", "3", "1", "2", ""]]
        table = await open_block_c(pilot)
        assert table.display and not blocks.display and app.focused is table
        assert [c.label for c in table.cols] == [
            "Flat N°", "Flat", "Access Passes", "Display", "Direct call code",
            "Telephone N° / Email", "Keypad code", "Notes"]
        # at 80 columns the least needed give way (Flat management shows them): the
        # telephone is whole, never cut in the middle
        assert [str(c.label) for c in table.columns.values()] == table.shown_labels == [
            "Flat N°", "Flat", "Access Passes", "Display", "Telephone N° / Email"]
        assert rows(table) == [
            ["001", "Appt. 001", "1111100000 +1", "Flat 1", "A22", "07546277360 GB",
             "Main door : 1234", ""],
            ["002", "Appt. 002", "", "", "", "", "", ""],
            ["003", "Appt. 003", "", "", "", "", "", ""]]
        assert "Block C · 3 flats" in text(tab_of(app).query_one("#blocks-caption"))
        await pilot.press("escape")
        await settled(pilot)
        assert blocks.display and not table.display and app.focused is blocks


async def test_add_flats_within_the_site_quota_and_delete_one(console_ctx, make_app, store,
                                                              estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_block_c(pilot)
        before = dump_database(store.where)
        await pilot.press("n")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.query_one("#f-first_number").value == "4"  # the next free Flat N°
        # 3 + 3 is past the small estate's 5 flats: refused by the quantity, nothing made
        for typed, field, message in [
            ({"quantity": "3"}, "quantity", "3 / 5: no room for 3 more"),
            ({"quantity": "many"}, "quantity", "whole number"),
            ({"first_number": "2", "quantity": "1"}, "first_number", "already exists"),
        ]:
            await fill(pilot, typed)
            assert app.screen is form  # stays open with what was typed
            assert message in text(form.query_one(f"#e-{field}"))
            assert form.query_one(f"#f-{field}").value == typed[field]
            assert dump_database(store.where) == before
        await fill(pilot, {"first_number": "4", "quantity": "2"})
        assert app.screen is not form
        assert [r[0] for r in rows(table)] == ["001", "002", "003", "004", "005"]
        assert "flats 5/5" in text(app.main.query_one(SiteHeaderBar))
        assert "Block C · 5 flats" in text(tab_of(app).query_one("#blocks-caption"))
        # delete 002: No keeps it, Yes deletes it
        await pilot.press("down", "d")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settled(pilot)
        assert len(rows(table)) == 5
        await pilot.press("d")
        await settled(pilot)
        await pilot.press("y")
        await settled(pilot)
        assert [r[0] for r in rows(table)] == ["001", "003", "004", "005"]
        assert "flats 4/5" in text(app.main.query_one(SiteHeaderBar))
    async with store.reader() as uow:
        assert await uow.count(Flat, block_id=estate.block.id) == 4


async def test_blocks_added_modified_and_deleted_only_when_empty(console_ctx, make_app,
                                                                store, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        tab = tab_of(app)
        await pilot.press("d")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settled(pilot)
        assert "still has 3 flats" in text(tab.query_one("#blocks-status"))
        assert [r[0] for r in rows(tab.blocks_table)] == ["Block C", "Total"]
        # the refusal goes once the operator moves on (issue 19: it stayed for minutes)
        await show_tab(pilot, "2")
        await show_tab(pilot, "1")
        assert text(tab.query_one("#blocks-status")) == ""
        # an empty block appears in the list and in the tree
        await pilot.press("n")
        await settled(pilot)
        await fill(pilot, {"name": "Block D", "notes": "car park"})
        assert rows(tab.blocks_table)[1] == ["Block D", "0", "0", "0", "car park"]
        site_node = app.main.query_one(SiteTree).root.children[0]
        assert [str(n.label) for n in site_node.children] == ["Block C", "Block D"]
        # a name taken is refused by the name; a free one renames it
        await pilot.press("down", "e")
        await settled(pilot)
        form = app.screen
        assert form.query_one("#f-name").value == "Block D"
        await fill(pilot, {"name": "Block C"})
        assert "already has a block named" in text(form.query_one("#e-name"))
        await fill(pilot, {"name": "Block E"})
        assert [str(n.label) for n in site_node.children] == ["Block C", "Block E"]
        await pilot.press("d")
        await settled(pilot)
        await pilot.press("y")
        await settled(pilot)
        assert [r[0] for r in rows(tab.blocks_table)] == ["Block C", "Total"]
        assert [str(n.label) for n in site_node.children] == ["Block C"]


def keys(app, wanted) -> set[str]:
    return {k for k in wanted if k in app.screen.active_bindings}


# The administrator holds every key (the other tests use them); these profiles hold less.
@pytest.mark.parametrize("profile, block_keys, flat_keys, flat_form, codes, phone_keys, "
                         "pass_keys", [
    (Profile.MANAGEMENT, {"n", "e", "d"}, {"n", "e", "d"}, True, True, {"n", "e", "d"},
     {"l", "s"}),
    # the desk: opens a flat (e), keeps phones and passes right, no flats; keypad codes
    # are not theirs to consult, so the code fields are not there at all (None)
    (Profile.CONCIERGE, set(), {"e"}, False, None, {"n", "e", "d"}, {"l", "s"}),
    (Profile.TECHNICAL_MAINTENANCE, set(), {"e"}, False, False, set(), set()),
])
async def test_keys_follow_the_operators_rights(store, admin, estate, make_app, profile,
                                                block_keys, flat_keys, flat_form, codes,
                                                phone_keys, pass_keys):
    await residents.add_telephone(store.uow(), admin, estate.flats[0].id, "07546277360")
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "0778005691",
                                             flat_id=estate.flats[0].id)
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, code_main_door="9876")
    email = f"{profile.value.split()[0].lower()}@test.example"
    await make_operator(store, admin, email, estate.site.id, profile)
    app = make_app(await context_for(store, email))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert keys(app, "ned") == block_keys
        await open_block_c(pilot)
        assert keys(app, "ned") == flat_keys
        if not flat_keys & {"n", "d"}:
            before = dump_database(store.where)
            await pilot.press("n", "d")  # hidden keys do nothing
            await settled(pilot)
            assert app.screen is app.main
            assert dump_database(store.where) == before
        await press(pilot, "enter")
        await until(pilot, lambda: isinstance(app.screen, FlatScreen), "the flat's screen")
        screen = app.screen
        assert (not screen.query_one("#f-name", Input).disabled) == flat_form
        code_fields = screen.query("#f-code_main_door")
        if codes is None:
            assert not code_fields
            assert all(i.value != "9876" for i in screen.query(Input))
        else:
            assert (not code_fields.only_one(Input).disabled) == codes
        assert bool(screen.query("#save-flat")) == flat_form
        screen.action_pane(1)
        await settled(pilot)
        assert keys(app, "ned") == phone_keys
        screen.action_pane(3)
        await settled(pilot)
        assert keys(app, "ls") == pass_keys


async def test_hostile_flat_names_show_literally_and_do_nothing(console_ctx, make_app, store,
                                                               estate):
    hostile = {"Appt \x1b[31mred\x1b[0m": "Appt red", "[@click=app.quit]": "[@click=app.quit]",
               "[b]bold[/b]": "[b]bold[/b]"}
    # control characters never pass the services: write them as an old import might have
    con = sqlite3.connect(store.where)
    for flat, name in zip(estate.flats, hostile, strict=True):
        con.execute("UPDATE flats SET name = ?, notes = ? WHERE id = ?", (name, name, flat.id))
    con.commit()
    con.close()
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_block_c(pilot)
        for i, shown in enumerate(hostile.values()):
            row = table.all_cells(i)
            assert str(row[1]) == shown and str(row[7]) == shown
            assert not row[1].spans and "\x1b" not in str(row[1])
        for y in (1, 2, 3):
            await pilot.click(table, offset=(8, y))  # on each name
            await settled(pilot)
        assert app.is_running


async def test_a_large_block_opens_on_its_first_page_and_pages_on(console_ctx, make_app,
                                                                  store, estate):
    await sites.update_site(store.uow(), console_ctx.actor, estate.site.id, max_flats=400)
    await flats.create_flats(store.uow(), console_ctx.actor, estate.block.id, 4, 300)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_block_c(pilot)
        assert len(table.rows_held) == table.first_page  # only the first page
        assert "303 flats" in text(tab_of(app).query_one("#blocks-caption"))
        for _ in range(4):
            await pilot.press("pagedown")
            await settled(pilot)
        await app.workers.wait_for_complete()
        assert len(table.rows_held) >= table.first_page + table.page_size
        await pilot.press("ctrl+end")
        await settled(pilot)
        await app.workers.wait_for_complete()
        assert len(table.rows_held) > 200 and table.current is not None
