"""The `doorkeeper` command: reads the config and wires store, drivers and core together.

Wrong arguments, bad files and a missing store get one clear line on stderr and exit
code 2; never a traceback. Only `init` and `demo` create a store (`cli_store.py`), and
everything printed is plain text (`cli_output.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from console import (
    cli_backup,
    cli_doctor,
    cli_export,
    cli_import,
    cli_operators,
    cli_serve,
    cli_service,
    cli_status,
)
from console.cli_output import EXIT_USAGE, refuse, say
from console.cli_output import Parser as _Parser
from console.cli_store import bus_beside_db, creating, open_existing
from console.headless.children import hold_lifeline
from console.progress import JobProgress, UpgradeProgress
from core import rules
from core.config import Config, load_config
from core.errors import DoorkeeperError
from core.services.operators import bootstrap_admin
from core.text import PlainFormatter, has_control_chars
from store.database import Store


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)  # only a parent: its arguments are copied
    common.add_argument("--config", metavar="FILE", help="config file (see config.example.toml)")
    common.add_argument("--db", metavar="PATH", help="SQLite store file, overrides the config")

    p = _Parser(prog="doorkeeper", description="Door entry and access-control console.")
    p.add_argument("--version", action=_Version, nargs=0,
                   help="print the version and the store schema revision it uses, and exit")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    init = sub.add_parser("init", parents=[common],
                          help="create or upgrade the store and the first administrator")
    init.add_argument("--admin", metavar="EMAIL", required=True)

    demo = sub.add_parser("demo", parents=[common], help="build the demo estate and open it")
    demo.add_argument("--no-ui", action="store_true", help="build the estate only")
    demo.add_argument("--seed", type=int, help="seed of the estate (default 1)")
    demo.add_argument("--events", type=int, help="past events to generate (default 200000)")
    demo.add_argument("--operator", metavar="LOGIN", default="admin@doorkeeper.example",
                      help="open as this demo operator: manager, concierge, engineer, "
                           "auditor (default admin@doorkeeper.example)")

    con = sub.add_parser("console", parents=[common],
                         help="open the console (starts a gateway if none is running)")
    con.add_argument("--operator", metavar="EMAIL",
                     help="open as this operator (default: the first administrator)")

    gw = sub.add_parser("gateway", parents=[common],
                        help="run the headless gateway: devices, decisions, events, bus")
    gw.add_argument("--simulate", action="store_true",
                    help="add the simulator over the store's devices")
    gw.add_argument("--rate", type=float, help="simulated draws per second (a draw may make "
                    "no event; [[driver]] rate_counts = \"events\" counts events)")
    gw.add_argument("--bus", metavar="PATH", help="the bus socket, overrides the config")
    gw.add_argument("--site", action="append", default=[], metavar="SITE",
                    help="own this site only (its name or id; repeatable; default: every "
                         "site); on PostgreSQL one gateway per site (docs/sites.md)")

    audit = sub.add_parser("audit", help="the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    audit_sub.add_parser("verify", parents=[common], help="check the hash chain")
    cli_operators.register(sub, common)
    cli_serve.register(sub, common)
    cli_doctor.register(sub, common)
    cli_export.register(sub, common)
    cli_backup.register(sub, common)
    cli_service.register(sub, common)
    cli_status.register(sub, common)
    cli_import.register(sub, common)
    return p


class _Version(argparse.Action):
    """`--version`: the release and the schema revision its migrations reach (read only
    when asked: the installed metadata costs an import)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from store.migrate import HEAD
        from store.upgrade import release_version

        say(f"doorkeeper {release_version()} (store schema {HEAD})")
        parser.exit(0)


async def _open(config: Config, db: str | None) -> Store:
    return await open_existing(config, db)


async def _init(args: argparse.Namespace, config: Config) -> int:
    rules.email(args.admin, "admin", required=True)  # before anything is created
    async with creating(config, args.db) as store:
        op = await bootstrap_admin(store.uow(), args.admin)
    say(f"Store ready at {store.where}; administrator {op.email}.")
    return 0


#: past events a demo may have: the history is built in memory first (about 0.5 kB an
#: event measured: 20 million take some 10 GB and 20 minutes)
MAX_DEMO_EVENTS = 20_000_000


async def _demo(args: argparse.Namespace, config: Config) -> int:
    from console.demo.build import build_demo, is_built  # Faker loads only for the demo

    seed = config.demo.seed if args.seed is None else args.seed
    events = config.demo.events if args.events is None else args.events
    if not 0 <= events <= MAX_DEMO_EVENTS:
        raise DoorkeeperError(f"--events must be 0 to {MAX_DEMO_EVENTS:,}.")
    bus_beside_db(config, args)
    store = await Store.open(config.store, path=args.db,  # the demo creates its store
                             steps=UpgradeProgress())
    where = store.where
    try:
        if await is_built(store):
            say(f"The demo estate is already built in {where}.")
        else:
            say(f"Building the demo estate (seed {seed}) in {where} …", flush=True)
            with JobProgress("past events", events) as progress:
                r = await build_demo(store, seed, events, config.demo.days,
                                     step=progress.stage, stored=progress.advance)
            say(f"Built {r.sites} sites, {r.blocks} blocks, {r.flats} flats, "
                  f"{r.telephones} telephones/emails, {r.displays} panel displays, "
                  f"{r.passes} APasses, {r.devices} devices, {r.events} past events "
                  f"in {r.seconds:.1f} s.")
        if args.no_ui:
            return 0
        from console.launch import run_console
        _log_to_file(str(store.local), "console")
        return await run_console(store, db=str(store.local), bus=config.bus.path, config=args.config,
                                 operator=args.operator, simulate=True)
    finally:
        await store.close()


