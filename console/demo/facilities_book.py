"""The demo estate's facilities book: several management companies with their staff
(current, expired, not started yet, permanent), tasks across the sites, and the first
companies shared with the manager, all through the services, as a building manager
would enter them. `bulk_book` adds thousands more straight through the store, for the
Facilities benchmark (5,000 providers, 20,000 tasks)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from console.demo.estate import DOMAIN, DemoEstate
from core.model import ManagementCompany, ServiceProvider, Task, id_of
from core.services import facilities, facilities_sharing
from core.services.base import Actor
from core.task_methods import DeviceDoors, Method, methods_for, task_doors
from store.database import Store

COMPANIES = [  # name, person in charge, telephone, missions
    ("Brightside Cleaning", "Ann Lee", "02079460101", ["Common areas", "Bin store",
                                                       "Windows, ground floor"]),
    ("Acme Lifts", "Raj Patel", "02079460102", ["Lift maintenance", "Lift rescue"]),
    ("Greenfingers Gardens", "Tom Birch", "02079460103", ["Gardens", "Hedges, car park"]),
    ("Sparks Electrical", "Mia Volt", "02079460104", ["Lighting", "Door entry wiring"]),
    ("Harbour Security", "Sam Keane", "02079460105", ["Night patrol", "Key holding"]),
    ("Pure Water Hygiene", "Eve Wells", "02079460106", ["Legionella checks"]),
]
FIRST = ["Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Kim", "Lee", "Max", "Noor"]
LAST = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fofana", "Green", "Hughes",
        "Iqbal", "Jones", "Khan", "Lewis"]


def _validity(kind: int, today: date, rnd: random.Random) -> tuple[date | None, date | None]:
    """current, expired, not started yet, or permanent (None, None)."""
    if kind == 0:
        start = today - timedelta(days=rnd.randrange(10, 400))
        return start, start + timedelta(days=365 * 3)
    if kind == 1:
        end = today - timedelta(days=rnd.randrange(1, 300))
        return end - timedelta(days=rnd.randrange(30, 700)), end
    if kind == 2:
        start = today + timedelta(days=rnd.randrange(1, 60))
        return start, start + timedelta(days=365)
    return None, None


def _devices(estate: DemoEstate) -> dict[int, list[DeviceDoors]]:
    """Each site's devices with their doors by relay, for a task's perimeter."""
    by_device: dict[int, dict[int, int]] = {}
    for door in estate.doors:
        by_device.setdefault(door.device_id, {})[door.relay] = id_of(door)
    out: dict[int, list[DeviceDoors]] = {}
    for device in estate.devices:
        doors = DeviceDoors(id_of(device), device.type, by_device.get(id_of(device), {}))
        if methods_for(doors):
            out.setdefault(device.site_id, []).append(doors)
    return out


def _perimeter(estate: DemoEstate, devices: dict[int, list[DeviceDoors]],
               rnd: random.Random, provider: ServiceProvider) -> Task:
    """A task's sites, week types and doors: a few devices on one to all sites."""
    sites = rnd.sample(estate.sites, rnd.randint(1, len(estate.sites)))
    chosen: dict[int, set[Method]] = {}
    for site in sites:
        pool = devices.get(id_of(site), [])
        for doors in rnd.sample(pool, min(len(pool), rnd.randint(1, 5))):
            offered = list(methods_for(doors))
            wanted = {m for m in offered if rnd.random() < 0.6} or {offered[0]}
            if not provider.mobile:
                wanted -= {Method.TELEPHONE}
            chosen[doors.device_id] = wanted or {offered[0]}
    all_doors = {d.device_id: d for pool in devices.values() for d in pool}
    week = {id_of(s): (estate.week_types[id_of(s)]["Contractors"] if rnd.random() < 0.7
                       else None) for s in sites}
    return Task("", provider.company_id, id_of(provider), sorted(week), week,
                task_doors(chosen, all_doors))


async def add_book(store: Store, estate: DemoEstate, seed: int = 1, providers: int = 48,
                   tasks: int = 60) -> tuple[int, int]:
    """Companies, providers and tasks through the services; returns what was added."""
    rnd = random.Random(seed * 7919)
    actor = Actor(estate.admin, source="demo")
    today = actor.today()
    companies = [await facilities.save_company(store.uow(), actor, ManagementCompany(
        name, person, phone, f"office@{name.split()[0].lower()}.{DOMAIN}"))
        for name, person, phone, _ in COMPANIES]
    manager = next(o for o in estate.operators if o.login == "manager")
    for company in companies[:3]:
        await facilities_sharing.share_company(store.uow(), actor, id_of(company),
                                               manager.email)
    staff: list[ServiceProvider] = []
    for i in range(providers):
        company = companies[i % len(companies)]
        missions = COMPANIES[i % len(COMPANIES)][3]
        start, end = _validity(i % 4, today, rnd)
        name = f"{rnd.choice(LAST)} {rnd.choice(FIRST)}"
        staff.append(await facilities.save_provider(store.uow(), actor, ServiceProvider(
            id_of(company), name, start, end, email=f"{name.split()[1].lower()}.{i}@"
            f"{company.name.split()[0].lower()}.{DOMAIN}",
            mobile=f"+4479111{i:05d}" if i % 3 else "", mission=rnd.choice(missions),
            apass_number=f"77{i:08d}" if i % 2 == 0 else None,
            radio_number=f"78{i:08d}" if i % 5 == 0 else None,
            code_door=str(3000000 + i), code_key_safe=str(3500000 + i) if i % 6 == 0
            else None), permanent=start is None))
    devices = _devices(estate)
    for i in range(tasks):
        provider = staff[i % len(staff)]
        task = _perimeter(estate, devices, rnd, provider)
        task.name = f"{COMPANIES[i % len(COMPANIES)][3][0]} #{i + 1}"
        await facilities.save_task(store.uow(), actor, task)
    return providers, tasks


async def bulk_book(store: Store, estate: DemoEstate, providers: int, tasks: int,
                    seed: int = 1) -> None:
    """Thousands of providers and tasks in one transaction (no audit entries): the
    benchmark's book, not something an operator would enter."""
    rnd = random.Random(seed)
    today = date.today()
    async with store.uow() as uow:
        companies = [await uow.add(ManagementCompany(f"Bulk Contractor {c:03d}"))
                     for c in range(max(1, providers // 100))]
        staff = [ServiceProvider(
            id_of(companies[i % len(companies)]), f"{rnd.choice(LAST)} {rnd.choice(FIRST)} "
            f"{i:05d}", *_validity(i % 4, today, rnd), mission="Bulk",
            mobile=f"+4479112{i:05d}" if i < 100000 else "",
            apass_number=f"88{i:08d}", code_door=str(40000000 + i))
            for i in range(providers)]
        await uow.add_all(staff)
        devices = _devices(estate)
        book: list[Task] = []
        for i in range(tasks):
            task = _perimeter(estate, devices, rnd, staff[i % len(staff)])
            task.name = f"Bulk task {i:05d}"
            book.append(task)
        await uow.add_all(book)
        await uow.commit()
