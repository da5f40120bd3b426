"""The Blocks list's "go to Flat N°" (key g): the Flat N° typed for the block under the
cursor opens that flat's FLAT MANAGEMENT at once (flat 1998 of Block C in one step, no
list to scroll). A number the block does not have is said by the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.context import ConsoleContext
from console.widgets.form import Field, FormScreen
from core.errors import ValidationError
from core.views.blocks import flat_by_number
from core.views.rows import BlockRow, FlatRef

if TYPE_CHECKING:
    from console.tabs.blocks import BlocksTab


async def go_to_flat(tab: BlocksTab) -> None:
    """Ask for the Flat N° of the block under the cursor, then open that flat."""
    block = tab.current_block
    if block is None or tab.site_id is None or not tab.check_action("goto_flat", ()):
        return
    ref = await tab.app.push_screen_wait(goto_flat_form(tab.ctx, tab.site_id, block))
    if ref:
        await tab.open_flat(ref.id)


def goto_flat_form(ctx: ConsoleContext, site_id: int, block: BlockRow) -> FormScreen:
    """Ask for a Flat N° of `block`; the dialog closes with its FlatRef."""
    fields = [Field("number", f"Flat N° in {block.name}", placeholder="e.g. 1998")]

    async def find(values: dict[str, Any]) -> FlatRef:
        typed = (values["number"] or "").strip()
        if not typed:
            raise ValidationError("Type the Flat N°.", field="number")
        ref = await ctx.view(flat_by_number, site_id, block.id, typed)
        if ref is None:
            raise ValidationError(f"{block.name} has no flat N° {typed}.", field="number")
        return ref

    return FormScreen(f"Go to a flat of {block.name}", fields, find,
                      save_label="Go to the flat")
