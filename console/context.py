"""What one console session works with: the store, the acting operator, the sites
they may see with their rights on each, and the live feed. No Textual here, so the
same context serves a local console and each SSH session (issue 5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import DoorkeeperError, NotFound, PermissionDenied
from core.model import Operator, Site, SiteGrant, id_of
from core.ports import UnitOfWork
from core.rights import Action, Area, grant_is_current, right
from core.services.base import Actor
from store.database import Store

if TYPE_CHECKING:
    from console.live import LiveBuffer

T = TypeVar("T")


class Commander:
    """Sends commands to the gateway (open a door). Overridden in tests."""

    async def request(self, msg: dict) -> dict:  # pragma: no cover - the interface
        raise DoorkeeperError("No gateway is connected: commands cannot be sent.")

    async def notify(self, msg: dict) -> None:
        """A notice that needs no reply (a change was made)."""


@dataclass
class ConsoleContext:
    """One operator's view of the estate, and the way their changes go through."""

    store: Store
    actor: Actor
    sites: list[Site]
    rights: dict[int, frozenset[str]]
    commander: Commander = field(default_factory=Commander)
    live: LiveBuffer | None = None  # None when no gateway is attached

    @property
    def operator(self) -> Operator:
        return self.actor.operator

    def can(self, site_id: int | None, area: Area, action: Action = Action.CONSULT) -> bool:
        """Whether the operator holds this right on the site (the UI hides what they lack;
        the services refuse anyway)."""
        if site_id is None:
            return any(right(area, action) in r for r in self.rights.values())
        return right(area, action) in self.rights.get(site_id, frozenset())

    def site(self, site_id: int) -> Site:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise NotFound(f"Site {site_id} is not one of yours.")

    async def change(self, service: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run a service as this operator (one unit of work, audited), then tell the
        gateway so its snapshot and the other consoles follow."""
        result = await service(self.store.uow(), self.actor, *args, **kwargs)
        await self.commander.notify({"type": "change"})
        return result

    async def read(self, query: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run a read model against the store."""
        return await query(self.store, *args, **kwargs)

    async def refresh_rights(self) -> None:
        """Reload the operator's sites and grants (after a change of their grant)."""
        fresh = await load_context(self.store, self.operator.email, self.actor.source,
                                   self.actor.clock)
        self.sites, self.rights = fresh.sites, fresh.rights


async def load_context(store: Store, who: str, source: str = "console",
                       clock: Callable | None = None) -> ConsoleContext:
    """The context of the operator with this email or login, with every site on which
    their grant is current today. PermissionDenied if they may not log in."""
    async with store.reader() as uow:
        operator = await _operator(uow, who)
        actor = Actor(operator, source=source) if clock is None else Actor(
            operator, source=source, clock=clock)
        sites: list[Site] = []
        rights: dict[int, frozenset[str]] = {}
        for grant in await uow.find(SiteGrant, operator_id=operator.id):
            site = await uow.get(Site, grant.site_id)
            if site is not None and grant_is_current(grant, actor.today(site)):
                sites.append(site)
                rights[id_of(site)] = grant.rights
    if not operator.active:
        raise PermissionDenied(f"{operator.email} is not active.")
    if not sites and not operator.can_create_sites:
        raise PermissionDenied(f"{operator.email} has no site to look after today.")
    sites.sort(key=lambda s: s.name.casefold())
    return ConsoleContext(store, actor, sites, rights)


async def _operator(uow: UnitOfWork, who: str) -> Operator:
    who = who.strip()
    found = await uow.find(Operator, email=who.lower()) or await uow.find(Operator, login=who)
    if not found:
        raise NotFound(f"No operator is called {who!r}.")
    return found[0]


async def default_operator(store: Store) -> str:
    """The operator a local console opens as when none is named: the first one who may
    create sites (the administrator `doorkeeper init` made)."""
    async with store.reader() as uow:
        ops = sorted(await uow.find(Operator), key=lambda o: o.id or 0)
    for op in ops:
        if op.active and op.can_create_sites:
            return op.email
    if ops:
        return ops[0].email
    raise DoorkeeperError("The store has no operator yet: run `doorkeeper init --admin EMAIL`.")
