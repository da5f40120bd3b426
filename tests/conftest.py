"""Shared fixtures: a real SQLite store in a temporary folder, and a small estate.

Migrating a database and building the estate through the services cost more than most
tests that use them, so each test process builds them once (`_seeds`) and every test gets
its own copy of the file: the copy is the same database the test would have built.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from core.model import (
    AccessProfile,
    Block,
    Device,
    DeviceType,
    Door,
    Flat,
    ManagementCompany,
    Operator,
    ServiceProvider,
    Site,
    TimeWindow,
    WeekType,
)
from core.services import blocks, devices, facilities, flats, operators, schedules, sites
from core.services.base import Actor
from store.database import Store
from tests.cli_inprocess import run_cli

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


async def eventually(check, timeout: float = 3.0):
    """Wait for check() to be truthy (what a driver or a process does in its own time);
    return it. Fails after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if value := check():
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {timeout} s")


def fixed_clock() -> datetime:
    """Tests run at a known moment: 27 November 2026, 10:00 UTC."""
    return NOW


@dataclass
class Seeds:
    """Database files built once per test process, to copy: `empty` (migrated), `admin`
    (plus the first administrator) and `estate` (plus the small estate)."""

    folder: Path
    admin: Operator | None = None
    estate: SmallEstate | None = None
    files: dict[str, Path] = field(default_factory=dict)


def save_copy(store: Store, path: Path) -> Path:
    """A consistent copy of a store's SQLite file, what is still in its WAL included."""
    src, dst = sqlite3.connect(store.where), sqlite3.connect(path)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return path


async def _build_seeds(seeds: Seeds) -> Seeds:
    store = await Store.open(path=seeds.folder / "build.db")
    try:
        seeds.files["empty"] = save_copy(store, seeds.folder / "empty.db")
        seeds.admin = await operators.bootstrap_admin(store.uow(), "admin@test.example")
        seeds.files["admin"] = save_copy(store, seeds.folder / "admin.db")
        admin = Actor(seeds.admin, source="test", clock=fixed_clock)
        seeds.estate = await build_small_estate(store, admin)
        seeds.files["estate"] = save_copy(store, seeds.folder / "estate.db")
    finally:
        await store.close()
    return seeds


@pytest.fixture
def cli(capfd: pytest.CaptureFixture[str]):
    """`cli("init", "--admin", ...)`: the doorkeeper command run in this process, its
    exit code and output as a CompletedProcess (tests/cli_inprocess.py)."""
    return functools.partial(run_cli, capfd)


@pytest.fixture(scope="session")
def _seeds(tmp_path_factory: pytest.TempPathFactory) -> Seeds:
    """The seed files of this test process (each xdist worker builds its own, in ~0.5 s)."""
    return asyncio.run(_build_seeds(Seeds(tmp_path_factory.mktemp("seeds"))))


#: which seed a test's store was copied from
_SEEDED = pytest.StashKey[str]()


@pytest.fixture
async def store(request: pytest.FixtureRequest, tmp_path: Path, _seeds: Seeds):
    """An empty, migrated store in a real SQLite file.

    When the test also asks for `admin` or `estate`, the file is a copy of a seed that
    already holds them, and those fixtures hand out copies of the seed's objects."""
    names = request.fixturenames
    seed = "estate" if "estate" in names else "admin" if "admin" in names else "empty"
    path = shutil.copyfile(_seeds.files[seed], tmp_path / "doorkeeper.db")
    request.node.stash[_SEEDED] = seed
    st = await Store.open(path=path, migrate=False)  # the seed was migrated when built
    yield st
    await st.close()


