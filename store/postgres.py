"""Everything PostgreSQL-specific, in one place: the twin of store/sqlite.py.

- the URL: `postgresql+asyncpg://user[:password]@host[:port]/database` (or a Unix socket
  folder: `postgresql+asyncpg://user@/database?host=/run/postgresql`); anything else is
  refused with one line;
- what a write transaction ("write" execution option) means. SQLite has one writer at a
  time, and the code relies on it in two places: a desk's change checks the guide's rules
  (quotas, unique codes) and then writes, and the audit chain reads its head and appends.
  On PostgreSQL a desk's write transaction takes a transaction-level advisory lock
  (`pg_advisory_xact_lock(WRITERS)`), so desks' changes are serialised exactly as on
  SQLite, whichever machine they come from; the event writer takes another (`EVENTS`),
  so event batches (their ids follow the largest stored) are serialised among gateways
  without waiting for desks. The audit chain takes `AUDIT` as well, so an append from
  any other path is still one link at a time. A lock not granted within the busy timeout
  (`lock_timeout`) is "locked too long", as SQLite's busy timeout is;
- the event log's monthly partitions (migration 0009 makes the table): the partitions of
  this month and the next `AHEAD` are made when a store opens and when the event writer
  meets a month it has not seen; with `[store] event_retention_months` set, the partitions
  wholly older than that many months are dropped at the same moments (a whole month at a
  time: no row-by-row delete, no bloat);
- the errors PostgreSQL reports, by SQLSTATE, as the store's named faults (store.faults).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from core.errors import StoreError

log = logging.getLogger(__name__)

DRIVER = "postgresql+asyncpg"
#: advisory lock keys (64-bit, "dk" in the high bits): desks' writes, event batches, audit,
#: partitions
WRITERS = 0x646B_0000_0001
EVENTS = 0x646B_0000_0002
AUDIT = 0x646B_0000_0003
PARTITIONS = 0x646B_0000_0004  # making a month's partition (writers start together)
#: SQLSTATE (or its two-character class) -> the store's fault names (store.faults)
FAULTS = {
    "53100": "disk full",  # disk_full
    "53": "disk full",  # insufficient resources (disk, memory, connections)
    "55P03": "locked too long",  # lock_not_available: lock_timeout passed
    "40P01": "locked too long",  # deadlock_detected
    "57014": "locked too long",  # query_canceled (statement_timeout)
    "25006": "read-only",  # read_only_sql_transaction (a standby)
    "58030": "disk I/O error",
    "58": "disk I/O error",
    "XX001": "database damaged",  # data_corrupted
    "XX002": "database damaged",  # index_corrupted
    "08": "cannot open",  # connection exceptions
    "57P": "cannot open",  # admin shutdown, crash shutdown, cannot connect now
    "28": "cannot open",  # invalid authorisation
    "3D": "cannot open",  # invalid catalog name: no such database
}
#: SQLSTATE classes of refused data: the caller's business, not a fault
DATA_CLASSES = ("22", "23", "42")
#: the events' partitions: one a month (UTC), and the default one for anything else
PARTITION = re.compile(r"events_(?:y(\d{4})m(\d{2})|default)")
#: months made ahead of the current one
AHEAD = 2


def is_postgres(url: str) -> bool:
    """True for postgresql URLs (any driver; only asyncpg is accepted by check_url)."""
    try:
        return make_url(url).get_backend_name() == "postgresql"
    except ArgumentError:
        return False


def check_url(url: str) -> str:
    """The URL if Doorkeeper can use it; else StoreError naming what is wrong (the
    password never appears in the message)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError("The store URL is not a database URL: expected "
                         "sqlite+aiosqlite:///PATH or "
                         "postgresql+asyncpg://USER@HOST/DATABASE.") from None
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() != "aiosqlite":
            raise StoreError(f"The store URL {shown} must use the aiosqlite driver: "
                             "sqlite+aiosqlite:///PATH.")
        return url
    if backend != "postgresql":
        raise StoreError(f"The store URL {shown} names {backend}: Doorkeeper stores in "
                         "SQLite or PostgreSQL.")
    if parsed.drivername != DRIVER:
        raise StoreError(f"The store URL {shown} must use the asyncpg driver: "
                         f"{DRIVER}://USER@HOST/DATABASE.")
    if not parsed.database:
        raise StoreError(f"The store URL {shown} names no database: "
                         f"{DRIVER}://USER@HOST/DATABASE.")
    return url


