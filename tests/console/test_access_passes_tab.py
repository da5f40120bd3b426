"""The Access Passes tab: the three lists, the find box, creating APasses through the
dialog, moving, stock, lost and reassigning a found pass; rights hide what may not be
done; hostile text shows literally."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static, TabbedContent

from console.tabs.access_passes import AccessPassesTab
from console.widgets.form import ConfirmScreen, FormScreen
from core.model import AccessPass, APassState
from core.rights import Action, Area, right
from core.services import access_passes
from tests.conftest import dump_database, make_operator
from tests.console.conftest import context_for, settled, show_tab

PANE = "pane-accesspassestab"


def tab_of(app) -> AccessPassesTab:
    return app.main.tabs[PANE]


def numbers_shown(app) -> list[str]:
    return [r.number for r in tab_of(app).table.rows_held]


async def passes(store, **where) -> list[AccessPass]:
    async with store.reader() as uow:
        return sorted(await uow.find(AccessPass, **where), key=lambda p: p.number)


async def open_tab(pilot) -> AccessPassesTab:
    await show_tab(pilot, "4")
    return tab_of(pilot.app)


async def fill(pilot, **values: object) -> None:
    """Set a dialog's fields by name (a select takes its value)."""
    for name, value in values.items():
        widget = pilot.app.screen.query_one(f"#f-{name}")
        widget.value = Select.NULL if isinstance(widget, Select) and value is None else value
    await settled(pilot)


def error_of(app, name: str) -> str:
    return str(app.screen.query_one(f"#e-{name}", Static).render())


async def test_create_five_passes_to_stock_then_five_to_a_flat(console_ctx, make_app,
                                                               store, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("c")
        await settled(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press(*"1111100010")  # the cursor starts in "N° of first APass"
        await fill(pilot, quantity="5")
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert not isinstance(app.screen, FormScreen)
        stocked = await passes(store, state=APassState.STOCK)
        assert [p.number for p in stocked] == [f"11111000{n}" for n in range(10, 15)]
        await pilot.press("v")  # APasses in stock
        await settled(pilot)
        assert numbers_shown(app) == [p.number for p in stocked]

        await pilot.press("c")
        await settled(pilot)
        await fill(pilot, first_number="2222200000", quantity="5", block_id=estate.block.id,
                   flat_number="2", resident="Michael Jolly")
        await pilot.press("ctrl+s")
        await settled(pilot)
        assigned = await passes(store, state=APassState.ASSIGNED)
        assert {p.flat_id for p in assigned} == {estate.flats[1].id}
        assert {p.access_profile_id for p in assigned} == {estate.profile.id}  # block default
        await pilot.press("v", "v")  # lost, then assigned again
        await settled(pilot)
        assert numbers_shown(app) == [f"22222000{n:02}" for n in range(5)]
        assert tab_of(app).table.all_cells(0)[5].plain == "Michael Jolly"


BAD_INPUT = [  # first number, quantity, Flat N°, the field that says so, what it says
    ("111110001", "5", "1", "first_number", "exactly 10 digits"),
    ("1111100010", "5", "1", "first_number", "already exist"),  # 1111100012 is taken
    ("1111100020", "five", "1", "quantity", "whole number"),
    ("1111100020", "0", "1", "quantity", "Quantity must be a whole number from 1 to"),
    ("1111100020", "1", "9", "flat_number", "no Flat N°"),
]


async def test_bad_input_is_refused_by_its_field_and_nothing_is_created(
        console_ctx, make_app, store, estate, admin, tmp_path):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100012")
    before = dump_database(tmp_path / "doorkeeper.db")
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("c")
        await settled(pilot)
        for first, quantity, flat, field, says in BAD_INPUT:
            await fill(pilot, first_number=first, quantity=quantity, block_id=estate.block.id,
                       flat_number=flat)
            await pilot.press("ctrl+s")
            await settled(pilot)
            assert isinstance(app.screen, FormScreen), first  # stays open with what was typed
            assert says in error_of(app, field), (first, quantity, flat)
            others = {"first_number", "quantity", "flat_number"} - {field}
            assert not any(error_of(app, name) for name in others)
    assert dump_database(tmp_path / "doorkeeper.db") == before


PASTED = "1" * 5000 + "\x1b[2J"


@pytest.mark.parametrize("field", ["first_number", "flat_number"])
async def test_a_5000_character_paste_is_refused_in_a_line_quoting_its_ends(
        console_ctx, make_app, store, estate, tmp_path, field):
    """CREATE APASS at 80x24: a long paste in a number field is refused under the field
    by a short message quoting it by its ends (it used to quote all 5,000 characters, a
    wall of digits filling the dialog), and nothing is created."""
    before = dump_database(tmp_path / "doorkeeper.db")
    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot)
        await pilot.press("c")
        await settled(pilot)
        await fill(pilot, **{"first_number": "1111100020", "block_id": estate.block.id,
                             "flat_number": "1", field: PASTED})
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert isinstance(app.screen, FormScreen)
        said = error_of(app, field)
        assert f"'{'1' * 16}…(5,007 characters)…1\\x1b[2J'." in said, said
        assert app.screen.query_one(f"#e-{field}").size.height <= 2
    assert dump_database(tmp_path / "doorkeeper.db") == before


async def test_move_a_pass_to_another_flat_by_typing_its_flat_number(console_ctx, make_app,
                                                                     store, estate, admin):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "3333300001",
                                             flat_id=estate.flats[0].id, resident="Ann Lee")
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("m")
        await settled(pilot)
        assert app.screen.query_one("#f-flat_number", Input).value == "001"
        await fill(pilot, flat_number="7")
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "no Flat N° '7'" in error_of(app, "flat_number")
        await fill(pilot, flat_number="3")
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert not isinstance(app.screen, FormScreen)
        (moved,) = await passes(store)
        assert (moved.state, moved.flat_id, moved.resident) == (
            APassState.ASSIGNED, estate.flats[2].id, "Ann Lee")
        assert tab_of(app).table.all_cells(0)[4].plain == "003"


