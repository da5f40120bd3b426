"""The store as a whole: open it, migrate it, hand out units of work and the event writer."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.audit import ChainReport
from core.config import StoreConfig
from core.errors import StoreError
from store.backup import audit_report
from store.events import EventWriter
from store.postgres import check_url, create_postgres_engine, is_postgres, maintain_events
from store.spill import new_origin, pg_spill_path, spill_path
from store.sqlite import create_sqlite_engine, is_sqlite, sqlite_url
from store.unit_of_work import SqlUnitOfWork
from store.upgrade import UpgradeSteps, upgrade
from store.write_gate import WriteGate


class Store:
    """One database: a SQLite file by default, or PostgreSQL (store/postgres.py)."""

    def __init__(self, engine: AsyncEngine, url: str, flush_ms: int = 5,
                 busy_timeout_ms: int = 5000, retention_months: int = 0) -> None:
        self.engine = engine
        self.url = url
        self.flush_ms = flush_ms
        self.busy_s = busy_timeout_ms / 1000
        self.retention_months = retention_months  # PostgreSQL: [store] event_retention_months
        self.export_folder = ""  # [store] export_folder (console.export.folder reads it)
        #: what local files (logs, exports) sit beside: the SQLite file; on PostgreSQL the
        #: [store] path (never created as a database)
        self.local = Path(self.where) if is_sqlite(url) else Path("var/doorkeeper.db")
        #: PostgreSQL: the event writer's local spill journal ([store] spill_path; a
        #: site gateway sets its own before its writer starts: store.spill.pg_spill_path)
        self.spill_file: Path | None = None
        self._writer: EventWriter | None = None
        self._writer_engine: AsyncEngine | None = None
        #: desks wait for the event writer's intent (SQLite only, see store.write_gate)
        self.gate = WriteGate(self.where) if is_sqlite(url) else None

    @classmethod
    async def open(cls, config: StoreConfig | None = None, *, path: str | Path | None = None,
                   migrate: bool = True, steps: UpgradeSteps | None = None) -> Store:
        """Open (and by default migrate) the store named by a path or the config; `steps`
        hears an upgrade's steps, if one runs (a command line's progress)."""
        config = config or StoreConfig()
        url = check_url(config.url) if config.url else sqlite_url(path or config.path)
        if is_sqlite(url):
            engine = create_sqlite_engine(url, config.busy_timeout_ms)
        else:
            engine = create_postgres_engine(url, config.busy_timeout_ms)
        store = cls(engine, url, config.event_flush_ms, config.busy_timeout_ms,
                    config.event_retention_months)
        store.export_folder = config.export_folder
        store.local = Path(store.where) if is_sqlite(url) else Path(path or config.path)
        if store.is_postgres:
            store.spill_file = Path(config.spill_path or pg_spill_path(Path(config.path).parent))
        if migrate:
            # the migration check takes the write lock: ahead of the desks, as the event
            # writer does, or a gateway starting among busy desks could time out
            intent = WriteGate(store.where) if store.gate is not None else None
            try:
                db = Path(store.where) if intent is not None else None
                with intent.intent() if intent is not None else contextlib.nullcontext():
                    await upgrade(engine, db if db is not None and db.exists() else None,
                                  store.where, steps)
            except DBAPIError as err:  # any the driver raised (a migration refused too)
                await engine.dispose()
                raise StoreError(f"Cannot open the store {store.where}: {err.orig}.") from err
            except OSError as err:  # a server that cannot be reached (no socket, refused)
                await engine.dispose()
                raise StoreError(f"Cannot reach the store {store.where}: {err}.") from err
            except Exception as err:
                from alembic.util import CommandError  # only on this path: see store/migrate

                await engine.dispose()
                if not isinstance(err, CommandError):
                    raise
                raise StoreError(f"The store {store.where} has a schema this Doorkeeper does not know "
                                 f"(is it from a newer version?): {err}.") from err
            finally:
                if intent is not None:
                    intent.close()
            if store.is_postgres:  # this month's partitions and the next; retention
                await maintain_events(engine, keep_months=store.retention_months)
        return store

    @property
    def is_postgres(self) -> bool:
        """True when the store is a PostgreSQL database."""
        return is_postgres(self.url)

    @property
    def where(self) -> str:
        """The database file for SQLite, else the URL without its password (for messages
        and tools)."""
        if is_sqlite(self.url):
            return self.engine.url.database or self.url
        return self.engine.url.render_as_string(hide_password=True)

    def uow(self) -> SqlUnitOfWork:
        """A unit of work for one service call (a write transaction)."""
        return SqlUnitOfWork(self.engine, gate=self.gate, busy_s=self.busy_s)

    def reader(self) -> SqlUnitOfWork:
        """A read-only unit of work (no write lock)."""
        return SqlUnitOfWork(self.engine, write=False)

    async def event_writer(self) -> EventWriter:
        """The store's single event writer, started.

        On SQLite it has a connection of its own (busy timeout 0: it asks for the lock
        itself, every millisecond, ahead of the desks), the write intent, and the spill
        journal beside the file.
        """
        if self._writer is None:
            if is_sqlite(self.url):
                self._writer_engine = create_sqlite_engine(self.url, 0, pool_size=1)
                self._writer = EventWriter(self._writer_engine, flush_ms=self.flush_ms,
                                           spill=spill_path(self.where),
                                           gate=WriteGate(self.where), origin=new_origin())
            else:  # PostgreSQL: batches serialised by an advisory lock (store/postgres.py),
                # a local journal while the server cannot be reached (store/spill.py)
                if self.spill_file is not None:
                    self.spill_file.parent.mkdir(parents=True, exist_ok=True)
                self._writer = EventWriter(
                    self.engine, flush_ms=self.flush_ms, lock_wait_s=self.busy_s,
                    maintain=functools.partial(maintain_events,
                                               keep_months=self.retention_months),
                    spill=self.spill_file, origin=new_origin())
        return await self._writer.start()

    async def verify_audit(self) -> ChainReport:
        """Check the audit trail's hash chain against its head."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(audit_report)

    async def close(self) -> None:
        """Flush events and release the database."""
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._writer_engine is not None:
            await self._writer_engine.dispose()
            self._writer_engine = None
        if self.gate is not None:
            self.gate.close()
        await self.engine.dispose()
