"""APasses: create in batches, assign to a flat, send to the stock or the lost record."""

from __future__ import annotations

from dataclasses import replace

from core import rules
from core.errors import Conflict, ValidationError
from core.model import (
    AccessPass,
    AccessProfile,
    APassColour,
    APassState,
    APassType,
    Block,
    Flat,
    Site,
    id_of,
)
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, flat_context, must_get, record


async def _assignment(uow: UnitOfWork, site: Site, flat_id: int | None,
                      access_profile_id: int | None) -> tuple[int, int, int | None]:
    """Block, flat and profile of an assignment to a flat, checked against the site."""
    flat = await must_get(uow, Flat, flat_id, "Flat")
    block = await must_get(uow, Block, flat.block_id, "Block")
    if block.site_id != site.id:
        raise ValidationError("That flat is on another site.", field="flat_id")
    profile_id = access_profile_id or block.default_access_profile_id
    if profile_id is not None:
        profile = await uow.get(AccessProfile, profile_id)
        if profile is None or profile.site_id != site.id:
            raise ValidationError("That access profile is not on this site.",
                                  field="access_profile_id")
    return id_of(block), id_of(flat), profile_id


async def create_access_passes(
    uow: UnitOfWork, actor: Actor, site_id: int, first_number: str, quantity: int = 1, *,
    type: APassType = APassType.PROXIMITY_FOB, colour: APassColour = APassColour.BLACK,
    flat_id: int | None = None, resident: str = "", access_profile_id: int | None = None,
    notes: str = "",
) -> list[AccessPass]:
    """The guide's CREATE APASS: consecutive numbers, all created or none.

    With a flat the passes are assigned to it; without, they go to the site stock.
    """
    numbers = rules.apass_batch(first_number, quantity)
    resident = rules.text(resident, "resident", label="Resident")
    notes = rules.notes(notes)
    async with uow:
        site = await authorize(uow, actor, site_id, Area.CREATE_APASSES, Action.MODIFY)
        taken = await uow.taken_credentials(numbers)
        if taken:
            shown = ", ".join(sorted(taken)[:5]) + (" …" if len(taken) > 5 else "")
            raise Conflict(f"{len(taken)} of these numbers already exist: {shown}. "
                           "No APass was created.", field="first_number")
        block_id = profile_id = None
        state = APassState.STOCK
        if flat_id is not None:
            block_id, flat_id, profile_id = await _assignment(uow, site, flat_id,
                                                              access_profile_id)
            state = APassState.ASSIGNED
        passes = [
            AccessPass(site_id=site_id, number=n, type=APassType(type),
                       colour=APassColour(colour), state=state, block_id=block_id,
                       flat_id=flat_id, resident=resident if flat_id else "",
                       access_profile_id=profile_id, notes=notes)
            for n in numbers
        ]
        await uow.add_all(passes)
        await record(uow, actor, "access_pass.create_batch", site_id=site_id,
                     obj={"numbers": numbers, "type": str(type), "colour": str(colour),
                          "state": str(state), "flat_id": flat_id})
        await uow.commit()
    return passes


def stocked(ap: AccessPass, notes: str = "") -> AccessPass:
    """A pass back in the site stock: disabled, its programming deleted."""
    return replace(ap, state=APassState.STOCK, block_id=None, flat_id=None, resident="",
                   access_profile_id=None, notes=notes)


async def _pass_by_number(uow: UnitOfWork, number: str) -> AccessPass:
    number = rules.apass_number(number)
    found = await uow.find(AccessPass, number=number)
    if not found:
        raise ValidationError(f"APass {number} does not exist.", field="number")
    return found[0]


async def _from_site_stock(uow: UnitOfWork, actor: Actor, number: str,
                           flat_id: int) -> tuple[Site, AccessPass]:
    """A pass of the stock of the flat's site, looked for once the right on that site is
    checked: a typed number of another site (or of none) is only "not in the site stock",
    without its state or the name of a site the operator may not see."""
    _, block = await flat_context(uow, flat_id)
    site = await authorize(uow, actor, block.site_id, Area.APASS_MANAGEMENT, Action.MODIFY)
    number = rules.apass_number(number)
    found = [ap for ap in await uow.find(AccessPass, number=number) if ap.site_id == site.id]
    if not found:
        raise ValidationError(f"APass {number} is not in the site stock of {site.name}.",
                              field="number")
    if found[0].state is not APassState.STOCK:
        raise Conflict(f"APass {number} is not in the site stock (it is "
                       f"{found[0].state.value}).", field="number")
    return site, found[0]


