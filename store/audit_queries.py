"""The audit trail's read model: a keyset page of entries (newest first, by id) within
the scopes core allows the reader (a site and its entities), narrowed by the Audit
screen's filters. Block, flat and APass filters look inside the entries' before and
after images (JSON): an entry is about a flat when it is the flat or names it."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, false, func, null, or_, select
from sqlalchemy.sql.elements import ColumnElement

from core.audit import ChainProgress, ChainReport, Checkpoint, verify_chain
from core.errors import StoreError
from core.model import AuditEntry
from core.views.audit import AuditFilter, Scope
from store import tables as t
from store.database import Store
from store.search_index import in_thread
from store.sqlite import is_sqlite

a = t.audit_entries.c


def _names(key: str, value: object) -> ColumnElement[bool]:
    """The entry's before or after image holds `key` = `value`."""
    if isinstance(value, int):
        return or_(a.before[key].as_integer() == value, a.after[key].as_integer() == value)
    return or_(a.before[key].as_string() == value, a.after[key].as_string() == value)


def _where(scopes: Sequence[Scope], flt: AuditFilter) -> list[ColumnElement[bool]]:
    allowed = [and_(a.site_id.is_(None) if s.site_id is None else a.site_id == s.site_id,
                    a.entity.in_(sorted(s.entities))) for s in scopes]
    found: list[ColumnElement[bool]] = [or_(false(), *allowed)]
    if flt.since is not None:
        found.append(a.at >= flt.since)
    if flt.until is not None:
        found.append(a.at < flt.until)
    if flt.actor.strip():
        found.append(a.actor.icontains(flt.actor.strip(), autoescape=True))
    if flt.block_id is not None:
        in_block = select(t.flats.c.id).where(t.flats.c.block_id == flt.block_id)
        found.append(or_(and_(a.entity == "block", a.entity_id == flt.block_id),
                         and_(a.action == "flat.create_batch", a.entity_id == flt.block_id),
                         _names("block_id", flt.block_id),
                         a.before["flat_id"].as_integer().in_(in_block),
                         a.after["flat_id"].as_integer().in_(in_block)))
    if flt.flat_id is not None:
        # (a batch of flats is audited with its block's id: not a flat's)
        found.append(or_(and_(a.entity == "flat", a.entity_id == flt.flat_id,
                              a.action != "flat.create_batch"),
                         _names("flat_id", flt.flat_id)))
    if flt.apass.strip():
        found.append(and_(a.entity == "access_pass", _names("number", flt.apass.strip())))
    return found


async def audit_count(store: Store, scopes: Sequence[Scope], flt: AuditFilter) -> int:
    """How many entries within the scopes match the filter (an export's progress)."""
    stmt = select(func.count()).select_from(t.audit_entries).where(*_where(scopes, flt))
    async with store.engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())


