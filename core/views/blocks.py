"""Reads of the Blocks tab and Flat management: blocks, a block's flats, one flat.

A flat's columns and tabs belong to different areas of the rights matrix: its
APasses to "APass mgmnt & transfer", its displays, call codes and telephones to
"Residents & Displays", its keypad codes to "Keypad code". What the operator may
not consult on the flat's site comes back as None.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.errors import NotFound
from core.model import AccessProfile, Block
from core.rights import Area
from core.views.port import ReadModel
from core.views.rows import BlockRow, FlatDetail, FlatRef, FlatRow, SiteHeader
from core.views.viewer import Viewer

#: the parts of a flat row or Flat management and the area each needs
FLAT_PARTS: dict[str, Area] = {
    "passes": Area.APASS_MANAGEMENT,
    "display": Area.RESIDENTS_DISPLAYS,
    "call_code": Area.RESIDENTS_DISPLAYS,
    "telephones": Area.RESIDENTS_DISPLAYS,
    "displays": Area.RESIDENTS_DISPLAYS,
    "keypad_code": Area.KEYPAD_CODE,
}
#: the counts of a block row and the area each needs
BLOCK_PARTS: dict[str, Area] = {"devices": Area.DEVICES, "passes": Area.APASS_MANAGEMENT}


def hidden(viewer: Viewer, site_id: int, parts: dict[str, Area]) -> set[str]:
    """The parts the viewer may not consult on the site."""
    return {name for name, area in parts.items() if not viewer.may(site_id, area)}


async def block_rows(reads: ReadModel, viewer: Viewer, site_id: int) -> list[BlockRow]:
    """The guide's Blocks table of a site."""
    viewer.require(site_id, Area.BLOCKS)
    rows = await reads.block_rows(site_id)
    # the parts masked are None (Any: mypy checks replace()'s keywords against every field)
    masked: dict[str, Any] = dict.fromkeys(hidden(viewer, site_id, BLOCK_PARTS))
    return [replace(r, **masked) for r in rows] if masked else rows


async def block(reads: ReadModel, viewer: Viewer, site_id: int, block_id: int) -> Block:
    """One block of the site, to modify it."""
    viewer.require(site_id, Area.BLOCKS)
    found = await reads.block(site_id, block_id)
    if found is None:
        raise NotFound(f"Block {block_id} does not exist.")
    return found


async def site_header(reads: ReadModel, viewer: Viewer, site_id: int) -> SiteHeader:
    """The site's quotas and usage: shown to anyone with a current grant on it."""
    if not viewer.holds(site_id):
        viewer.require(site_id, Area.BLOCKS)  # names what is missing
    return await reads.site_header(site_id)


async def flat_page(reads: ReadModel, viewer: Viewer, site_id: int, block_id: int,
                    after: str | None = None, limit: int = 100) -> list[FlatRow]:
    """A page of a block's flats in the guide's columns."""
    viewer.require(site_id, Area.FLATS)
    rows = await reads.flat_page(site_id, block_id, after, limit)
    gone = hidden(viewer, site_id, FLAT_PARTS) - {"displays"}
    if not gone:
        return rows
    blank: dict[str, Any] = dict.fromkeys(gone)  # Any: as in block_rows
    return [replace(r, **blank) for r in rows]


async def flat_detail(reads: ReadModel, viewer: Viewer, flat_id: int) -> FlatDetail:
    """Everything Flat management shows of one flat that the viewer may consult."""
    detail = await reads.flat_detail(flat_id)
    if detail is None or detail.site.id is None or not viewer.holds(detail.site.id):
        raise NotFound(f"Flat {flat_id} does not exist.")
    site_id = detail.site.id
    viewer.require(site_id, Area.FLATS)
    gone = hidden(viewer, site_id, FLAT_PARTS)
    flat = detail.flat
    if "keypad_code" in gone:
        flat = replace(flat, code_main_door=None, code_aux_relay_1=None, code_aux_relay_2=None)
    return replace(
        detail, flat=flat,
        telephones=None if "telephones" in gone else detail.telephones,
        displays=None if "displays" in gone else detail.displays,
        passes=None if "passes" in gone else detail.passes,
        profiles=detail.profiles if viewer.may(site_id, Area.ACCESS_PROFILES) else [],
        week_types=detail.week_types if viewer.may(site_id, Area.WEEK_TYPES) else [])


async def flat_place(reads: ReadModel, viewer: Viewer, flat_id: int) -> tuple[int, int]:
    """The (site, block) of a flat the viewer may consult."""
    place = await reads.flat_place(flat_id)
    if place is None or not viewer.holds(place[0]):
        raise NotFound(f"Flat {flat_id} no longer exists.")
    viewer.require(place[0], Area.FLATS)
    return place


async def next_flat_number(reads: ReadModel, viewer: Viewer, site_id: int,
                           block_id: int) -> int:
    """The Flat N° the "Add flats" form proposes."""
    viewer.require(site_id, Area.FLATS)
    return await reads.next_flat_number(site_id, block_id)


async def flat_by_number(reads: ReadModel, viewer: Viewer, site_id: int, block_id: int,
                         typed: str) -> FlatRef | None:
    """The flat of a block with this Flat N°, for the APass dialogs."""
    viewer.require(site_id, Area.FLATS)
    return await reads.flat_by_number(site_id, block_id, typed)


async def site_profiles(reads: ReadModel, viewer: Viewer, site_id: int
                        ) -> list[AccessProfile]:
    """A site's access profiles (a block's default profile, a display's)."""
    viewer.require(site_id, Area.ACCESS_PROFILES)
    return await reads.site_profiles(site_id)
