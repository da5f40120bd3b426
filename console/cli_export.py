"""`doorkeeper export events|flats|passes|providers|displays|operators`: the Events list
of a site, with the Events tab's filters, a block's flats, an APass list, the Facilities
lists, the names on the panels, the site's operators, to XLSX, PDF or CSV, with the
rights of the operator named (docs/export.md).

    export events --site SITE [--from DATE] [--to DATE] [--filter KEY=VALUE …]
                  [--format xlsx|pdf|csv] -o FILE --operator LOGIN
    export flats --site SITE --block BLOCK …
    export passes --site SITE [--view assigned|stock|lost] [--block BLOCK] …
    export providers --site SITE [--tasks] …
    export displays --site SITE [--block BLOCK] …
    export operators --site SITE …

Filters: device-type=, device= (a name or id), event-type=, result=, search= (a
telephone number, APass number or name), block= (a name or id) and flat= (a Flat N° of
that block, exact: "7" finds 007, never 0071), the tab's own. Dates are the site's local
days, To included. Bad input is one line on stderr and exit code 2, with no file
written; the file appears whole or not at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from console.cli_output import cli_date, say
from console.cli_store import open_existing
from console.export.files import FORMATS, check_target, write_export
from console.progress import BESIDE_QUIET_S, JobProgress
from core import days
from core.config import Config
from core.errors import ValidationError
from core.model import DeviceType, EventKind, EventResult, Site
from core.views.blocks import block_rows
from core.views.devices import site_devices
from core.views.events import event_blocks, event_count, event_flat
from core.views.exports import PDF_MAX_ROWS, EventExport, event_export
from core.views.list_exports import (
    VIEWS,
    displays_export,
    flats_export,
    operators_export,
    passes_export,
    providers_export,
)
from core.views.rows import EventFilter
from core.views.viewer import Viewer, load_viewer
from store.reads import StoreReads

FILTERS = ("device-type", "device", "event-type", "result", "search", "block", "flat")


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add the `export` command to the CLI."""
    ex = sub.add_parser("export", help="export a list to XLSX, PDF or CSV")
    kinds = ex.add_subparsers(dest="export_command", required=True, parser_class=type(ex))
    ev = kinds.add_parser("events", parents=[common],
                          help="the Events list of a site, with the Events tab's filters")
    ev.add_argument("--site", required=True, help="site name or id")
    ev.add_argument("--from", dest="date_from", type=cli_date, metavar="DATE",
                    help="first day (the site's local day)")
    ev.add_argument("--to", dest="date_to", type=cli_date, metavar="DATE",
                    help="last day, included")
    ev.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                    help=f"one of {', '.join(FILTERS)} (repeat for several)")
    ev.add_argument("--format", choices=FORMATS,
                    help="the file's format (default: from the file's name)")
    ev.add_argument("-o", "--output", required=True, metavar="FILE")
    ev.add_argument("--operator", required=True, metavar="LOGIN",
                    help="export with this operator's rights (email or login)")
    fl = kinds.add_parser("flats", parents=[common],
                          help="a block's flats with telephones, emails, codes and APasses "
                               "(the layout `doorkeeper import flats` reads)")
    fl.add_argument("--block", required=True, help="block name or id")
    pa = kinds.add_parser("passes", parents=[common],
                          help="the APasses of one of the Access Passes tab's lists")
    pa.add_argument("--view", choices=list(VIEWS), default="assigned",
                    help="assigned (default), stock or lost")
    pa.add_argument("--block", help="only this block's (name or id)")
    pr = kinds.add_parser("providers", parents=[common],
                          help="the Facilities lists: service providers, or --tasks")
    pr.add_argument("--tasks", action="store_true", help="the tasks on the site instead")
    di = kinds.add_parser("displays", parents=[common],
                          help="the Displays tab's names on the panels, with call chains")
    di.add_argument("--block", help="only this block's (name or id)")
    op = kinds.add_parser("operators", parents=[common],
                          help="the operators holding a profile on the site (Users)")
    for lst in (fl, pa, pr, di, op):
        lst.add_argument("--site", required=True, help="site name or id")
        lst.add_argument("--format", choices=FORMATS,
                         help="the file's format (default: from the file's name)")
        lst.add_argument("-o", "--output", required=True, metavar="FILE")
        lst.add_argument("--operator", required=True, metavar="LOGIN",
                         help="export with this operator's rights (email or login)")


def _choice(value: str, allowed: list[str], label: str) -> str:
    found = next((a for a in allowed if a.casefold() == value.strip().casefold()), None)
    if found is None:
        raise ValidationError(f"Unknown {label} {value!r}; choose one of "
                              f"{', '.join(allowed)}.", field="filter")
    return found


async def block_id(reads: StoreReads, viewer: Viewer, site: Site, name_or_id: str) -> int:
    """The id of a block of the site, named by its name or id."""
    assert site.id is not None
    wanted = name_or_id.strip().casefold()
    for row in await block_rows(reads, viewer, site.id):
        if row.name.casefold() == wanted or str(row.id) == wanted:
            return row.id
    raise ValidationError(f"{site.name} has no block called {name_or_id!r}.", field="block")


def site_named(viewer: Viewer, name_or_id: str) -> Site:
    wanted = name_or_id.strip().casefold()
    for site in viewer.sites:
        if site.name.casefold() == wanted or str(site.id) == wanted:
            return site
    raise ValidationError(f"{viewer.operator.email} has no site called {name_or_id!r}.",
                          field="site")


