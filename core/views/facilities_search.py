"""The cross-site search's second half: service providers and management companies
found by name, telephone, keypad code or APass, for an operator with the Facilities
right somewhere (the companies they may see, as in the Facilities screen)."""

from __future__ import annotations

from core.rights import Area
from core.views.facilities import visible_companies
from core.views.facilities_rows import FacilitiesHit
from core.views.port import ReadModel
from core.views.viewer import Viewer

#: the search's "By" choices and what each looks at in the facilities book
BY_FIELDS: dict[str, frozenset[str]] = {
    "any": frozenset({"name", "telephone", "code", "apass"}),
    "resident": frozenset({"name"}),
    "telephone": frozenset({"telephone"}),
    "apass": frozenset({"apass"}),
    "flat": frozenset(),
}


async def search_facilities(reads: ReadModel, viewer: Viewer, text: str, by: str = "any",
                            limit: int = 20) -> list[FacilitiesHit]:
    """Providers and companies matching typed text; none without the Facilities right."""
    fields = BY_FIELDS.get(by, frozenset())
    if not text.strip() or not fields or not viewer.sites_with(Area.FACILITIES):
        return []
    visible = await visible_companies(reads, viewer)
    return await reads.facilities_search(text.strip(), fields, visible, limit)
