"""`doorkeeper doctor`: what is wrong with a store file, and how to recover it (for a
PostgreSQL store, `examine_server`: what can be said from outside the server).

It never changes the store: the file is read with SQLite's `immutable` flag (no
locks, no WAL), and when a `-wal` lies beside it, the pair is checked as a copy in
a temporary folder, because opening the original would apply that WAL for good.
Each finding is a `Finding(problem, what, how)`: `problem` False is a note.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from alembic.script import ScriptDirectory

from store.faults import free_bytes
from store.migrate import alembic_config
from store.spill import SpillJournal, spill_path

#: below this many free bytes beside the store, the disk is "nearly full"
LOW_DISK = 64 << 20
HEADER = b"SQLite format 3\0"


@dataclass
class Finding:
    """One thing the doctor found."""

    problem: bool
    what: str
    how: str = ""


def _integrity(path: Path, immutable: bool) -> str:
    """"ok", or what SQLite's integrity check (or opening) says is wrong."""
    uri = f"file:{quote(str(path))}?{'immutable=1' if immutable else 'mode=ro'}"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as err:
        return str(err)
    try:
        rows = con.execute("PRAGMA integrity_check(5)").fetchall()
    except sqlite3.Error as err:
        return str(err)
    finally:
        con.close()
    found = [r[0] for r in rows]
    return "ok" if found == ["ok"] else "; ".join(found)


