"""What core needs from the store, as abstract classes the store implements.

A service opens one UnitOfWork, reads and changes objects through it, records
an audit entry, and commits; leaving the block without commit rolls back, so
a refused change leaves the store as it was.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from typing import Self, TypeVar

from core.model import AuditEntry, Event, PanelDisplay, SiteGrant, Stored, Telephone

T = TypeVar("T", bound=Stored)


class UnitOfWork(abc.ABC):
    """One transaction against the store.

    Generic methods take the domain class (`Flat`, `AccessPass` ...); objects
    come back as those dataclasses with their ids set.
    """

    async def __aenter__(self) -> Self:
        await self.begin()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def begin(self) -> None:
        """Start the transaction, taking the write lock at once."""

    @abc.abstractmethod
    async def commit(self) -> None:
        """Make every change of this unit durable."""

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Forget every change not yet committed (a no-op after commit)."""

    # --- generic access ---------------------------------------------------------
    @abc.abstractmethod
    async def get(self, cls: type[T], id: int) -> T | None:
        """The object of that class and id, or None."""

    @abc.abstractmethod
    async def find(self, cls: type[T], order_by: str | None = None, **where: object) -> list[T]:
        """Objects whose fields equal the given values."""

    @abc.abstractmethod
    async def find_in(self, cls: type[T], column: str, values: Iterable[object]) -> list[T]:
        """Objects whose `column` is one of `values` (one query, however many)."""

    @abc.abstractmethod
    async def count(self, cls: type[Stored], **where: object) -> int:
        """How many objects match."""

    @abc.abstractmethod
    async def add(self, obj: T) -> T:
        """Insert; sets and returns the object with its id."""

    @abc.abstractmethod
    async def add_all(self, objs: Sequence[T]) -> None:
        """Insert many objects of one class; sets their ids."""

    @abc.abstractmethod
    async def update(self, obj: Stored) -> None:
        """Write every field of an object that has an id."""

    @abc.abstractmethod
    async def update_all(self, objs: Sequence[Stored]) -> None:
        """Write many objects of one class at once."""

    @abc.abstractmethod
    async def delete(self, obj: Stored) -> None:
        """Remove the object (and what it owns: call steps, windows ...)."""

    # --- queries for the rules ---------------------------------------------------
    @abc.abstractmethod
    async def site_usage(self, site_id: int) -> dict[str, int]:
        """Quota usage: keys panels, flats, foreign_numbers, panel_names."""

    @abc.abstractmethod
    async def site_telephones(self, site_id: int) -> list[Telephone]:
        """Every telephone and email of a site's flats."""

    @abc.abstractmethod
    async def taken_credentials(self, numbers: Iterable[str]) -> set[str]:
        """Which of these numbers already belong to an APass or a service provider."""

    @abc.abstractmethod
    async def displays_calling(self, telephone_id: int) -> list[PanelDisplay]:
        """Panel displays whose call chain includes this telephone."""

    @abc.abstractmethod
    async def code_holders(self, code: str, *, site_id: int | None = None,
                           exclude_flat: int | None = None,
                           exclude_provider: int | None = None) -> list[str]:
        """Names of the flats (of a site, or any) and providers whose keypad codes
        include `code`: one code opens for one holder."""

    @abc.abstractmethod
    async def code_holders_in(self, codes: Iterable[str], *, site_id: int
                              ) -> dict[str, list[tuple[int | None, str]]]:
        """For each of these codes that opens for someone already: (flat id, or None for
        a service provider, and the holder's name), as `code_holders` names them."""

    @abc.abstractmethod
    async def display_by_call_code(self, block_id: int, call_code: str
                                   ) -> PanelDisplay | None:
        """The panel display of a block with that call code, if any."""

    @abc.abstractmethod
    async def grant(self, operator_id: int, site_id: int) -> SiteGrant | None:
        """An operator's grant on a site, if any."""

    @abc.abstractmethod
    async def audit(self, entry: AuditEntry) -> AuditEntry:
        """Append an entry to the hash-chained audit trail in this transaction."""


class EventSink(abc.ABC):
    """Where device events go: appended without waiting for the disk."""

    @abc.abstractmethod
    def append(self, event: Event) -> None:
        """Queue one event; never blocks."""

    @abc.abstractmethod
    async def flush(self) -> None:
        """Wait until everything appended so far is durable."""

