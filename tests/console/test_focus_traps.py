"""Focus that never surprises (issue 19): each trap a concierge fell into, pressed as
they pressed it. The rule the console follows everywhere:

- in a text field, keys type; Escape leaves the field (in a dialog: cancels it);
- Enter in a one-line field goes to the next field (a dialog with one field saves);
  ctrl+s saves;
- `?` shows the keys on every screen;
- after a dialog closes, focus is back where the keys of the screen under it work."""

from __future__ import annotations

from textual.widgets import DataTable, Input, TabbedContent

from console.screens.search import SearchScreen
from console.widgets.form import FormScreen
from console.widgets.key_bar import KeyBar
from tests.console.conftest import press, settled, show_tab, until
from tests.console.test_flat_management import open_flat

SIZE = (100, 30)


async def test_escape_leaves_a_flat_field_and_the_tab_keys_work_again(console_ctx, make_app,
                                                                     store):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot)
        notes = screen.query_one("#f-notes", Input)
        notes.focus()
        await pilot.press(*"Spare key")
        await press(pilot, "escape")  # leaves the field, not the flat
        assert app.screen is screen and not isinstance(app.focused, Input)
        await press(pilot, "2")
        await settled(pilot)
        assert screen.query_one(TabbedContent).active == "tab-phones"
        assert notes.value == "Spare key"  # "2" was not typed into it
        await press(pilot, "1")
        await settled(pilot)
        await press(pilot, "escape")  # outside a field: closes
        assert app.screen is not screen


async def test_enter_in_a_flat_field_goes_to_the_next_field_and_saves_nothing(
        console_ctx, make_app, store):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot)
        name = screen.query_one("#f-name", Input)
        name.focus()
        await pilot.press("end", *" Jr", "enter")
        await settled(pilot)
        assert app.focused is screen.query_one("#f-floor", Input)
        assert "saved" not in str(screen.query_one("#flat-message").render())
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "Flat saved" in str(screen.query_one("#flat-message").render())


async def test_question_mark_shows_the_keys_in_flat_management_and_escape_hides_them(console_ctx, make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot)
        assert "? Keys" in str(screen.query_one(KeyBar).render())  # said on every screen
        await press(pilot, "question_mark")
        await until(pilot, lambda: screen.query("HelpPanel"), "the keys panel")
        # Escape closes the panel, and only the panel: the flat stays open
        await pilot.press("escape")
        await until(pilot, lambda: not screen.query("HelpPanel"), "the keys panel closed")
        await settled(pilot)
        assert app.screen is screen


async def test_enter_in_a_dialogs_field_moves_on_and_only_ctrl_s_saves(console_ctx,
                                                                       make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await press(pilot, "u")  # Users
        await settled(pilot)
        await press(pilot, "n")  # Add a user: e-mail, name, profile, ...
        await settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, FormScreen)
        first = app.focused
        assert isinstance(first, Input)
        await pilot.press(*"new@test.example", "enter")
        await settled(pilot)
        assert app.screen is dialog  # not saved with the default profile
        assert app.focused is not first


async def test_after_a_cancelled_dialog_the_tabs_keys_work(console_ctx, make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_tab(pilot, "4")  # Access Passes
        tab = app.main.active_tab
        await press(pilot, "c")
        await settled(pilot)
        assert isinstance(app.screen, FormScreen)
        await press(pilot, "escape")
        await settled(pilot)
        assert app.focused is not None and tab in app.focused.ancestors_with_self
        await press(pilot, "c")  # the tab's key works at once
        await settled(pilot)
        assert isinstance(app.screen, FormScreen)


async def test_typing_after_a_search_starts_the_next_keyword(console_ctx, make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await press(pilot, "slash")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press(*"appt", "down")  # to the results
        await settled(pilot)
        keyword = screen.query_one("#search-keyword", Input)
        await until(pilot, lambda: screen.hits, "the results")
        screen.action_focus_results()
        await settled(pilot)
        assert not isinstance(app.focused, Input)
        await pilot.press(*"smith")
        await settled(pilot)
        assert keyword.value == "smith" and app.focused is keyword
        assert isinstance(app.screen, SearchScreen)  # nothing opened


async def test_escape_leaves_the_find_field_of_access_passes(console_ctx, make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_tab(pilot, "4")
        await press(pilot, "f")  # Find: the number field in the tab
        await settled(pilot)
        assert isinstance(app.focused, Input)
        await pilot.press(*"12", "escape")
        await settled(pilot)
        assert isinstance(app.focused, DataTable)
        await press(pilot, "1")  # the tab keys work again
        await settled(pilot)
        assert app.main.query_one("#tabs", TabbedContent).active == "pane-blockstab"


async def test_end_in_the_blocks_list_stops_on_the_last_block_not_the_total(console_ctx,
                                                                             make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        tab = app.main.tabs["pane-blockstab"]
        for key in ("end", "ctrl+end", "down"):
            await pilot.press(key)
            await settled(pilot)
            assert tab.current_block is not None and tab.current_block.name == "Block C", key
        assert app.screen.active_bindings["e"].enabled  # Modify block works there


async def test_tab_in_flat_management_goes_from_the_tabs_to_the_first_field(console_ctx,
                                                                           make_app):
    """No Tab stop on the pane around the fields, where typing did nothing."""
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot)
        await settled(pilot)
        order = []
        for _ in range(4):
            order.append(app.focused.id if app.focused is not None else None)
            await pilot.press("tab")
            await settled(pilot)
        first = order.index("f-number")
        assert screen.query_one("#flat-pane").id not in order
        assert order[first:first + 2] == ["f-number", "f-name"], order
