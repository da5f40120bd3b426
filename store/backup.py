"""Backups of a SQLite store that stay consistent while doors are busy, and restores.

A backup is SQLite's online backup API (`sqlite3.Connection.backup`) copying the
whole database in **one step**: the copy is a single read transaction, a snapshot of
the store at one moment. In WAL mode a reader never blocks the gateway's writer, and
a copy made in several steps would start over every time another process committed
(the gateway commits many times a second). The copy is written beside its final
name, checked (SQLite's integrity check, the audit trail's hash chain, its schema
revision), fsync'd, and only then renamed into place, so a backup file that exists
is a good one. Events waiting in the spill journal (`<db>.events-spill`) are not yet
in the store: a backup copies the journal beside itself, and a restore leaves the
store's own journal in place, so the gateway stores them (once each) into the
restored store.

A restore proves the backup good (the same checks, and a schema this release
knows), copies it beside the store, checks the copy, upgrades it when it is older,
and only then swaps it in; the store it replaces is kept beside it
(`<db>.before-restore-<time>`, with its `-wal` if it had one). An older backup is
upgraded by the next open, after its own automatic backup (store/migrate.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, create_engine, select
from sqlalchemy.pool import NullPool

from core.audit import ChainReport, verify_chain
from core.errors import StoreError
from core.model import AuditEntry
from store import tables as t
from store.mapping import mapper
from store.migrate import HEAD, known_revisions
from store.spill import spill_path

#: a backup's file name: doorkeeper-<UTC time>-r<schema revision>.db
PREFIX, SUFFIX = "doorkeeper-", ".db"


@dataclass
class BackupReport:
    """A verified copy of a store."""

    path: Path
    revision: str
    seconds: float
    size: int
    audit_entries: int
    spilled: bool = False  # the spill journal was copied beside it


def audit_report(conn: Connection) -> ChainReport:
    """The audit trail's hash chain checked against its head, on a (sync) connection."""
    mp = mapper(AuditEntry)
    head = conn.execute(select(t.audit_head)).first()
    rows = conn.execute(select(t.audit_entries).order_by(t.audit_entries.c.id))
    count = head._mapping["count"] if head else 0
    return verify_chain((mp.from_row(r) for r in rows), count, head.hash if head else None)


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)


def revision_of(path: Path) -> str | None:
    """The schema revision stored in a database file (None when it has none)."""
    try:
        con = _ro(path)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def verify(path: Path, shown: Path | None = None) -> tuple[str, int]:
    """Prove a database file good: (schema revision, audit entries), or a StoreError
    saying what is wrong with it (naming it `shown`, when given)."""
    name = shown or path
    if not path.is_file():
        raise StoreError(f"There is no backup at {name}.")
    try:
        con = _ro(path)
        try:
            found = [r[0] for r in con.execute("PRAGMA integrity_check(5)")]
        finally:
            con.close()
    except sqlite3.Error as err:
        raise StoreError(f"{name} is damaged, or not a store: {err}.") from err
    if found != ["ok"]:
        raise StoreError(f"{name} is damaged: {'; '.join(found)}.")
    revision = revision_of(path)
    if revision is None:
        raise StoreError(f"{name} is not a Doorkeeper store (it has no schema revision).")
    known = known_revisions()
    if revision not in known:
        raise StoreError(f"{name} has schema revision {revision}, newer than this "
                         f"Doorkeeper knows ({HEAD}): restore it with the release that made it.")
    engine = create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true",
                           poolclass=NullPool)
    try:
        with engine.connect() as conn:
            report = audit_report(conn)
    finally:
        engine.dispose()
    if not report.ok:
        raise StoreError(f"{name}: the audit trail is broken ({report.problem}).")
    return revision, report.checked


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_online(db: Path, to: Path, shown: Path | None = None) -> None:
    """Copy a live store to `to` with SQLite's backup API, in one step (one snapshot);
    `shown` is the name a refusal gives the copy (the file it becomes)."""
    to.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{quote(str(db))}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise StoreError(f"Cannot open {db} to back it up: {err}.") from err
    try:
        dst = sqlite3.connect(to)
    except sqlite3.Error as err:
        src.close()
        raise StoreError(f"Cannot write {shown or to}: {err}.") from err
    try:
        src.execute("PRAGMA busy_timeout = 5000")
        src.backup(dst, pages=-1)  # one step: -1 copies every page at once
        dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    except sqlite3.Error as err:
        raise StoreError(f"The backup of {db} failed: {err}.") from err
    finally:
        dst.close()
        src.close()


