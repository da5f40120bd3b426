"""Reads of the Events tab and the Alarms screen ("Events" on each site), and the
filter a live event passes (the same rules as the store's WHERE clause, in Python)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from core.errors import NotFound
from core.rights import Area
from core.views.port import ReadModel
from core.views.rows import AlarmRow, EventDetail, EventFilter, FlatRef
from core.views.viewer import Viewer


def _event_sites(viewer: Viewer, flt: EventFilter) -> list[int]:
    if flt.site_id is not None:
        viewer.require(flt.site_id, Area.EVENTS)
        return [flt.site_id]
    return viewer.require_somewhere(Area.EVENTS)


async def event_page(reads: ReadModel, viewer: Viewer, flt: EventFilter,
                     before: tuple[datetime, int] | None = None,
                     limit: int = 100) -> list[dict[str, Any]]:
    """The newest events matching the filter on the viewer's sites, older than `before`."""
    return await reads.event_page(flt, _event_sites(viewer, flt), before, limit)


async def event_rows(reads: ReadModel, viewer: Viewer, flt: EventFilter,
                     before: tuple[str, int] | None, limit: int) -> list[tuple[Any, ...]]:
    """An export's page of events (tuples, the time as stored UTC text), with the same
    rights as `event_page`."""
    return await reads.event_rows(flt, _event_sites(viewer, flt), before, limit)


async def event_count(reads: ReadModel, viewer: Viewer, flt: EventFilter) -> int:
    """How many events match the filter on the viewer's sites (an export's progress)."""
    return await reads.event_count(flt, _event_sites(viewer, flt))


async def event_blocks(reads: ReadModel, viewer: Viewer, site_id: int) -> list[tuple[int, str]]:
    """The blocks the Events tab's Block filter offers: (id, name), with Events on the site."""
    viewer.require(site_id, Area.EVENTS)
    return [(b.id, b.name) for b in await reads.block_rows(site_id)]


async def event_flat(reads: ReadModel, viewer: Viewer, site_id: int, block_id: int,
                     typed: str) -> FlatRef | None:
    """The flat of a block with this Flat N° (exact: "7" finds "007", never "0071"), for
    the Events tab's Flat filter, with Events on the site."""
    viewer.require(site_id, Area.EVENTS)
    return await reads.flat_by_number(site_id, block_id, typed)


async def event_detail(reads: ReadModel, viewer: Viewer, event_id: int) -> EventDetail:
    """One event in full, if it happened on a site where the viewer consults Events."""
    detail = await reads.event_detail(event_id)
    site_id = detail.event.get("site_id") if detail is not None else None
    if detail is None or not isinstance(site_id, int) or not viewer.may(site_id, Area.EVENTS):
        raise NotFound(f"Event {event_id} does not exist.")
    return detail


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def event_matches(flt: EventFilter, event: dict[str, Any], device_types: dict[int, str]
                  ) -> bool:
    """Whether a live event (a dict as the gateway publishes it) passes the filter;
    `device_types` maps the site's device ids to their type."""
    if flt.site_id is not None and event.get("site_id") != flt.site_id:
        return False
    at = _when(event.get("at"))
    if at is None or at.tzinfo is None:
        return False
    if flt.since is not None and at < flt.since:
        return False
    if flt.until is not None and at >= flt.until:
        return False
    device_id = event.get("device_id")
    if flt.device_id is not None:
        if device_id != flt.device_id:
            return False
    elif flt.device_type is not None and (
            not isinstance(device_id, int) or device_types.get(device_id) != flt.device_type.value):
        return False
    if flt.block_id is not None and event.get("block_id") != flt.block_id:
        return False
    if flt.flat_id is not None and event.get("flat_id") != flt.flat_id:
        return False
    if flt.kind and event.get("kind") != flt.kind:
        return False
    if flt.result and event.get("result") != flt.result:
        return False
    if flt.search:
        term = flt.search.strip()
        digits = "".join(ch for ch in term if ch.isdigit() or ch == "+")
        credential = str(event.get("credential") or "")
        name = str(event.get("name") or "")
        if not (credential == term or term.casefold() in name.casefold()
                or (digits and credential == digits)):
            return False
    return True


def live_events(viewer: Viewer, flt: EventFilter, events: Iterable[dict[str, Any]],
                device_types: dict[int, str]) -> list[dict[str, Any]]:
    """The live events the viewer may see that pass the filter, in arrival order."""
    return [e for e in events
            if isinstance(e.get("site_id"), int) and viewer.may(e["site_id"], Area.EVENTS)
            and event_matches(flt, e, device_types)]


def live_alarms(viewer: Viewer, alarms: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The live alarms of sites where the viewer consults Events."""
    return [a for a in alarms
            if isinstance(a.get("site_id"), int) and viewer.may(a["site_id"], Area.EVENTS)]


def alarm_sites(viewer: Viewer) -> list[int]:
    """The sites whose alarms the viewer sees (Events on the site)."""
    return viewer.sites_with(Area.EVENTS)


async def open_alarm_count(reads: ReadModel, viewer: Viewer) -> int:
    """The viewer's open alarms, for the count at the top right."""
    sites = alarm_sites(viewer)
    return await reads.open_alarm_count(sites) if sites else 0


async def alarm_page(reads: ReadModel, viewer: Viewer, *, acknowledged: bool = False,
                     before: tuple[datetime, int] | None = None,
                     limit: int = 100) -> list[AlarmRow]:
    """The newest alarms of the viewer's sites."""
    sites = alarm_sites(viewer)
    if not sites:
        return []
    return await reads.alarm_page(sites, acknowledged=acknowledged, before=before,
                                  limit=limit)


async def alarm_signature(reads: ReadModel, viewer: Viewer) -> tuple[Any, ...]:
    """A fingerprint of the viewer's alarms that changes when one does."""
    sites = alarm_sites(viewer)
    return await reads.alarm_signature(sites) if sites else ()
