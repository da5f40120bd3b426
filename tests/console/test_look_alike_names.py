"""Issue 13, item 1, through the console: names pasted into the Blocks tab's dialog with
invisible characters or in another Unicode form are refused by the name field, or
stored in the one form the table then shows."""

from __future__ import annotations

import sqlite3
import unicodedata

from textual import events
from textual.widgets import Input

from console.widgets.form import FormScreen
from tests.conftest import dump_database
from tests.console.conftest import handled, press, settled
from tests.console.test_blocks_tab import SIZE, rows, tab_of, text


async def paste_name_and_save(pilot, name: str) -> FormScreen:
    """Paste `name` into the open dialog's name field (what a person copying a name from
    a mail does), then save with ctrl+s."""
    form = pilot.app.screen
    field = form.query_one("#f-name", Input)
    field.focus()
    field.value = ""
    async with handled(field, events.Paste):
        field.post_message(events.Paste(name))
    await press(pilot, "ctrl+s")
    await settled(pilot)
    return form


async def test_look_alike_block_names_are_refused_or_made_one(console_ctx, make_app, store,
                                                              estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        tab = tab_of(app)
        before = dump_database(store.where)
        # invisible characters: refused by the field, naming the character
        await press(pilot, "n")
        for name, named in [("Block C\u200b", "U+200B ZERO WIDTH SPACE"),
                            ("Block\u2060 C", "U+2060 WORD JOINER"),
                            ("\ufeffBlock C", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
                            ("Block\u200dC", "U+200D ZERO WIDTH JOINER")]:
            form = await paste_name_and_save(pilot, name)
            assert app.screen is form
            assert named in text(form.query_one("#e-name"))
        # a look-alike of an existing name (a no-break space): the name is taken
        form = await paste_name_and_save(pilot, "Block\u00a0C")
        assert "already has a block named" in text(form.query_one("#e-name"))
        assert dump_database(store.where) == before
        # decomposed (NFD) "Zoë": stored and shown composed (NFC)
        await paste_name_and_save(pilot, unicodedata.normalize("NFD", "Zoë Block"))
        assert app.screen is not form
        assert [r[0] for r in rows(tab.blocks_table)] == ["Block C", "Zoë Block", "Total"]
        with sqlite3.connect(store.where) as con:
            stored = [r[0] for r in con.execute("SELECT name FROM blocks ORDER BY id")]
        assert stored == ["Block C", "Zoë Block"]
        assert unicodedata.is_normalized("NFC", stored[1])
        # the composed form typed again is the same name
        await press(pilot, "n")
        form = await paste_name_and_save(pilot, "Zoë Block")
        assert "already has a block named" in text(form.query_one("#e-name"))
