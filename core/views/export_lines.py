"""An Events export as ready text lines (CSV): the store builds each row's line in SQL
(local time, quoting, formula marks, the masked APass numbers), a keyset page at a
time, so a million events go out without a Python call per cell.

The lines are exactly what the row path writes (`core.views.exports._rows`, then the
CSV writer), because SQL only ever writes a line whose every text is already plain:

- the local time comes from the site's time-zone offsets, found here in Python for a
  window of UTC time (each daylight-saving change to the second, `offset_segments`);
  an event outside the window gets no line;
- a line is kept only if the plain-text cleaning (`core.text.safe_text`) would leave
  it as it is (`is_plain`: printable, NFC); SQL gives no line for a credential that is
  not plain ASCII (it is also what masks the APass numbers in descriptions);
- every row without a line goes the row path: read again by id, cleaned and written
  cell by cell, in its place.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.views.rows import EventFilter

if TYPE_CHECKING:
    from core.views.exports import Row
    from core.views.port import ReadModel

#: how far back from a page's newest event the offsets are worked out at once
WINDOW = timedelta(days=400)
_DAY = 86_400


@dataclass(frozen=True)
class LineLayout:
    """How a text export writes a row as one line: the delimiter and the quote (a cell
    holding either is quoted, quotes doubled), and what a spreadsheet would run as a
    formula (a cell beginning with one of `formula_prefixes` gets `formula_mark`
    before it)."""

    formula_prefixes: tuple[str, ...]
    formula_mark: str = "'"
    delimiter: str = ","
    quote: str = '"'


@dataclass(frozen=True)
class LineSpec:
    """What the store needs to write an Events export's lines: the layout, the site
    (its devices' names), the time zone's offsets over a window of UTC time, and the
    APass rules (the column, or the numbers masked in descriptions)."""

    layout: LineLayout
    site_id: int
    #: (UTC "YYYY-MM-DD HH:MM:SS" from which, offset in seconds), oldest first; the
    #: window ends at `until` (an event at or after it, or before the first, has no line)
    segments: tuple[tuple[str, int], ...]
    until: str
    with_apass: bool
    apass_kinds: tuple[str, ...]
    hidden: str
    deleted: str  # after "#<device id>" for a device no longer there


@dataclass(frozen=True)
class LinePage:
    """A keyset page of lines, newest first: None where the row goes the row path."""

    lines: list[str | None]
    ids: list[int]
    last: tuple[str, int] | None  # the keyset of the page's last row (stored at, id)


TextPage = tuple[int, list["str | Row"]]
"""How many rows, and the page as runs of ready text (lines ended by CRLF) and rows
for the writer to write cell by cell."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def offset_segments(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """The zone's UTC offsets from `start` to `end` (UTC, whole seconds): each change
    found to the second. Stepping a day at a time, a zone that changed and changed back
    within one day would be missed: tzdata has no such day in living memory."""

    def offset(ts: int) -> int:
        found = datetime.fromtimestamp(ts, tz).utcoffset()
        return int(found.total_seconds()) if found is not None else 0

    lo, hi = int(start.timestamp()), int(end.timestamp())
    now = offset(lo)
    found = [(lo, now)]
    while lo < hi:
        step = min(lo + _DAY, hi)
        if offset(step) == now:
            lo = step
            continue
        a, b = lo, step  # offset(a) == now != offset(b): the change is in (a, b]
        while b - a > 1:
            mid = (a + b) // 2
            a, b = (mid, b) if offset(mid) == now else (a, mid)
        now = offset(b)
        found.append((b, now))
        lo = b
    return [(_stamp(datetime.fromtimestamp(ts, UTC)), off) for ts, off in found]


def is_plain(line: str) -> bool:
    """Whether the plain-text cleaning would leave this text as it is: printable (no
    control character, escape, line break or direction override: every one the
    cleaning removes is unprintable) and already in NFC."""
    return line.isprintable() and (line.isascii() or unicodedata.is_normalized("NFC", line))


Convert = Callable[[list[tuple[Any, ...]]], list["Row"]]
"""The row path: raw event tuples (store.queries.EXPORT_COLUMNS) as cleaned rows."""


async def line_pages(reads: ReadModel, flt: EventFilter, spec: LineSpec, tz: ZoneInfo,
                     now: datetime, convert: Convert, page: int
                     ) -> AsyncGenerator[TextPage, None]:
    """The export's pages as text: the store's lines, runs of them joined, and the rows
    it gave no line converted by the row path, each in its place. The offsets' window
    moves back with the pages (WINDOW before the page's newest event)."""
    assert flt.site_id is not None
    sites = [flt.site_id]
    spec = _window(spec, tz, now + timedelta(days=1))
    found = await reads.event_lines(flt, sites, spec, None, page)
    while found.lines:
        ahead = None
        if found.last is not None and len(found.lines) == page:  # read on meanwhile
            if found.last[0] < spec.segments[0][0]:
                spec = _window(spec, tz, datetime.fromisoformat(found.last[0][:19]).replace(
                    tzinfo=UTC) + timedelta(seconds=1))
            ahead = asyncio.ensure_future(reads.event_lines(flt, sites, spec, found.last,
                                                            page))
        try:
            yield await _texts(reads, sites, found, convert)
        except BaseException:
            if ahead is not None:
                ahead.cancel()
            raise
        if ahead is None:
            return
        found = await ahead


def _window(spec: LineSpec, tz: ZoneInfo, until: datetime) -> LineSpec:
    until = until.astimezone(UTC).replace(microsecond=0)
    return replace(spec, segments=tuple(offset_segments(tz, until - WINDOW, until)),
                   until=_stamp(until))


async def _texts(reads: ReadModel, sites: list[int], found: LinePage,
                 convert: Convert) -> TextPage:
    lines = found.lines
    if None not in lines:
        whole = "".join(lines)  # type: ignore[arg-type]  # (no None: checked)
        if whole.isascii() and whole.isprintable():  # the usual page: one text
            return len(lines), ["\r\n".join(lines) + "\r\n"]  # type: ignore[arg-type]
    bad = [i for i, line in enumerate(lines) if line is None or not is_plain(line)]
    raw = await reads.event_rows_of(sites, [found.ids[i] for i in bad])
    rows = {r[1]: row for r, row in zip(raw, convert(raw), strict=True)}
    items: list[str | Row] = []
    start = 0
    for i in [*bad, len(lines)]:
        if i > start:
            items.append("\r\n".join(lines[start:i]) + "\r\n")  # type: ignore[arg-type]
        if i < len(lines) and found.ids[i] in rows:  # (an event is never removed)
            items.append(rows[found.ids[i]])
        start = i + 1
    return len(lines) - len(bad) + len(rows), items
