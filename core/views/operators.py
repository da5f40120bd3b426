"""Reads of the Users screen: operators and their profile by site ("Users")."""

from __future__ import annotations

from core.rights import Action, Area
from core.views.port import ReadModel
from core.views.rows import OperatorRow
from core.views.viewer import Viewer


async def operator_rows(reads: ReadModel, viewer: Viewer) -> list[OperatorRow]:
    """Everyone for an operator who creates sites; else the operators holding a profile
    on a site where the viewer may consult Users (only those sites' lines), plus those
    with no site at all when the viewer may add users somewhere."""
    me = viewer.operator
    if me.active and me.can_create_sites:
        return await reads.operator_rows(None, with_ungranted=True)
    consult = viewer.require_somewhere(Area.USERS)
    return await reads.operator_rows(
        consult, with_ungranted=bool(viewer.sites_with(Area.USERS, Action.MODIFY)))
