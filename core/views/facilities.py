"""Reads of the Facilities screen (the guide's chapter 12), with the viewer's rights.

Every read needs the Facilities right (Consult) on at least one site. Companies and
providers are not tied to a site: a viewer sees the companies they manage (created,
or shared with them), and those holding a task on one of their Facilities sites; an
operator who creates sites sees every one. Tasks are seen on the viewer's Facilities
sites ("Users can see all the tasks with access to their sites"), their perimeter
counted on those sites only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from core.errors import NotFound
from core.model import Site, Task
from core.rights import Action, Area
from core.views.facilities_rows import (
    CompanyRow,
    ProviderFilter,
    ProviderRow,
    ShareRow,
    SitePerimeter,
    TaskFilter,
    TaskRow,
)
from core.views.port import ReadModel
from core.views.viewer import Viewer


def facilities_sites(viewer: Viewer, action: Action = Action.CONSULT) -> list[Site]:
    """The viewer's sites on which they hold Facilities (to consult, or to change)."""
    ids = set(viewer.sites_with(Area.FACILITIES, action))
    return [s for s in viewer.sites if s.id in ids]


async def visible_companies(reads: ReadModel, viewer: Viewer) -> set[int] | None:
    """The companies the viewer may see (None: every one)."""
    sites = viewer.require_somewhere(Area.FACILITIES)
    if viewer.operator.can_create_sites:
        return None
    return await reads.visible_companies(viewer.operator.id or 0, sites)


async def company_rows(reads: ReadModel, viewer: Viewer) -> list[CompanyRow]:
    """The management companies the viewer may see, marked where they manage them, their
    tasks counted on the viewer's Facilities sites (as the tasks list shows them)."""
    visible = await visible_companies(reads, viewer)
    managed = await reads.managed_companies(viewer.operator.id or 0)
    sites = None if visible is None else viewer.sites_with(Area.FACILITIES)
    rows = await reads.company_rows(visible, sites)
    return [replace(r, managed=r.id in managed or viewer.operator.can_create_sites)
            for r in rows]


async def provider_page(reads: ReadModel, viewer: Viewer, flt: ProviderFilter,
                        after: tuple[str, int] | None = None, limit: int = 100
                        ) -> list[ProviderRow]:
    """A page of the providers list, filtered as the guide's FILTER box does."""
    visible = await visible_companies(reads, viewer)
    if visible is not None and flt.company_id is not None:
        visible = visible & {flt.company_id}
    return await reads.provider_page(flt, visible, after, limit)


async def provider_row(reads: ReadModel, viewer: Viewer, provider_id: int) -> ProviderRow:
    """One provider the viewer may see (NotFound otherwise)."""
    visible = await visible_companies(reads, viewer)
    row = await reads.provider_row(provider_id)
    if row is None or (visible is not None and row.provider.company_id not in visible):
        raise NotFound(f"Service provider {provider_id} does not exist.")
    return row


async def task_page(reads: ReadModel, viewer: Viewer, flt: TaskFilter,
                    after: tuple[str, int] | None = None, limit: int = 100) -> list[TaskRow]:
    """A page of "Task(s) on my sites"."""
    sites: Collection[int] = viewer.require_somewhere(Area.FACILITIES)
    if flt.site_id is not None:
        sites = [s for s in sites if s == flt.site_id]
        if not sites:
            return []
    return await reads.task_page(flt, sites, after, limit)


async def task_detail(reads: ReadModel, viewer: Viewer, task_id: int) -> Task:
    """A task with access on one of the viewer's Facilities sites (NotFound otherwise)."""
    sites = set(viewer.require_somewhere(Area.FACILITIES))
    task = await reads.task(task_id)
    if task is None or not sites & set(task.site_ids):
        raise NotFound(f"Task {task_id} does not exist.")
    return task


async def company_shares(reads: ReadModel, viewer: Viewer, company_id: int
                         ) -> list[ShareRow]:
    """Who manages a company the viewer may see (the guide's Provider Access list)."""
    visible = await visible_companies(reads, viewer)
    if visible is not None and company_id not in visible:
        raise NotFound(f"Management company {company_id} does not exist.")
    return await reads.company_shares(company_id)


async def site_perimeter(reads: ReadModel, viewer: Viewer, site_id: int) -> SitePerimeter:
    """A site's devices and week types, on a site where the viewer holds Facilities."""
    viewer.require(site_id, Area.FACILITIES)
    return await reads.site_perimeter(site_id)
