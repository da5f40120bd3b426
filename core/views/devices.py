"""Reads of the Displays and Devices tabs: the names on a site's panels ("Residents
& Displays") and its devices ("Devices")."""

from __future__ import annotations

from core.rights import Area
from core.views.port import ReadModel
from core.views.rows import DeviceChoice, DeviceRow, DisplayRow, PanelRow
from core.views.viewer import Viewer


async def display_page(reads: ReadModel, viewer: Viewer, site_id: int, *,
                       block_id: int | None = None,
                       after: tuple[str, str, int] | None = None,
                       limit: int = 100) -> list[DisplayRow]:
    """A page of the names programmed on the site's panels, with their call chains."""
    viewer.require(site_id, Area.RESIDENTS_DISPLAYS)
    return await reads.display_page(site_id, block_id=block_id, after=after, limit=limit)


async def site_panels(reads: ReadModel, viewer: Viewer, site_id: int) -> list[PanelRow]:
    """The panels whose names the Displays tab can list."""
    viewer.require(site_id, Area.RESIDENTS_DISPLAYS)
    return await reads.site_panels(site_id)


async def device_rows(reads: ReadModel, viewer: Viewer, site_id: int,
                      block_id: int | None = None) -> list[DeviceRow]:
    """The site's devices (of one block when given)."""
    viewer.require(site_id, Area.DEVICES)
    return await reads.device_rows(site_id, block_id)


async def site_devices(reads: ReadModel, viewer: Viewer, site_id: int) -> list[DeviceChoice]:
    """The devices the event filters offer: with Events or Devices on the site."""
    if not viewer.may(site_id, Area.DEVICES):
        viewer.require(site_id, Area.EVENTS)
    return await reads.site_devices(site_id)