async def test_lost_pass_keeps_its_data_is_reassigned_when_found_then_stocked(
        console_ctx, make_app, store, estate, admin):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "4444400001",
                                             flat_id=estate.flats[0].id, resident="Ann Lee",
                                             notes="blue key ring")
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("l")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settled(pilot)
        (lost,) = await passes(store)
        assert (lost.state, lost.flat_id, lost.resident) == (
            APassState.LOST, estate.flats[0].id, "Ann Lee")
        assert numbers_shown(app) == []
        assert "r" not in app.screen.active_bindings  # reassign is for stock / lost passes
        await pilot.press("v", "v")  # stock, lost
        await settled(pilot)
        assert numbers_shown(app) == ["4444400001"]
        assert "m" not in app.screen.active_bindings
        await pilot.press("r")
        await settled(pilot)
        assert app.screen.query_one("#f-resident", Input).value == "Ann Lee"
        await fill(pilot, flat_number="2")
        await pilot.press("ctrl+s")
        await settled(pilot)
        (found,) = await passes(store)
        assert (found.state, found.flat_id, found.resident, found.notes) == (
            APassState.ASSIGNED, estate.flats[1].id, "Ann Lee", "blue key ring")
        assert numbers_shown(app) == []  # no longer lost

        await pilot.press("v")  # assigned: send it to the stock, declining first
        await settled(pilot)
        await pilot.press("s", "n")
        await settled(pilot)
        assert (await passes(store))[0].state is APassState.ASSIGNED
        await pilot.press("s", "y")
        await settled(pilot)
        (stocked,) = await passes(store)
        assert (stocked.state, stocked.flat_id, stocked.resident, stocked.notes) == (
            APassState.STOCK, None, "", "")  # the stock deletes the programmed data


