"""The guide's search result rows, and which right each searched field needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.rights import Area

#: every field the search looks in, and the area an operator must consult to search it
SEARCH_FIELDS: dict[str, Area] = {
    "flat_name": Area.FLATS,
    "flat_number": Area.FLATS,
    "residents": Area.RESIDENTS_DISPLAYS,
    "telephones": Area.RESIDENTS_DISPLAYS,
    "apasses": Area.APASS_MANAGEMENT,
}
#: the guide's "By" choices and the fields each looks in
BY_FIELDS: dict[str, tuple[str, ...]] = {
    "resident": ("residents",), "flat": ("flat_name", "flat_number"),
    "telephone": ("telephones",), "apass": ("apasses",), "any": tuple(SEARCH_FIELDS),
}


@dataclass(frozen=True)
class SearchHit:
    """One row of the guide's search result: Site, Block, Flat, Access Pass, Resident.
    A part the operator may not consult on that site is None."""

    site_id: int
    site: str
    block_id: int
    block: str
    flat_id: int
    flat: str
    flat_number: str
    access_passes: tuple[str, ...] | None = ()  # the matching ones, else the flat's
    lost_passes: tuple[str, ...] | None = ()  # those of access_passes in the lost record
    residents: tuple[str, ...] | None = ()  # the matching names, else the flat's
    telephones: tuple[str, ...] | None = ()  # matching numbers, E.164
    exact: bool = True  # every word matched whole (not only as a prefix)


class SearchResults(list[SearchHit]):
    """The hits shown, and whether more matched than were read ("50+ found")."""

    def __init__(self, hits: Iterable[SearchHit] = (), capped: bool = False) -> None:
        super().__init__(hits)
        self.capped = capped
