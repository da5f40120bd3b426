"""Which store a CLI command opens: only `init` and `demo` may create one.

Every other command refuses a missing store in one line, so a typo in `--db` never
leaves an empty store (and its folders) behind that then looks "intact". A refused
`init` removes what it created: the database file, its journals and the folders
made for it. A store that needs its schema made or upgraded shows the migrations'
progress on stderr (console/progress.py); one already up to date shows nothing.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from console.progress import UpgradeProgress
from core.config import Config
from core.errors import DoorkeeperError
from store.database import Store

#: files SQLite may add beside a database
_JOURNALS = ("-wal", "-shm", "-journal")


def store_file(config: Config, db: str | None) -> Path | None:
    """The SQLite file a command would open, or None for a server URL or memory."""
    if config.store.url:
        url = make_url(config.store.url)
        if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)
    return Path(db or config.store.path)


def bus_beside_db(config: Config, args: argparse.Namespace) -> None:
    """`--bus` when given; on a store in PostgreSQL, its LISTEN/NOTIFY (consoles and
    gateways on other machines meet there); with no config, the bus socket lives beside
    the database."""
    if getattr(args, "bus", None):
        config.bus.path = args.bus
    elif config.store.url.startswith("postgresql"):
        config.bus.path = config.store.url
    elif args.config is None:
        config.bus.path = str(Path(args.db or config.store.path).with_suffix(".sock"))


def empty_file(path: Path) -> bool:
    """An empty file where a store should be: SQLite takes it for a new database, so
    opening it would make a store of it (a truncated store, a file made by mistake)."""
    return path.is_file() and path.stat().st_size == 0


async def open_existing(config: Config, db: str | None) -> Store:
    """Open (and migrate) a store that exists; one clear line if it does not."""
    path = store_file(config, db)
    if path is not None and not path.exists():
        raise DoorkeeperError(f"No store at {path}; create one with 'doorkeeper init "
                              f"--admin EMAIL --db {path}' (or 'doorkeeper demo').")
    if path is not None and empty_file(path):
        raise DoorkeeperError(f"{path} is an empty file, not a store; restore a backup "
                              f"there, or create a store with 'doorkeeper init --admin "
                              f"EMAIL --db {path}'.")
    return await Store.open(config.store, path=db, steps=UpgradeProgress())


@asynccontextmanager
async def creating(config: Config, db: str | None) -> AsyncIterator[Store]:
    """Open or create a store; if the block fails on a store it created, remove the
    store and the folders made for it, so the refusal leaves nothing behind."""
    path = store_file(config, db)
    if path is None or path.exists():
        existing = await Store.open(config.store, path=db, steps=UpgradeProgress())
        try:
            yield existing
        finally:
            await existing.close()
        return
    made = [p for p in path.absolute().parents if not p.exists()]  # deepest first
    store: Store | None = None
    try:
        store = await Store.open(config.store, path=db, steps=UpgradeProgress())
        yield store
    except BaseException:
        if store is not None:
            await store.close()
            store = None
        _remove(path, made)
        raise
    finally:
        if store is not None:
            await store.close()


def _remove(path: Path, folders: list[Path]) -> None:
    for leftover in (path, *(path.with_name(path.name + s) for s in _JOURNALS)):
        with contextlib.suppress(OSError):  # never made (its "folder" is a file)
            leftover.unlink(missing_ok=True)
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (something else was put there): leave it
            break
