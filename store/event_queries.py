"""Read models around the event log beyond a page of it: the devices a site's
filters offer, one event's detail with its names, and an export's pages as text lines
built by SQLite (core.views.export_lines says what a line is and when there is none)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy import cast as sql_cast

from core.views.export_lines import LineLayout, LinePage, LineSpec
from core.views.rows import DeviceChoice, EventDetail, EventFilter
from store import tables as t
from store.database import Store
from store.queries import EXPORT_COLUMNS, _event_where

#: a credential with anything but printable ASCII goes the row path (it may be cleaned,
#: and it is what masks the APass numbers in descriptions)
NOT_PLAIN_ASCII = "*[^ -~]*"


async def site_devices(store: Store, site_id: int) -> list[DeviceChoice]:
    """Every device of a site, by name."""
    d = t.devices.c
    stmt = select(d.id, d.name, d.type).where(d.site_id == site_id).order_by(d.name)
    async with store.engine.connect() as conn:
        return [DeviceChoice(*r) for r in await conn.execute(stmt)]


async def event_detail(store: Store, event_id: int) -> EventDetail | None:
    """One event and the names of its site, device, block and flat (those still there)."""
    e, s, d, b, f = (t.events.c, t.sites.c, t.devices.c, t.blocks.c, t.flats.c)
    stmt = (select(t.events, s.name.label("site_name"), d.name.label("device_name"),
                   d.type.label("device_type"), b.name.label("block_name"),
                   f.number.label("flat_number"), f.name.label("flat_name"))
            .select_from(t.events.outerjoin(t.sites, s.id == e.site_id)
                         .outerjoin(t.devices, d.id == e.device_id)
                         .outerjoin(t.blocks, b.id == e.block_id)
                         .outerjoin(t.flats, f.id == e.flat_id))
            .where(e.id == event_id))
    async with store.engine.connect() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    m = dict(row._mapping)
    event = {c.name: m[c.name] for c in t.events.columns}
    flat = ""
    if m["flat_number"] is not None:
        flat = f"{m['flat_number']} – {m['flat_name']}" if m["flat_name"] else m["flat_number"]
    elif event["flat_id"] is not None:
        flat = f"#{event['flat_id']} (deleted)"
    device = m["device_name"] or (f"#{event['device_id']} (deleted)"
                                  if event["device_id"] is not None else "")
    block = m["block_name"] or (f"#{event['block_id']} (deleted)"
                                if event["block_id"] is not None else "")
    return EventDetail(event, m["site_name"] or f"#{event['site_id']}", device,
                       m["device_type"] or "", block, flat)


def _cat(*parts: ColumnElement[Any] | str) -> ColumnElement[str]:
    """SQL text concatenation (NULL if any part is)."""
    found: ColumnElement[Any] = literal(parts[0]) if isinstance(parts[0], str) else parts[0]
    for part in parts[1:]:
        found = found.op("||", return_type=String())(
            literal(part) if isinstance(part, str) else part)
    return found


def _cell(x: ColumnElement[Any], layout: LineLayout) -> ColumnElement[str]:
    """A text cell as the CSV writer writes it: the formula mark before a text that
    begins like a formula, then quoted (quotes doubled) if it holds the delimiter or the
    quote."""
    marked = case((func.substr(x, 1, 1).in_(layout.formula_prefixes),
                   _cat(layout.formula_mark, x)), else_=x)
    q = layout.quote
    return case((or_(func.instr(x, layout.delimiter) > 0, func.instr(x, q) > 0),
                 _cat(q, func.replace(marked, q, q + q), q)), else_=marked)


def _local_time(at: ColumnElement[str], spec: LineSpec) -> ColumnElement[str]:
    """The stored UTC time as the site's local "YYYY-MM-DD HH:MM:SS", by the offset of
    its segment (newest first); NULL outside the window."""
    base = func.substr(at, 1, 19)  # to the second, as the row path truncates it
    whens: list[tuple[ColumnElement[bool], ColumnElement[Any]]] = [(at >= spec.until, null())]
    for start, offset in reversed(spec.segments):
        whens.append((at >= start, func.datetime(base, f"{offset:+d} seconds")))
    return case(*whens, else_=null())


@functools.lru_cache(maxsize=8)
def _line_statement(flt: EventFilter, site_ids: tuple[int, ...], spec: LineSpec,
                    keyset: bool, limit: int) -> Select[Any]:
    """The page's statement, built once per export (and offsets' window): only the
    keyset's values change from page to page."""
    e, lay = t.events.c, spec.layout
    dev = t.devices.alias("dev")  # (the filter's device-type subquery reads devices too)
    at = type_coerce(e.at, String)
    device = case(
        (dev.c.id.is_not(None), _cat(_cell(dev.c.name, lay), lay.delimiter,
                                     _cell(dev.c.type, lay))),
        (e.device_id.is_not(None), _cat(_cell(_cat("#", sql_cast(e.device_id, String),
                                                   spec.deleted), lay), lay.delimiter)),
        else_=literal(lay.delimiter))
    is_apass = and_(e.kind.in_(spec.apass_kinds), e.credential != "")
    if spec.with_apass:
        cells = [_cell(e.name, lay), case((is_apass, _cell(e.credential, lay)), else_="")]
        description: ColumnElement[Any] = e.description
    else:
        cells = [_cell(e.name, lay)]
        description = case((is_apass, func.replace(e.description, e.credential, spec.hidden)),
                           else_=e.description)
    parts: list[ColumnElement[Any] | str] = [_local_time(at, spec), lay.delimiter, device]
    for cell in [_cell(e.kind, lay), _cell(e.result, lay), *cells, _cell(description, lay)]:
        parts += [lay.delimiter, cell]
    line = case((e.credential.op("GLOB")(NOT_PLAIN_ASCII), null()), else_=_cat(*parts))
    stmt = (select(line, at, e.id)
            .select_from(t.events.outerjoin(dev, and_(dev.c.id == e.device_id,
                                                      dev.c.site_id == spec.site_id)))
            .where(_event_where(flt), e.site_id.in_(site_ids)))
    if keyset:
        stmt = stmt.where(tuple_(at, e.id) < tuple_(bindparam("before_at", type_=String),
                                                     bindparam("before_id")))
    return stmt.order_by(e.at.desc(), e.id.desc()).limit(limit)


async def event_lines(store: Store, flt: EventFilter, site_ids: list[int], spec: LineSpec,
                      before: tuple[str, int] | None, limit: int) -> LinePage:
    """A keyset page of an Events export as lines (no line terminator): the columns of
    core.views.exports in order, each cell as the CSV writer writes it."""
    stmt = _line_statement(flt, tuple(site_ids), spec, before is not None, limit)
    params = {"before_at": before[0], "before_id": before[1]} if before is not None else {}
    async with store.engine.connect() as conn:
        rows = (await conn.execute(stmt, params)).all()
    return LinePage([r[0] for r in rows], [r[2] for r in rows],
                    (rows[-1][1], rows[-1][2]) if rows else None)


async def event_rows_of(store: Store, site_ids: list[int], ids: Sequence[int]
                        ) -> list[tuple[Any, ...]]:
    """These events of these sites as an export's plain tuples (store.queries.event_rows)."""
    if not ids:
        return []
    e = t.events.c
    stmt = select(type_coerce(e.at, String), *(e[c] for c in EXPORT_COLUMNS[1:])).where(
        e.id.in_(list(ids)), e.site_id.in_(site_ids))
    async with store.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(stmt)]
