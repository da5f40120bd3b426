"""core.ports.UnitOfWork over SQLAlchemy Core: one connection, one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Executable,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.audit import GENESIS, entry_hash
from core.errors import Conflict, StoreBusy, StoreFault
from core.model import (
    AccessPass,
    AuditEntry,
    DeviceType,
    Flat,
    PanelDisplay,
    SiteGrant,
    Stored,
    Telephone,
)
from core.ports import UnitOfWork
from store import tables as t
from store.faults import store_fault
from store.mapping import Values, mapper
from store.postgres import lock_audit_chain
from store.search_index import reindex_flats
from store.write_gate import WriteGate

T = TypeVar("T", bound=Stored)
BUSY = "The store is busy with other changes; nothing was saved. Try again in a moment."


def refusal(err: DBAPIError, where: str | None) -> StoreBusy | StoreFault:
    """A database error met by a service call, as the named refusal people read."""
    fault = store_fault(err, where) or "refusing writes"
    if fault == "locked too long":
        return StoreBusy(BUSY)
    return StoreFault(f"The store cannot save changes ({fault}); nothing was saved. "
                      "The gateway raises an alarm; `doorkeeper doctor` says what to do.",
                      fault=fault)
PANEL_TYPES = [d.value for d in DeviceType if d.is_panel]
#: what the search index holds of a flat (store/search_index.py)
SEARCHED = (Flat, Telephone, PanelDisplay, AccessPass)


class SqlUnitOfWork(UnitOfWork):
    """A write transaction: BEGIN IMMEDIATE on SQLite, so it never fails half-way on a lock."""

    def __init__(self, engine: AsyncEngine, *, write: bool = True,
                 gate: WriteGate | None = None, busy_s: float = 5.0) -> None:
        self.engine = engine
        self.write = write
        self.gate = gate
        self.busy_s = busy_s
        self.conn: AsyncConnection | None = None
        self._touched: set[int] = set()  # flats whose search index rows are due

    # --- transaction -----------------------------------------------------------------
    async def begin(self) -> None:
        """Take the write lock (after any event writer that wants it), or refuse by name.

        A store locked past the busy timeout (the lock wait and SQLite's own busy
        handler) gives StoreBusy; any other fault a StoreFault; the connection goes
        back to the pool either way.
        """
        if self.write and self.gate is not None and not await self.gate.wait_clear(self.busy_s):
            raise StoreBusy(BUSY)
        conn = await self.engine.connect()
        try:
            self.conn = await conn.execution_options(write=self.write)
            await self.conn.begin()
        except DBAPIError as err:
            self.conn = None
            await conn.close()
            raise refusal(err, self.engine.url.database) from err
        except BaseException:
            self.conn = None
            await conn.close()
            raise
        self._touched = set()

    async def commit(self) -> None:
        assert self.conn is not None
        try:
            if self._touched:  # in this transaction: the index never drifts
                await reindex_flats(self.conn, self._touched)
                self._touched.clear()
            await self.conn.commit()
        except IntegrityError as err:
            raise Conflict(f"The change clashes with existing data: {err.orig}.") from err
        except DBAPIError as err:
            raise refusal(err, self.engine.url.database) from err

    async def rollback(self) -> None:
        self._touched.clear()
        if self.conn is None:
            return
        try:
            await self.conn.rollback()
        finally:
            await self.conn.close()
            self.conn = None

    async def _exec(self, stmt: Executable,
                    params: Values | list[Values] | None = None) -> CursorResult[Any]:
        assert self.conn is not None, "unit of work used outside `async with`"
        try:
            return await self.conn.execute(stmt, params)
        except IntegrityError as err:
            raise Conflict(f"The change clashes with existing data: {err.orig}.") from err
        except DBAPIError as err:
            if store_fault(err) is None:
                raise  # a value the code should never have sent: a bug, with its traceback
            raise refusal(err, self.engine.url.database) from err

    # --- the search index -------------------------------------------------------------
    def _touch(self, objs: Sequence[Stored]) -> None:
        """Note the flats these (new or updated) objects, all of one class, now belong to."""
        if not objs or not isinstance(objs[0], SEARCHED):
            return
        attr = "id" if isinstance(objs[0], Flat) else "flat_id"
        self._touched.update(f for o in objs if (f := getattr(o, attr)) is not None)

    async def _touch_stored(self, objs: Sequence[Stored]) -> None:
        """Note the flats these objects belong to as stored (before an update moves them
        or a delete removes them)."""
        if not objs or not isinstance(objs[0], SEARCHED):
            return
        if isinstance(objs[0], Flat):
            self._touched.update(o.id for o in objs if o.id is not None)
            return
        table = mapper(type(objs[0])).table
        ids = [o.id for o in objs]
        stored = await self._exec(select(table.c.flat_id).where(table.c.id.in_(ids)))
        self._touched.update(f for f in stored.scalars() if f is not None)

    # --- children (call chains, profile doors, task sites and doors) --------------------
    async def _load_children(self, cls: type[T], objs: list[T]) -> None:
        mp = mapper(cls)
        if not mp.children or not objs:
            return
        by_id = {o.id: o for o in objs}
        for spec in mp.children:
            fk = spec.table.c[spec.fk]
            stmt = select(spec.table).where(fk.in_(list(by_id)))
            if spec.order_by:
                stmt = stmt.order_by(fk, spec.table.c[spec.order_by])
            grouped: dict[int | None, list[Values]] = {i: [] for i in by_id}
            for row in (await self._exec(stmt)).mappings():
                grouped[row[spec.fk]].append(dict(row))
            for obj_id, rows in grouped.items():
                spec.load(by_id[obj_id], rows)

    async def _save_children(self, obj: Stored, *, replace: bool) -> None:
        for spec in mapper(type(obj)).children:
            if replace:
                await self._exec(delete(spec.table).where(spec.table.c[spec.fk] == obj.id))
            rows = [{spec.fk: obj.id, **r} for r in spec.dump(obj)]
            if rows:
                await self._exec(insert(spec.table), rows)

    # --- generic access ---------------------------------------------------------------
    def _where(self, cls: type[Stored], where: dict[str, object]) -> ColumnElement[bool]:
        table = mapper(cls).table
        clauses: list[ColumnElement[bool]] = []
        for key, value in where.items():
            col = table.c[key]
            clauses.append(col.is_(None) if value is None else col == getattr(value, "value",
                                                                             value))
        return and_(True, *clauses)

    async def get(self, cls: type[T], id: int) -> T | None:
        found = await self.find(cls, id=id)
        return found[0] if found else None

    async def find(self, cls: type[T], order_by: str | None = None, **where: object
                   ) -> list[T]:
        mp = mapper(cls)
        stmt = select(mp.table).where(self._where(cls, where))
        stmt = stmt.order_by(mp.table.c[order_by or "id"])
        objs = [mp.from_row(r) for r in await self._exec(stmt)]
        await self._load_children(cls, objs)
        return objs

    async def find_in(self, cls: type[T], column: str, values: Iterable[object]) -> list[T]:
        """Objects whose `column` is one of `values`."""
        mp = mapper(cls)
        stmt = select(mp.table).where(mp.table.c[column].in_(list(values)))
        objs = [mp.from_row(r) for r in await self._exec(stmt.order_by(mp.table.c.id))]
        await self._load_children(cls, objs)
        return objs

    async def count(self, cls: type[Stored], **where: object) -> int:
        table = mapper(cls).table
        stmt = select(func.count()).select_from(table).where(self._where(cls, where))
        n: int = (await self._exec(stmt)).scalar_one()
        return n

    async def add(self, obj: T) -> T:
        mp = mapper(type(obj))
        result = await self._exec(insert(mp.table).values(**mp.to_row(obj)))
        key = result.inserted_primary_key
        if key is None:
            raise RuntimeError(f"the database gave no id for the new {type(obj).__name__}")
        obj.id = key[0]
        await self._save_children(obj, replace=False)
        self._touch([obj])
        return obj

    async def add_all(self, objs: Sequence[T]) -> None:
        if not objs:
            return
        mp = mapper(type(objs[0]))
        rows = [mp.to_row(o) for o in objs]
        if self.engine.dialect.name == "sqlite":
            ids: Iterable[int] = await self._insert_many_sqlite(mp.table, rows)
        else:
            stmt = insert(mp.table).returning(mp.table.c.id, sort_by_parameter_order=True)
            ids = (await self._exec(stmt, rows)).scalars()
        for obj, new_id in zip(objs, ids, strict=True):
            obj.id = new_id
        self._touch(objs)
        for spec in mp.children:
            rows = [{spec.fk: o.id, **r} for o in objs for r in spec.dump(o)]
            if rows:
                await self._exec(insert(spec.table), rows)

    async def _insert_many_sqlite(self, table: Table, rows: list[Values]) -> range:
        """One executemany, and the ids SQLite gave: one more than the largest before, in
        order (a rowid table, within a write transaction). SQLAlchemy would send an INSERT
        ... RETURNING per row to keep the order, a round trip to the driver's thread each:
        most of the demo estate's build time. Checked, not assumed."""
        last = (await self._exec(select(func.max(table.c.id)))).scalar() or 0
        await self._exec(insert(table), rows)
        now = (await self._exec(select(func.max(table.c.id)))).scalar() or 0
        if now != last + len(rows):
            raise RuntimeError(f"{table.name}: {len(rows)} rows inserted after id {last}, "
                               f"yet the largest id is {now}")
        return range(last + 1, now + 1)

    async def update(self, obj: Stored) -> None:
        mp = mapper(type(obj))
        await self._touch_stored([obj])
        await self._exec(update(mp.table).where(mp.table.c.id == obj.id)
                         .values(**mp.to_row(obj)))
        await self._save_children(obj, replace=True)
        self._touch([obj])

    async def update_all(self, objs: Sequence[Stored]) -> None:
        """Write many objects of one class that have no children, in one statement."""
        if not objs:
            return
        mp = mapper(type(objs[0]))
        assert not mp.children
        rows = [{**mp.to_row(o), "_id": o.id} for o in objs]
        await self._touch_stored(objs)
        await self._exec(update(mp.table).where(mp.table.c.id == bindparam("_id")), rows)
        self._touch(objs)

    async def delete(self, obj: Stored) -> None:
        mp = mapper(type(obj))
        await self._touch_stored([obj])
        await self._exec(delete(mp.table).where(mp.table.c.id == obj.id))

    # --- queries for the rules ----------------------------------------------------------
    async def site_usage(self, site_id: int) -> dict[str, int]:
        in_site = t.blocks.c.site_id == site_id
        flats_q = select(func.count()).select_from(t.flats.join(t.blocks)).where(in_site)
        foreign_q = (select(func.count())
                     .select_from(t.telephones.join(t.flats).join(t.blocks))
                     .where(in_site, t.telephones.c.foreign.is_(True)))
        names_q = (select(func.count())
                   .select_from(t.panel_displays.join(t.flats).join(t.blocks)).where(in_site))
        panels_q = select(func.count()).select_from(t.devices).where(
            t.devices.c.site_id == site_id, t.devices.c.type.in_(PANEL_TYPES))
        return {
            "flats": (await self._exec(flats_q)).scalar_one(),
            "foreign_numbers": (await self._exec(foreign_q)).scalar_one(),
            "panel_names": (await self._exec(names_q)).scalar_one(),
            "panels": (await self._exec(panels_q)).scalar_one(),
        }

    async def site_telephones(self, site_id: int) -> list[Telephone]:
        mp = mapper(Telephone)
        stmt = (select(t.telephones).select_from(t.telephones.join(t.flats).join(t.blocks))
                .where(t.blocks.c.site_id == site_id).order_by(t.telephones.c.id))
        return [mp.from_row(r) for r in await self._exec(stmt)]

    async def taken_credentials(self, numbers: Iterable[str]) -> set[str]:
        numbers = list(numbers)
        if not numbers:
            return set()
        sp = t.service_providers.c
        q1 = select(t.access_passes.c.number).where(t.access_passes.c.number.in_(numbers))
        q2 = select(sp.apass_number).where(sp.apass_number.in_(numbers))
        q3 = select(sp.radio_number).where(sp.radio_number.in_(numbers))
        taken: set[str] = set()
        for q in (q1, q2, q3):
            taken.update((await self._exec(q)).scalars())
        return taken

    async def displays_calling(self, telephone_id: int) -> list[PanelDisplay]:
        calls = t.panel_display_calls.c
        ids = select(calls.panel_display_id).where(calls.telephone_id == telephone_id)
        mp = mapper(PanelDisplay)
        rows = await self._exec(select(t.panel_displays).where(t.panel_displays.c.id.in_(ids)))
        objs = [mp.from_row(r) for r in rows]
        await self._load_children(PanelDisplay, objs)
        return objs

    async def code_holders(self, code: str, *, site_id: int | None = None,
                           exclude_flat: int | None = None,
                           exclude_provider: int | None = None) -> list[str]:
        f, sp = t.flats.c, t.service_providers.c
        flats = select(f.name).where(or_(f.code_main_door == code, f.code_aux_relay_1 == code,
                                         f.code_aux_relay_2 == code))
        if site_id is not None:
            flats = flats.where(f.block_id.in_(select(t.blocks.c.id)
                                               .where(t.blocks.c.site_id == site_id)))
        if exclude_flat is not None:
            flats = flats.where(f.id != exclude_flat)
        providers = select(sp.name).where(or_(sp.code_door == code, sp.code_relay_1 == code,
                                              sp.code_relay_2 == code,
                                              sp.code_key_safe == code))
        if exclude_provider is not None:
            providers = providers.where(sp.id != exclude_provider)
        names = list((await self._exec(flats)).scalars())
        return names + [f"provider {n}" for n in (await self._exec(providers)).scalars()]

    async def code_holders_in(self, codes: Iterable[str], *, site_id: int
                              ) -> dict[str, list[tuple[int | None, str]]]:
        wanted = list(set(codes))
        found: dict[str, list[tuple[int | None, str]]] = {}
        if not wanted:
            return found
        f, sp = t.flats.c, t.service_providers.c
        in_site = f.block_id.in_(select(t.blocks.c.id).where(t.blocks.c.site_id == site_id))
        for column in (f.code_main_door, f.code_aux_relay_1, f.code_aux_relay_2):
            flats: Sequence[Any] = (await self._exec(
                select(column, f.id, f.name).where(column.in_(wanted), in_site))).all()
            for code, flat_id, name in flats:
                found.setdefault(code, []).append((flat_id, name))
        for column in (sp.code_door, sp.code_relay_1, sp.code_relay_2, sp.code_key_safe):
            providers: Sequence[Any] = (await self._exec(
                select(column, sp.name).where(column.in_(wanted)))).all()
            for code, name in providers:
                found.setdefault(code, []).append((None, f"provider {name}"))
        return found

    async def display_by_call_code(self, block_id: int, call_code: str
                                   ) -> PanelDisplay | None:
        d = t.panel_displays.c
        stmt = (select(d.id).select_from(t.panel_displays.join(t.flats))
                .where(t.flats.c.block_id == block_id, d.call_code == call_code).limit(1))
        found = (await self._exec(stmt)).scalar()
        return await self.get(PanelDisplay, found) if found is not None else None

    async def grant(self, operator_id: int, site_id: int) -> SiteGrant | None:
        found = await self.find(SiteGrant, operator_id=operator_id, site_id=site_id)
        return found[0] if found else None

    async def audit(self, entry: AuditEntry) -> AuditEntry:
        assert self.conn is not None, "unit of work used outside `async with`"
        if self.conn.dialect.name == "postgresql":  # one link at a time, from any process
            await lock_audit_chain(self.conn)
        head = (await self._exec(select(t.audit_head).where(t.audit_head.c.id == 1)
                                 .with_for_update())).first()
        # head.count would be tuple.count to a type checker: read the columns by name
        count, prev = (head._mapping["count"], head.hash) if head else (0, GENESIS)
        entry.id = count + 1
        entry.at = entry.at.astimezone(UTC)  # hashed as stored
        entry.prev_hash = prev
        entry.hash = entry_hash(entry, prev)
        await self._exec(insert(t.audit_entries).values(
            **mapper(AuditEntry).to_row(entry, with_id=True)))
        if head:
            await self._exec(update(t.audit_head).where(t.audit_head.c.id == 1)
                             .values(count=entry.id, hash=entry.hash))
        else:
            await self._exec(insert(t.audit_head).values(id=1, count=entry.id, hash=entry.hash))
        return entry
