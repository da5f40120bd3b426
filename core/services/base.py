"""What every service shares: the acting operator, the rights check, the audit entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from core.audit import snapshot
from core.errors import NotFound, PermissionDenied, ValidationError
from core.model import AuditEntry, Block, Flat, Operator, Site, SiteGrant, Stored
from core.names import same_name
from core.ports import UnitOfWork
from core.rights import Action, Area, check, grant_is_current, right

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound=Stored)
D = TypeVar("D", bound="DataclassInstance")


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """Who is acting, from where, and what time it is for them."""

    operator: Operator
    source: str = "cli"
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()

    def today(self, site: Site | None = None) -> date:
        """Today in the site's own timezone (validity dates are local days)."""
        now = self.clock()
        if site is not None:
            now = now.astimezone(ZoneInfo(site.timezone))
        return now.date()


def changed(obj: D, changes: dict[str, object], editable: set[str]) -> D:
    """A copy of `obj` with `changes`, refusing fields that may not be changed here
    (an id, the site or flat an object belongs to)."""
    refused = set(changes) - editable
    if refused:
        raise ValidationError(f"These fields cannot be changed here: "
                              f"{', '.join(sorted(refused))}.", field=sorted(refused)[0])
    return replace(obj, **changes)


async def must_get(uow: UnitOfWork, cls: type[T], id: int | None, label: str) -> T:
    """The object, or NotFound naming what was looked for."""
    obj = await uow.get(cls, id) if id is not None else None
    if obj is None:
        raise NotFound(f"{label} {id} does not exist.")
    return obj


async def same_named(uow: UnitOfWork, cls: type[T], name: str, own_id: int | None,
                     **scope: object) -> T | None:
    """Another object of `scope` whose name reads the same as `name` (compared after
    normalisation, so rows stored in another form are found too), or None."""
    for other in await uow.find(cls, None, **scope):
        if other.id != own_id and same_name(getattr(other, "name", None), name):
            return other
    return None


async def authorize(uow: UnitOfWork, actor: Actor, site_id: int, area: Area,
                    action: Action) -> Site:
    """The site, once the actor's right on it is checked."""
    site = await must_get(uow, Site, site_id, "Site")
    operator = actor.operator
    grant = await uow.grant(operator.id, site_id) if operator.id is not None else None
    check(operator, grant, area, action, actor.today(site), site.name)
    return site


async def require_somewhere(uow: UnitOfWork, actor: Actor, area: Area, action: Action) -> None:
    """For objects not tied to one site (companies, operator accounts): the right on at
    least one site where the actor's grant is current."""
    wanted = right(area, action)
    if actor.operator.active and actor.operator.id is not None:
        for grant in await uow.find(SiteGrant, operator_id=actor.operator.id):
            site = await uow.get(Site, grant.site_id)
            if wanted in grant.rights and grant_is_current(grant, actor.today(site)):
                return
    verb = "consult" if action is Action.CONSULT else "change"
    raise PermissionDenied(f"{actor.operator.email} may not {verb} {area.label} on any site.")


def require_site_creator(actor: Actor) -> None:
    """Creating sites is the guide's separate "Create a site" profile."""
    if not actor.operator.active or not actor.operator.can_create_sites:
        raise PermissionDenied(f"{actor.operator.email} may not create or configure sites.")


async def flat_context(uow: UnitOfWork, flat_id: int) -> tuple[Flat, Block]:
    """A flat and its block (the block gives the site to check rights on)."""
    flat = await must_get(uow, Flat, flat_id, "Flat")
    block = await must_get(uow, Block, flat.block_id, "Block")
    return flat, block


async def record(uow: UnitOfWork, actor: Actor, action: str,
                 obj: Stored | Mapping[str, object] | None = None, *,
                 before: Stored | None = None, site_id: int | None = None,
                 entity_id: int | None = None) -> None:
    """Write the audit entry of a change: who, when, what, before and after."""
    target = obj if obj is not None else before
    await uow.audit(
        AuditEntry(
            at=actor.now(),
            actor=actor.operator.email,
            action=action,
            entity=action.split(".", 1)[0],
            entity_id=entity_id if entity_id is not None else getattr(target, "id", None),
            site_id=site_id,
            before=snapshot(before),
            after=snapshot(obj),
            source=actor.source,
        )
    )
