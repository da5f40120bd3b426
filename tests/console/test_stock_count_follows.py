"""The Access Passes tab's counts follow a batch of passes made under a dialog or another
screen as soon as the operator is back, on the change notice (not at the next change)."""

from __future__ import annotations

from textual.widgets import Static

from console.widgets.form import ConfirmScreen
from core.services import access_passes
from tests.console.conftest import settled, show_tab


async def test_stock_count_follows_a_batch_made_while_a_dialog_was_open(console_ctx, make_app,
                                                                        store, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await show_tab(pilot, "4")
        count = app.main.query_one("#ap-count", Static)
        assert "0 in stock" in str(count.render())
        await app.push_screen(ConfirmScreen("Another desk is at work"))
        await settled(pilot)
        # another desk puts 25 passes in stock; its change notice arrives under the dialog
        await access_passes.create_access_passes(store.uow(), console_ctx.actor,
                                                 estate.site.id, "0000003000", 25)
        console_ctx.live.put({"type": "changed"})
        await console_ctx.live.shown()
        assert "0 in stock" in str(count.render())  # nothing redrawn under a modal
        await pilot.press("escape")
        await settled(pilot)
        assert "25 in stock" in str(count.render())
