"""Loading the access snapshot from the store, whole or one site at a time,
and reading the audit trail as the feed of what changed.

The facilities book (every provider and task) is read in bulk, a query a table with
the tasks' sites and doors as plain rows: through the unit of work's generic `find`, a
book of 5,000 providers and 20,000 tasks (160,000 task doors) took 10 of the 13 s of a
gateway's start; this way the whole snapshot loads in about a second.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select

from core.access import AccessSnapshot
from core.model import (
    AccessPass,
    AccessProfile,
    Block,
    Device,
    Door,
    EventKind,
    Flat,
    Holiday,
    PanelDisplay,
    ServiceProvider,
    Site,
    Stored,
    Task,
    TaskDoor,
    Telephone,
    WeekType,
    id_of,
)
from core.site_index import build_site_index
from store import tables as t
from store.database import Store
from store.mapping import mapper
from store.unit_of_work import SqlUnitOfWork

T = TypeVar("T", bound=Stored)


async def reload_site(store: Store, snapshot: AccessSnapshot, site_id: int) -> None:
    """Replace one site's part of the snapshot with what the store holds now."""
    async with store.reader() as uow:
        site = await uow.get(Site, site_id)
        if site is None:
            snapshot.drop_site(site_id)
            return
        blocks = await uow.find(Block, site_id=site_id)
        flats = await _in(uow, Flat, "block_id", [id_of(b) for b in blocks])
        flat_ids = [id_of(f) for f in flats]
        telephones = await _in(uow, Telephone, "flat_id", flat_ids)
        displays = await _in(uow, PanelDisplay, "flat_id", flat_ids)
        devices = await uow.find(Device, site_id=site_id)
        doors = await _in(uow, Door, "device_id", [id_of(d) for d in devices])
        objects = (site, blocks, flats, await uow.find(AccessPass, site_id=site_id),
                   telephones, displays, await uow.find(AccessProfile, site_id=site_id),
                   await uow.find(WeekType, site_id=site_id),
                   await uow.find(Holiday, site_id=site_id), devices, doors)
    # Built off the event loop, swapped in at once: decisions never wait for a reload.
    snapshot.set_site(await asyncio.to_thread(build_site_index, *objects))


async def _in(uow: SqlUnitOfWork, cls: type[T], column: str, ids: list[int]) -> list[T]:
    """Objects whose `column` is one of `ids` (in chunks, for SQLite's variable limit)."""
    out: list[T] = []
    for i in range(0, len(ids), 500):
        chunk = set(ids[i:i + 500])
        out += await uow.find_in(cls, column, chunk)
    return out


async def reload_facilities(store: Store, snapshot: AccessSnapshot) -> None:
    """Replace every service provider and task (at start, or for a change without ids)."""
    providers, tasks = await read_facilities(store)
    snapshot.load_facilities(providers, tasks)


async def read_facilities(store: Store) -> tuple[list[ServiceProvider], list[Task]]:
    """Every service provider, and every task with its sites and doors, read in one
    transaction (see the module's docstring)."""
    tk, ts, td = t.tasks.c, t.task_sites.c, t.task_doors.c
    provider_from = mapper(ServiceProvider).from_row
    async with store.engine.connect() as conn, conn.begin():
        providers = [provider_from(r) for r in await conn.execute(
            select(t.service_providers).order_by(t.service_providers.c.id))]
        tasks = {r.id: Task(r.name, r.company_id, r.provider_id, id=r.id)
                 for r in await conn.execute(
                     select(tk.id, tk.name, tk.company_id, tk.provider_id).order_by(tk.id))}
        for task_id, site_id, week_type_id in await conn.execute(
                select(ts.task_id, ts.site_id, ts.week_type_id)
                .order_by(ts.task_id, ts.site_id)):
            task = tasks[task_id]
            task.site_ids.append(site_id)
            task.week_type_ids[site_id] = week_type_id
        for task_id, *door in await conn.execute(
                select(td.task_id, td.door_id, td.by_code, td.by_apass, td.by_radio,
                       td.by_mobile, td.by_telephone).order_by(td.task_id, td.door_id)):
            tasks[task_id].doors.append(TaskDoor(*door))
    return providers, list(tasks.values())


async def reload_providers_and_tasks(store: Store, snapshot: AccessSnapshot,
                                     provider_ids: set[int], task_ids: set[int]) -> None:
    """Reload only the providers and tasks that changed; the ones gone are dropped."""
    async with store.reader() as uow:
        providers = await uow.find_in(ServiceProvider, "id", provider_ids)
        tasks = await uow.find_in(Task, "id", task_ids)
    for provider_id in provider_ids - {id_of(p) for p in providers}:
        snapshot.drop_provider(provider_id)
    for p in providers:
        snapshot.put_provider(p)
    for task_id in task_ids - {id_of(task) for task in tasks}:
        snapshot.drop_task(task_id)
    for task in tasks:
        snapshot.put_task(task)


