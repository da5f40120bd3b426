"""Blocks of a site."""

from __future__ import annotations

from dataclasses import replace

from core import rules
from core.errors import Conflict, ValidationError
from core.model import AccessPass, AccessProfile, Block, Device, Flat
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, changed, must_get, record, same_named

EDITABLE = {"name", "notes", "default_access_profile_id"}  # a block never changes site


async def _clean(uow: UnitOfWork, block: Block) -> Block:
    block.name = rules.text(block.name, "name", label="Block name", required=True)
    block.notes = rules.notes(block.notes)
    if await same_named(uow, Block, block.name, block.id, site_id=block.site_id):
        raise Conflict(f"The site already has a block named {block.name!r}.", field="name")
    if block.default_access_profile_id is not None:
        profile = await uow.get(AccessProfile, block.default_access_profile_id)
        if profile is None or profile.site_id != block.site_id:
            raise ValidationError("That access profile is not on this site.",
                                  field="default_access_profile_id")
    return block


async def create_block(uow: UnitOfWork, actor: Actor, block: Block) -> Block:
    """Add a block to a site."""
    async with uow:
        await authorize(uow, actor, block.site_id, Area.BLOCKS, Action.MODIFY)
        block = await uow.add(await _clean(uow, replace(block, id=None)))
        await record(uow, actor, "block.create", block, site_id=block.site_id)
        await uow.commit()
    return block


async def update_block(uow: UnitOfWork, actor: Actor, block_id: int, **changes: object) -> Block:
    """Rename a block, change its notes or default profile."""
    async with uow:
        before = await must_get(uow, Block, block_id, "Block")
        await authorize(uow, actor, before.site_id, Area.BLOCKS, Action.MODIFY)
        block = await _clean(uow, changed(before, changes, EDITABLE))
        await uow.update(block)
        await record(uow, actor, "block.update", block, before=before, site_id=block.site_id)
        await uow.commit()
    return block


async def delete_block(uow: UnitOfWork, actor: Actor, block_id: int) -> None:
    """Delete an empty block; one with flats, devices or passes is refused."""
    async with uow:
        block = await must_get(uow, Block, block_id, "Block")
        await authorize(uow, actor, block.site_id, Area.BLOCKS, Action.MODIFY)
        for cls, what in ((Flat, "flats"), (Device, "devices"), (AccessPass, "APasses")):
            n = await uow.count(cls, block_id=block_id)
            if n:
                raise Conflict(f"{block.name} still has {n} {what}; move or delete them first.")
        await uow.delete(block)
        await record(uow, actor, "block.delete", before=block, site_id=block.site_id)
        await uow.commit()
