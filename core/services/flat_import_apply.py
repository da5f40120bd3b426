"""Applying a flats import: the plan made again inside one write transaction, then
written whole, with one audit entry ("import.flats") holding its counts; or, when any
line is refused or the block changed since the plan was shown, nothing at all.

The audit entry names the site, so the gateway reloads the site's access index on its
next look at the audit trail (within its change poll, 250 ms), or at once when the
console sends its change notice.
"""

from __future__ import annotations

from dataclasses import replace

from core.errors import Conflict, ValidationError
from core.model import AccessPass, APassState, PanelDisplay, Telephone, id_of
from core.ports import UnitOfWork
from core.services.access_passes import stocked
from core.services.base import Actor, record
from core.services.flat_import import ImportPlan, Sheet, make_plan


async def apply_import(uow: UnitOfWork, actor: Actor, block_id: int, sheet: Sheet, *,
                       remove_missing: bool = False, expected: str | None = None
                       ) -> ImportPlan:
    """Write the plan of `sheet` in one transaction. Refused whole (ValidationError)
    while a line is refused, and (Conflict) when `expected`, the digest of the plan
    shown, no longer matches what the store holds."""
    async with uow:
        plan = await make_plan(uow, actor, block_id, sheet, remove_missing=remove_missing)
        if plan.refused:
            n = len(plan.refused)
            raise ValidationError(f"{n} line{'s' if n != 1 else ''} of the file "
                                  f"{'are' if n != 1 else 'is'} refused: nothing was "
                                  "imported. Correct the file and plan again.")
        if expected is not None and plan.digest != expected:
            raise Conflict("The block changed since this plan was made: nothing was "
                           "imported. Plan again.")
        await _write(uow, plan)
        block = plan.block
        await record(uow, actor, "import.flats", {
            "block_id": block.id, "block": block.name, "file": sheet.name,
            **plan.counts,
            "flats_added": [p.number for p in plan.add],
            "flats_changed": [p.number for p in plan.change],
            "flats_removed": [p.number for p in plan.remove],
        }, site_id=plan.site.id, entity_id=block.id)
        await uow.commit()
    return plan


async def _write(uow: UnitOfWork, plan: ImportPlan) -> None:
    """Flats, then their telephones, then the APasses, then the removals."""
    new = [t for t in plan.targets if t.before is None]
    await uow.add_all([t.flat for t in new])
    changed = [t.flat for t in plan.targets if t.before is not None and t.changes]
    if changed:
        await uow.update_all(changed)
    phones: list[Telephone] = []
    for t in plan.targets:
        if t.phones is None:
            continue
        flat_id = id_of(t.flat)
        old = {p.value: p for p in plan.stored_phones.get(flat_id, [])}
        wanted = {p.value for p in t.phones}
        for value, phone in old.items():
            if value not in wanted:
                await uow.delete(phone)
        phones += [replace(p, flat_id=flat_id) for p in t.phones if p.value not in old]
    if phones:
        await uow.add_all(phones)
    await _passes(uow, plan)
    for flat in plan.removed_flats:
        for display in await uow.find(PanelDisplay, flat_id=flat.id):
            await uow.delete(display)
        for phone in plan.stored_phones.get(id_of(flat), []):
            await uow.delete(phone)
        for lost in await uow.find(AccessPass, flat_id=flat.id):
            lost.flat_id = None  # the lost record keeps the pass, not the flat (delete_flat)
            await uow.update(lost)
        await uow.delete(flat)


async def _passes(uow: UnitOfWork, plan: ImportPlan) -> None:
    """Each line's APasses on its flat: moved from the stock, the lost record or another
    flat, created when new; the flat's others back to the stock."""
    block = plan.block
    listed = {n: t for t in plan.targets if t.passes is not None for n in t.passes}
    moves: dict[str, AccessPass] = {}
    for t in plan.targets:
        if t.passes is None or t.before is None:
            continue
        for held in plan.stored_passes.get(id_of(t.before), []):
            if held.number not in listed:
                moves[held.number] = stocked(held)
    created: list[AccessPass] = []
    for number, t in listed.items():
        flat_id = id_of(t.flat)
        ap = plan.known_passes.get(number)
        if ap is None:
            created.append(AccessPass(site_id=id_of(plan.site), number=number,
                                      state=APassState.ASSIGNED, block_id=block.id,
                                      flat_id=flat_id,
                                      access_profile_id=block.default_access_profile_id))
        elif ap.flat_id != flat_id or ap.state is not APassState.ASSIGNED:
            moves[number] = replace(
                ap, state=APassState.ASSIGNED, block_id=block.id, flat_id=flat_id,
                resident=ap.resident if ap.flat_id == flat_id else "",
                access_profile_id=(ap.access_profile_id if ap.flat_id == flat_id
                                   else block.default_access_profile_id))
    if moves:
        await uow.update_all(list(moves.values()))
    if created:
        await uow.add_all(created)
