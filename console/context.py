"""What one console session works with: the store, the acting operator, the sites
they may see with their rights on each, and the live feed. No Textual here, so the
same context serves a local console and each SSH session (issue 5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import DoorkeeperError
from core.model import Operator, Site
from core.rights import Action, Area
from core.services.base import Actor
from core.views.port import ReadModel
from core.views.viewer import Viewer, load_viewer
from store.database import Store
from store.reads import StoreReads

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
    """One operator's view of the estate: reads go through core's read services as
    this viewer, changes through core's services as this actor."""

    store: Store
    viewer: Viewer
    commander: Commander = field(default_factory=Commander)
    live: LiveBuffer | None = None  # None when no gateway is attached
    reads: ReadModel = field(init=False)

    def __post_init__(self) -> None:
        self.reads = StoreReads(self.store)

    @property
    def actor(self) -> Actor:
        return self.viewer.actor

    @property
    def operator(self) -> Operator:
        return self.viewer.operator

    @property
    def sites(self) -> list[Site]:
        return self.viewer.sites

    @property
    def rights(self) -> Mapping[int, frozenset[str]]:
        return self.viewer.rights

    def can(self, site_id: int | None, area: Area, action: Action = Action.CONSULT) -> bool:
        """Whether the operator holds this right on the site (None: on any): the UI hides
        what they lack; the read and change services refuse it anyway."""
        return self.viewer.may(site_id, area, action)

    def site(self, site_id: int) -> Site:
        return self.viewer.site(site_id)

    async def change(self, service: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run a service as this operator (one unit of work, audited), then tell the
        gateway so its snapshot and the other consoles follow."""
        result = await service(self.store.uow(), self.actor, *args, **kwargs)
        await self.commander.notify({"type": "change"})
        return result

    async def view(self, read: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run one of core's read services (core.views.*) as this operator."""
        return await read(self.reads, self.viewer, *args, **kwargs)

    async def view_shared(self, read: Callable[..., Awaitable[T]], *args: Any,
                          later: float = 0.0) -> T:
        """A read shared with this process's other sessions that see the same (the alarm
        count, the tree's blocks, the site header): keyed by the viewer's rights."""
        if self.live is None:
            return await self.view(read, *args)
        key = (read.__module__, read.__name__, args, self.viewer.fingerprint())
        return await self.live.shared_read(key, lambda: self.view(read, *args), later)

    async def refresh_rights(self) -> None:
        """Reload the operator's sites and grants (after a change of their grant)."""
        async with self.store.reader() as uow:
            self.viewer = await load_viewer(uow, self.operator.email, self.actor.source,
                                            self.actor.clock)


async def load_context(store: Store, who: str, source: str = "console",
                       clock: Callable[[], datetime] | None = None) -> ConsoleContext:
    """The context of the operator with this email or login, with every site on which
    their grant is current today. PermissionDenied if they may not log in."""
    async with store.reader() as uow:
        viewer = await load_viewer(uow, who, source, clock)
    return ConsoleContext(store, viewer)


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
