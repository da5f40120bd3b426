"""Operators' SSH public keys: add one (pasted OpenSSH line) or remove one.

A key lets whoever holds its private half log in as the operator, on every site
the operator looks after. So an operator manages their own keys, and someone
else's only with Users (Create/Modify) on every site where that operator has a
profile, and only if that operator holds no more rights there than they do; the
keys of a site creator only another site creator manages.
"""

from __future__ import annotations

from core.errors import Conflict, NotFound, PermissionDenied
from core.keys import parse_public_key
from core.model import Operator, OperatorKey, SiteGrant, id_of
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, must_get, record, require_somewhere

MAX_KEYS = 20  # per operator: more is a mistake (or a script gone wrong)


async def require_key_rights(uow: UnitOfWork, actor: Actor, target: Operator) -> None:
    """Refuse unless the actor may manage the target's keys (see the module docstring)."""
    me = actor.operator
    if me.id is not None and me.id == target.id:
        if not me.active:
            raise PermissionDenied(f"{me.email} is disabled.")
        return
    if target.can_create_sites and not (me.active and me.can_create_sites):
        raise PermissionDenied(f"{me.email} may not change the keys of {target.email}, "
                               f"who may create sites.")
    grants = await uow.find(SiteGrant, operator_id=target.id)
    if not grants:
        await require_somewhere(uow, actor, Area.USERS, Action.MODIFY)
        return
    for theirs in grants:
        site = await authorize(uow, actor, theirs.site_id, Area.USERS, Action.MODIFY)
        if me.can_create_sites:
            continue
        own = await uow.grant(me.id, theirs.site_id) if me.id is not None else None
        if own is None or not theirs.rights <= own.rights:
            raise PermissionDenied(f"{me.email} may not change the keys of {target.email}, "
                                   f"who holds more rights on {site.name}.")


async def add_key(uow: UnitOfWork, actor: Actor, operator_id: int, line: str) -> OperatorKey:
    """Add a public key ("ssh-ed25519 AAAA… comment") to an operator."""
    async with uow:
        target = await must_get(uow, Operator, operator_id, "Operator")
        await require_key_rights(uow, actor, target)
        parsed = parse_public_key(line)
        existing = await uow.find(OperatorKey, operator_id=target.id)
        if any(k.fingerprint == parsed.fingerprint for k in existing):
            raise Conflict(f"{target.email} already has the key {parsed.fingerprint}.",
                           field="key")
        if len(existing) >= MAX_KEYS:
            raise Conflict(f"{target.email} has {MAX_KEYS} keys already; remove one first.",
                           field="key")
        key = await uow.add(OperatorKey(operator_id=id_of(target), key=parsed.identity,
                                        fingerprint=parsed.fingerprint,
                                        comment=parsed.comment, added_at=actor.now()))
        await record(uow, actor, "operator_key.create", key)
        await uow.commit()
    return key


async def remove_key(uow: UnitOfWork, actor: Actor, key_id: int) -> None:
    """Remove one of an operator's public keys."""
    async with uow:
        key = await uow.get(OperatorKey, key_id)
        if key is None:
            raise NotFound(f"Key {key_id} does not exist.", field="key")
        target = await must_get(uow, Operator, key.operator_id, "Operator")
        await require_key_rights(uow, actor, target)
        await uow.delete(key)
        await record(uow, actor, "operator_key.delete", before=key)
        await uow.commit()
