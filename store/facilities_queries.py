"""Read model of the Facilities screen: companies, providers and tasks a page at a time
(keyset on the name's natural sort key then id, so "Task 2" comes before "Task 10" and
the 5,000th provider costs what the first does), the operators a company is shared
with, and a site's devices for a task's perimeter."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    distinct,
    exists,
    func,
    or_,
    select,
    tuple_,
)

from core.errors import ValidationError
from core.model import Block, Device, Door, ServiceProvider, Site, Task, WeekType, id_of
from core.natural_order import sort_key
from core.phones import parse_phone
from core.task_methods import DeviceDoors
from core.views.facilities_port import FacilitiesReadModel
from core.views.facilities_rows import (
    CODE_LABELS,
    COMPANY,
    PROVIDER,
    CompanyRow,
    FacilitiesHit,
    PerimeterDevice,
    ProviderFilter,
    ProviderRow,
    ShareRow,
    SitePerimeter,
    TaskFilter,
    TaskRow,
)
from store import tables as t
from store.database import Store
from store.mapping import mapper
from store.search import looks_numeric

sp, co, tk = t.service_providers.c, t.management_companies.c, t.tasks.c
CODE_COLUMNS = (sp.code_door, sp.code_relay_1, sp.code_relay_2, sp.code_key_safe)


def _like(value: str) -> str:
    """A LIKE pattern for text typed in a filter (its wildcards taken literally)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _telephone(typed: str) -> ColumnElement[bool]:
    """A provider whose mobile or other telephone is the number typed (any written
    form), or ends with the digits typed."""
    try:
        number = parse_phone(typed, "GB", "telephone").e164
        return or_(sp.mobile == number, sp.telephone == number)
    except ValidationError:
        digits = "".join(c for c in typed if c.isascii() and c.isdigit()).lstrip("0")
        pattern = f"%{digits}"
        return or_(sp.mobile.like(pattern), sp.telephone.like(pattern))


def _provider_conditions(stmt: Select[Any], flt: ProviderFilter | TaskFilter
                         ) -> Select[Any]:
    if flt.company_id is not None:
        stmt = stmt.where(sp.company_id == flt.company_id)
    if flt.provider.strip():
        stmt = stmt.where(sp.name.like(f"%{_like(flt.provider.strip())}%", escape="\\"))
    if isinstance(flt, ProviderFilter) and flt.empty_dates:
        stmt = stmt.where(sp.valid_from.is_(None), sp.valid_to.is_(None))
    if flt.code.strip():
        code = flt.code.strip()
        stmt = stmt.where(or_(*[c == code for c in CODE_COLUMNS]))
    if flt.telephone.strip():
        stmt = stmt.where(_telephone(flt.telephone))
    if flt.apass.strip():
        pattern = f"{_like(flt.apass.strip())}%"
        stmt = stmt.where(or_(sp.apass_number.like(pattern, escape="\\"),
                              sp.radio_number.like(pattern, escape="\\")))
    return stmt


def _after(key: Any, id_: Any, after: tuple[str, int] | None) -> ColumnElement[bool]:
    """Rows after the keyset `after` (a row's (sort key, id)); all rows for None."""
    return tuple_(key, id_) > tuple_(*after) if after else and_(True)


async def visible_companies(store: Store, operator_id: int, site_ids: Collection[int]
                            ) -> set[int]:
    """Companies the operator manages, or with a task on one of these sites."""
    ca, ts = t.company_access.c, t.task_sites.c
    managed = select(ca.company_id).where(ca.operator_id == operator_id)
    tasked = (select(tk.company_id).distinct().select_from(t.tasks.join(
        t.task_sites, ts.task_id == tk.id)).where(ts.site_id.in_(list(site_ids))))
    async with store.engine.connect() as conn:
        return set((await conn.execute(managed.union(tasked))).scalars())


async def managed_companies(store: Store, operator_id: int) -> set[int]:
    """The companies the operator manages."""
    ca = t.company_access.c
    async with store.engine.connect() as conn:
        return set((await conn.execute(
            select(ca.company_id).where(ca.operator_id == operator_id))).scalars())


async def company_rows(store: Store, company_ids: Collection[int] | None,
                       site_ids: Collection[int] | None = None) -> list[CompanyRow]:
    """These companies (None: all), by name in natural order, with their providers and
    their tasks with access to one of `site_ids` (None: all) counted (they are few:
    sorted here, no stored key)."""
    providers = (select(func.count()).select_from(t.service_providers)
                 .where(sp.company_id == co.id).scalar_subquery())
    tasks = select(func.count()).select_from(t.tasks).where(tk.company_id == co.id)
    if site_ids is not None:
        on_sites = select(t.task_sites.c.task_id).where(
            t.task_sites.c.site_id.in_(list(site_ids)))
        tasks = tasks.where(tk.id.in_(on_sites))
    stmt = select(co.id, co.name, co.person_in_charge, co.telephone, co.email, providers,
                  tasks.scalar_subquery()).order_by(co.name)
    if company_ids is not None:
        stmt = stmt.where(co.id.in_(list(company_ids)))
    async with store.engine.connect() as conn:
        rows = [CompanyRow(*r) for r in await conn.execute(stmt)]
    return sorted(rows, key=lambda r: (sort_key(r.name), r.id))


