"""Flat management's dialogs: MANAGE TELEPHONE NUMBER OR EMAIL ADDRESS and PANEL
DISPLAY, as the guide lays them out. Saves go through core.services.residents; the
service's refusals land by the field they name."""

from __future__ import annotations

from typing import Any

from console.context import ConsoleContext
from console.screens.block_forms import aliased
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import CallStep, PanelDisplay, Telephone, TelephoneKind
from core.phones import display_phone
from core.rules import (
    MAX_CALL_CHAIN,
    TRANSFER_SECONDS_DEFAULT,
    TRANSFER_SECONDS_MAX,
    TRANSFER_SECONDS_MIN,
    whole_number,
)
from core.services.residents import (
    add_panel_display,
    add_telephone,
    update_panel_display,
    update_telephone,
)
from core.views.rows import FlatDetail

#: a Select holds no None: 0 stands for "the block's profile" and for "Never"
DEFAULT = 0

RING_LABELS = ("Time before transfer to telephone N° 2 (s)",
               "Time before transfer to telephone N° 3 (s)",
               "Time before cancelling of last N° (s)")
CALL_LABELS = ("Primary telephone number", "Telephone number 2", "Telephone number 3")


def phone_label(phone: Telephone, default_country: str) -> str:
    """A telephone as the guide lists it ("07546277360 GB"), foreign ones marked."""
    if phone.kind is TelephoneKind.EMAIL:
        return phone.value
    shown = display_phone(phone.value, phone.country)
    return f"{shown} (foreign)" if phone.foreign or (
        phone.country and phone.country != default_country.upper()) else shown


def telephone_form(ctx: ConsoleContext, detail: FlatDetail,
                   phone: Telephone | None = None) -> FormScreen:
    """Add a telephone number or email to the flat, or change one."""
    kind = phone.kind if phone else TelephoneKind.TELEPHONE
    fields = [
        Field("kind", "Telephone or email", kind.value, kind="select", allow_blank=False,
              options=[("Telephone number", TelephoneKind.TELEPHONE.value),
                       ("Email", TelephoneKind.EMAIL.value)]),
        Field("value", "Number or email", phone.value if phone else "",
              placeholder=f"e.g. 07546277360 ({detail.site.default_country}), "
                          "+33 6 12 34 56 78, name@example.com"),
        Field("app_activated", "IPGUARD App activated",
              phone.app_activated if phone else False, kind="switch"),
    ]

    async def save(values: dict[str, Any]) -> Telephone:
        kind = TelephoneKind(values["kind"])
        if phone is None:
            return await ctx.change(add_telephone, detail.flat.id, values["value"], kind=kind,
                                    app_activated=values["app_activated"])
        return await ctx.change(update_telephone, phone.id, kind=kind, value=values["value"],
                                app_activated=values["app_activated"])

    title = f"Telephone N° / Email · Flat : {detail.flat.name}"
    # the foreign-number quota is the site's; the operator acts on the number
    # typing goes to the number (a telephone by default), not to the kind
    return FormScreen(title, fields, aliased(save, {"max_foreign_numbers": "value"}),
                      first="value")


def _default_call_code(number: str) -> str:
    digits = number.lstrip("0")
    return digits if digits.isalnum() and len(digits) <= 6 else ""


def display_form(ctx: ConsoleContext, detail: FlatDetail,
                 display: PanelDisplay | None = None) -> FormScreen:
    """Add a panel display name to the flat, or modify one (the guide's PANEL DISPLAY)."""
    # names from outside go into the selects as plain text (a Select parses str as markup)
    phones = [(plain(phone_label(p, detail.site.default_country)), p.id)
              for p in detail.telephones if p.kind is TelephoneKind.TELEPHONE]
    chain = list(display.call_chain) if display else []
    default = profile_name(detail, detail.block.default_access_profile_id)
    profiles = [(plain(f"Block default ({default})"), DEFAULT)] + [
        (plain(p.name), p.id) for p in detail.profiles]
    week_types = [(plain("Never"), DEFAULT)] + [(plain(w.name), w.id) for w in detail.week_types]
    fields = [
        Field("display_name", "Display name (if name, surname first)",
              display.display_name if display else detail.flat.name),
        Field("access_profile_id", "Access / display profile",
              (display.access_profile_id if display else None) or DEFAULT, kind="select",
              options=profiles, allow_blank=False),
        Field("call_code", "Call code",
              display.call_code if display else _default_call_code(detail.flat.number)),
        Field("hardwired", "Used for hardwired NPH or no telephone N° installation",
              display.hardwired if display else False, kind="switch"),
    ]
    for i in range(MAX_CALL_CHAIN):
        step = chain[i] if i < len(chain) else None
        fields.append(Field(f"call_{i + 1}", CALL_LABELS[i],
                            step.telephone_id if step else None, kind="select",
                            options=phones))
        fields.append(Field(f"ring_{i + 1}", RING_LABELS[i],
                            str(step.ring_seconds if step else TRANSFER_SECONDS_DEFAULT)))
    fields += [
        Field("auto_open_week_type_id", "Auto-opening on call as per week type",
              (display.auto_open_week_type_id if display else None) or DEFAULT,
              kind="select", options=week_types, allow_blank=False),
        Field("name_at_top", "Display name at top of display",
              display.name_at_top if display else False, kind="switch"),
        Field("voice_server", "autocom line / voice server",
              display.voice_server if display else False, kind="switch"),
    ]

    async def save(values: dict[str, Any]) -> PanelDisplay:
        positions = [i for i in range(1, MAX_CALL_CHAIN + 1) if values[f"call_{i}"] is not None]
        steps = [CallStep(values[f"call_{i}"],
                          whole_number(values[f"ring_{i}"], f"ring_{i}", RING_LABELS[i - 1],
                                       TRANSFER_SECONDS_MIN, TRANSFER_SECONDS_MAX))
                 for i in positions]
        changes = {
            "display_name": values["display_name"], "call_code": values["call_code"],
            "access_profile_id": values["access_profile_id"] or None,
            "call_chain": steps, "hardwired": values["hardwired"],
            "auto_open_week_type_id": values["auto_open_week_type_id"] or None,
            "name_at_top": values["name_at_top"], "voice_server": values["voice_server"],
        }
        try:
            if display is None:
                return await ctx.change(add_panel_display,
                                        PanelDisplay(flat_id=detail.flat.id, **changes))
            return await ctx.change(update_panel_display, display.id, **changes)
        except DoorkeeperError as err:
            err.field = _chain_field(err.field, positions)
            raise

    title = f"Panel display · Location : {detail.flat.name}"
    return FormScreen(title, fields, save)


def _chain_field(field: str | None, positions: list[int]) -> str | None:
    """The service numbers the chain as saved ("call_chain.2.ring_seconds"); the form
    by its rows ("ring_3" when row 2 was left blank)."""
    if not field or not field.startswith("call_chain"):
        return field
    parts = field.split(".")
    if len(parts) == 1:
        return "call_1"
    k = int(parts[1])
    row = positions[k - 1] if 0 < k <= len(positions) else k
    return f"ring_{row}" if len(parts) > 2 else f"call_{row}"


def profile_name(detail: FlatDetail, profile_id: int | None) -> str:
    """An access profile's name, for the lists ("none" when there is none)."""
    return next((p.name for p in detail.profiles if p.id == profile_id), "none")


def week_type_name(detail: FlatDetail, week_type_id: int | None) -> str:
    """A week type's name, "Never" for no auto-opening."""
    if week_type_id is None:
        return "Never"
    return next((w.name for w in detail.week_types if w.id == week_type_id), "?")
