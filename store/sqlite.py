"""Everything SQLite-specific, in one place (PostgreSQL will need none of it).

- pragmas on every connection: WAL, foreign keys, busy timeout, full sync;
- the driver's own transaction handling is switched off so that a unit of
  work can take the write lock up front (BEGIN IMMEDIATE) and never fails
  half-way on a lock upgrade.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from core.errors import StoreError


def is_sqlite(url: str) -> bool:
    """True for sqlite URLs."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_url(path: str | Path) -> str:
    """The aiosqlite URL of a database file, creating its folder."""
    p = Path(path)
    if p.exists() and p.is_dir():
        raise StoreError(f"{p} is a folder, not a database file.")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as err:
        file = next((q for q in p.parents if q.is_file()), p.parent)
        raise StoreError(f"Cannot create the folder for {p}: {file} is a file.") from err
    except OSError as err:
        raise StoreError(f"Cannot create the folder for {p}: {err.strerror}.") from err
    return f"sqlite+aiosqlite:///{p}"


def create_sqlite_engine(url: str, busy_timeout_ms: int = 5000, *,
                         pool_size: int = 4) -> AsyncEngine:
    """An engine whose connections are set up the way Doorkeeper needs."""
    # A small pool: opening an aiosqlite connection starts a thread, which would
    # stall the event loop at every group commit and change poll. (A process that
    # forks must dispose of the engine in the child.)
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=8)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # we issue BEGIN ourselves (the aiosqlite adapter takes sqlite3's attribute)
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
