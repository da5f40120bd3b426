"""The live overview for alarm monitoring: for each site where the operator consults
Events, its open alarms by kind, its devices offline (those whose "Device offline"
alarm is not cleared yet), its events per hour over the last 24 hours, and the last
door events of those sites.

The whole picture is one read (`overview`); afterwards the console adds the live
events it is given to the hours and the door activity itself (`add_live`, no store
query per event) and reads only the alarm counts again when alarm news comes
(`alarm_counts`, one aggregate query).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.model import EventKind
from core.rights import Area
from core.views.port import ReadModel
from core.views.rows import AlarmCounts
from core.views.viewer import Viewer

#: hours the chart covers: the current hour and the 23 before it
HOURS = 24
#: door events kept for "door activity now"
DOOR_EVENTS = 20
#: the events that are a door's activity: someone asked it to open, or it was forced
#: or held open
DOOR_KINDS = frozenset({
    EventKind.CALL_TO_RESIDENT, EventKind.ACCESS_BY_CODE, EventKind.OPEN_BY_PROXIMITY_FOB,
    EventKind.OPEN_BY_RADIO_TRANSMITTER, EventKind.ACCESS_BY_MOBILE,
    EventKind.OPEN_BY_TELEPHONE, EventKind.REMOTE_OPENING, EventKind.DOOR_FORCED,
    EventKind.DOOR_HELD_OPEN})


@dataclass
class SiteOverview:
    """One site's row of the overview."""

    site_id: int
    name: str
    timezone: str
    alarms: dict[str, int]  # open alarms by kind
    offline: int  # devices offline
    hourly: list[int]  # events per hour, oldest first; the last is the current hour

    @property
    def open_alarms(self) -> int:
        return sum(self.alarms.values())


@dataclass
class Overview:
    """Every site's row, the door activity of those sites (newest first), and the
    start of the chart's first hour (UTC)."""

    sites: list[SiteOverview]
    doors: list[dict[str, Any]]
    first_hour: datetime

    def add_live(self, events: Iterable[dict[str, Any]]) -> bool:
        """Count live events (already checked against the viewer's rights, oldest
        first) into the hours, moving the chart on when a new hour began, and put door
        events on top of the door activity. Whether anything shown changed."""
        rows = {s.site_id: s for s in self.sites}
        changed = False
        for event in events:
            row = rows.get(event.get("site_id"))  # type: ignore[arg-type]
            at = _when(event.get("at"))
            if row is None or at is None:
                continue
            hour = int((at - self.first_hour).total_seconds() // 3600)
            if hour >= HOURS:
                self.move_on(hour_start(at))
                hour = HOURS - 1
            if hour >= 0:
                row.hourly[hour] += 1
                changed = True
            if event.get("kind") in DOOR_KINDS:
                self.doors.insert(0, {**event, "at": at})
                del self.doors[DOOR_EVENTS:]
                changed = True
        return changed

    def move_on(self, current_hour: datetime) -> None:
        """A new hour began: the chart's hours move left, the new ones start at 0."""
        first = current_hour - timedelta(hours=HOURS - 1)
        shift = int((first - self.first_hour).total_seconds() // 3600)
        if shift <= 0:
            return
        for row in self.sites:
            row.hourly = (row.hourly[shift:] + [0] * HOURS)[:HOURS]
        self.first_hour = first

    def set_alarms(self, counts: AlarmCounts) -> None:
        for row in self.sites:
            row.alarms = dict(counts.open_by_kind.get(row.site_id, {}))
            row.offline = counts.offline.get(row.site_id, 0)


def hour_start(at: datetime) -> datetime:
    """The start of the UTC hour `at` is in."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return at if at.tzinfo is not None else None


async def overview(reads: ReadModel, viewer: Viewer) -> Overview:
    """The overview of the viewer's sites with Events, at the viewer's clock."""
    site_ids = viewer.require_somewhere(Area.EVENTS)
    first = hour_start(viewer.actor.now()) - timedelta(hours=HOURS - 1)
    counts, hourly, doors = await reads.overview(site_ids, first, HOURS, DOOR_KINDS,
                                                 DOOR_EVENTS)
    sites = []
    for site_id in site_ids:
        site = viewer.site(site_id)
        hours = [0] * HOURS
        for hour, count in hourly.get(site_id, {}).items():
            if 0 <= hour < HOURS:
                hours[hour] = count
        sites.append(SiteOverview(site_id, site.name, site.timezone,
                                  dict(counts.open_by_kind.get(site_id, {})),
                                  counts.offline.get(site_id, 0), hours))
    return Overview(sites, doors, first)


async def alarm_counts(reads: ReadModel, viewer: Viewer) -> AlarmCounts:
    """Only the alarm counts of the viewer's sites with Events (after alarm news)."""
    return await reads.alarm_counts(viewer.require_somewhere(Area.EVENTS))
