"""Flats: the guide's FLAT tab (number, name, floor, keypad codes, notes)."""

from __future__ import annotations

import secrets
from dataclasses import replace

from core import rules
from core.errors import Conflict, ValidationError
from core.model import AccessPass, APassState, Block, Flat, PanelDisplay, Telephone, id_of
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, changed, flat_context, must_get, record
from core.services.sites import check_quota

# A flat stays in its block (its displays' call codes and passes belong there).
EDITABLE = {"number", "name", "floor", "code_main_door", "code_aux_relay_1", "code_aux_relay_2",
            "notes", "temporary_id"}
FLATS_BATCH_MAX = 2000  # one "Add flats +" at a time
CODE_FIELDS = {
    "code_main_door": "Main door code",
    "code_aux_relay_1": "AUX relay 1 code",
    "code_aux_relay_2": "AUX relay 2 code",
}


def clean_flat(flat: Flat) -> Flat:
    """A flat's fields checked and cleaned by the field's rules (the import uses it too)."""
    flat.number = rules.flat_number(flat.number)
    flat.name = rules.text(flat.name, "name", label="Name of flat", required=True)
    flat.floor = rules.floor(flat.floor)
    flat.notes = rules.notes(flat.notes)
    for attr, label in CODE_FIELDS.items():
        setattr(flat, attr, rules.keypad_code(getattr(flat, attr), attr, label))
    if not flat.temporary_id:
        flat.temporary_id = secrets.token_hex(5)[:9]
    return flat


async def _unique(uow: UnitOfWork, flat: Flat, site_id: int) -> None:
    """Flat N° is unique in its block; each keypad code opens for one flat per site."""
    for other in await uow.find(Flat, block_id=flat.block_id, number=flat.number):
        if other.id != flat.id:
            raise number_taken(flat.number)
    for attr in CODE_FIELDS:
        code = getattr(flat, attr)
        if code is None:
            continue
        for holder in await uow.code_holders(code, site_id=site_id, exclude_flat=flat.id):
            raise code_taken(attr, code, holder)


def number_taken(number: str) -> Conflict:
    """The refusal of a Flat N° already in the block."""
    return Conflict(f"Flat N° {number} already exists in this block.", field="number")


def still_has_passes(flat: Flat, passes: int) -> Conflict:
    """The refusal to delete a flat that holds APasses."""
    return Conflict(f"{flat.name} still has {passes} APass(es); move them to another "
                    "flat, the stock or the lost record first.")


def code_taken(attr: str, code: str, holder: str) -> Conflict:
    """The refusal of a keypad code that opens for someone else already."""
    return Conflict(f"{CODE_FIELDS[attr]} {code} is already used by {holder}.", field=attr)


async def _require_code_right(uow: UnitOfWork, actor: Actor, site_id: int, before: Flat | None,
                              after: Flat) -> None:
    changed = any(getattr(after, a) != (getattr(before, a) if before else None)
                  for a in CODE_FIELDS)
    if changed:
        await authorize(uow, actor, site_id, Area.KEYPAD_CODE, Action.MODIFY)


async def create_flat(uow: UnitOfWork, actor: Actor, flat: Flat) -> Flat:
    """Add one flat to a block, within the site's flat quota."""
    async with uow:
        block = await must_get(uow, Block, flat.block_id, "Block")
        site = await authorize(uow, actor, block.site_id, Area.FLATS, Action.MODIFY)
        flat = clean_flat(replace(flat, id=None))
        await _require_code_right(uow, actor, id_of(site), None, flat)
        await check_quota(uow, site, "flats")
        await _unique(uow, flat, id_of(site))
        flat = await uow.add(flat)
        await record(uow, actor, "flat.create", flat, site_id=site.id)
        await uow.commit()
    return flat


async def create_flats(uow: UnitOfWork, actor: Actor, block_id: int, first_number: int,
                       quantity: int, name_prefix: str = "Appt. ", digits: int = 3
                       ) -> list[Flat]:
    """The guide's "Add flats +": consecutive flats, all or nothing.

    The bounds are the form's, checked here too: a first N° from 0, 1 to 2,000 flats,
    and the last N° within the Flat N°'s 10 characters."""
    top = 10**rules.FLAT_NUMBER_MAX - 1
    first_number = rules.whole_number(first_number, "first_number", "N° of the first flat",
                                      0, top)
    quantity = rules.whole_number(quantity, "quantity", "Quantity of flats", 1,
                                  FLATS_BATCH_MAX)
    digits = rules.whole_number(digits, "digits", "Digits of a Flat N°", 1,
                                rules.FLAT_NUMBER_MAX)
    if first_number + quantity - 1 > top:
        raise ValidationError(f"The last flat would be N° {first_number + quantity - 1}, "
                              f"past {top}.", field="quantity")
    async with uow:
        block = await must_get(uow, Block, block_id, "Block")
        site = await authorize(uow, actor, block.site_id, Area.FLATS, Action.MODIFY)
        await check_quota(uow, site, "flats", quantity)
        existing = {f.number for f in await uow.find(Flat, block_id=block_id)}
        flats = []
        for n in range(first_number, first_number + quantity):
            number = str(n).zfill(digits)
            if number in existing:
                raise number_taken(number)
            flats.append(clean_flat(Flat(block_id=block_id, number=number,
                                     name=f"{name_prefix}{number}")))
        await uow.add_all(flats)
        await record(uow, actor, "flat.create_batch", site_id=site.id, entity_id=block_id,
                     obj={"block_id": block_id, "first": flats[0].number,
                          "last": flats[-1].number, "quantity": quantity})
        await uow.commit()
    return flats


async def update_flat(uow: UnitOfWork, actor: Actor, flat_id: int, **changes: object) -> Flat:
    """Change a flat's fields; keypad codes also need the Keypad code right."""
    async with uow:
        before, block = await flat_context(uow, flat_id)
        site = await authorize(uow, actor, block.site_id, Area.FLATS, Action.MODIFY)
        flat = clean_flat(changed(before, changes, EDITABLE))
        await _require_code_right(uow, actor, id_of(site), before, flat)
        await _unique(uow, flat, id_of(site))
        await uow.update(flat)
        await record(uow, actor, "flat.update", flat, before=before, site_id=site.id)
        await uow.commit()
    return flat


async def delete_flat(uow: UnitOfWork, actor: Actor, flat_id: int) -> None:
    """Delete a flat with its telephones and panel displays; assigned APasses refuse it."""
    async with uow:
        flat, block = await flat_context(uow, flat_id)
        site = await authorize(uow, actor, block.site_id, Area.FLATS, Action.MODIFY)
        passes = await uow.count(AccessPass, flat_id=flat_id, state=APassState.ASSIGNED)
        if passes:
            raise still_has_passes(flat, passes)
        for display in await uow.find(PanelDisplay, flat_id=flat_id):
            await uow.delete(display)
        for phone in await uow.find(Telephone, flat_id=flat_id):
            await uow.delete(phone)
        for lost in await uow.find(AccessPass, flat_id=flat_id):
            lost.flat_id = None  # the lost record keeps the pass, not the flat
            await uow.update(lost)
        await uow.delete(flat)
        await record(uow, actor, "flat.delete", before=flat, site_id=site.id)
        await uow.commit()
