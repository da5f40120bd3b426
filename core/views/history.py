"""A flat's history, for Flat management's History tab: the events that name the flat
(its APasses, keypad codes, calls and telephones at the doors) and the audit entries
about the flat, its telephones, panel displays and APasses, newest first, merged into
one list read a keyset page at a time.

What the operator may not consult on the flat's site is left out: the events without
Events, the entries about telephones and displays without "Residents & Displays",
about APasses without "APass mgmnt & transfer", and the keypad codes inside a flat's
before/after without "Keypad code".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.errors import NotFound
from core.model import AuditEntry
from core.rights import Area
from core.views.port import ReadModel
from core.views.rows import EventFilter
from core.views.viewer import Viewer

#: the audit entities about a flat's residents and passes, and the area each needs
PEOPLE_ENTITIES: dict[str, Area] = {"telephone": Area.RESIDENTS_DISPLAYS,
                                    "panel_display": Area.RESIDENTS_DISPLAYS,
                                    "access_pass": Area.APASS_MANAGEMENT}
CODE_FIELDS = ("code_main_door", "code_aux_relay_1", "code_aux_relay_2")
#: the order of the two sources at the same instant (an event after a change)
CHANGE, EVENT = 0, 1
#: an id above any stored one, for a keyset bound that takes every row of an instant
ANY_ID = 2**62

Key = tuple[datetime, int, int]  # (at, source, id): newest first


@dataclass(frozen=True)
class HistoryRow:
    """One line of a flat's history: a device event, or a change from the audit trail."""

    at: datetime
    event: dict[str, Any] | None = None
    change: AuditEntry | None = None

    @property
    def key(self) -> Key:
        if self.event is not None:
            return (self.at, EVENT, int(self.event["id"]))
        assert self.change is not None and self.change.id is not None
        return (self.at, CHANGE, self.change.id)


def _bound(before: Key | None, source: int) -> tuple[datetime, int] | None:
    """One source's (at, id) keyset bound for the merged list's `before`."""
    if before is None:
        return None
    at, source_before, id_before = before
    if source < source_before:
        return (at, ANY_ID)  # this source's rows of that instant come after
    if source > source_before:
        return (at, 0)  # they came before: none of that instant is left
    return (at, id_before)


def _without_codes(entry: AuditEntry) -> AuditEntry:
    def strip(image: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if image is None else {k: v for k, v in image.items()
                                           if k not in CODE_FIELDS}
    return replace(entry, before=strip(entry.before), after=strip(entry.after))


async def flat_history(reads: ReadModel, viewer: Viewer, flat_id: int,
                       before: Key | None = None, limit: int = 50) -> list[HistoryRow]:
    """The newest `limit` lines of a flat's history older than `before`."""
    place = await reads.flat_place(flat_id)
    if place is None or not viewer.holds(place[0]):
        raise NotFound(f"Flat {flat_id} does not exist.")
    site_id = place[0]
    viewer.require(site_id, Area.FLATS)
    rows: list[HistoryRow] = []
    if viewer.may(site_id, Area.EVENTS):
        flt = EventFilter(site_id=site_id, flat_id=flat_id)
        for event in await reads.event_page(flt, [site_id], _bound(before, EVENT), limit):
            rows.append(HistoryRow(event["at"], event=event))
    entities = [e for e, area in PEOPLE_ENTITIES.items() if viewer.may(site_id, area)]
    codes = viewer.may(site_id, Area.KEYPAD_CODE)
    for entry in await reads.flat_audit_page(site_id, flat_id, entities,
                                             _bound(before, CHANGE), limit):
        if not codes and entry.entity == "flat":
            entry = _without_codes(entry)
        rows.append(HistoryRow(entry.at, change=entry))
    rows.sort(key=lambda r: r.key, reverse=True)
    return rows[:limit]
