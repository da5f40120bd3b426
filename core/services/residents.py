"""Residents: a flat's telephones & emails and its panel displays.

Both sit under the guide's "Residents & Displays" right.
"""

from __future__ import annotations

from dataclasses import replace

from core import rules
from core.errors import Conflict, ValidationError
from core.model import (
    AccessProfile,
    Block,
    CallStep,
    PanelDisplay,
    Site,
    Telephone,
    TelephoneKind,
    WeekType,
    id_of,
)
from core.phones import parse_phone, shown_phone
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, changed, flat_context, must_get, record
from core.services.sites import check_quota

PHONE_EDITABLE = {"kind", "value", "app_activated"}
DISPLAY_EDITABLE = {"display_name", "call_code", "access_profile_id", "call_chain",
                    "auto_open_week_type_id", "hardwired", "name_at_top", "voice_server"}

# --- telephones & emails --------------------------------------------------------


def clean_telephone_value(site: Site, phone: Telephone) -> Telephone:
    """A number in its E.164 form with its country and whether it is foreign, or an email
    lower-cased: the rules of a telephone that need no store (the import uses it too)."""
    phone.kind = TelephoneKind(phone.kind)
    if phone.kind is TelephoneKind.EMAIL:
        phone.value = rules.email(phone.value, "value", required=True)
        phone.country, phone.foreign = "", False
    else:
        parsed = parse_phone(phone.value, site.default_country, "value")
        phone.value, phone.country = parsed.e164, parsed.region
        phone.foreign = parsed.is_foreign(site.default_country)
    return phone


def telephone_taken(value: str) -> Conflict:
    """The refusal of a number or email the flat has already (a number written as the
    lists show it, "07802980851 GB")."""
    return Conflict(f"{shown_phone(value)} is already registered for this flat.",
                    field="value")


def still_called(phone: Telephone, callers: list[PanelDisplay]) -> Conflict:
    """The refusal to delete a number a panel display calls."""
    names = ", ".join(repr(d.display_name) for d in callers)
    return Conflict(f"{shown_phone(phone.value)} is still called by panel display {names}; "
                    "remove it from the call chain (or delete the display) first.")


async def _clean_telephone(uow: UnitOfWork, site: Site, phone: Telephone,
                           before: Telephone | None) -> Telephone:
    phone = clean_telephone_value(site, phone)
    if phone.foreign and not (before and before.foreign):
        await check_quota(uow, site, "foreign_numbers")
    for other in await uow.find(Telephone, flat_id=phone.flat_id, value=phone.value):
        if other.id != phone.id:
            raise telephone_taken(phone.value)
    return phone


async def add_telephone(uow: UnitOfWork, actor: Actor, flat_id: int, value: str,
                        kind: TelephoneKind = TelephoneKind.TELEPHONE,
                        app_activated: bool = False) -> Telephone:
    """Register a telephone number or email for a flat (at most 3)."""
    async with uow:
        _, block = await flat_context(uow, flat_id)
        site = await authorize(uow, actor, block.site_id, Area.RESIDENTS_DISPLAYS, Action.MODIFY)
        if await uow.count(Telephone, flat_id=flat_id) >= rules.MAX_TELEPHONES_PER_FLAT:
            raise ValidationError(
                f"Each flat can have a maximum of {rules.MAX_TELEPHONES_PER_FLAT} telephone "
                "numbers or emails.", field="value")
        phone = Telephone(flat_id=flat_id, kind=kind, value=value, app_activated=app_activated)
        phone = await uow.add(await _clean_telephone(uow, site, phone, None))
        await record(uow, actor, "telephone.create", phone, site_id=site.id)
        await uow.commit()
    return phone


async def update_telephone(uow: UnitOfWork, actor: Actor, telephone_id: int,
                           **changes: object) -> Telephone:
    """Change a number (the panel displays that call it follow automatically)."""
    async with uow:
        before = await must_get(uow, Telephone, telephone_id, "Telephone")
        _, block = await flat_context(uow, before.flat_id)
        site = await authorize(uow, actor, block.site_id, Area.RESIDENTS_DISPLAYS, Action.MODIFY)
        phone = await _clean_telephone(uow, site, changed(before, changes, PHONE_EDITABLE),
                                       before)
        if phone.kind is not TelephoneKind.TELEPHONE and await uow.displays_calling(id_of(phone)):
            raise Conflict(f"{shown_phone(before.value)} is called by a panel display; it "
                           "cannot become "
                           "an email.", field="kind")
        await uow.update(phone)
        await record(uow, actor, "telephone.update", phone, before=before, site_id=site.id)
        await uow.commit()
    return phone


