"""Exports of the Events list (the guide's "Click Export to export results"): the rows of
the Events tab with its filters, streamed page by page through the tab's own read
service (`core.views.events.event_page`), so an export shows exactly what the operator
may consult and is never loaded whole.

An export needs the Export right (Consult: it changes nothing) and Events on the site.
Without "APass mgmnt & transfer" the APass number column is left out and the numbers are
masked in the descriptions. The file formats are the console's writers
(`console/export/`); this module only says what the rows and columns are.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import ValidationError
from core.model import EventKind, Site
from core.rights import Area
from core.text import safe_text
from core.views.events import event_rows
from core.views.export_lines import LineLayout, LineSpec, TextPage, line_pages
from core.views.port import ReadModel
from core.views.rows import EventFilter
from core.views.viewer import Viewer

#: events read per page (one keyset query each)
EXPORT_PAGE = 2000
#: the event types whose credential is an APass number
APASS_KINDS = frozenset({EventKind.OPEN_BY_PROXIMITY_FOB.value,
                         EventKind.OPEN_BY_RADIO_TRANSMITTER.value})
HIDDEN = "(hidden)"
#: after "#<id>" for an event's device that is no longer there
DELETED = " (deleted)"
#: a PDF report holds the newest 10,000 rows at most (about 250 pages: a report is for
#: reading and printing; CSV and XLSX hold every row)
PDF_MAX_ROWS = 10_000


@dataclass(frozen=True)
class Column:
    """A column of an export: its title (the guide's), whether it holds a date and time,
    and a width in characters (XLSX column widths, PDF proportions)."""

    title: str
    width: int
    is_datetime: bool = False


DATE_TIME = Column("Date & time", 19, is_datetime=True)
#: the guide's event log columns, with the name and (with the right) the APass number
EVENT_COLUMNS = (DATE_TIME, Column("Device", 18), Column("Device type", 12),
                 Column("Event type", 19), Column("Result", 15), Column("Name", 20))
APASS_COLUMN = Column("APass number", 12)
DESCRIPTION = Column("Description", 70)

Row = tuple[Any, ...]


@dataclass
class EventExport:
    """What an export writes: a header (site, period, filters, who and when), the columns
    the operator may see, and the rows, streamed (`rows()` can be iterated once)."""

    site: Site
    columns: tuple[Column, ...]
    filters: list[tuple[str, str]]
    generated_by: str
    generated_at: datetime  # in the site's time zone
    _pages: AsyncGenerator[list[Row], None] = field(repr=False)
    rows_done: int = 0
    #: what the list is (the title's first word, the XLSX sheet's name), what one row is
    #: (and several, when not the noun with an s) and in which order they come (the
    #: report's last line)
    kind: str = "Events"
    noun: str = "event"
    order: str = "newest first"
    plural: str = ""
    #: the rows as ready text lines, where the list can (the Events list: see
    #: core.views.export_lines); None: only `pages()`
    _lines: Callable[[LineLayout], AsyncGenerator[TextPage, None]] | None = field(
        default=None, repr=False)

    @property
    def nouns(self) -> tuple[str, str]:
        """One row and several: ("event", "events"), ("entry", "entries")."""
        return self.noun, self.plural or f"{self.noun}s"

    @property
    def title(self) -> str:
        return f"{self.kind} – {self.site.name}"

    async def pages(self) -> AsyncGenerator[list[Row], None]:
        """The rows, a page at a time (the date and time in the site's time zone)."""
        async for page in self._pages:
            self.rows_done += len(page)
            yield page

    @property
    def has_lines(self) -> bool:
        """Whether `text_pages()` can give the rows as ready text lines."""
        return self._lines is not None

    async def text_pages(self, layout: LineLayout) -> AsyncGenerator[TextPage, None]:
        """The rows as text lines in `layout` (CRLF after each), a page at a time: runs
        of ready text, and rows for the writer where the store wrote no line. Either
        this or `pages()`, once."""
        if self._lines is None:
            raise TypeError(f"{self.kind} exports have no text lines")
        async with aclosing(self._lines(layout)) as pages:
            async for count, items in pages:
                self.rows_done += count
                yield count, items


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def describe(flt: EventFilter, tz: ZoneInfo, device_names: dict[int, str]) -> list[tuple[str, str]]:
    """The filters of an export in words, for a report's header: the period first."""
    if flt.since is None and flt.until is None:
        period = "All"
    else:
        last = flt.until - timedelta(microseconds=1) if flt.until else None
        period = f"{_local(flt.since, tz) or '…'} – {_local(last, tz) or 'now'}"
    found = [("Period", period)]
    if flt.device_id is not None:
        found.append(("Device", device_names.get(flt.device_id, f"#{flt.device_id}")))
    elif flt.device_type is not None:
        found.append(("Device type", flt.device_type.value))
    for label, value in (("Event type", flt.kind), ("Result", flt.result),
                         ("Search", flt.search)):
        if value:
            found.append((label, safe_text(value)))
    return found


async def event_export(reads: ReadModel, viewer: Viewer, flt: EventFilter, *,
                       page: int = EXPORT_PAGE) -> EventExport:
    """The Events list of one site with these filters, as an export for this operator.
    PermissionDenied without Export or Events on the site."""
    if flt.site_id is None:
        raise ValidationError("An export is of one site: name it.", field="site")
    site = viewer.require(flt.site_id, Area.EVENTS)
    viewer.require(flt.site_id, Area.EXPORT)
    tz = ZoneInfo(site.timezone)
    devices = {d.id: (safe_text(d.name), d.type) for d in await reads.site_devices(flt.site_id)}
    with_apass = viewer.may(flt.site_id, Area.APASS_MANAGEMENT)
    columns = (*EVENT_COLUMNS, *((APASS_COLUMN,) if with_apass else ()), DESCRIPTION)
    filters = describe(flt, tz, {k: v[0] for k, v in devices.items()})
    if flt.block_id is not None:  # the Events tab's Block and Flat N°, by name
        block = await reads.block(flt.site_id, flt.block_id)
        filters.insert(1, ("Block", safe_text(block.name) if block else f"#{flt.block_id}"))
    if flt.flat_id is not None:
        detail = await reads.flat_detail(flt.flat_id)
        filters.insert(2 if flt.block_id is not None else 1, (
            "Flat N°", safe_text(detail.flat.number) if detail else f"#{flt.flat_id}"))
    def lines(layout: LineLayout) -> AsyncGenerator[TextPage, None]:
        assert flt.site_id is not None
        spec = LineSpec(layout, flt.site_id, (), "", with_apass, tuple(sorted(APASS_KINDS)),
                        HIDDEN, DELETED)
        times, texts = LocalTimes(tz), dict[str, str]()

        def convert(raw: list[tuple[Any, ...]]) -> list[Row]:
            return _rows(raw, times, devices, with_apass, texts)
        return line_pages(reads, flt, spec, tz, viewer.actor.now(), convert, page)

    return EventExport(site, columns, filters,
                       safe_text(viewer.operator.email),
                       viewer.actor.now().astimezone(tz).replace(tzinfo=None),
                       _pages(reads, viewer, flt, page, tz, devices, with_apass),
                       _lines=lines)


async def _pages(reads: ReadModel, viewer: Viewer, flt: EventFilter, page: int, tz: ZoneInfo,
                 devices: dict[int, tuple[str, str]], with_apass: bool
                 ) -> AsyncGenerator[list[Row], None]:
    """Keyset pages of plain tuples; the next page is read (in the store's thread) while
    this one is turned into rows and written."""
    events = await event_rows(reads, viewer, flt, None, page)
    texts: dict[str, str] = {}  # event types and results: a few values, cleaned once
    times = LocalTimes(tz)
    while events:
        ahead = (asyncio.ensure_future(event_rows(
            reads, viewer, flt, (events[-1][0], events[-1][1]), page))
            if len(events) == page else None)
        try:
            yield _rows(events, times, devices, with_apass, texts)
        except BaseException:
            if ahead is not None:  # never left reading on its own (a store closing under
                ahead.cancel()     # it would hold its connection's close forever)
                with suppress(BaseException):
                    await ahead
            raise
        events = await ahead if ahead is not None else []


class LocalTimes:
    """Stored UTC times ("YYYY-MM-DD HH:MM:SS.ffffff") as naive local date-times of one
    time zone, in bulk: the zone's offset is looked up once per UTC hour (and per row
    only in an hour when the offset changes, a daylight-saving change)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.offsets: dict[str, timedelta | None] = {}

    def _offset(self, hour: str) -> timedelta | None:
        start = datetime.fromisoformat(hour + ":00:00+00:00")
        first = start.astimezone(self.tz).utcoffset()
        last = (start + timedelta(minutes=59, seconds=59)).astimezone(self.tz).utcoffset()
        return first if first == last else None  # None: the offset changes in this hour

    def local(self, stored: str) -> datetime:
        hour = stored[:13]
        try:
            offset = self.offsets[hour]
        except KeyError:
            offset = self.offsets[hour] = self._offset(hour)
        moment = datetime.fromisoformat(stored[:19])
        if offset is None:
            return moment.replace(tzinfo=UTC).astimezone(self.tz).replace(tzinfo=None)
        return moment + offset


def _rows(events: list[tuple[Any, ...]], times: LocalTimes,
          devices: dict[int, tuple[str, str]], with_apass: bool,
          texts: dict[str, str]) -> list[Row]:
    """A page of events as cells: the date and time local (naive, in the site's time
    zone, to the second), texts cleaned (event types and results once each)."""
    rows: list[Row] = []
    local = times.local
    for at, _id, device_id, kind, result, name, credential, description in events:
        device, device_type = devices.get(device_id, (
            f"#{device_id}{DELETED}" if device_id is not None else "", ""))
        description = safe_text(description)
        credential = safe_text(credential)
        is_apass = kind in APASS_KINDS and credential
        if is_apass and not with_apass:
            description = description.replace(credential, HIDDEN)
        if kind not in texts:
            texts[kind] = safe_text(kind)
        if result not in texts:
            texts[result] = safe_text(result)
        if with_apass:
            rows.append((local(at), device, device_type, texts[kind], texts[result],
                         safe_text(name), credential if is_apass else "", description))
        else:
            rows.append((local(at), device, device_type, texts[kind], texts[result],
                         safe_text(name), description))
    return rows
