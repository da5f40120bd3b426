"""A small facilities book over the small estate, for the Facilities screen's tests: two
companies, providers current, expired, not started and permanent, a task each for two."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.model import ManagementCompany, ServiceProvider, Task, TaskDoor
from core.services.base import Actor
from core.services.facilities import save_company, save_provider, save_task
from store.database import Store
from tests.conftest import SmallEstate


@dataclass
class Book:
    cleaning: ManagementCompany
    lifts: ManagementCompany
    empty: ManagementCompany
    current: ServiceProvider
    expired: ServiceProvider
    not_started: ServiceProvider
    permanent: ServiceProvider
    task: Task


async def build_book(store: Store, admin: Actor, estate: SmallEstate) -> Book:
    """Made through the services as the administrator (today is 2026-11-27)."""
    cleaning = await save_company(store.uow(), admin, ManagementCompany(
        "Brightside Cleaning", "Ann Lee", "02079460000", "office@brightside.example"))
    lifts = await save_company(store.uow(), admin, ManagementCompany("Acme Lifts"))
    empty = await save_company(store.uow(), admin, ManagementCompany("Zed Gardens"))

    async def provider(company: ManagementCompany, name: str, start: date | None,
                       end: date | None, **more: object) -> ServiceProvider:
        return await save_provider(store.uow(), admin, ServiceProvider(
            company.id, name, start, end, **more), permanent=start is None)

    current = await provider(cleaning, "Smith John", date(2026, 1, 1), date(2028, 1, 1),
                             mobile="07546277399", email="john@brightside.example",
                             mission="Common areas, bins", code_door="4711",
                             apass_number="4640800090")
    expired = await provider(cleaning, "Old Olga", date(2020, 1, 1), date(2022, 1, 1),
                             mission="Windows")
    not_started = await provider(lifts, "Future Fay", date(2027, 3, 1), date(2029, 3, 1),
                                 code_door="5522")
    permanent = await provider(lifts, "Always Al", None, None, radio_number="3695843697")
    task = await save_task(store.uow(), admin, Task(
        "Bins on weekday mornings", cleaning.id, current.id, [estate.site.id],
        {estate.site.id: estate.week_type.id},
        [TaskDoor(estate.door.id, by_code=True, by_apass=True)]))
    return Book(cleaning, lifts, empty, current, expired, not_started, permanent, task)