async def provider_page(store: Store, flt: ProviderFilter, company_ids: Collection[int] | None,
                        after: tuple[str, int] | None, limit: int) -> list[ProviderRow]:
    """Up to `limit` providers matching the filter after the key `after`, by name."""
    stmt = (select(t.service_providers, co.name.label("company_name"))
            .select_from(t.service_providers.join(t.management_companies))
            .where(_after(sp.sort_key, sp.id, after)))
    if company_ids is not None:
        stmt = stmt.where(sp.company_id.in_(list(company_ids)))
    stmt = _provider_conditions(stmt, flt).order_by(sp.sort_key, sp.id).limit(limit)
    mp = mapper(ServiceProvider)
    async with store.engine.connect() as conn:
        return [ProviderRow(mp.from_row(r), r.company_name) for r in await conn.execute(stmt)]


async def provider_row(store: Store, provider_id: int) -> ProviderRow | None:
    """One provider and their company's name."""
    stmt = (select(t.service_providers, co.name.label("company_name"))
            .select_from(t.service_providers.join(t.management_companies))
            .where(sp.id == provider_id))
    async with store.engine.connect() as conn:
        row = (await conn.execute(stmt)).first()
    return ProviderRow(mapper(ServiceProvider).from_row(row), row.company_name) if row else None


