"""Shared fixtures: a real SQLite store in a temporary folder, and a small estate.

Migrating a database and building the estate through the services cost more than most
tests that use them, so each test process builds them once (`_seeds`) and every test gets
its own copy of the file: the copy is the same database the test would have built.

Modules marked `both_engines` run each test that uses `store` twice: on SQLite and on a
PostgreSQL database copied from the same seeds on a throwaway server (tests/pg.py;
`--engines sqlite` leaves PostgreSQL out).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import functools
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from core.config import StoreConfig
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
from tests import pg
from tests.cli_inprocess import run_cli
from tests.pg import (  # noqa: F401 - the run's hooks: --engines, the cluster, both_engines
    pytest_addoption,
    pytest_configure,
    pytest_generate_tests,
    pytest_unconfigure,
)

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
    #: SQLite files; on PostgreSQL (`pg`), the template databases' names
    files: dict[str, Path | str] = field(default_factory=dict)
    pg: pg.Databases | None = None


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


async def _build_pg_seeds(seeds: Seeds) -> Seeds:
    """The same seeds as template databases on the test's PostgreSQL server."""
    dbs = seeds.pg
    assert dbs is not None
    empty = await dbs.create(dbs.name("seed_empty"))
    await (await Store.open(StoreConfig(url=pg.url(dbs.socket, empty)))).close()
    seeds.files["empty"] = empty
    store = await Store.open(StoreConfig(url=pg.url(
        dbs.socket, await dbs.create(dbs.name("seed_admin"), empty))), migrate=False)
    try:
        seeds.admin = await operators.bootstrap_admin(store.uow(), "admin@test.example")
    finally:
        await store.close()
    seeds.files["admin"] = dbs.name("seed_admin")
    store = await Store.open(StoreConfig(url=pg.url(
        dbs.socket, await dbs.create(dbs.name("seed_estate"), dbs.name("seed_admin")))),
        migrate=False)
    try:
        seeds.estate = await build_small_estate(store, Actor(seeds.admin, source="test",
                                                              clock=fixed_clock))
    finally:
        await store.close()
    seeds.files["estate"] = dbs.name("seed_estate")
    return seeds


@pytest.fixture(scope="session")
def _seeds(tmp_path_factory: pytest.TempPathFactory) -> Seeds:
    """The seed files of this test process (each xdist worker builds its own, in ~0.5 s)."""
    return _run_apart(_build_seeds(Seeds(tmp_path_factory.mktemp("seeds"))))