async def audit_page(store: Store, scopes: Sequence[Scope], flt: AuditFilter,
                     before: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` entries older than entry `before`, newest first."""
    stmt = (select(a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.site_id,
                   a.before, a.after, a.source)
            .where(*_where(scopes, flt)).order_by(a.id.desc()).limit(limit))
    if before is not None:
        stmt = stmt.where(a.id < before)
    async with store.engine.connect() as conn:
        result = await conn.execute(stmt)
        keys = list(result.keys())
        return [dict(zip(keys, row, strict=True)) for row in result]


# --- the chain's check, from a checkpoint ----------------------------------------------
#: beside the database: the prefix of the chain last found intact (JSON: count, hash,
#: full_at), so a screen checks only the entries written since (docs/audit.md)
CHECKPOINT_SUFFIX = ".audit-checked"
_ENTRY_COLUMNS = ("id, at, actor, action, entity, entity_id, site_id, before, after, source, "
                  "prev_hash, hash")


def checkpoint_path(db: str) -> Path:
    """Where a store keeps its audit checkpoint."""
    return Path(db + CHECKPOINT_SUFFIX)


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The stored checkpoint; None when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Checkpoint(int(data["count"]), str(data["hash"]), str(data["full_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Replace the checkpoint atomically; a folder that refuses it only costs the next
    check its speed."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        part.write_text(json.dumps(dataclasses.asdict(checkpoint)), encoding="utf-8")
        os.replace(part, path)
    except OSError:
        with contextlib.suppress(OSError):
            part.unlink()


def _entries(raw: sqlite3.Connection, after: int) -> Iterator[AuditEntry]:
    """The entries after id `after`, as the store maps them (UTC times, JSON images)."""
    for (id_, at, actor, action, entity, entity_id, site_id, before, after_image, source,
         prev_hash, hash_) in raw.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM audit_entries WHERE id > ? ORDER BY id", (after,)):
        yield AuditEntry(datetime.fromisoformat(at).replace(tzinfo=UTC), actor, action, entity,
                         entity_id, site_id,
                         json.loads(before) if before is not None else None,
                         json.loads(after_image) if after_image is not None else None,
                         source, prev_hash, hash_, id_)


def check_chain(raw: sqlite3.Connection, start: Checkpoint | None,
                progress: ChainProgress | None, *, whole: bool = True) -> ChainReport | None:
    """The chain against its head in one read transaction (entries written meanwhile are
    not half seen): from `start` when its entry still has its hash, else whole (None
    instead when not `whole`: the caller checks it elsewhere)."""
    began = not raw.in_transaction
    if began:
        raw.execute("BEGIN")
    try:
        head = raw.execute("SELECT count, hash FROM audit_head WHERE id = 1").fetchone()
        count, head_hash = (head[0], head[1]) if head else (0, None)
        if start is not None:
            found = raw.execute("SELECT hash FROM audit_entries WHERE id = ?",
                                (start.count,)).fetchone()
            if start.count > count or found is None or found[0] != start.hash:
                start = None  # another store, a restore, or a rewritten chain: all of it
        if start is None and not whole:
            return None
        if progress is not None:
            progress.total, progress.checked = count, start.count if start else 0
        return verify_chain(_entries(raw, start.count if start else 0), count, head_hash,
                            start=start, progress=progress)
    finally:
        if began:
            raw.execute("ROLLBACK")


async def _whole_in_child(db: str, progress: ChainProgress | None) -> ChainReport:
    """The whole chain checked by `python -m store.audit_check` (store/audit_check.py),
    its progress read as it goes; the process is killed if the caller gives up."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "store.audit_check", db, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        last = b""
        async for line in proc.stdout:
            if line.startswith(b"progress ") and progress is not None:
                checked, total = line.split()[1:3]
                progress.total, progress.checked = int(total), int(checked)
            else:
                last = line
        error = await proc.stderr.read()
        if await proc.wait() != 0 or not last:
            raise StoreError(error.decode(errors="replace").strip().splitlines()[-1]
                             if error.strip() else "The audit trail's check failed.")
        return ChainReport(**json.loads(last))
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def audit_chain(store: Store, progress: ChainProgress | None = None, *,
                      full: bool = False, now: datetime | None = None) -> ChainReport:
    """Whether the audit trail's chain holds: from the stored checkpoint (the entries
    since the last check, in the store connection's thread) unless `full`, or whole in a
    process of its own (no checkpoint, one that no longer matches, `full`); an intact
    chain moves the checkpoint on."""
    if not is_sqlite(store.url):
        return await store.verify_audit()
    path = checkpoint_path(store.where)
    start = None if full else read_checkpoint(path)
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    report = None
    if start is not None:
        async with store.engine.connect() as conn:
            report = await in_thread(conn, lambda raw: check_chain(raw, start, progress,
                                                                   whole=False))
    if report is None:
        report = await _whole_in_child(store.where, progress)
    if report.ok:
        report.full_at = report.full_at or when
        if report.checked:
            save_checkpoint(path, Checkpoint(report.checked, report.last_hash, report.full_at))
    return report


# --- names for the ids the entries hold --------------------------------------------------
def _name_queries() -> dict[str, Select[Any]]:
    """Per kind of reference: (id, the guide's name for it, its site) of each still there."""
    b, f, d = t.blocks.c, t.flats.c, t.devices.c
    flat_block = t.flats.join(t.blocks, b.id == f.block_id)
    return {
        "site": select(t.sites.c.id, t.sites.c.name, t.sites.c.id),
        "block": select(b.id, b.name, b.site_id),
        "flat": select(f.id, b.name + ", Flat N° " + f.number, b.site_id)
        .select_from(flat_block),
        "access_pass": select(t.access_passes.c.id, t.access_passes.c.number,
                              t.access_passes.c.site_id),
        "access_profile": select(t.access_profiles.c.id, t.access_profiles.c.name,
                                 t.access_profiles.c.site_id),
        "week_type": select(t.week_types.c.id, t.week_types.c.name, t.week_types.c.site_id),
        "device": select(d.id, d.name, d.site_id),
        "door": select(t.doors.c.id, d.name + " – " + t.doors.c.name, d.site_id)
        .select_from(t.doors.join(t.devices, d.id == t.doors.c.device_id)),
        "operator": select(t.operators.c.id, t.operators.c.email, null()),
        "company": select(t.management_companies.c.id, t.management_companies.c.name, null()),
        "provider": select(t.service_providers.c.id, t.service_providers.c.name, null()),
    }


async def audit_names(store: Store, wanted: dict[str, set[int]]
                      ) -> dict[str, dict[int, tuple[str, int | None]]]:
    """The names of the objects these ids are, by kind: {kind: {id: (name, site id)}}
    (objects removed since are absent)."""
    queries = _name_queries()
    found: dict[str, dict[int, tuple[str, int | None]]] = {}
    async with store.engine.connect() as conn:
        for kind, ids in wanted.items():
            stmt = queries.get(kind)
            if stmt is None or not ids:
                continue
            key = stmt.selected_columns[0]
            rows = await conn.execute(stmt.where(key.in_(sorted(ids))))
            found[kind] = {r[0]: (str(r[1]), r[2]) for r in rows}
    return found
