"""The APass dialogs of the guide: CREATE APASS, APASS MANAGEMENT (move to a flat,
reassign a found pass), the pass's own fields, and the stock / lost questions.

A flat is picked by its block and its typed Flat N° (a block may have 1,998 flats:
no list to scroll). Every save goes through a core service; its refusal shows next
to the field it names and nothing changes."""

from __future__ import annotations

from typing import Any

from console.context import ConsoleContext
from console.widgets.form import Field, FormScreen
from core.errors import DoorkeeperError, ValidationError
from core.model import APassColour, APassState, APassType
from core.rules import APASS_BATCH_MAX, NOTES_MAX, whole_number
from core.services.access_passes import (
    assign_to_flat,
    create_access_passes,
    update_access_pass,
)
from core.views.blocks import flat_by_number
from core.views.rows import PassChoices, PassRow
from core.vocabulary import colour_options, pass_type_options

TYPE_OPTIONS = pass_type_options()
COLOUR_OPTIONS = colour_options()
NOTES_HINT = f"Max {NOTES_MAX} characters"
PROFILE_LABEL = "Access profile (blank: the block's default)"


async def resolve_flat(ctx: ConsoleContext, site_id: int | None, block_id: int | None,
                       flat_number: str | None, *, required: bool) -> int | None:
    """The flat id of a block and a typed Flat N°, or a ValidationError by its field."""
    typed = (flat_number or "").strip()
    if not typed:
        if required:
            raise ValidationError("Type the Flat N° to assign the APass to.",
                                  field="flat_number")
        if block_id is not None:
            raise ValidationError("Type the Flat N° in this block, or clear the block to "
                                  "put the APasses in the site stock.", field="flat_number")
        return None
    if block_id is None:
        raise ValidationError("Choose the block of the flat.", field="block_id")
    if site_id is None:
        raise ValidationError("Choose the site of the flat.", field="block_id")
    flat = await ctx.view(flat_by_number, site_id, block_id, typed)
    if flat is None:
        raise ValidationError(f"This block has no Flat N° {typed!r}.", field="flat_number")
    return flat.id


def _quantity(value: Any) -> int:
    return whole_number(value or "", "quantity", "Quantity", 1, APASS_BATCH_MAX)


def _focused(screen: FormScreen, field: str) -> FormScreen:
    """Open the dialog with the cursor in the field one types first."""
    screen.AUTO_FOCUS = f"#f-{field}"
    return screen


def _flat_field_errors(err: DoorkeeperError) -> DoorkeeperError:
    """Core names the flat `flat_id`; the dialog's field is the typed Flat N°."""
    if err.field == "flat_id":
        err.field = "flat_number"
    return err


def create_passes_screen(ctx: ConsoleContext, site_id: int, choices: PassChoices,
                         block_id: int | None = None) -> FormScreen:
    """CREATE APASS: consecutive numbers to a flat, or to the site stock without one."""
    fields = [
        Field("type", "Type", APassType.PROXIMITY_FOB.value, "select", TYPE_OPTIONS,
              allow_blank=False),
        Field("colour", "Colour tag of APass", APassColour.BLACK.value, "select",
              COLOUR_OPTIONS, allow_blank=False),
        Field("first_number", "N° of first APass", placeholder="10 digits, e.g. 1111100010"),
        Field("quantity", "Quantity of APass(es) to generate", "1"),
        Field("block_id", "Block (blank: to the site stock)", block_id, "select",
              choices.blocks),
        Field("flat_number", "Flat N°", placeholder="e.g. 001"),
        Field("resident", "Associate to a resident", placeholder="optional"),
        Field("access_profile_id", PROFILE_LABEL, None, "select", choices.access_profiles),
        Field("notes", "Notes", placeholder=NOTES_HINT),
    ]

    async def save(values: dict[str, Any]) -> Any:
        quantity = _quantity(values["quantity"])
        flat_id = await resolve_flat(ctx, site_id, values["block_id"], values["flat_number"],
                                     required=False)
        try:
            return await ctx.change(
                create_access_passes, site_id, (values["first_number"] or "").strip(),
                quantity, type=values["type"], colour=values["colour"], flat_id=flat_id,
                resident=values["resident"] or "",
                access_profile_id=values["access_profile_id"], notes=values["notes"] or "")
        except DoorkeeperError as err:
            raise _flat_field_errors(err) from None

    return _focused(FormScreen("CREATE APASS", fields, save), "first_number")


def assign_screen(ctx: ConsoleContext, row: PassRow, choices: PassChoices, *,
                  title: str) -> FormScreen:
    """APASS MANAGEMENT, assignment to a flat on the site: move a pass, or reassign a
    found (lost) or stock pass. A lost pass's kept data fills the dialog."""
    fields = [
        Field("block_id", "Block", row.block_id, "select", choices.blocks),
        Field("flat_number", "Flat N°", row.flat_number, placeholder="e.g. 001"),
        Field("resident", "Associate to a resident", row.resident, placeholder="optional"),
        Field("access_profile_id", PROFILE_LABEL, row.access_profile_id, "select",
              choices.access_profiles),
        Field("notes", "Notes", row.notes, placeholder=NOTES_HINT),
    ]

    async def save(values: dict[str, Any]) -> Any:
        flat_id = await resolve_flat(ctx, choices.site_id, values["block_id"],
                                     values["flat_number"], required=True)
        try:
            return await ctx.change(assign_to_flat, row.number, flat_id,
                                    resident=values["resident"] or "",
                                    access_profile_id=values["access_profile_id"],
                                    notes=values["notes"] or "")
        except DoorkeeperError as err:
            raise _flat_field_errors(err) from None

    return _focused(FormScreen(title, fields, save), "flat_number")


def edit_screen(ctx: ConsoleContext, row: PassRow, choices: PassChoices) -> FormScreen:
    """The pass's own data: type, colour, notes, and while assigned its resident and
    access profile (kept on its flat)."""
    assigned = row.state == APassState.ASSIGNED.value
    fields = [
        Field("type", "Type", row.type, "select", TYPE_OPTIONS, allow_blank=False),
        Field("colour", "Colour", row.colour, "select", COLOUR_OPTIONS, allow_blank=False),
    ]
    if assigned:
        fields += [
            Field("resident", "Associate to a resident", row.resident, placeholder="optional"),
            Field("access_profile_id", PROFILE_LABEL, row.access_profile_id, "select",
                  choices.access_profiles),
        ]
    fields.append(Field("notes", "Notes", row.notes, placeholder=NOTES_HINT))

    async def save(values: dict[str, Any]) -> Any:
        notes = values["notes"] or ""
        if not assigned:
            return await ctx.change(update_access_pass, row.number, type=values["type"],
                                    colour=values["colour"], notes=notes)
        return await ctx.change(update_access_pass, row.number, type=values["type"],
                                colour=values["colour"], notes=notes,
                                resident=values["resident"] or "",
                                access_profile_id=values["access_profile_id"])

    return _focused(FormScreen(f"APASS MANAGEMENT · {row.number}", fields, save),
                    "resident" if assigned else "notes")


def stock_question(row: PassRow) -> str:
    """The guide's warning before the site stock."""
    return (f"Send APass {row.number} to the site stock of available APasses?\n"
            "APass will be disabled AND all its related programmed data will be deleted.")


def lost_question(row: PassRow) -> str:
    """The guide's warning before the lost record."""
    return (f"Send APass {row.number} to the site lost APasses record?\n"
            "APass will be disabled BUT its programmed data will be saved.")
