"""The guide's search ("In", "By", "Keyword") over the sites the viewer may search.

A hit is a flat, so a site is searched only with "Flats" on it; each field of the
index is searched only on sites where the viewer consults its area (a concierge
without APass rights cannot find a flat by a pass number), and each hit shows only
the parts the viewer may consult there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from core.errors import ValidationError
from core.rights import Area
from core.views.port import ReadModel
from core.views.search_rows import BY_FIELDS, SEARCH_FIELDS, SearchHit, SearchResults
from core.views.viewer import Viewer


def searchable(viewer: Viewer, site_id: int, by: str) -> frozenset[str]:
    """The fields of `by` the viewer may search on the site (empty: none)."""
    if not viewer.may(site_id, Area.FLATS):
        return frozenset()
    return frozenset(f for f in BY_FIELDS[by] if viewer.may(site_id, SEARCH_FIELDS[f]))


def _masked(viewer: Viewer, hit: SearchHit) -> SearchHit:
    site = hit.site_id
    changes: dict[str, Any] = {}  # masked parts: None (Any: replace() checks every field)
    if not viewer.may(site, Area.APASS_MANAGEMENT):
        changes.update(access_passes=None, lost_passes=None)
    if not viewer.may(site, Area.RESIDENTS_DISPLAYS):
        changes.update(residents=None, telephones=None)
    return replace(hit, **changes) if changes else hit


async def search(reads: ReadModel, viewer: Viewer, text: str, by: str,
                 site_ids: Iterable[int] | None = None, limit: int = 50) -> SearchResults:
    """Flats matching typed text on these sites (None: all the viewer's sites), exact
    matches first; one store search per distinct set of searchable fields."""
    if by not in BY_FIELDS:
        raise ValidationError(f"Search by {by!r}? Choose one of {', '.join(BY_FIELDS)}.",
                              field="by")
    wanted = viewer.sites_with(Area.FLATS) if site_ids is None else list(site_ids)
    groups: dict[frozenset[str], list[int]] = {}
    for site_id in wanted:
        fields = searchable(viewer, site_id, by)
        if fields:
            groups.setdefault(fields, []).append(site_id)
    if not groups:
        return SearchResults()
    if len(groups) == 1:
        [(fields, sites)] = groups.items()
        found = await reads.search(text, by, sites, limit, fields)
        return SearchResults([_masked(viewer, h) for h in found], found.capped)
    hits: list[SearchHit] = []
    capped = False
    for fields, sites in groups.items():
        found = await reads.search(text, by, sites, limit, fields)
        hits += found
        capped = capped or found.capped
    hits.sort(key=lambda h: (not h.exact, h.site.casefold(), h.block.casefold(),
                             h.flat_number))
    return SearchResults([_masked(viewer, h) for h in hits[:limit]],
                         capped or len(hits) > limit)
