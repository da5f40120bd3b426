"""Operators (the guide's users): accounts, per-site profiles and validity."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from core import rules
from core.errors import Conflict, PermissionDenied, ValidationError
from core.model import Operator, Site, SiteGrant, id_of
from core.passwords import new_password_hash
from core.ports import UnitOfWork
from core.rights import Action, Area, Profile, rights_for
from core.services.base import (
    Actor,
    authorize,
    must_get,
    record,
    require_site_creator,
    require_somewhere,
)

LOGIN_RE = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
SYSTEM = Operator(email="system", name="Doorkeeper", can_create_sites=True, id=None)


async def _clean(uow: UnitOfWork, op: Operator) -> Operator:
    op.email = rules.email(op.email, required=True)
    op.name = rules.text(op.name, "name", label="Name")
    if op.login:
        op.login = op.login.strip().lower()
        if not LOGIN_RE.fullmatch(op.login):
            raise ValidationError("A login name is 2 to 32 lower-case letters, digits, '.', "
                                  "'_' or '-', starting with a letter.", field="login")
    else:
        op.login = None
    for other in await uow.find(Operator, email=op.email):
        if other.id != op.id:
            raise Conflict(f"An operator with email {op.email} exists.", field="email")
    if op.login:
        for other in await uow.find(Operator, login=op.login):
            if other.id != op.id:
                raise Conflict(f"Login {op.login!r} is taken.", field="login")
    return op


async def bootstrap_admin(uow: UnitOfWork, email: str, *, source: str = "cli") -> Operator:
    """`doorkeeper init --admin`: create the first administrator, or upgrade one."""
    actor = Actor(SYSTEM, source=source)
    async with uow:
        found = await uow.find(Operator, email=rules.email(email, required=True))
        if found:
            before = found[0]
            op = replace(before, can_create_sites=True, active=True)
            await uow.update(op)
            await record(uow, actor, "operator.update", op, before=before)
        else:
            op = await _clean(uow, Operator(email=email, can_create_sites=True))
            op = await uow.add(op)
            await record(uow, actor, "operator.create", op)
        # An administrator administers every site there is.
        for site in await uow.find(Site):
            await set_grant(uow, actor, op, id_of(site), Profile.ADMINISTRATION, None, None, None)
        await uow.commit()
    return op


async def add_operator(uow: UnitOfWork, actor: Actor, operator: Operator, *,
                       password: str | None = None) -> Operator:
    """Create an operator account (sites come with grant_site). A password is hashed
    before the unit of work opens (argon2 off the loop, no write lock held meanwhile)."""
    password_hash = await new_password_hash(password) if password else None
    async with uow:
        op = await _clean(uow, replace(operator, id=None))
        if op.can_create_sites:
            require_site_creator(actor)
        else:
            await require_somewhere(uow, actor, Area.USERS, Action.MODIFY)
        if password_hash:
            op.password_hash = password_hash
        op = await uow.add(op)
        await record(uow, actor, "operator.create", op)
        await uow.commit()
    return op


async def set_grant(uow: UnitOfWork, actor: Actor, op: Operator, site_id: int,
                    profile: Profile | str, custom: list[str] | None = None,
                    valid_from: date | None = None, valid_to: date | None = None) -> SiteGrant:
    """Write a grant inside an open unit of work (the caller checked the right)."""
    rules.validity_dates(valid_from, valid_to)
    profile = Profile(profile)
    rights = rights_for(profile, custom)
    existing = await uow.grant(id_of(op), site_id)
    grant = SiteGrant(operator_id=id_of(op), site_id=site_id, profile=profile.value, rights=rights,
                      valid_from=valid_from, valid_to=valid_to,
                      id=existing.id if existing else None)
    if existing:
        await uow.update(grant)
    else:
        grant = await uow.add(grant)
    await record(uow, actor, "grant.update" if existing else "grant.create", grant,
                 before=existing, site_id=site_id)
    return grant


async def grant_site(uow: UnitOfWork, actor: Actor, operator_id: int, site_id: int,
                     profile: Profile | str, *, custom: list[str] | None = None,
                     valid_from: date | None = None, valid_to: date | None = None) -> SiteGrant:
    """Give (or change) an operator's profile on a site: the guide's PROFILE BY SITE."""
    async with uow:
        op = await must_get(uow, Operator, operator_id, "Operator")
        site = await authorize(uow, actor, site_id, Area.USERS, Action.MODIFY)
        if not actor.operator.can_create_sites:
            # nobody hands out more than they hold, nor changes their own profile
            own = await uow.grant(id_of(actor.operator), site_id)
            wanted = rights_for(profile, custom)
            if own is None or operator_id == actor.operator.id or not wanted <= own.rights:
                raise PermissionDenied(f"{actor.operator.email} may not give rights they do "
                                       f"not hold on {site.name}.")
            await _no_more_than_actor(uow, actor, op, site_id, own)
        grant = await set_grant(uow, actor, op, site_id, profile, custom, valid_from, valid_to)
        await uow.commit()
    return grant


async def revoke_site(uow: UnitOfWork, actor: Actor, operator_id: int, site_id: int) -> None:
    """Take a site away from an operator."""
    async with uow:
        await authorize(uow, actor, site_id, Area.USERS, Action.MODIFY)
        grant = await uow.grant(operator_id, site_id)
        if grant is None:
            raise ValidationError("That operator has no profile on this site.")
        if not actor.operator.can_create_sites:
            op = await must_get(uow, Operator, operator_id, "Operator")
            await _no_more_than_actor(uow, actor, op, site_id,
                                      await uow.grant(id_of(actor.operator), site_id))
        await uow.delete(grant)
        await record(uow, actor, "grant.delete", before=grant, site_id=site_id)
        await uow.commit()


async def _no_more_than_actor(uow: UnitOfWork, actor: Actor, op: Operator, site_id: int,
                              own: SiteGrant | None) -> None:
    """An operator may not change the grant of someone who holds more than they do
    (a site creator, or a wider profile)."""
    theirs = await uow.grant(id_of(op), site_id)
    if op.can_create_sites or (theirs is not None and own is not None
                               and not theirs.rights <= own.rights):
        raise PermissionDenied(f"{actor.operator.email} may not change the access of "
                               f"{op.email}, who holds more rights.")


async def set_password(uow: UnitOfWork, actor: Actor, operator_id: int, password: str) -> None:
    """Set an operator's password: their own, or anyone's for a site creator. Hashed
    before the unit of work opens (argon2 off the loop, no write lock held meanwhile)."""
    if actor.operator.id != operator_id or not actor.operator.active:
        require_site_creator(actor)
    password_hash = await new_password_hash(password)
    async with uow:
        before = await must_get(uow, Operator, operator_id, "Operator")
        op = replace(before, password_hash=password_hash)
        await uow.update(op)
        await record(uow, actor, "operator.password", op, before=before)
        await uow.commit()


async def set_active(uow: UnitOfWork, actor: Actor, operator_id: int, active: bool) -> Operator:
    """Deactivate an operator (their history and grants stay; they can no longer log
    in or act) or reactivate one: a site creator's call, never on their own account."""
    require_site_creator(actor)
    async with uow:
        before = await must_get(uow, Operator, operator_id, "Operator")
        if before.id == actor.operator.id and not active:
            raise ValidationError("An operator cannot deactivate their own account.",
                                  field="active")
        op = replace(before, active=active)
        await uow.update(op)
        await record(uow, actor, "operator.activate" if active else "operator.deactivate", op,
                     before=before)
        await uow.commit()
    return op
