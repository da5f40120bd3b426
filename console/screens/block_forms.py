"""The Blocks tab's dialogs: add or modify a block ("Add a block +"), and the guide's
"Add flats +" (N° of the first flat, quantity). Each saves through its core service,
so a refusal (a name taken, the site's flat quota full) shows by its field and
nothing is created."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from console.context import ConsoleContext
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import AccessProfile, Block
from core.rules import NOTES_MAX
from core.services.blocks import create_block, update_block
from core.services.flats import create_flats

Save = Callable[[dict[str, Any]], Awaitable[Any]]

#: no access profile chosen (a Select holds no None): the block has no default profile
NO_PROFILE = 0


def aliased(save: Save, aliases: dict[str, str]) -> Save:
    """`save`, with errors about a field the form does not show (a site quota) moved
    next to the field the operator can act on."""

    async def run(values: dict[str, Any]) -> Any:
        try:
            return await save(values)
        except DoorkeeperError as err:
            if err.field in aliases:
                err.field = aliases[err.field]
            raise

    return run


def block_form(ctx: ConsoleContext, site_id: int, profiles: list[AccessProfile],
               block: Block | None = None) -> FormScreen:
    """Add a block to the site, or modify one: name, default access profile, notes."""
    # a Select parses str labels as markup: profile names go in as plain text
    options = [(plain("None"), NO_PROFILE)] + [(plain(p.name), p.id) for p in profiles]
    profile = (block.default_access_profile_id if block else None) or NO_PROFILE
    fields = [
        Field("name", "Block name", block.name if block else ""),
        Field("default_access_profile_id", "Default access / display profile", profile,
              kind="select", options=options, allow_blank=False),
        Field("notes", f"Notes (max {NOTES_MAX} characters)", block.notes if block else ""),
    ]

    async def save(values: dict[str, Any]) -> Block:
        changes = {"name": values["name"], "notes": values["notes"],
                   "default_access_profile_id": values["default_access_profile_id"] or None}
        if block is None:
            return await ctx.change(create_block, Block(site_id=site_id, **changes))
        return await ctx.change(update_block, block.id, **changes)

    title = f"Modify block {block.name}" if block else "Add a block"
    return FormScreen(title, fields, save)


def add_flats_form(ctx: ConsoleContext, block_id: int, block_name: str,
                   first: int) -> FormScreen:
    """The guide's "Add flats +": consecutive flats, all created or none."""
    fields = [
        Field("first_number", "N° of the first flat", str(first)),
        Field("quantity", "Quantity of flats", "1"),
    ]

    async def save(values: dict[str, Any]) -> list:
        # typed text goes to the service as it is: core parses and bounds it (ASCII
        # digits only), for the form and every other caller alike
        return await ctx.change(create_flats, block_id, values["first_number"],
                                values["quantity"])

    # the site's quota is a site field; the operator acts on the quantity
    return FormScreen(f"Add flats to {block_name}", fields,
                      aliased(save, {"max_flats": "quantity", "number": "first_number"}),
                      save_label="Add flats")
