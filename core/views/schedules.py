"""Reads of the set-up screens: a site's week types and holidays ("Week types /
Holidays"), its access profiles with what uses them and the doors they may open
("Access profiles")."""

from __future__ import annotations

from core.model import Holiday, WeekType
from core.rights import Area
from core.views.port import ReadModel
from core.views.setup_rows import DoorChoice, ProfileRow
from core.views.viewer import Viewer


async def week_types(reads: ReadModel, viewer: Viewer, site_id: int) -> list[WeekType]:
    """A site's week types with their slots, by name."""
    viewer.require(site_id, Area.WEEK_TYPES)
    return await reads.site_week_types(site_id)


async def holidays(reads: ReadModel, viewer: Viewer, site_id: int) -> list[Holiday]:
    """A site's holidays, by date."""
    viewer.require(site_id, Area.WEEK_TYPES)
    return await reads.site_holidays(site_id)


async def profile_rows(reads: ReadModel, viewer: Viewer, site_id: int) -> list[ProfileRow]:
    """A site's access profiles with their week type and what uses them."""
    viewer.require(site_id, Area.ACCESS_PROFILES)
    return await reads.profile_rows(site_id)


async def site_doors(reads: ReadModel, viewer: Viewer, site_id: int) -> list[DoorChoice]:
    """The doors a profile of the site can open (the profile form's choices)."""
    viewer.require(site_id, Area.ACCESS_PROFILES)
    return await reads.site_doors(site_id)
