"""A focused text field shows what is typed in it, on every kind of field the console has.

The focused field's accent frame (console.tcss) once took the only line of the one-line
fields (the search's keyword, the event filters, a flat's form): the value was there
but hidden while the field had the focus. Each case reaches a real field by the keys a
concierge presses, types into it and reads what the field draws.
"""

from __future__ import annotations

import pytest
from textual.geometry import Region

from console.screens.search import SearchScreen
from console.widgets.text_input import TextInput
from tests.console.conftest import press, settled, show_tab, type_into, until
from tests.console.test_flat_management import open_flat

TYPED = "Qz9"


async def _search_keyword(pilot) -> TextInput:
    await settled(pilot)
    await press(pilot, "slash")
    await until(pilot, lambda: isinstance(pilot.app.screen, SearchScreen), "the search")
    return pilot.app.screen.query_one("#search-keyword", TextInput)


async def _event_filter(pilot) -> TextInput:
    await settled(pilot)
    await show_tab(pilot, "5")
    await press(pilot, "f")
    return pilot.app.main.tabs["pane-eventstab"].query_one("#ev-search", TextInput)


async def _flat_form(pilot) -> TextInput:
    await settled(pilot)
    screen = await open_flat(pilot)
    return screen.query_one("#f-name", TextInput)


async def _dialog_field(pilot) -> TextInput:
    await settled(pilot)
    screen = pilot.app.screen
    await press(pilot, "n")  # Blocks: add a block
    await until(pilot, lambda: pilot.app.screen is not screen, "the block's form")
    return pilot.app.screen.query(TextInput).first()


FIELDS = {"search keyword": _search_keyword, "event filter": _event_filter,
          "flat form": _flat_form, "dialog field": _dialog_field}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("where", list(FIELDS))
async def test_a_focused_field_shows_what_is_typed(console_ctx, make_app, where, size):
    app = make_app(console_ctx)
    async with app.run_test(size=size) as pilot:
        field = await FIELDS[where](pilot)
        field.focus()
        await pilot.pause()
        field.value = ""
        await type_into(pilot, field, TYPED)
        await pilot.pause()
        assert field.has_focus and field.value == TYPED
        assert field.content_size.height >= 1, (where, field.styles.border, field.outer_size)
        drawn = "".join(line.text for line in field.render_lines(
            Region(0, 0, *field.outer_size)))
        assert TYPED in drawn, (where, drawn)
