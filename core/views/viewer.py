"""Who is reading: an operator, the sites on which they hold a grant, and the one
check every read service makes (the rights matrix, the grant's validity dates in
the site's own time zone, the operator still active)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.errors import NotFound, PermissionDenied
from core.model import Operator, Site, SiteGrant
from core.ports import UnitOfWork
from core.rights import Action, Area, grant_is_current, right
from core.services.base import Actor, utc_now
from core.services.logins import find_operator


@dataclass
class Viewer:
    """The acting operator and their grants, by site."""

    actor: Actor
    sites: list[Site]
    grants: dict[int, SiteGrant] = field(default_factory=dict)

    @property
    def operator(self) -> Operator:
        return self.actor.operator

    @property
    def rights(self) -> Mapping[int, frozenset[str]]:
        """The rights held on each site (whatever the dates: see `may`)."""
        return {site_id: g.rights for site_id, g in self.grants.items()}

    def fingerprint(self) -> tuple[tuple[int, frozenset[str]], ...]:
        """What decides what this viewer reads today: two viewers with the same
        fingerprint read the same rows (a process shares such reads between sessions)."""
        return tuple(sorted((site_id, g.rights) for site_id, g in self.grants.items()
                            if self.holds(site_id)))

    def site(self, site_id: int) -> Site:
        """One of the operator's sites."""
        for site in self.sites:
            if site.id == site_id:
                return site
        raise NotFound(f"Site {site_id} is not one of yours.")

    def may(self, site_id: int | None, area: Area, action: Action = Action.CONSULT) -> bool:
        """Whether the operator holds this right on the site today (None: on any site)."""
        if site_id is None:
            return any(self.may(s.id, area, action) for s in self.sites if s.id is not None)
        grant = self.grants.get(site_id)
        return grant is not None and right(area, action) in grant.rights and self.holds(site_id)

    def holds(self, site_id: int) -> bool:
        """Whether the operator has a grant on the site that is current today."""
        grant = self.grants.get(site_id)
        site = next((s for s in self.sites if s.id == site_id), None)
        return (grant is not None and site is not None and self.operator.active
                and grant_is_current(grant, self.actor.today(site)))

    def require(self, site_id: int, area: Area, action: Action = Action.CONSULT) -> Site:
        """The site, or PermissionDenied naming what is missing."""
        if not self.may(site_id, area, action):
            verb = "consult" if action is Action.CONSULT else "change"
            name = next((s.name for s in self.sites if s.id == site_id), "this site")
            raise PermissionDenied(
                f"{self.operator.email} may not {verb} {area.label} on {name}.")
        return self.site(site_id)

    def require_somewhere(self, area: Area, action: Action = Action.CONSULT) -> list[int]:
        """The sites with this right, or PermissionDenied when there is none."""
        sites = self.sites_with(area, action)
        if not sites:
            verb = "consult" if action is Action.CONSULT else "change"
            raise PermissionDenied(
                f"{self.operator.email} may not {verb} {area.label} on any site.")
        return sites

    def sites_with(self, area: Area, action: Action = Action.CONSULT) -> list[int]:
        """The ids of the sites on which the operator holds this right today."""
        return [s.id for s in self.sites if s.id is not None and self.may(s.id, area, action)]


async def load_viewer(uow: UnitOfWork, who: str, source: str = "console",
                      clock: Callable[[], datetime] | None = None) -> Viewer:
    """The viewer for the operator with this email or login, with every site on which
    their grant is current today. PermissionDenied if they may not log in."""
    operator = await find_operator(uow, who)
    if operator is None:
        raise NotFound(f"No operator is called {who!r}.")
    actor = Actor(operator, source=source, clock=clock or utc_now)
    sites: list[Site] = []
    grants: dict[int, SiteGrant] = {}
    for grant in await uow.find(SiteGrant, operator_id=operator.id):
        site = await uow.get(Site, grant.site_id)
        if site is not None and site.id is not None and grant_is_current(
                grant, actor.today(site)):
            sites.append(site)
            grants[site.id] = grant
    if not operator.active:
        raise PermissionDenied(f"{operator.email} is not active.")
    if not sites and not operator.can_create_sites:
        raise PermissionDenied(f"{operator.email} has no site to look after today.")
    sites.sort(key=lambda s: s.name.casefold())
    return Viewer(actor, sites, grants)

