"""What one console session works with: the store, the acting operator, the sites
they may see with their rights on each, and the live feed. No Textual here, so the
same context serves a local console and each SSH session (issue 5)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from core.errors import DoorkeeperError, StoreError
from core.model import Operator, Site
from core.rights import Action, Area
from core.services.base import Actor
from core.views.port import ReadModel
from core.views.viewer import Viewer, load_viewer
from store.database import Store
from store.faults import store_fault
from store.reads import StoreReads

if TYPE_CHECKING:
    from console.live import LiveBuffer

T = TypeVar("T")
log = logging.getLogger(__name__)

#: what each of the store's faults (store.faults.store_fault) means, for people
FAULT_WORDS = {
    "locked too long": "The store is busy with another desk's changes",
    "disk full": "The disk that holds the store is full",
    "database damaged": "The store's file is damaged",
    "read-only": "The store is read-only",
    "disk I/O error": "The store's file cannot be reached",
    "cannot open": "The store's file cannot be reached",
}
#: the store errors a console meets and survives (anything else is a bug, raised as is)
STORE_ERRORS = (SQLAlchemyError, sqlite3.Error, OSError)


def store_trouble(err: BaseException, saving: bool) -> StoreError:
    """A database error met by a read or a change, as a StoreError people can act on:
    what is wrong (the store's own sorting into faults), and that nothing was saved
    (the unit of work rolled back)."""
    what = FAULT_WORDS.get(store_fault(err) or "")
    if what is None:  # the data refused, or a fault with no words of its own
        orig = getattr(err, "orig", None) or err
        first = str(orig).splitlines()[0][:120] if str(orig) else type(orig).__name__
        what = f"The store refused: {first}"
    then = ("nothing was saved; try again in a moment"
            if saving else "this could not be read; try again in a moment")
    return StoreError(f"{what}: {then}.")


@contextmanager
def _store_errors(saving: bool) -> Iterator[None]:
    try:
        yield
    except DoorkeeperError:
        raise
    except STORE_ERRORS as err:
        log.warning("store: %s", err, exc_info=True)
        raise store_trouble(err, saving) from err


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
    #: reads and changes under way (what a test waits for before it looks at the screen)
    in_flight: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.reads = StoreReads(self.store)

    @contextmanager
    def _busy(self, saving: bool) -> Iterator[None]:
        self.in_flight += 1
        try:
            with _store_errors(saving):
                yield
        finally:
            self.in_flight -= 1

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
        with self._busy(saving=True):
            result = await service(self.store.uow(), self.actor, *args, **kwargs)
        await self.commander.notify({"type": "change"})
        return result

    async def consult(self, service: Callable[..., Awaitable[T]], *args: Any,
                      **kwargs: Any) -> T:
        """Run a service that only reads (its own rights check: an import's plan, the SMS recipients) as this operator, in a
        read-only unit of work: no write lock, nothing for the gateway to follow."""
        with self._busy(saving=False):
            return await service(self.store.reader(), self.actor, *args, **kwargs)

    async def view(self, read: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run one of core's read services (core.views.*) as this operator; a store that
        cannot answer gives a StoreError (as every store error of `change` does)."""
        with self._busy(saving=False):
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
        with self._busy(saving=False):
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