async def delete_telephone(uow: UnitOfWork, actor: Actor, telephone_id: int) -> None:
    """Delete a number; refused while a panel display still calls it."""
    async with uow:
        phone = await must_get(uow, Telephone, telephone_id, "Telephone")
        _, block = await flat_context(uow, phone.flat_id)
        site = await authorize(uow, actor, block.site_id, Area.RESIDENTS_DISPLAYS, Action.MODIFY)
        callers = await uow.displays_calling(telephone_id)
        if callers:
            raise still_called(phone, callers)
        await uow.delete(phone)
        await record(uow, actor, "telephone.delete", before=phone, site_id=site.id)
        await uow.commit()


# --- panel displays ---------------------------------------------------------------


async def _clean_display(uow: UnitOfWork, site: Site, block: Block,
                         display: PanelDisplay) -> PanelDisplay:
    display.display_name = rules.text(display.display_name, "display_name",
                                      label="Display name", required=True)
    display.call_code = rules.call_code(display.call_code)
    if display.access_profile_id is None:
        display.access_profile_id = block.default_access_profile_id
    if display.access_profile_id is not None:
        profile = await uow.get(AccessProfile, display.access_profile_id)
        if profile is None or profile.site_id != site.id:
            raise ValidationError("That display profile is not on this site.",
                                  field="access_profile_id")
    if display.auto_open_week_type_id is not None:
        week_type = await uow.get(WeekType, display.auto_open_week_type_id)
        if week_type is None or week_type.site_id != site.id:
            raise ValidationError("That week type is not on this site.",
                                  field="auto_open_week_type_id")
    chain = [CallStep(**s) if isinstance(s, dict) else s for s in display.call_chain]
    if len(chain) > rules.MAX_CALL_CHAIN:
        raise ValidationError(f"A call chain has at most {rules.MAX_CALL_CHAIN} numbers.",
                              field="call_chain")
    own = {t.id: t for t in await uow.find(Telephone, flat_id=display.flat_id)}
    seen = set()
    for i, step in enumerate(chain, start=1):
        phone = own.get(step.telephone_id)
        if phone is None or phone.kind is not TelephoneKind.TELEPHONE:
            raise ValidationError(f"Telephone number {i} is not one of this flat's numbers.",
                                  field=f"call_chain.{i}")
        if step.telephone_id in seen:
            raise ValidationError(f"Telephone number {i} is already in the chain.",
                                  field=f"call_chain.{i}")
        seen.add(step.telephone_id)
        rules.ring_seconds(step.ring_seconds, f"call_chain.{i}.ring_seconds")
    if not chain and not display.hardwired:
        raise ValidationError("Select a primary telephone number, or tick 'Used for "
                              "hardwired NPH or no telephone N° installation'.",
                              field="call_chain")
    display.call_chain = chain
    other = await uow.display_by_call_code(id_of(block), display.call_code)
    if other is not None and other.id != display.id:
        raise Conflict(f"Call code {display.call_code} is already used by "
                       f"{other.display_name!r} in {block.name}.", field="call_code")
    return display


async def add_panel_display(uow: UnitOfWork, actor: Actor, display: PanelDisplay
                            ) -> PanelDisplay:
    """Program a resident's name on the panels, within the site's quota of names."""
    async with uow:
        _, block = await flat_context(uow, display.flat_id)
        site = await authorize(uow, actor, block.site_id, Area.RESIDENTS_DISPLAYS, Action.MODIFY)
        await check_quota(uow, site, "panel_names")
        display = await _clean_display(uow, site, block, replace(display, id=None))
        display = await uow.add(display)
        await record(uow, actor, "panel_display.create", display, site_id=site.id)
        await uow.commit()
    return display


async def update_panel_display(uow: UnitOfWork, actor: Actor, display_id: int,
                               **changes: object) -> PanelDisplay:
    """Change a display's name, call code, profile, call chain or auto-opening."""
    async with uow:
        before = await must_get(uow, PanelDisplay, display_id, "Panel display")
        _, block = await flat_context(uow, before.flat_id)
        site = await authorize(uow, actor, block.site_id, Area.RESIDENTS_DISPLAYS, Action.MODIFY)
        display = await _clean_display(uow, site, block,
                                       changed(before, changes, DISPLAY_EDITABLE))
        await uow.update(display)
        await record(uow, actor, "panel_display.update", display, before=before,
                     site_id=site.id)
        await uow.commit()
    return display


async def delete_panel_display(uow: UnitOfWork, actor: Actor, display_id: int) -> None:
    """Remove a name from the panels."""
    async with uow:
        display = await must_get(uow, PanelDisplay, display_id, "Panel display")
        _, block = await flat_context(uow, display.flat_id)
        site = await authorize(uow, actor, block.site_id, Area.RESIDENTS_DISPLAYS, Action.MODIFY)
        await uow.delete(display)
        await record(uow, actor, "panel_display.delete", before=display, site_id=site.id)
        await uow.commit()