async def _filter(reads: StoreReads, viewer: Viewer, site: Site,
                  args: argparse.Namespace) -> EventFilter:
    """The filter the arguments describe, every value checked."""
    assert site.id is not None
    since, until = days.local_days(args.date_from, args.date_to,
                                   ZoneInfo(site.timezone))
    found: dict[str, str] = {}
    for item in args.filter:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in FILTERS:
            raise ValidationError(f"--filter {item!r}: write KEY=VALUE with KEY one of "
                                  f"{', '.join(FILTERS)}.", field="filter")
        if key in found:
            raise ValidationError(f"--filter {key} is given twice.", field="filter")
        found[key] = value.strip()
    device_type = device_id = None
    if "device-type" in found:
        device_type = DeviceType(_choice(found["device-type"], [d.value for d in DeviceType],
                                         "device type"))
    if "device" in found:
        devices = await site_devices(reads, viewer, site.id)
        wanted = found["device"].casefold()
        match = [d for d in devices if d.name.casefold() == wanted or str(d.id) == wanted]
        if not match:
            raise ValidationError(f"{site.name} has no device called {found['device']!r}.",
                                  field="filter")
        device_id = match[0].id
    kind = (_choice(found["event-type"], [k.value for k in EventKind], "event type")
            if "event-type" in found else None)
    result = (_choice(found["result"], [r.value for r in EventResult], "result")
              if "result" in found else None)
    block, flat = await _place(reads, viewer, site, found)
    return EventFilter(site_id=site.id, since=since, until=until, device_type=device_type,
                       device_id=device_id, kind=kind, result=result,
                       search=found.get("search", ""), block_id=block, flat_id=flat)


async def _place(reads: StoreReads, viewer: Viewer, site: Site,
                 found: dict[str, str]) -> tuple[int | None, int | None]:
    """The Events tab's Block and Flat N° filters: the block by its name or id among the
    blocks the tab offers, the flat by its Flat N° in that block, exactly as the tab
    finds it ("7" finds 007, never 0071)."""
    assert site.id is not None
    if "block" not in found:
        if "flat" in found:
            raise ValidationError("--filter flat needs --filter block: a Flat N° is of a "
                                  "block.", field="filter")
        return None, None
    wanted = found["block"].casefold()
    blocks = await event_blocks(reads, viewer, site.id)
    match = ([(i, n) for i, n in blocks if n.casefold() == wanted]
             or [(i, n) for i, n in blocks if str(i) == wanted])
    if not match:
        raise ValidationError(f"{site.name} has no block called {found['block']!r}.",
                              field="filter")
    block_id, name = match[0]
    if "flat" not in found:
        return block_id, None
    flat = await event_flat(reads, viewer, site.id, block_id, found["flat"])
    if flat is None:
        raise ValidationError(f"Flat N° {found['flat']} is not a flat of {name}.",
                              field="filter")
    return block_id, flat.id


def _format(args: argparse.Namespace, target: Path) -> str:
    fmt = args.format or target.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValidationError(f"Name the format: --format {'|'.join(FORMATS)} "
                              f"(or a file ending in .xlsx, .pdf or .csv).", field="format")
    return fmt


async def run(args: argparse.Namespace, config: Config) -> int:
    """Run `doorkeeper export events`."""
    target = Path(args.output)
    fmt = _format(args, target)
    check_target(target, fmt)  # before the store is opened
    store = await open_existing(config, args.db)
    try:
        async with store.reader() as uow:
            viewer = await load_viewer(uow, args.operator, "cli")
        reads = StoreReads(store)
        site = site_named(viewer, args.site)
        export, total = await _export(reads, viewer, site, args)
        with JobProgress(export.nouns[1], total, out=sys.stderr, quiet_s=BESIDE_QUIET_S) as job:
            done = await write_export(export, fmt, target,
                                      lambda rows: job.advance(rows - job.done))
    finally:
        await store.close()
    one, many = export.nouns
    if done.cut:
        say(f"Wrote the first {PDF_MAX_ROWS:,} {many} to {target}: a PDF report holds no "
            f"more; export XLSX or CSV for every {one}.")
    else:
        say(f"Wrote {done.rows:,} {export.nouns[done.rows != 1]} of {site.name} "
            f"to {target}.")
    return 0


async def _export(reads: StoreReads, viewer: Viewer, site: Site,
                  args: argparse.Namespace) -> tuple[EventExport, int]:
    """The export the command names, with the operator's rights, and its rows when they
    are counted ahead (the events, for the progress's time left; 0: the other lists)."""
    assert site.id is not None
    kind = args.export_command
    if kind == "events":
        flt = await _filter(reads, viewer, site, args)
        return (await event_export(reads, viewer, flt), await event_count(reads, viewer, flt))
    if kind == "flats":
        return await flats_export(reads, viewer, site.id,
                                  await block_id(reads, viewer, site, args.block)), 0
    block = await block_id(reads, viewer, site, args.block) if getattr(
        args, "block", None) else None
    if kind == "passes":
        return await passes_export(reads, viewer, site.id, VIEWS[args.view],
                                   block_id=block), 0
    if kind == "displays":
        return await displays_export(reads, viewer, site.id, block_id=block), 0
    if kind == "operators":
        return await operators_export(reads, viewer, site.id), 0
    return await providers_export(reads, viewer, site.id, tasks=args.tasks), 0