async def load_snapshot(store: Store, only: set[int] | None = None) -> AccessSnapshot:
    """The snapshot: every site (or only those of a site gateway), then the providers
    and tasks."""
    snapshot = AccessSnapshot()
    async with store.reader() as uow:
        site_ids = [id_of(s) for s in await uow.find(Site)]
    for site_id in site_ids:
        if only is not None and site_id not in only:
            continue
        await reload_site(store, snapshot, site_id)
    await reload_facilities(store, snapshot)
    return snapshot


@dataclass(frozen=True)
class Change:
    """One audited change, as the gateway needs to know it."""

    id: int
    action: str
    entity: str
    entity_id: int | None
    site_id: int | None


async def changes_since(store: Store, last_id: int) -> list[Change]:
    """Audit entries after `last_id`: the feed of every change, from any process."""
    a = t.audit_entries.c
    async with store.engine.connect() as conn:
        rows = await conn.execute(select(a.id, a.action, a.entity, a.entity_id, a.site_id)
                                  .where(a.id > last_id).order_by(a.id))
        return [Change(*r) for r in rows]


async def open_alarm_devices(store: Store, kind: EventKind) -> list[int]:
    """Devices with an alarm of this kind not cleared yet (read at the gateway's start)."""
    a = t.alarms.c
    async with store.engine.connect() as conn:
        rows = await conn.execute(select(a.device_id).distinct().where(
            a.kind == kind.value, a.cleared_at.is_(None), a.device_id.is_not(None)))
        return [r[0] for r in rows]


async def offline_devices(store: Store) -> list[int]:
    """Devices whose "device offline" alarm is not cleared yet."""
    return await open_alarm_devices(store, EventKind.DEVICE_OFFLINE)


async def last_change_id(store: Store) -> int:
    """The newest audit entry's id (0 when there is none)."""
    async with store.engine.connect() as conn:
        row = (await conn.execute(select(t.audit_head.c.count))).first()
    return row[0] if row else 0


# a change to one of these reloads just that provider or task
FACILITY_ENTITIES = {"provider", "task"}
PASS_MOVES = {"access_pass.assign", "access_pass.stock", "access_pass.lost",
              "access_pass.update"}
# changes that no access decision depends on
# (a company: its name and contacts; it cannot be deleted while it holds providers or
# tasks, and sharing it changes who manages it, not who opens doors)
NO_ACCESS = {"operator", "grant", "alarm", "door.open", "company", "company_access", "sms",
             "sms_credit"}


async def apply_changes(store: Store, snapshot: AccessSnapshot, changes: list[Change],
                        only: set[int] | None = None) -> set[int]:
    """Reload what the changes touched: the sites they name (of `only`, a site
    gateway's sites, when given), the providers and tasks.

    A site's reload rebuilds its indexes from the store in one read; the
    decision path keeps answering from the old indexes until the new ones are
    swapped in. A provider or task is reloaded alone (its id is in the change).
    """
    sites: set[int] = set()
    facilities = False
    changed: dict[str, set[int]] = {entity: set() for entity in FACILITY_ENTITIES}
    passes: set[int] = set()
    for change in changes:
        if change.entity in NO_ACCESS or change.action in NO_ACCESS:
            continue
        if change.action in PASS_MOVES and change.entity_id is not None:
            passes.add(change.entity_id)  # the common case: one pass, no site reload
        elif change.entity in FACILITY_ENTITIES:
            if change.entity_id is None:
                facilities = True  # no id to go by: reload them all
            else:
                changed[change.entity].add(change.entity_id)
        elif change.site_id is not None and (only is None or change.site_id in only):
            sites.add(change.site_id)
    for site_id in sorted(sites):
        await reload_site(store, snapshot, site_id)
    if passes:
        async with store.reader() as uow:
            moved = await uow.find_in(AccessPass, "id", passes)
        for ap in moved:
            if only is not None and ap.site_id not in only:
                continue  # another gateway's site (a pass moved away is dropped with it)
            if ap.site_id not in sites and not snapshot.put_pass(ap):
                sites.add(ap.site_id)
                await reload_site(store, snapshot, ap.site_id)
    if facilities:
        await reload_facilities(store, snapshot)
    elif changed["provider"] or changed["task"]:
        await reload_providers_and_tasks(store, snapshot, changed["provider"], changed["task"])
    return sites


async def open_site_alarm(store: Store, kind: EventKind) -> bool:
    """Whether a gateway alarm of this kind (no device: raised on every site) is still open."""
    a = t.alarms.c
    async with store.engine.connect() as conn:
        found = await conn.execute(select(a.id).where(
            a.kind == kind.value, a.cleared_at.is_(None), a.device_id.is_(None)).limit(1))
        return found.first() is not None


async def newest_event_at(store: Store) -> datetime | None:
    """When the newest stored event happened (the clock's sanity check; ix_events_at)."""
    async with store.engine.connect() as conn:
        at = (await conn.execute(select(func.max(t.events.c.at)))).scalar()
    return at if isinstance(at, datetime) else None
