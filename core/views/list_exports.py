"""Exports of the other lists (issue 18): a block's flats with their telephones, emails,
keypad codes and APasses (the layout the flats import reads back, core.flat_layout),
the APasses of one of the Access Passes tab's views, the Facilities lists (service
providers, tasks), the Displays tab's names and the operators of a site. Like the Events export (core.views.exports) each streams keyset
pages through the list's own read service, with the operator's rights, and is written
by the same writers (console/export/).

Every export needs the Export right on the site and the right of the list: Flats (its
code, telephone and APass columns only with Keypad code, Residents & Displays, APass
mgmnt & transfer), APass mgmnt & transfer, Facilities, Residents & Displays (the
displays), Users (the operators).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo

from core.errors import NotFound
from core.flat_layout import PHONE_PARTS, columns_for, passes_cell
from core.model import APassState, Site
from core.phones import shown_phone
from core.rights import Area
from core.text import safe_text
from core.views.devices import display_page
from core.views.exports import EXPORT_PAGE, Column, EventExport, Row
from core.views.facilities import provider_page, task_page
from core.views.facilities_rows import ProviderFilter, ProviderRow, TaskFilter, TaskRow
from core.views.operators import operator_rows
from core.views.passes import pass_page
from core.views.port import ReadModel
from core.views.rows import DisplayRow, FlatSheetRow, PassRow
from core.views.viewer import Viewer
from core.vocabulary import colour_name, pass_type_name

K = TypeVar("K")
R = TypeVar("R")

PASS_COLUMNS = (Column("APass number", 12), Column("Type", 16), Column("Colour", 8),
                Column("Block", 16), Column("Flat N°", 8), Column("Flat", 20),
                Column("Resident", 20), Column("Access profile", 20), Column("Notes", 40))
PROVIDER_COLUMNS = (Column("Service provider", 22), Column("Management company", 22),
                    Column("Mission", 24), Column("Valid from", 10), Column("Valid to", 10),
                    Column("Email", 24), Column("Mobile", 16), Column("Telephone", 16),
                    Column("APass number", 12), Column("Radio transmitter", 12),
                    Column("Door code", 8), Column("Relay 1 code", 8),
                    Column("Relay 2 code", 8), Column("Key safe code", 8))
TASK_COLUMNS = (Column("Task", 24), Column("Management company", 22),
                Column("Service provider", 22), Column("Codes", 24), Column("APasses", 24),
                Column("Perimeter", 18))
VIEWS = {"assigned": APassState.ASSIGNED, "stock": APassState.STOCK,
         "lost": APassState.LOST}
VIEW_TITLES = {APassState.ASSIGNED: "APasses assigned", APassState.STOCK: "APasses in stock",
               APassState.LOST: "APasses lost"}


def _export(viewer: Viewer, site: Site, columns: Sequence[Column],
            filters: list[tuple[str, str]], pages: AsyncGenerator[list[Row], None], *,
            kind: str, noun: str, order: str) -> EventExport:
    now = viewer.actor.now().astimezone(ZoneInfo(site.timezone)).replace(tzinfo=None)
    return EventExport(site, tuple(columns), filters, safe_text(viewer.operator.email), now,
                       pages, kind=kind, noun=noun, order=order)


async def _keyset(read: Callable[[K | None, int], Awaitable[list[R]]], key: Callable[[R], K],
                  row: Callable[[R], Row], page: int) -> AsyncGenerator[list[Row], None]:
    """Pages of rows, each read after the last key of the one before."""
    after: K | None = None
    while True:
        found = await read(after, page)
        if not found:
            return
        yield [row(r) for r in found]
        if len(found) < page:
            return
        after = key(found[-1])


# --- a block's flats ------------------------------------------------------------------


async def flats_export(reads: ReadModel, viewer: Viewer, site_id: int, block_id: int, *,
                       page: int = EXPORT_PAGE) -> EventExport:
    """A block's flats in the import's layout, with the columns the operator may see."""
    site = viewer.require(site_id, Area.FLATS)
    viewer.require(site_id, Area.EXPORT)
    block = await reads.block(site_id, block_id)
    if block is None:
        raise NotFound(f"Block {block_id} does not exist.")
    may = {a for a in Area if viewer.may(site_id, a)}
    layout = columns_for(may)
    columns = [Column(c.title, c.width) for c in layout]
    parts = [c.part for c in layout]

    def row(r: FlatSheetRow) -> Row:
        f, cells = r.flat, []
        for part in parts:
            if part in PHONE_PARTS:
                i = PHONE_PARTS.index(part)
                value = r.telephones[i] if i < len(r.telephones) else ""
            elif part == "passes":
                value = passes_cell(r.passes)
            else:
                value = getattr(f, part)
            cells.append(safe_text(value) if value is not None else "")
        return tuple(cells)

    pages = _keyset(lambda after, n: reads.flat_sheet_page(site_id, block_id, after, n),
                    lambda r: r.flat.number, row, page)
    return _export(viewer, site, columns, [("Block", safe_text(block.name))], pages,
                   kind="Flats", noun="flat", order="by Flat N°")


# --- APasses ------------------------------------------------------------------------------


def _pass_row(r: PassRow) -> Row:
    return tuple(safe_text(v) for v in (r.number, pass_type_name(r.type), colour_name(r.colour), r.block, r.flat_number,
                                        r.flat_name, r.resident, r.access_profile, r.notes))


async def passes_export(reads: ReadModel, viewer: Viewer, site_id: int, state: APassState,
                        *, block_id: int | None = None, page: int = EXPORT_PAGE
                        ) -> EventExport:
    """One of the Access Passes tab's lists (assigned, in stock, lost), by number."""
    site = viewer.require(site_id, Area.APASS_MANAGEMENT)
    viewer.require(site_id, Area.EXPORT)
    state = APassState(state)
    filters = [("List", VIEW_TITLES[state])]
    if block_id is not None:
        block = await reads.block(site_id, block_id)
        if block is None:
            raise NotFound(f"Block {block_id} does not exist.")
        filters.append(("Block", safe_text(block.name)))
    pages = _keyset(lambda after, n: pass_page(reads, viewer, site_id, state,
                                               block_id=block_id, after=after, limit=n),
                    lambda r: r.number, _pass_row, page)
    return _export(viewer, site, PASS_COLUMNS, filters, pages,
                   kind="APasses", noun="APass", order="by number")