def backup_name(revision: str, at: datetime | None = None) -> str:
    """The default file name of a backup: its time and schema revision."""
    moment = (at or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{PREFIX}{moment}-r{revision}{SUFFIX}"


def take_backup(db: str | Path, to: str | Path | None = None, *,
                folder: str | Path | None = None,
                stage: Callable[[str], None] | None = None) -> BackupReport:
    """Back a store up to `to` (or a named file in `folder`), verified; the report.
    `stage` hears each stage as it begins: "copy", "check", "sync" (a progress bar)."""
    say = stage or (lambda _name: None)
    db = Path(db)
    if not db.is_file():
        raise StoreError(f"There is no store at {db}.")
    began = time.monotonic()
    where = Path(folder) if folder is not None else db.parent / "backups"
    target = Path(to) if to is not None else where / backup_name(revision_of(db) or "none")
    if target.exists() and target.is_dir():
        raise StoreError(f"{target} is a folder; name the backup's file.")
    if _same_files(target, db):
        raise StoreError(f"{target} is the store or one of its journals; name another file for the backup.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"Cannot make the folder {target.parent}: {err.strerror}.") from err
    partial = target.with_name(target.name + ".partial")
    try:
        say("copy")
        copy_online(db, partial, shown=target)
        os.chmod(partial, 0o640)  # residents' data: the store's owner and group only
        say("check")
        try:
            revision, entries = verify(partial, shown=db)  # a copy page for page
        except StoreError as err:
            raise StoreError(f"No backup was written: {err.message}") from err
        say("sync")
        _fsync(partial)
        os.replace(partial, target)
    finally:
        _discard(partial)
    journal, spilled = spill_path(db), False
    if journal.exists() and journal.stat().st_size > 0:
        shutil.copyfile(journal, spill_path(target))
        spilled = True
    return BackupReport(target, revision, time.monotonic() - began, target.stat().st_size,
                        entries, spilled)


def prune(folder: str | Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups named by `backup_name`; the removed."""
    found = sorted(Path(folder).glob(f"{PREFIX}*{SUFFIX}"))
    gone = found[:-keep] if keep > 0 else []
    for old in gone:
        old.unlink(missing_ok=True)
        spill_path(old).unlink(missing_ok=True)
    return gone


def newest_backup(folder: str | Path) -> Path | None:
    """The newest backup in a folder, if any."""
    found = sorted(Path(folder).glob(f"{PREFIX}*{SUFFIX}"))
    return found[-1] if found else None


def restore(backup: str | Path, db: str | Path) -> tuple[str, Path | None]:
    """Replace the store `db` by a proven-good copy of `backup`; (its revision, where the
    replaced store was kept). Nothing changes unless every check passes."""
    backup, db = Path(backup), Path(db)
    if _same_files(backup, db):
        raise StoreError(f"{backup} is the store or one of its journals; name the backup to restore.")
    verify(backup)  # before anything is written
    incoming = db.with_name(db.name + ".restoring")
    try:
        copy_online(backup, incoming)
        revision, _ = verify(incoming)
        _fsync(incoming)
        kept = _set_aside(db)
        os.replace(incoming, db)
    finally:
        _discard(incoming)
    return revision, kept


def _discard(copy: Path) -> None:
    """Remove an unfinished copy and the journal SQLite keeps beside it while writing it
    (left behind when the copy fails: a full disk)."""
    for leftover in (copy, *(Path(f"{copy}{s}") for s in ("-journal", "-wal", "-shm"))):
        leftover.unlink(missing_ok=True)


def _same_files(file: Path, db: Path) -> bool:
    """Whether `file` is the store `db` or one of its journals (one SQLite would take
    for the store's, were it written), under any name."""
    names = [db, *(Path(f"{db}{s}") for s in ("-wal", "-shm", "-journal"))]
    try:
        if file.exists():
            return any(n.exists() and os.path.samefile(file, n) for n in names)
        return file.resolve() in {n.resolve() for n in names}
    except OSError:
        return False


def _set_aside(db: Path) -> Path | None:
    """Move the current store aside, its WAL with it (checkpointed first when it can be:
    a damaged store is set aside as it is)."""
    if not db.exists():
        return None
    with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(db)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    kept = db.with_name(f"{db.name}.before-restore-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    os.replace(db, kept)
    wal = Path(f"{db}-wal")
    if wal.exists():
        os.replace(wal, Path(f"{kept}-wal"))
    Path(f"{db}-shm").unlink(missing_ok=True)
    return kept
