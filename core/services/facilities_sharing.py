"""Sharing a management company with another operator (the guide's "Provider Access").

A company is managed by the operator who created it and by those it was shared
with; each of them sees it, its providers and its tasks' lines in the Facilities
screen, and may share it further or withdraw a share. The creator's line cannot be
withdrawn. Every share and withdrawal is audited.
"""

from __future__ import annotations

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.model import CompanyAccess, ManagementCompany, Site, SiteGrant
from core.ports import UnitOfWork
from core.rights import Action, Area, grant_is_current, right
from core.services.base import Actor, must_get, record, require_somewhere
from core.services.logins import find_operator


async def manages(uow: UnitOfWork, actor: Actor, company_id: int) -> bool:
    """Whether the actor manages the company (an operator who creates sites manages all)."""
    me = actor.operator
    if me.active and me.can_create_sites:
        return True
    return bool(me.id is not None
                and await uow.find(CompanyAccess, company_id=company_id, operator_id=me.id))


async def _require_manager(uow: UnitOfWork, actor: Actor, company_id: int
                           ) -> ManagementCompany:
    await require_somewhere(uow, actor, Area.FACILITIES, Action.MODIFY)
    company = await must_get(uow, ManagementCompany, company_id, "Management company")
    if not await manages(uow, actor, company_id):
        raise PermissionDenied(f"{actor.operator.email} does not manage {company.name}.")
    return company


async def _holds_facilities(uow: UnitOfWork, actor: Actor, operator_id: int) -> bool:
    wanted = right(Area.FACILITIES, Action.CONSULT)
    for grant in await uow.find(SiteGrant, operator_id=operator_id):
        site = await uow.get(Site, grant.site_id)
        if wanted in grant.rights and grant_is_current(grant, actor.today(site)):
            return True
    return False


async def share_company(uow: UnitOfWork, actor: Actor, company_id: int,
                        who: str) -> CompanyAccess:
    """Let the operator with this email (or login) manage the company too."""
    async with uow:
        company = await _require_manager(uow, actor, company_id)
        other = await find_operator(uow, who)
        if other is None or other.id is None:
            raise NotFound(f"No operator has the email {who.strip()!r}.", field="email")
        if not other.active:
            raise ValidationError(f"{other.email} is disabled.", field="email")
        if await uow.find(CompanyAccess, company_id=company_id, operator_id=other.id):
            raise Conflict(f"{other.email} already manages {company.name}.", field="email")
        if not await _holds_facilities(uow, actor, other.id):
            raise ValidationError(f"{other.email} holds the Facilities right on no site.",
                                  field="email")
        access = await uow.add(CompanyAccess(company_id, other.id, owner=False,
                                             added_at=actor.now(),
                                             added_by=actor.operator.email))
        await record(uow, actor, "company_access.create", access)
        await uow.commit()
    return access


async def withdraw_share(uow: UnitOfWork, actor: Actor, access_id: int) -> None:
    """Withdraw a share (the operator it was shared with may give it up themselves)."""
    async with uow:
        access = await must_get(uow, CompanyAccess, access_id, "Share")
        if access.owner:
            raise ValidationError("The company's creator keeps it; only shares can be "
                                  "withdrawn.")
        if access.operator_id != actor.operator.id:
            await _require_manager(uow, actor, access.company_id)
        await uow.delete(access)
        await record(uow, actor, "company_access.delete", before=access)
        await uow.commit()
