"""What the Facilities read services need from the store (part of core's ReadModel)."""

from __future__ import annotations

import abc
from collections.abc import Collection

from core.model import Task
from core.views.facilities_rows import (
    CompanyRow,
    FacilitiesHit,
    ProviderFilter,
    ProviderRow,
    ShareRow,
    SitePerimeter,
    TaskFilter,
    TaskRow,
)


class FacilitiesReadModel(abc.ABC):
    """The store's facilities queries: plain, no rights (core.views.facilities checks)."""

    @abc.abstractmethod
    async def visible_companies(self, operator_id: int, site_ids: Collection[int]
                                ) -> set[int]:
        """Companies the operator manages, or that hold a task on one of these sites."""

    @abc.abstractmethod
    async def company_rows(self, company_ids: Collection[int] | None,
                           site_ids: Collection[int] | None) -> list[CompanyRow]:
        """These companies (None: every one), by name, with their counts (their tasks
        with access to one of `site_ids`; None: all their tasks)."""

    @abc.abstractmethod
    async def managed_companies(self, operator_id: int) -> set[int]:
        """The companies the operator manages."""

    @abc.abstractmethod
    async def provider_page(self, flt: ProviderFilter, company_ids: Collection[int] | None,
                            after: tuple[str, int] | None, limit: int) -> list[ProviderRow]:
        """Up to `limit` providers of these companies matching the filter, by name."""

    @abc.abstractmethod
    async def provider_row(self, provider_id: int) -> ProviderRow | None:
        """One provider and their company's name."""

    @abc.abstractmethod
    async def task_page(self, flt: TaskFilter, site_ids: Collection[int],
                        after: tuple[str, int] | None, limit: int) -> list[TaskRow]:
        """Up to `limit` tasks with access on one of these sites, by name, their
        perimeter counted on these sites only."""

    @abc.abstractmethod
    async def task(self, task_id: int) -> Task | None:
        """One task with its sites, week types and doors."""

    @abc.abstractmethod
    async def company_shares(self, company_id: int) -> list[ShareRow]:
        """The operators who manage a company, its creator first."""

    @abc.abstractmethod
    async def site_perimeter(self, site_id: int) -> SitePerimeter:
        """A site's devices (with doors) and week types."""

    @abc.abstractmethod
    async def facilities_search(self, text: str, fields: frozenset[str],
                                company_ids: Collection[int] | None, limit: int
                                ) -> list[FacilitiesHit]:
        """Providers and companies of these companies (None: all) matching typed text in
        `fields` ("name", "telephone", "code", "apass"), companies first."""