@contextlib.contextmanager
def _as_opened(db: Path) -> Iterator[tuple[Path, bool, str]]:
    """The store as SQLite would see it (with its -wal applied), as a copy when there is a
    -wal: (path, immutable, "" or why no copy could be made)."""
    wal = Path(f"{db}-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        yield db, True, ""
        return
    with tempfile.TemporaryDirectory(prefix="doorkeeper-doctor-") as folder:
        copy = Path(folder) / "store.db"
        try:
            shutil.copyfile(db, copy)
            shutil.copyfile(wal, Path(f"{copy}-wal"))
        except OSError as err:
            yield db, True, f"could not copy it to check it ({err.strerror})"
            return
        yield copy, False, ""


def _schema(db: Path, immutable: bool) -> Finding:
    try:
        uri = f"file:{quote(str(db))}?{'immutable=1' if immutable else 'mode=ro'}"
        con = sqlite3.connect(uri, uri=True)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.Error as err:
        return Finding(True, f"The schema version cannot be read: {err}.",
                       "Restore the store from a backup.")
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    version = row[0] if row else None
    if version == head:
        return Finding(False, f"Schema version {version} (current).")
    known = {s.revision for s in scripts.walk_revisions()}
    if version not in known:
        return Finding(True, f"Schema version {version} is unknown to this Doorkeeper.",
                       "It is from a newer version: run that version, or restore a backup.")
    return Finding(False, f"Schema version {version}, older than {head}.",
                   "It is upgraded the next time Doorkeeper opens it (`doorkeeper init`).")


def examine(db: str | Path) -> list[Finding]:
    """Everything the doctor finds about one store file."""
    db = Path(db)
    if not db.exists():
        return [Finding(True, f"There is no store at {db}.",
                        "Check --db (or the config's [store] path), or restore a backup.")]
    try:
        with open(db, "rb") as f:
            header = f.read(len(HEADER))
    except OSError as err:
        return [Finding(True, f"{db} cannot be read ({err.strerror}).",
                        "Check the file's owner and mode.")]
    if header != HEADER:
        return [Finding(True, f"{db} is not a SQLite database.",
                        "Check --db; restore the store from a backup.")]
    found: list[Finding] = []
    alone = _integrity(db, immutable=True)
    wal = Path(f"{db}-wal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    with _as_opened(db) as (opened, immutable, trouble):
        together = trouble or (_integrity(opened, immutable) if has_wal else alone)
        schema = _schema(opened, immutable) if together == "ok" else None
    if alone == "ok" and together == "ok":
        found.append(Finding(False, "Integrity check: ok."))
    elif alone == "ok":
        found.append(Finding(
            True, f"The -wal file beside the store does not belong to it: with it applied "
                  f"the store is damaged ({together}).",
            f"Stop every Doorkeeper process, move {wal} away (keep it), then start again."))
    else:
        found.append(Finding(
            True, f"The database is damaged: {alone}.",
            f"Stop every Doorkeeper process and restore the store from a backup; or recover "
            f"what can be read: sqlite3 {db} .recover | sqlite3 recovered.db. Events kept in "
            f"the spill journal are replayed into the restored store."))
    if has_wal:
        stale = wal.stat().st_mtime < db.stat().st_mtime - 1
        found.append(Finding(
            stale, f"A -wal file of {wal.stat().st_size} bytes is beside the store"
            + (", older than the store itself." if stale else "."),
            "If no Doorkeeper process runs, it was left by a crash and SQLite applies it at the "
            "next start" + (f"; an older one was probably copied in: move {wal} away."
                            if stale else ".")))
    if schema is not None:
        found.append(schema)
    free = free_bytes(db)
    if free is not None and free < LOW_DISK:
        found.append(Finding(True, f"Only {free // (1 << 20)} MB free beside the store.",
                             "Free some space: the store and its journal need room to grow."))
    if not os.access(db, os.W_OK) or not os.access(db.parent, os.W_OK):
        found.append(Finding(True, "The store (or its folder) is read-only for this user.",
                             "Run as the store's owner, or give it write permission."))
    journal = spill_path(db)
    if journal.exists() and journal.stat().st_size > 0:
        events = _journal_events(journal)
        if events:
            found.append(Finding(
                False, f"{events} events wait in the spill journal {journal}.",
                "The gateway stores them (in order, once each) as soon as the store takes "
                "writes again. Do not delete the journal."))
    damaged = SpillJournal.damaged_at(journal)
    if damaged.exists():
        lines = _journal_events(damaged)
        found.append(Finding(
            False, f"{lines} line{'s' if lines != 1 else ''} of the spill journal could not "
            f"be read as events and {'were' if lines != 1 else 'was'} set aside in {damaged}.",
            "Events may be missing from the store (the 'Events set aside' alarm): read what "
            "the file still says, then move it away. It holds residents' data."))
    return found


def _journal_events(path: Path) -> int:
    try:
        data = path.read_bytes().split(b"\0", 1)[0]
    except OSError:
        return 0
    return sum(1 for line in data.splitlines() if line.strip())


async def examine_server(url: str) -> list[Finding]:
    """What the doctor can say of a PostgreSQL store: reachable, its schema, the events'
    partitions. Integrity and backups are PostgreSQL's own tools' (docs/postgresql.md)."""
    from sqlalchemy.engine import make_url

    from store import migrate, postgres

    shown = make_url(url).render_as_string(hide_password=True)
    tools = Finding(False, "Integrity and backups of a PostgreSQL store are PostgreSQL's own: "
                           "pg_amcheck checks it, pg_dump (or base backups with WAL "
                           "archiving) backs it up; `doorkeeper backup` does not.")
    engine = postgres.create_postgres_engine(url)
    try:
        async with engine.connect() as conn:
            parts = await postgres.event_partitions(conn)
            stray = await postgres.default_partition_rows(conn) if parts else 0
        found = await migrate.current_revision(engine)
    except Exception as err:  # noqa: BLE001 - any failure to connect is the finding
        why = str(getattr(err, "orig", None) or err).splitlines()[0][:200]
        return [Finding(True, f"Cannot reach the store {shown}: {why}.",
                        "Check that the server runs and the URL (host, port, database, "
                        "role; a password comes from PGPASSFILE or the URL)."), tools]
    finally:
        await engine.dispose()
    findings = [Finding(False, f"The server answers: {shown}.")]
    if found == migrate.HEAD:
        findings.append(Finding(False, f"Schema revision {found}: this release's."))
    elif found is None:
        findings.append(Finding(True, "The database holds no Doorkeeper schema.",
                                "Create it: doorkeeper init --admin EMAIL --config FILE."))
    elif found in migrate.known_revisions():
        findings.append(Finding(False, f"Schema revision {found}: upgraded to "
                                       f"{migrate.HEAD} when a Doorkeeper process next opens it."))
    else:
        findings.append(Finding(True, f"Schema revision {found} is from a newer Doorkeeper.",
                                "Run the newer release against this database."))
    this = postgres.partition_name(postgres.month_of(datetime.now(UTC)))
    if parts and this not in parts:
        findings.append(Finding(True, f"The events of this month have no partition ({this}).",
                                "Start the gateway (it makes the months' partitions), or "
                                "check its log for why it could not."))
    if stray:
        findings.append(Finding(False, f"{stray} events are in the default partition (outside "
                                       "the monthly ones): readable, but retention does not "
                                       "drop them with their month."))
    return [*findings, tools]