async def seeded(request: pytest.FixtureRequest, store: Store, build):
    """What `await build()` makes in the test's (fresh) store, built once per test process.

    The first test runs `build` and keeps a copy of the database and of what it returned;
    later tests get their store's file replaced by a copy of that database, and a copy of
    the objects. For a fixture (named by `request`) that adds to the store before the test
    has touched it."""
    cache = request.config.stash.setdefault(_BUILT, {})
    key = (request.node.path, request.fixturename, request.node.stash.get(_SEEDED, ""))
    if key not in cache:
        made = await build()
        folder = request.getfixturevalue("_seeds").folder
        cache[key] = (save_copy(store, folder / f"built-{len(cache)}.db"), made)
    else:
        await store.engine.dispose()  # no connection is left on the file replaced
        where = Path(store.where)
        for leftover in (where.with_name(where.name + "-wal"),
                         where.with_name(where.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(cache[key][0], where)
    return copy.deepcopy(cache[key][1])


_BUILT = pytest.StashKey[dict[tuple, tuple[Path, object]]]()


@pytest.fixture
async def admin(request: pytest.FixtureRequest, store: Store, _seeds: Seeds) -> Actor:
    """The first administrator (may create sites)."""
    if request.node.stash.get(_SEEDED, "empty") != "empty":
        op = copy.deepcopy(_seeds.admin)
    else:  # a store asked for before `admin` was known (getfixturevalue)
        op = await operators.bootstrap_admin(store.uow(), "admin@test.example")
    return Actor(op, source="test", clock=fixed_clock)


@dataclass
class SmallEstate:
    """One site, one block with three flats, a panel with a door, a profile."""

    site: Site
    block: Block
    flats: list[Flat]
    panel: Device
    door: Door
    profile: AccessProfile
    week_type: WeekType


@pytest.fixture
async def estate(request: pytest.FixtureRequest, store: Store, admin: Actor,
                 _seeds: Seeds) -> SmallEstate:
    """A small estate built through the services by the administrator."""
    if request.node.stash.get(_SEEDED, "empty") == "estate":
        return copy.deepcopy(_seeds.estate)
    return await build_small_estate(store, admin)


async def build_small_estate(store: Store, admin: Actor) -> SmallEstate:
    """The small estate of the `estate` fixture, for tests that build their own store."""
    site = await sites.create_site(store.uow(), admin, Site(
        name="Demo Cases", max_panels=2, max_flats=5, max_foreign_numbers=1,
        max_panel_names=3))
    block = await blocks.create_block(store.uow(), admin, Block(site.id, "Block C"))
    made = await flats.create_flats(store.uow(), admin, block.id, 1, 3)
    panel = await devices.create_device(store.uow(), admin, Device(
        site.id, "PP4G : IP MiniPro", DeviceType.IPGUARD_4G, block_id=block.id,
        gsm_access_point=True), [Door(0, 1, "Main entrance")])
    async with store.reader() as uow:
        door = (await uow.find(Door, device_id=panel.id))[0]
    wt = await schedules.save_week_type(store.uow(), admin, WeekType(
        site.id, "Always", [TimeWindow(d, time(0, 0), time(23, 59)) for d in range(8)]))
    profile = await schedules.save_access_profile(store.uow(), admin, AccessProfile(
        site.id, "Profil - Block C", wt.id, [door.id]))
    block = await blocks.update_block(store.uow(), admin, block.id,
                                      default_access_profile_id=profile.id)
    return SmallEstate(site, block, made, panel, door, profile, wt)


@pytest.fixture
async def provider(store: Store, admin: Actor) -> ServiceProvider:
    """A management company, Lifts, and its service provider Sam (door code 2468 and a
    mobile), for the tests of tasks and providers' credentials."""
    company = await facilities.save_company(store.uow(), admin, ManagementCompany("Lifts"))
    return await facilities.save_provider(store.uow(), admin, ServiceProvider(
        company.id, "Sam", code_door="2468", mobile="+442079460998"))


async def make_operator(store: Store, admin: Actor, email: str, site_id: int, profile: str,
                        **grant: object) -> Actor:
    """An operator with a profile on one site, as an Actor at the fixed clock."""
    op = await operators.add_operator(store.uow(), admin, Operator(email=email))
    await operators.grant_site(store.uow(), admin, op.id, site_id, profile, **grant)
    return Actor(op, source="test", clock=fixed_clock)


def dump_database(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read with plain sqlite3: to prove nothing changed."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        without_rowid = {r[0] for r in con.execute(  # the search index's shadow tables
            "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE '%WITHOUT ROWID%'")}
        return {n: con.execute(f'SELECT * FROM "{n}"'
                               + ("" if n in without_rowid else " ORDER BY rowid")).fetchall()
                for n in names}
    finally:
        con.close()


#: fixtures built once per test process that cost seconds: the tests using one run on one
#: xdist worker (`--dist loadgroup`, see the Makefile), so it is built once, not per worker
SHARED_FIXTURES = ("served", "demo_db")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of a shared fixture with its xdist group."""
    for item in items:
        for name in SHARED_FIXTURES:
            if name in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(name))
                break