def create_postgres_engine(url: str, busy_timeout_ms: int = 5000, *,
                           pool_size: int = 4) -> AsyncEngine:
    """An engine whose write transactions are serialised as SQLite's are (see above)."""
    engine = create_async_engine(
        check_url(url), pool_size=pool_size, max_overflow=8, pool_pre_ping=True,
        connect_args={"timeout": max(1.0, busy_timeout_ms / 1000),
                      "server_settings": {"application_name": "doorkeeper"}})

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("write", False)
        if not write:
            return
        # SET LOCAL: for this transaction only; a lock not granted in time is 55P03
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(busy_timeout_ms)}")
        key = EVENTS if write == "events" else WRITERS
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")

    return engine


async def lock_audit_chain(conn: AsyncConnection) -> None:
    """Serialise audit appends (held until the transaction ends)."""
    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({AUDIT})")


def sqlstate(orig: BaseException) -> str | None:
    """The SQLSTATE of a driver error (SQLAlchemy's asyncpg adapter or asyncpg's own)."""
    for err in (orig, orig.__cause__):
        code: Any = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if isinstance(code, str) and code:
            return code
    return None


def pg_fault(orig: BaseException) -> str | None:
    """The named fault of a PostgreSQL error; None when the data was refused; "refusing
    writes" for anything else that is not about the data (a lost connection without
    a SQLSTATE, say)."""
    code = sqlstate(orig)
    if code is None:
        return "refusing writes"
    if code[:2] in DATA_CLASSES:
        return None
    return (FAULTS.get(code) or FAULTS.get(code[:3]) or FAULTS.get(code[:2])
            or "refusing writes")


# --- the event log's monthly partitions ------------------------------------------------


def is_event_partition(name: str) -> bool:
    """A partition of the events table (not in store.tables' metadata)."""
    return PARTITION.fullmatch(name) is not None


def month_of(moment: datetime | date) -> date:
    """The first day of the (UTC) month holding a moment."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def add_months(month: date, n: int) -> date:
    """The first day of the month n months after (or before) `month`."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"events_y{month.year:04d}m{month.month:02d}"


async def event_partitions(conn: AsyncConnection) -> dict[str, date | None]:
    """The events' partitions: name -> its month (None for the default partition)."""
    rows = await conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'")
    found: dict[str, date | None] = {}
    for (name,) in rows:
        m = PARTITION.fullmatch(name)
        if m is not None:
            found[name] = date(int(m[1]), int(m[2]), 1) if m[1] else None
    return found


async def _partitioned(conn: AsyncConnection) -> bool:
    kind = (await conn.exec_driver_sql(
        "SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = 'events' AND n.nspname = current_schema()")).scalar()
    return bool(kind == "p")


async def maintain_events(engine: AsyncEngine, months: Iterable[date] = (), *,
                          now: datetime | None = None, keep_months: int = 0
                          ) -> tuple[list[str], list[str]]:
    """Make the partitions of `months` and of this month and the next AHEAD; with
    `keep_months`, drop the partitions wholly older than that many months before this
    one. Returns (made, dropped). A month whose rows already sit in the default partition
    is left there (logged): its events stay readable, only not in a partition of their own.
    """
    current = month_of(now or datetime.now(UTC))
    wanted = {add_months(current, n) for n in range(AHEAD + 1)} | {month_of(m) for m in months}
    made: list[str] = []
    dropped: list[str] = []
    async with engine.connect() as conn:
        if not await _partitioned(conn):
            return made, dropped
        have = await event_partitions(conn)
        await conn.rollback()
        for month in sorted(wanted):
            name = partition_name(month)
            if name in have:
                continue
            try:
                async with conn.begin():
                    # the parent's lock: never wait long behind a long transaction at start
                    await conn.exec_driver_sql("SET LOCAL lock_timeout = 5000")
                    # one maker at a time: IF NOT EXISTS alone still races in the catalog
                    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PARTITIONS})")
                    await conn.exec_driver_sql(
                        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF events FOR VALUES "
                        f"FROM ('{month.isoformat()} 00:00:00+00') "
                        f"TO ('{add_months(month, 1).isoformat()} 00:00:00+00')")
                made.append(name)
            except DBAPIError as err:
                log.warning("events of %s stay in the default partition: %s", month, err.orig)
        if keep_months > 0:
            oldest = add_months(current, -keep_months)
            for name, held in sorted(have.items()):
                if held is not None and add_months(held, 1) <= oldest:
                    async with conn.begin():
                        await conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
                    dropped.append(name)
            if "events_default" in have:  # what fell outside the monthly partitions
                async with conn.begin():
                    await conn.exec_driver_sql(
                        f"DELETE FROM events_default WHERE at < '{oldest.isoformat()} "
                        "00:00:00+00'")
    if dropped:
        log.warning("event retention (%d months): dropped %s", keep_months, ", ".join(dropped))
    return made, dropped


async def default_partition_rows(conn: AsyncConnection) -> int:
    """Events that fell outside the monthly partitions."""
    n = (await conn.exec_driver_sql("SELECT count(*) FROM events_default")).scalar()
    return int(n or 0)