@pytest.fixture(scope="session")
def _pg_seeds(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Seeds:
    """The seed databases of this test process on the run's PostgreSQL server (~2 s)."""
    socket = os.environ.get(pg.ENV)
    if not socket:
        pytest.skip("no PostgreSQL server for this run (tests/pg.py: PostgreSQL's "
                    "binaries are missing; .ci/run installs them)")
    seeds = Seeds(tmp_path_factory.mktemp("pg-seeds"), pg=pg.Databases(socket, worker_id))
    return _run_apart(_build_pg_seeds(seeds))


def _run_apart(coro):
    """asyncio.run in a thread of its own: a session fixture may first be asked for from
    within a test's running event loop (`store` picks the seeds of its engine)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def store_engine(request: pytest.FixtureRequest) -> str:
    """The engine the test's store runs on: "sqlite", or "postgresql" for the second run
    of a `both_engines` module."""
    return getattr(request, "param", "sqlite")


def seeds_of(request: pytest.FixtureRequest) -> Seeds:
    """The seeds of the engine the test runs on."""
    on_pg = request.getfixturevalue("store_engine") == "postgresql"
    return request.getfixturevalue("_pg_seeds" if on_pg else "_seeds")


#: which seed a test's store was copied from
_SEEDED = pytest.StashKey[str]()


@pytest.fixture
async def store(request: pytest.FixtureRequest, tmp_path: Path, store_engine: str):
    """An empty, migrated store in a real SQLite file (or a PostgreSQL database, for the
    second run of a `both_engines` module).

    When the test also asks for `admin` or `estate`, the file is a copy of a seed that
    already holds them, and those fixtures hand out copies of the seed's objects."""
    names = request.fixturenames
    seed = "estate" if "estate" in names else "admin" if "admin" in names else "empty"
    seeds = seeds_of(request)
    request.node.stash[_SEEDED] = seed
    if seeds.pg is not None:
        name = await seeds.pg.fresh(str(seeds.files[seed]))
        # path: the folder of the gateway's local spill journal (store.spill.pg_spill_path)
        st = await Store.open(StoreConfig(url=pg.url(seeds.pg.socket, name),
                                          path=str(tmp_path / "doorkeeper.db")), migrate=False)
        yield st
        await st.close()
        await seeds.pg.drop(name)
        return
    path = shutil.copyfile(seeds.files[seed], tmp_path / "doorkeeper.db")
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
    seeds = seeds_of(request)
    key = (request.node.path, request.fixturename, request.node.stash.get(_SEEDED, ""),
           seeds.pg is not None)
    if seeds.pg is not None:  # PostgreSQL: the built database is kept as a template
        dbs, name = seeds.pg, store.engine.url.database
        assert name is not None
        await store.engine.dispose()  # a template has no connections
        if key not in cache:
            made = await build()
            await store.engine.dispose()
            cache[key] = (await dbs.create(dbs.name(f"built{len(cache)}"), name), made)
        else:
            await dbs.create(name, str(cache[key][0]))
        return copy.deepcopy(cache[key][1])
    if key not in cache:
        made = await build()
        folder = seeds.folder
        cache[key] = (save_copy(store, folder / f"built-{len(cache)}.db"), made)
    else:
        await store.engine.dispose()  # no connection is left on the file replaced
        where = Path(store.where)
        for leftover in (where.with_name(where.name + "-wal"),
                         where.with_name(where.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(cache[key][0], where)
    return copy.deepcopy(cache[key][1])


_BUILT = pytest.StashKey[dict[tuple, tuple[Path | str, object]]]()


@pytest.fixture
async def admin(request: pytest.FixtureRequest, store: Store) -> Actor:
    """The first administrator (may create sites)."""
    if request.node.stash.get(_SEEDED, "empty") != "empty":
        op = copy.deepcopy(seeds_of(request).admin)
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
async def estate(request: pytest.FixtureRequest, store: Store, admin: Actor) -> SmallEstate:
    """A small estate built through the services by the administrator."""
    if request.node.stash.get(_SEEDED, "empty") == "estate":
        return copy.deepcopy(seeds_of(request).estate)
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
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # no file: an error, not {}
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


async def dump_store(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table of the store, on either engine: to prove nothing changed."""
    if store.engine.dialect.name == "sqlite":
        return dump_database(Path(store.where))
    from sqlalchemy import text

    async with store.engine.connect() as conn:
        names = [r[0] for r in await conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))]
        return {n: [tuple(r) for r in await conn.execute(text(f'SELECT * FROM "{n}" ORDER BY 1'))]
                for n in names}


async def sql(store: Store, statement: str) -> list[tuple]:
    """Run one SQL statement on the store's database behind its back (as an intruder or a
    crash would) and commit; the rows it returns, if any. Either engine."""
    from sqlalchemy import text

    async with store.engine.begin() as conn:
        result = await conn.execute(text(statement))
        return [tuple(r) for r in result] if result.returns_rows else []


def store_args(store: Store, folder: Path) -> list[str]:
    """The CLI arguments that name the test's store: `--db FILE`, or on PostgreSQL a
    config file whose [store] url names its database."""
    if store.engine.dialect.name == "sqlite":
        return ["--db", str(store.where)]
    config = folder / "pg-store.toml"
    url = store.engine.url.render_as_string(hide_password=False)
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    return ["--config", str(config)]


async def reopen(store: Store) -> Store:
    """The test's store opened a second time (as another process would), either engine."""
    if store.engine.dialect.name == "sqlite":
        return await Store.open(path=store.where)
    folder = store.spill_file.parent if store.spill_file is not None else Path("var")
    return await Store.open(StoreConfig(url=store.engine.url.render_as_string(
        hide_password=False), path=str(folder / "doorkeeper.db")))
