"""`doorkeeper import flats`: a block's flats from a CSV or XLSX file in the layout of
`doorkeeper export flats`, with the rights of the operator named (docs/import.md).

    import flats FILE --site SITE --block BLOCK [--apply] [--remove-missing]
                 --operator LOGIN

Without --apply it prints the plan (what would be added, changed, refused, removed) and
writes nothing; exit code 1 when a line is refused. With --apply the plan is made again
and written in one transaction, or nothing is (a refused line, a quota): one line on
stderr and exit code 2. A file that cannot be read is refused whole, exit code 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli_export import block_id, site_named
from console.cli_output import say
from console.cli_store import open_existing
from console.imports.plan_text import plan_lines, summary
from console.imports.read import read_sheet
from console.progress import stages
from core.config import Config
from core.services.flat_import import ImportPlan, plan_import
from core.services.flat_import_apply import apply_import
from core.views.viewer import load_viewer
from store.reads import StoreReads


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add the `import` command to the CLI."""
    im = sub.add_parser("import", help="import a list from CSV or XLSX")
    kinds = im.add_subparsers(dest="import_command", required=True, parser_class=type(im))
    fl = kinds.add_parser("flats", parents=[common],
                          help="a block's flats, telephones, emails, codes and APasses")
    fl.add_argument("file", metavar="FILE", help="a CSV or XLSX file (the flats export's layout)")
    fl.add_argument("--site", required=True, help="site name or id")
    fl.add_argument("--block", required=True, help="block name or id")
    fl.add_argument("--apply", action="store_true",
                    help="write the plan (without it: show the plan, write nothing)")
    fl.add_argument("--remove-missing", action="store_true",
                    help="also remove the block's flats that the file does not have")
    fl.add_argument("--operator", required=True, metavar="LOGIN",
                    help="import with this operator's rights (email or login)")


def show(plan: ImportPlan) -> None:
    """The plan, a line per flat, then its counts."""
    for mark, text in plan_lines(plan):
        say(f"{mark} {text}")
    say(f"{plan.file} into {plan.block.name} ({plan.site.name}): {summary(plan)}.")


async def run(args: argparse.Namespace, config: Config) -> int:
    """Run `doorkeeper import flats`."""
    sheet = read_sheet(Path(args.file))  # before the store is opened
    store = await open_existing(config, args.db)
    try:
        async with store.reader() as uow:
            viewer = await load_viewer(uow, args.operator, "cli")
        site = site_named(viewer, args.site)
        block = await block_id(StoreReads(store), viewer, site, args.block)
        with stages("import steps", ["plan the import (every line checked)"]) as job:
            job.next()
            plan = await plan_import(store.reader(), viewer.actor, block, sheet,
                                     remove_missing=args.remove_missing)
        show(plan)
        if not args.apply:
            say("Nothing was written: run again with --apply to import.")
            return 1 if plan.refused else 0
        with stages("import steps", ["apply the plan (one transaction)"]) as job:
            job.next()
            done = await apply_import(store.uow(), viewer.actor, block, sheet,
                                      remove_missing=args.remove_missing)
    finally:
        await store.close()
    c = done.counts
    say(f"Imported: {c['added']:,} flats added, {c['changed']:,} changed, "
        f"{c['removed']:,} removed.")
    return 0