async def test_modify_changes_resident_colour_and_notes(console_ctx, make_app, store, estate,
                                                        admin):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "6666600001",
                                             flat_id=estate.flats[0].id)
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("enter")  # Enter opens the pass, as `e` does
        await settled(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("escape", "e")
        await settled(pilot)
        await fill(pilot, resident="Bob Ray", colour="red", notes="x" * 161)
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "at most 160" in error_of(app, "notes")
        assert (await passes(store))[0].resident == ""
        await fill(pilot, notes="spare")
        await pilot.press("ctrl+s")
        await settled(pilot)
        (ap,) = await passes(store)
        assert (ap.resident, ap.colour, ap.notes, ap.flat_id) == (
            "Bob Ray", "red", "spare", estate.flats[0].id)


async def test_find_box_filters_by_the_start_of_the_number(console_ctx, make_app, store,
                                                           estate, admin):
    for first in ("1234500000", "1299900000", "7777700000"):
        await access_passes.create_access_passes(store.uow(), admin, estate.site.id, first, 3,
                                                 flat_id=estate.flats[0].id)
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        assert len(numbers_shown(app)) == 9
        await pilot.press("f", "1", "2")
        await app.workers.wait_for_complete()
        await settled(pilot)
        assert numbers_shown(app) == ["1234500000", "1234500001", "1234500002",
                                      "1299900000", "1299900001", "1299900002"]
        await pilot.press("9", "9", "9", "0", "0", "0", "0", "1")
        await app.workers.wait_for_complete()
        await settled(pilot)
        assert numbers_shown(app) == ["1299900001"]
        await pilot.press("backspace", "backspace", "x")
        await app.workers.wait_for_complete()
        await settled(pilot)
        assert numbers_shown(app) == []
        assert "digits only" in str(app.screen.query_one("#ap-count", Static).render())
        await pilot.press("backspace", "0", "1")
        await app.workers.wait_for_complete()
        await settled(pilot)
        assert numbers_shown(app) == ["1299900001"]
        await pilot.press("enter", "m")  # back in the list, the keys act on the pass found
        await settled(pilot)
        assert "1299900001" in str(app.screen.query_one(".dialog-title", Static).render())


CONSULT_ONLY = [right(Area.APASS_MANAGEMENT, Action.CONSULT),
                right(Area.CREATE_APASSES, Action.CONSULT)]
ALL_ACTIONS = ("create", "move", "reassign", "stock", "lost", "edit")


RIGHTS_TABLE = [  # profile, custom rights, view, the actions offered
    ("Administration", None, APassState.ASSIGNED, {"create", "move", "stock", "lost", "edit"}),
    ("Administration", None, APassState.LOST, {"create", "reassign", "stock", "edit"}),
    ("Administration", None, APassState.STOCK, {"create", "reassign", "lost", "edit"}),
    ("Management", None, APassState.ASSIGNED, {"create", "move", "stock", "lost", "edit"}),
    ("Concierge", None, APassState.ASSIGNED, {"move", "stock", "lost", "edit"}),
    ("Concierge", None, APassState.LOST, {"reassign", "stock", "edit"}),
    ("Custom", CONSULT_ONLY, APassState.ASSIGNED, set()),
    ("Custom", [*CONSULT_ONLY, right(Area.CREATE_APASSES, Action.MODIFY)],
     APassState.STOCK, {"create"}),
]


async def test_actions_offered_follow_rights_and_view(store, admin, estate):
    for i, (profile, custom, view, allowed) in enumerate(RIGHTS_TABLE):
        email = f"op{i}@test.example"
        await make_operator(store, admin, email, estate.site.id, profile, custom=custom)
        tab = AccessPassesTab(await context_for(store, email))
        tab.site_id, tab.view = estate.site.id, view
        offered = {a for a in ALL_ACTIONS if tab.check_action(a, ())}
        assert offered == allowed, (profile, custom, view)
        assert tab.check_action("next_view", ()) and tab.check_action("find", ())


async def test_a_concierge_has_no_create_key(store, admin, estate, make_app):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100001",
                                             flat_id=estate.flats[0].id)
    await make_operator(store, admin, "desk@test.example", estate.site.id, "Concierge")
    app = make_app(await context_for(store, "desk@test.example"))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        shown = app.screen.active_bindings
        assert "c" not in shown and all(k in shown for k in "msle")
        await pilot.press("c")
        await settled(pilot)
        assert not isinstance(app.screen, FormScreen)


@pytest.mark.parametrize("profile, custom, passes_shown, displays_shown", [
    ("Technical maintenance", None, False, True),  # no APass mgmnt, Residents consult
    ("Custom", [right(Area.EVENTS, Action.CONSULT)], False, False),
])
async def test_tabs_are_hidden_without_their_consult_right(store, admin, estate, make_app,
                                                           profile, custom, passes_shown,
                                                           displays_shown):
    await make_operator(store, admin, "desk@test.example", estate.site.id, profile,
                        custom=custom)
    app = make_app(await context_for(store, "desk@test.example"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        tabbed = app.screen.query_one(TabbedContent)
        assert tabbed.get_tab(PANE).display is passes_shown
        assert tabbed.get_tab("pane-displaystab").display is displays_shown
        await pilot.press("4")
        await settled(pilot)
        assert tabbed.active != PANE


HOSTILE = "[@click=app.quit]x[/] [b]bold[/b]"


async def test_hostile_residents_and_notes_show_literally(console_ctx, make_app, store, estate,
                                                          admin):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100001",
                                             flat_id=estate.flats[0].id, resident=HOSTILE,
                                             notes=HOSTILE)
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        row = tab_of(app).table.all_cells(0)
        assert row[5].plain == HOSTILE and not row[5].spans
        assert row[7].plain == HOSTILE
        await pilot.click("#ap-table", offset=(70, 1))
        await settled(pilot)
        assert app.is_running
