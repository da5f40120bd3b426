"""Why the store refuses a write: a named fault a person must act on, or bad data.

The event writer and the units of work ask `store_fault(err)`: a fault ("disk
full", "database damaged", "read-only", "locked too long", "disk I/O error",
"cannot open") means the store cannot take *any* write and is raised as an
alarm; None means the data itself was refused (a constraint, a bad value), which
is the caller's business. SQLite's error name (`sqlite_errorname`, Python 3.11+)
decides; a disk I/O error on a filesystem with no space left is "disk full",
which is what SQLite reports when the WAL cannot grow.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError

from store.postgres import pg_fault

#: SQLite's primary result codes (the part of the name before any "_" suffix) -> fault
FAULTS = {
    "SQLITE_FULL": "disk full",
    "SQLITE_CORRUPT": "database damaged",
    "SQLITE_NOTADB": "database damaged",
    "SQLITE_READONLY": "read-only",
    "SQLITE_BUSY": "locked too long",
    "SQLITE_LOCKED": "locked too long",
    "SQLITE_IOERR": "disk I/O error",
    "SQLITE_CANTOPEN": "cannot open",
    "SQLITE_PERM": "read-only",
}
#: the same from the message, for drivers that give no error name
MESSAGES = {
    "disk is full": "disk full",
    "malformed": "database damaged",
    "not a database": "database damaged",
    "readonly": "read-only",
    "read-only": "read-only",
    "locked": "locked too long",
    "disk i/o": "disk I/O error",
    "unable to open": "cannot open",
}
#: what the data itself is refused with
REFUSED_DATA = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError,
                sqlite3.ProgrammingError)
#: below this many free bytes an I/O error is taken for a full disk
LOW_SPACE = 1 << 20


def free_bytes(path: str | Path) -> int | None:
    """Free bytes for an unprivileged writer on the filesystem holding `path`."""
    try:
        st = os.statvfs(Path(path).parent if not Path(path).is_dir() else path)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def store_fault(err: BaseException, where: str | Path | None = None) -> str | None:
    """The fault that made the store refuse a write, or None if the data was refused.

    Anything SQLite raises that is not about the data (a constraint, a binding) is a
    fault: a store that cannot be written must never be mistaken for a bad event.
    """
    if isinstance(err, TimeoutError):
        return "locked too long"
    if isinstance(err, OSError):
        return "disk full" if err.errno == errno.ENOSPC else "disk I/O error"
    orig = err.orig if isinstance(err, DBAPIError) else err
    if orig is not None and type(orig).__module__.startswith(("asyncpg", "sqlalchemy.dialects.postgresql")):
        return pg_fault(orig)  # PostgreSQL: by SQLSTATE (store/postgres.py)
    if isinstance(err, OperationalError) and not isinstance(orig, sqlite3.Error):
        return "refusing writes"  # another database's driver: lost, locked, full
    if not isinstance(orig, sqlite3.Error) or isinstance(orig, REFUSED_DATA):
        return None  # the data (a constraint, a value the driver cannot bind)
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    fault = FAULTS.get("_".join(name.split("_")[:2])) if name else None
    if fault is None:
        text = str(orig).lower()
        fault = next((f for m, f in MESSAGES.items() if m in text), "refusing writes")
    if fault == "disk I/O error" and where is not None:
        free = free_bytes(where)
        if free is not None and free < LOW_SPACE:
            return "disk full"
    return fault