def _credentials(r: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    codes = tuple(f"{getattr(r, c)} ({label})" for c, label in CODE_LABELS.items()
                  if getattr(r, c))
    passes = tuple(p for p in (f"{r.apass_number} (APass)" if r.apass_number else "",
                               f"{r.radio_number} (radio)" if r.radio_number else "") if p)
    return codes, passes


async def task_page(store: Store, flt: TaskFilter, site_ids: Collection[int],
                    after: tuple[str, int] | None, limit: int) -> list[TaskRow]:
    """Up to `limit` tasks with access on one of these sites after `after`, by name.

    The tasks are walked in the order of the sort key's index, each checked against the
    sites, until a page is found (an IN over every task on the sites, then sorted,
    took 90 ms on 20,000 tasks; this takes one)."""
    ts, td, d, dv = t.task_sites.c, t.task_doors.c, t.doors.c, t.devices.c
    sites = list(site_ids)
    on_sites = exists().where(ts.task_id == tk.id, ts.site_id.in_(sites))
    stmt: Select[Any] = (
        select(tk.id, tk.name, tk.company_id, co.name.label("company"), tk.provider_id,
               sp.name.label("provider"), *CODE_COLUMNS, sp.apass_number, sp.radio_number)
        .select_from(t.tasks.join(t.management_companies, co.id == tk.company_id)
                     .join(t.service_providers, sp.id == tk.provider_id))
        .where(on_sites, _after(tk.sort_key, tk.id, after)))
    if flt.company_id is not None:
        stmt = stmt.where(tk.company_id == flt.company_id)
    stmt = _provider_conditions(stmt, TaskFilter(None, flt.provider, None, flt.code,
                                                 flt.telephone, flt.apass))
    stmt = stmt.order_by(tk.sort_key, tk.id).limit(limit)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
        ids = [r.id for r in rows]
        site_count: dict[int, int] = dict((await conn.execute(
            select(ts.task_id, func.count()).where(ts.task_id.in_(ids), ts.site_id.in_(sites))
            .group_by(ts.task_id))).all())
        device_count: dict[int, int] = dict((await conn.execute(
            select(td.task_id, func.count(distinct(dv.id)))
            .select_from(t.task_doors.join(t.doors, d.id == td.door_id)
                         .join(t.devices, dv.id == d.device_id))
            .where(td.task_id.in_(ids), dv.site_id.in_(sites)).group_by(td.task_id))).all())
    out = []
    for r in rows:
        codes, passes = _credentials(r)
        out.append(TaskRow(r.id, r.name, r.company_id, r.company, r.provider_id, r.provider,
                           codes, passes, site_count.get(r.id, 0), device_count.get(r.id, 0)))
    return out


async def task(store: Store, task_id: int) -> Task | None:
    """One task with its children."""
    async with store.reader() as uow:
        return await uow.get(Task, task_id)


async def company_shares(store: Store, company_id: int) -> list[ShareRow]:
    """The operators who manage a company, its creator first, then by email."""
    ca, op = t.company_access.c, t.operators.c
    stmt = (select(ca.id, ca.operator_id, op.name, op.email, ca.owner, ca.added_at,
                   ca.added_by).select_from(t.company_access.join(t.operators))
            .where(ca.company_id == company_id).order_by(ca.owner.desc(), op.email))
    async with store.engine.connect() as conn:
        return [ShareRow(*r) for r in await conn.execute(stmt)]


async def site_perimeter(store: Store, site_id: int) -> SitePerimeter:
    """A site's devices with doors, by block then name, and its week types."""
    async with store.reader() as uow:
        site = await uow.get(Site, site_id)
        devices = await uow.find(Device, site_id=site_id)
        doors = await uow.find_in(Door, "device_id", [id_of(x) for x in devices])
        week_types = await uow.find(WeekType, site_id=site_id, order_by="name")
        blocks = {b.id: b.name for b in await uow.find(Block, site_id=site_id)}
    by_device: dict[int, dict[int, int]] = {}
    for door in doors:
        by_device.setdefault(door.device_id, {})[door.relay] = id_of(door)
    rows = [PerimeterDevice(DeviceDoors(id_of(x), x.type, by_device.get(id_of(x), {})),
                            x.name, blocks.get(x.block_id, "") if x.block_id else "")
            for x in devices]
    rows.sort(key=lambda p: (p.block.casefold(), p.name.casefold(), p.id))
    return SitePerimeter(site_id, site.name if site else "", rows,
                         [(id_of(w), w.name) for w in week_types])


async def facilities_search(store: Store, text: str, fields: frozenset[str],
                            company_ids: Collection[int] | None, limit: int
                            ) -> list[FacilitiesHit]:
    """Companies, then providers, matching the text in these fields."""
    pattern = f"%{_like(text)}%"
    p_conds: list[ColumnElement[bool]] = []
    c_conds: list[ColumnElement[bool]] = []
    if "name" in fields:
        p_conds.append(sp.name.like(pattern, escape="\\"))
        c_conds.append(co.name.like(pattern, escape="\\"))
    # a telephone is looked for in a number, not in the digits of a word ("Flat 20"),
    # as the flats' search does; by Telephone, in whatever was typed
    numeric = fields == {"telephone"} or looks_numeric(text)
    if "telephone" in fields and numeric and any(c.isdigit() for c in text):
        p_conds.append(_telephone(text))
        digits = "".join(c for c in text if c.isascii() and c.isdigit())
        c_conds.append(func.replace(co.telephone, " ", "").like(f"%{digits}%"))
    if "code" in fields:
        p_conds.extend(c == text for c in CODE_COLUMNS)
    if "apass" in fields and text.isdigit():
        p_conds.extend([sp.apass_number.like(f"{text}%"), sp.radio_number.like(f"{text}%")])
    hits: list[FacilitiesHit] = []
    async with store.engine.connect() as conn:
        if c_conds:
            stmt = select(co.id, co.name, co.telephone).where(or_(*c_conds))
            if company_ids is not None:
                stmt = stmt.where(co.id.in_(list(company_ids)))
            for r in await conn.execute(stmt.order_by(co.name).limit(limit)):
                hits.append(FacilitiesHit(COMPANY, r.id, r.name, r.id, r.name, r.telephone))
        if p_conds:
            pstmt: Select[Any] = (select(sp.id, sp.name, sp.company_id, co.name.label("company"), sp.mobile,
                           sp.apass_number, sp.radio_number)
                    .select_from(t.service_providers.join(t.management_companies))
                    .where(or_(*p_conds)))
            if company_ids is not None:
                pstmt = pstmt.where(sp.company_id.in_(list(company_ids)))
            for p in await conn.execute(pstmt.order_by(sp.sort_key, sp.id).limit(limit)):
                hits.append(FacilitiesHit(PROVIDER, p.id, p.name, p.company_id, p.company,
                                          p.mobile, p.apass_number or p.radio_number or ""))
    return hits[:limit]


class StoreFacilitiesReads(FacilitiesReadModel):
    """The facilities half of core's read port (mixed into store.reads.StoreReads)."""

    store: Store

    async def visible_companies(self, operator_id: int, site_ids: Collection[int]
                                ) -> set[int]:
        return await visible_companies(self.store, operator_id, site_ids)

    async def company_rows(self, company_ids: Collection[int] | None,
                           site_ids: Collection[int] | None) -> list[CompanyRow]:
        return await company_rows(self.store, company_ids, site_ids)

    async def managed_companies(self, operator_id: int) -> set[int]:
        return await managed_companies(self.store, operator_id)

    async def provider_page(self, flt: ProviderFilter, company_ids: Collection[int] | None,
                            after: tuple[str, int] | None, limit: int) -> list[ProviderRow]:
        return await provider_page(self.store, flt, company_ids, after, limit)

    async def provider_row(self, provider_id: int) -> ProviderRow | None:
        return await provider_row(self.store, provider_id)

    async def task_page(self, flt: TaskFilter, site_ids: Collection[int],
                        after: tuple[str, int] | None, limit: int) -> list[TaskRow]:
        return await task_page(self.store, flt, site_ids, after, limit)

    async def task(self, task_id: int) -> Task | None:
        return await task(self.store, task_id)

    async def company_shares(self, company_id: int) -> list[ShareRow]:
        return await company_shares(self.store, company_id)

    async def site_perimeter(self, site_id: int) -> SitePerimeter:
        return await site_perimeter(self.store, site_id)

    async def facilities_search(self, text: str, fields: frozenset[str],
                                company_ids: Collection[int] | None, limit: int
                                ) -> list[FacilitiesHit]:
        return await facilities_search(self.store, text, fields, company_ids, limit)
