"""`doorkeeper backup` and `doorkeeper restore`: verified copies of a live store, and
putting one back (store/backup.py does the work; docs/operations.md says when)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from console.cli_output import say
from console.cli_store import bus_beside_db, store_file
from console.progress import UpgradeProgress, stages
from core.config import Config
from core.errors import DoorkeeperError

#: what a backup does, in order (store.backup.take_backup names each as it begins)
BACKUP_STAGES = ["copy the store online", "check the copy (integrity, audit chain)",
                 "sync the copy to disk"]


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add the `backup` and `restore` commands to the CLI."""
    backup = sub.add_parser("backup", parents=[common],
                            help="a verified online copy of the store (doors keep working)")
    backup.add_argument("--to", metavar="FILE",
                        help="the copy's file (default: the backup folder, named by time "
                             "and schema revision; older copies beyond --keep are removed)")
    backup.add_argument("--keep", type=int, metavar="N",
                        help="copies kept in the backup folder (default: [backup] keep)")
    restore = sub.add_parser("restore", parents=[common],
                             help="replace the store by a backup, once the backup is proven good")
    restore.add_argument("file", metavar="FILE", help="the backup to restore")
    restore.add_argument("--bus", metavar="PATH", help="the bus socket, overrides the config")


def backup_folder(config: Config, db: Path) -> Path:
    """Where backups go: the config's folder, else `backups` beside the store."""
    return Path(config.backup.folder) if config.backup.folder else db.parent / "backups"


def _sqlite_file(config: Config, args: argparse.Namespace, new: bool = False) -> Path:
    """The store's file; `new`: it may not exist yet (a restore onto a new machine), if
    its folder does."""
    db = store_file(config, args.db)
    if db is None:
        raise DoorkeeperError("The store is a database server: back it up with its own "
                              "tools (PostgreSQL: pg_dump, from the server's own version).")
    if new and not db.exists() and not db.is_symlink():
        if not db.parent.is_dir():
            raise DoorkeeperError(f"No folder {db.parent} to restore the store into; create "
                                  "it first (the store's folder, owned by its user).")
        return db
    if not db.is_file():
        raise DoorkeeperError(f"No store at {db}; nothing to back up or restore into "
                              f"(create one with 'doorkeeper init --admin EMAIL --db {db}').")
    return db


async def run_backup(args: argparse.Namespace, config: Config) -> int:
    """Back the store up, verified; in the folder, keep the newest N."""
    from store.backup import prune, take_backup

    keep = config.backup.keep if args.keep is None else args.keep
    if not 1 <= keep <= 1000:
        raise DoorkeeperError("--keep must be 1 to 1000.")
    db = _sqlite_file(config, args)
    folder = backup_folder(config, db)
    with stages("backup steps", BACKUP_STAGES) as job:
        report = await asyncio.to_thread(take_backup, db, args.to, folder=folder,
                                         stage=lambda _name: job.next())
    say(f"Backup {report.path}: schema {report.revision}, {report.size / 1e6:.1f} MB, "
        f"integrity ok, audit trail intact ({report.audit_entries} "
        f"{'entry' if report.audit_entries == 1 else 'entries'}), "
        f"{report.seconds:.1f} s.")
    if report.spilled:
        say("Events waiting in the spill journal were copied beside it "
            f"({report.path}.events-spill).")
    if args.to is None:
        for old in prune(folder, keep):
            say(f"Removed the old backup {old.name} (keeping {keep}).")
    return 0


async def run_restore(args: argparse.Namespace, config: Config) -> int:
    """Refuse while a gateway answers; prove the backup good; swap it in; open it."""
    from console.headless.children import gateway_answers
    from store.backup import restore
    from store.database import Store

    db = _sqlite_file(config, args, new=True)
    bus_beside_db(config, args)
    try:
        await gateway_answers(config.bus.path)
    except (DoorkeeperError, OSError):
        pass
    else:
        raise DoorkeeperError(f"A gateway is running on {config.bus.path}: stop it first "
                              "(systemctl stop doorkeeper-serve doorkeeper-gateway), then "
                              "restore.")
    revision, kept = await asyncio.to_thread(restore, Path(args.file), db)
    store = await Store.open(config.store, path=db,  # an older backup is upgraded here
                             steps=UpgradeProgress())
    await store.close()
    say(f"Restored {args.file} (schema {revision}) into {db}."
        + (f" The store it replaced is kept at {kept}." if kept else ""))
    return 0
