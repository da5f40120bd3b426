"""Reads of the Access Passes tab: "APass mgmnt & transfer" on the site."""

from __future__ import annotations

from core.model import APassState
from core.rights import Area
from core.views.port import ReadModel
from core.views.rows import PassChoices, PassRow
from core.views.viewer import Viewer


async def pass_page(reads: ReadModel, viewer: Viewer, site_id: int, state: APassState, *,
                    block_id: int | None = None, prefix: str = "", after: str | None = None,
                    limit: int = 100) -> list[PassRow]:
    """A page of the site's passes in one of the guide's three lists."""
    viewer.require(site_id, Area.APASS_MANAGEMENT)
    return await reads.pass_page(site_id, APassState(state), block_id=block_id,
                                 prefix=prefix, after=after, limit=limit)


async def pass_counts(reads: ReadModel, viewer: Viewer, site_id: int,
                      block_id: int | None = None) -> dict[APassState, int]:
    """How many passes the site has in each list."""
    viewer.require(site_id, Area.APASS_MANAGEMENT)
    return await reads.pass_counts(site_id, block_id)


async def pass_choices(reads: ReadModel, viewer: Viewer, site_id: int) -> PassChoices:
    """The blocks and access profiles the APass dialogs offer."""
    viewer.require(site_id, Area.APASS_MANAGEMENT)
    return await reads.pass_choices(site_id)