# --- Facilities ---------------------------------------------------------------------------


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _provider_row(r: ProviderRow) -> Row:
    p = r.provider
    return tuple(safe_text(v or "") for v in (
        p.name, r.company, p.mission, _day(p.valid_from), _day(p.valid_to), p.email,
        p.mobile, p.telephone, p.apass_number, p.radio_number, p.code_door, p.code_relay_1,
        p.code_relay_2, p.code_key_safe))


def _task_row(r: TaskRow) -> Row:
    return tuple(safe_text(v) for v in (r.name, r.company, r.provider, ", ".join(r.codes),
                                        ", ".join(r.passes), r.perimeter))


async def providers_export(reads: ReadModel, viewer: Viewer, site_id: int, *,
                           tasks: bool = False, page: int = EXPORT_PAGE) -> EventExport:
    """The Facilities screen's service providers (the ones the operator may see), or its
    "Task(s) on my sites" on this site, by name."""
    site = viewer.require(site_id, Area.FACILITIES)
    viewer.require(site_id, Area.EXPORT)
    if tasks:
        flt = TaskFilter(site_id=site_id)
        pages = _keyset(lambda after, n: task_page(reads, viewer, flt, after, n),
                        lambda r: r.key, _task_row, page)
        return _export(viewer, site, TASK_COLUMNS, [("List", "Tasks on this site")], pages,
                       kind="Tasks", noun="task", order="by name")
    pflt = ProviderFilter()
    pages = _keyset(lambda after, n: provider_page(reads, viewer, pflt, after, n),
                    lambda r: r.key, _provider_row, page)
    return _export(viewer, site, PROVIDER_COLUMNS, [("List", "Service providers")], pages,
                   kind="Service providers", noun="service provider", order="by name")


# --- panel displays -----------------------------------------------------------------------

DISPLAY_COLUMNS = (Column("Block", 16), Column("Flat N°", 8), Column("Flat", 20),
                   Column("Display name", 24), Column("Call code", 9),
                   Column("Access / display profile", 22), Column("Call chain", 40),
                   Column("Auto-opening", 14), Column("Hardwired", 9))


def _display_row(r: DisplayRow) -> Row:
    chain = ", ".join(f"{shown_phone(c.value)} {c.ring_seconds} s" for c in r.call_chain)
    return tuple(safe_text(v) for v in (
        r.block, r.flat_number, r.flat_name, r.display_name, r.call_code, r.access_profile,
        chain, r.auto_open or "Never", "Yes" if r.hardwired else "No"))


async def displays_export(reads: ReadModel, viewer: Viewer, site_id: int, *,
                          block_id: int | None = None, page: int = EXPORT_PAGE
                          ) -> EventExport:
    """The Displays tab's list: the names programmed on the site's panels (or one
    block's), by block and name, with their call chains."""
    site = viewer.require(site_id, Area.RESIDENTS_DISPLAYS)
    viewer.require(site_id, Area.EXPORT)
    filters: list[tuple[str, str]] = []
    if block_id is not None:
        block = await reads.block(site_id, block_id)
        if block is None:
            raise NotFound(f"Block {block_id} does not exist.")
        filters.append(("Block", safe_text(block.name)))
    pages = _keyset(lambda after, n: display_page(reads, viewer, site_id, block_id=block_id,
                                                  after=after, limit=n),
                    lambda r: r.key, _display_row, page)
    return _export(viewer, site, DISPLAY_COLUMNS, filters, pages,
                   kind="Panel displays", noun="display name", order="by block and name")


# --- operators ----------------------------------------------------------------------------

OPERATOR_COLUMNS = (Column("Email", 28), Column("Name", 22), Column("Login", 16),
                    Column("Active", 6), Column("Profile on this site", 22),
                    Column("Valid from", 10), Column("Valid to", 10), Column("Keys", 5))


async def operators_export(reads: ReadModel, viewer: Viewer, site_id: int) -> EventExport:
    """The Users screen's operators who hold a profile on the site, with that profile,
    its validity and how many SSH keys they have, by email (Users and Export there)."""
    site = viewer.require(site_id, Area.USERS)
    viewer.require(site_id, Area.EXPORT)
    rows: list[Row] = []
    for r in await operator_rows(reads, viewer):
        grant = next((g for g in r.grants if g.site_id == site_id), None)
        if grant is None:
            continue
        op = r.operator
        rows.append(tuple(safe_text(v) for v in (
            op.email, op.name, op.login or "", "Yes" if op.active else "No", grant.profile,
            _day(grant.valid_from), _day(grant.valid_to), str(len(r.keys)))))
    rows.sort(key=lambda row: str(row[0]).lower())

    async def pages() -> AsyncGenerator[list[Row], None]:
        if rows:
            yield rows

    return _export(viewer, site, OPERATOR_COLUMNS, [("List", "Operators of this site")],
                   pages(), kind="Operators", noun="operator", order="by email")