async def _console(args: argparse.Namespace, config: Config) -> int:
    from console.launch import run_console
    bus_beside_db(config, args)
    store = await _open(config, args.db)
    try:
        _log_to_file(str(store.local), "console")
        return await run_console(store, db=str(store.local), bus=config.bus.path,
                                 config=args.config, operator=args.operator, simulate=False)
    finally:
        await store.close()


def _log_to_file(db: str, name: str) -> None:
    """While the console owns the terminal, log lines go to a file beside the store."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(Path(db).with_suffix(f".{name}.log"), encoding="utf-8")
    handler.setFormatter(PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


async def _gateway(args: argparse.Namespace, config: Config) -> int:
    from console.headless.gateway import Gateway, GatewayOptions
    from console.headless.sites import gateway_log
    from console.headless.systemd import log_to_journal_or_file

    if args.rate is not None and not 0 <= args.rate <= 10_000:
        raise DoorkeeperError("--rate must be 0 to 10000 events per second.")
    bus_beside_db(config, args)
    for name in ("console", "core", "store", "drivers"):
        logging.getLogger(name).setLevel(logging.INFO)
    store = await _open(config, args.db)
    # the journal under systemd (no second time stamp), else a rotated file beside the store
    log_to_journal_or_file(gateway_log(store, config.store, args.site), PlainFormatter)
    gateway = Gateway(config, store, GatewayOptions(args.simulate, args.rate,
                                                    sites=args.site))
    try:
        await gateway.run()
    except BaseException:
        await store.close()
        raise
    return 0


async def _audit_verify(args: argparse.Namespace, config: Config) -> int:
    store = await _open(config, args.db)
    try:
        from store.audit_queries import audit_chain  # the whole chain; sets the checkpoint
        report = await audit_chain(store, full=True)
    finally:
        await store.close()
    if report.ok:
        entries = "entry" if report.checked == 1 else "entries"
        say(f"Audit trail intact: {report.checked} {entries} verified.")
        return 0
    at = f" at entry {report.entry_id}" if report.entry_id else ""
    say(f"Audit trail TAMPERED{at}: {report.problem} "
        f"({report.checked} entries verified before it).", file=sys.stderr)
    return 1


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "service":  # reads the config the units will run with, if any
        return cli_service.run(args)
    config = load_config(args.config)
    if args.command == "init":
        return await _init(args, config)
    if args.command == "demo":
        return await _demo(args, config)
    if args.command == "gateway":
        return await _gateway(args, config)
    if args.command == "console":
        return await _console(args, config)
    if args.command == "operator":
        return await cli_operators.run(args, config)
    if args.command == "serve":
        return await cli_serve.run(args, config)
    if args.command == "export":
        return await cli_export.run(args, config)
    if args.command == "backup":
        return await cli_backup.run_backup(args, config)
    if args.command == "restore":
        return await cli_backup.run_restore(args, config)
    if args.command == "status":
        return await cli_status.run(args, config)
    if args.command == "import":
        return await cli_import.run(args, config)
    if args.command == "doctor":
        return cli_doctor.run(args, config)
    return await _audit_verify(args, config)


def _logging() -> None:
    """Log lines to stderr (never stdout: a console app owns it)."""
    handler = logging.StreamHandler(sys.__stderr__)
    handler.setFormatter(PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])


#: (dest, as the caller wrote it) of the arguments that name a file or a folder
_FILE_ARGUMENTS = (("db", "--db"), ("config", "--config"), ("output", "-o"), ("to", "--to"),
                   ("file", "FILE"), ("key", "--key"), ("bus", "--bus"),
                   ("host_key", "--host-key"), ("dir", "--dir"))


def _file_name_problem(value: str | None, dest: str) -> str:
    """Why a file's name given as an argument cannot be used, or "": empty (it would name
    the working folder, or nothing), control characters in a file not there yet (one is
    never made named with an escape sequence)."""
    if value is None:
        return ""
    if not value.strip():
        return f"needs a {'folder' if dest == 'dir' else 'file'} name."
    if has_control_chars(value) and not os.path.lexists(value):  # one there is read
        return "holds control characters: name the file without them."
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `doorkeeper` console script."""
    hold_lifeline()  # started by a console or `serve`: never outlive it
    argv = sys.argv[1:] if argv is None else list(argv)
    for arg in argv:  # bytes not UTF-8 come as surrogates, which SQL and files refuse late
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            refuse(f"The argument {arg!r} is not UTF-8 text: type it in UTF-8.")
            return EXIT_USAGE
    try:
        args = _parser().parse_args(argv)  # --help writes: stdout may be a full disk
    except OSError as err:
        refuse(_os_error(err))
        return EXIT_USAGE
    db = getattr(args, "db", None)
    for dest, name in _FILE_ARGUMENTS:
        problem = _file_name_problem(getattr(args, dest, None), dest)
        if problem:
            refuse(f"{name} {problem}")
            return EXIT_USAGE
    _logging()
    try:
        if db and Path(db).is_dir():
            raise DoorkeeperError(f"{db} is a folder, not a database file.")
        return asyncio.run(_dispatch(args))
    except DoorkeeperError as err:
        refuse(err.message)
        return EXIT_USAGE
    except OSError as err:  # a name too long, a full disk, a folder one may not write
        refuse(_os_error(err))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _os_error(err: OSError) -> str:
    """An operating system's refusal as the CLI's one line: what, and on which file."""
    what = err.strerror or str(err)
    return f"{what}: {err.filename}." if err.filename is not None else f"{what}."


if __name__ == "__main__":
    sys.exit(main())
