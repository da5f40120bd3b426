"""The guide's "Add APasses" on a flat's APass(es) tab: one pass from the site stock
(Flat management's APass Management right), or new passes created and assigned to the
flat at once (the Create APasses right). Only the sources the operator may use are
offered; core checks the right again and a refusal shows by its field."""

from __future__ import annotations

from typing import Any

from console.context import ConsoleContext
from console.screens.block_forms import aliased
from console.screens.pass_forms import COLOUR_OPTIONS, PROFILE_LABEL, TYPE_OPTIONS
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.errors import ValidationError
from core.model import APassColour, APassType
from core.rights import Action, Area
from core.services.access_passes import assign_to_flat, create_access_passes
from core.views.rows import FlatDetail

STOCK, CREATE = "stock", "create"


def add_sources(ctx: ConsoleContext, site_id: int | None) -> list[tuple[str, str]]:
    """Where the operator may take APasses from for a flat."""
    out = []
    if ctx.can(site_id, Area.APASS_MANAGEMENT, Action.MODIFY):
        out.append(("From the site stock", STOCK))
    if ctx.can(site_id, Area.CREATE_APASSES, Action.MODIFY):
        out.append(("Create new APasses (consecutive numbers)", CREATE))
    return out


def add_passes_form(ctx: ConsoleContext, detail: FlatDetail) -> FormScreen:
    """Add APasses to the flat of `detail`."""
    sources = add_sources(ctx, detail.site.id)
    profiles = [(plain(p.name), p.id) for p in detail.profiles]
    fields = [
        Field("source", "Add", sources[0][1] if sources else None, "select", sources,
              allow_blank=False),
        Field("number", "APass N° (from stock) or the first N° (new)",
              placeholder="10 digits"),
        Field("quantity", "Quantity (new APasses)", "1"),
        Field("type", "Type (new APasses)", APassType.PROXIMITY_FOB.value, "select",
              TYPE_OPTIONS, allow_blank=False),
        Field("colour", "Colour (new APasses)", APassColour.BLACK.value, "select",
              COLOUR_OPTIONS, allow_blank=False),
        Field("resident", "Associate to a resident", placeholder="optional"),
        Field("access_profile_id", PROFILE_LABEL, None, "select", profiles),
    ]
    flat_id = detail.flat.id

    async def save(values: dict[str, Any]) -> Any:
        resident, profile = values["resident"] or "", values["access_profile_id"]
        if values["source"] == STOCK:
            return await ctx.change(assign_to_flat, values["number"], flat_id,
                                    resident=resident, access_profile_id=profile,
                                    from_stock=True)
        if values["source"] != CREATE:
            raise ValidationError("Choose where the APasses come from.", field="source")
        return await ctx.change(create_access_passes, detail.site.id, values["number"],
                                values["quantity"], type=values["type"],
                                colour=values["colour"], flat_id=flat_id, resident=resident,
                                access_profile_id=profile)

    title = f"Add APasses to flat {detail.flat.number} · {detail.block.name}"
    # typing goes to the APass N° (Enter: on to the quantity)
    return FormScreen(title, fields, aliased(save, {"first_number": "number"}),
                      save_label="Add APasses", first="number")