async def assign_to_flat(uow: UnitOfWork, actor: Actor, number: str, flat_id: int, *,
                         resident: str = "", access_profile_id: int | None = None,
                         notes: str | None = None, from_stock: bool = False) -> AccessPass:
    """Move a pass to a flat: from another flat, the stock, or the lost record (found);
    `from_stock` (the flat's "Add APasses"): only a pass of the site stock."""
    async with uow:
        if from_stock:  # the right on the flat's site is checked there, before the look-up
            site, before = await _from_site_stock(uow, actor, number, flat_id)
        else:
            before = await _pass_by_number(uow, number)
            site = await authorize(uow, actor, before.site_id, Area.APASS_MANAGEMENT,
                                   Action.MODIFY)
        block_id, flat_id, profile_id = await _assignment(uow, site, flat_id, access_profile_id)
        ap = replace(before, state=APassState.ASSIGNED, block_id=block_id, flat_id=flat_id,
                     resident=rules.text(resident, "resident", label="Resident"),
                     access_profile_id=profile_id,
                     notes=before.notes if notes is None else rules.notes(notes))
        await uow.update(ap)
        await record(uow, actor, "access_pass.assign", ap, before=before, site_id=site.id)
        await uow.commit()
    return ap


async def send_to_stock(uow: UnitOfWork, actor: Actor, number: str,
                        notes: str | None = None) -> AccessPass:
    """Disable a pass and delete its programming: back to the site stock."""
    async with uow:
        before = await _pass_by_number(uow, number)
        site = await authorize(uow, actor, before.site_id, Area.APASS_MANAGEMENT, Action.MODIFY)
        ap = stocked(before, rules.notes(notes or ""))
        await uow.update(ap)
        await record(uow, actor, "access_pass.stock", ap, before=before, site_id=site.id)
        await uow.commit()
    return ap


async def send_to_lost(uow: UnitOfWork, actor: Actor, number: str,
                       notes: str | None = None) -> AccessPass:
    """Disable a pass but keep its programming: the lost record, for who lost it."""
    async with uow:
        before = await _pass_by_number(uow, number)
        site = await authorize(uow, actor, before.site_id, Area.APASS_MANAGEMENT, Action.MODIFY)
        if before.state is APassState.LOST:
            raise Conflict(f"APass {before.number} is already in the lost record.")
        ap = replace(before, state=APassState.LOST,
                     notes=before.notes if notes is None else rules.notes(notes))
        await uow.update(ap)
        await record(uow, actor, "access_pass.lost", ap, before=before, site_id=site.id)
        await uow.commit()
    return ap


async def update_access_pass(uow: UnitOfWork, actor: Actor, number: str, *,
                             type: APassType | None = None, colour: APassColour | None = None,
                             notes: str | None = None, resident: str | None = None,
                             access_profile_id: int | None = None) -> AccessPass:
    """Correct a pass's type, colour tag or notes; for an assigned pass also its resident
    and access profile (checked against the site as an assignment is)."""
    async with uow:
        before = await _pass_by_number(uow, number)
        site = await authorize(uow, actor, before.site_id, Area.APASS_MANAGEMENT, Action.MODIFY)
        ap = replace(before,
                     type=APassType(type) if type else before.type,
                     colour=APassColour(colour) if colour else before.colour,
                     notes=before.notes if notes is None else rules.notes(notes))
        if (resident is not None or access_profile_id is not None) and before.flat_id is None:
            raise ValidationError("Only a pass assigned to a flat has a resident and a profile.",
                                  field="resident")
        if resident is not None:
            ap.resident = rules.text(resident, "resident", label="Resident")
        if access_profile_id is not None:
            _, _, ap.access_profile_id = await _assignment(uow, site, before.flat_id,
                                                           access_profile_id)
        await uow.update(ap)
        await record(uow, actor, "access_pass.update", ap, before=before, site_id=site.id)
        await uow.commit()
    return ap
