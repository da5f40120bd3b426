"""Text from outside shows literally and does nothing: escape sequences, Textual
action links and Rich markup in names, notes and live events."""

from __future__ import annotations

import sqlite3

from rich.text import Text

from console.widgets.chrome import SiteHeaderBar, SiteTree
from console.widgets.plain import plain
from core.services import blocks, sites
from tests.console.conftest import context_for, settled

HOSTILE = "Evil\x1b[31m [@click=app.quit]x[/] [b]bold[/b]\x07\x9b2J"
SHOWN = "Evil [@click=app.quit]x[/] [b]bold[/b]"


def test_plain_keeps_markup_literal_and_drops_control_characters():
    text = plain(HOSTILE)
    assert isinstance(text, Text)
    assert text.plain == SHOWN
    assert not text.spans  # no style came from the value


async def test_hostile_site_and_block_names_show_literally_and_do_nothing(store, admin, estate,
                                                                           make_app):
    # services refuse control characters, so markup goes through them, and the escape
    # sequences are written straight into the file (as another tool or an old import might)
    await sites.update_site(store.uow(), admin, estate.site.id, name=SHOWN)
    await blocks.update_block(store.uow(), admin, estate.block.id, name=SHOWN)
    with sqlite3.connect(store.where) as con:
        con.execute("UPDATE sites SET name = ? WHERE id = ?", (HOSTILE, estate.site.id))
    ctx = await context_for(store, "admin@test.example")
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        tree = app.screen.query_one(SiteTree)
        site_node = tree.root.children[0]
        assert str(site_node.label) == SHOWN
        assert "[@click=app.quit]" in str(site_node.children[0].label)
        header = app.screen.query_one(SiteHeaderBar).render()
        assert "[b]bold[/b]" in str(header) and "\x1b" not in str(header)
        # clicking the name runs no action: the app is still running afterwards
        await pilot.click(SiteTree, offset=(4, 0))
        await pilot.click(SiteHeaderBar, offset=(10, 0))
        await settled(pilot)
        assert app.is_running
