"""The store as a whole: open it, migrate it, hand out units of work and the event writer."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.audit import ChainReport
from core.config import StoreConfig
from core.errors import StoreError
from store.backup import audit_report
from store.events import EventWriter
from store.spill import spill_path
from store.sqlite import create_sqlite_engine, is_sqlite, sqlite_url
from store.unit_of_work import SqlUnitOfWork
from store.upgrade import UpgradeSteps, upgrade
from store.write_gate import WriteGate


class Store:
    """One database: SQLite file by default, any SQLAlchemy async URL otherwise."""

    def __init__(self, engine: AsyncEngine, url: str, flush_ms: int = 5,
                 busy_timeout_ms: int = 5000) -> None:
        self.engine = engine
        self.url = url
        self.flush_ms = flush_ms
        self.busy_s = busy_timeout_ms / 1000
        self.export_folder = ""  # [store] export_folder (console.export.folder reads it)
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
        url = config.url or sqlite_url(path or config.path)
        if is_sqlite(url):
            engine = create_sqlite_engine(url, config.busy_timeout_ms)
        else:
            engine = create_async_engine(url, pool_pre_ping=True)
        store = cls(engine, url, config.event_flush_ms, config.busy_timeout_ms)
        store.export_folder = config.export_folder
        if migrate:
            # the migration check takes the write lock: ahead of the desks, as the event
            # writer does, or a gateway starting among busy desks could time out
            intent = WriteGate(store.where) if store.gate is not None else None
            try:
                db = Path(store.where) if intent is not None else None
                with intent.intent() if intent is not None else contextlib.nullcontext():
                    await upgrade(engine, db if db is not None and db.exists() else None, url,
                                  steps)
            except (OperationalError, DatabaseError) as err:
                await engine.dispose()
                raise StoreError(f"Cannot open the store {url}: {err.orig}.") from err
            except Exception as err:
                from alembic.util import CommandError  # only on this path: see store/migrate

                await engine.dispose()
                if not isinstance(err, CommandError):
                    raise
                raise StoreError(f"The store {url} has a schema this Doorkeeper does not know "
                                 f"(is it from a newer version?): {err}.") from err
            finally:
                if intent is not None:
                    intent.close()
        return store

    @property
    def where(self) -> str:
        """The database file for SQLite, else the URL (for messages and tools)."""
        return (self.engine.url.database or self.url) if is_sqlite(self.url) else self.url

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
                                           gate=WriteGate(self.where))
            else:
                self._writer = EventWriter(self.engine, flush_ms=self.flush_ms)
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
