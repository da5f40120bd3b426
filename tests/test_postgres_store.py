"""PostgreSQL as the store: what only PostgreSQL has (docs/postgresql.md).

Many writers at once (desks on other machines, several gateways), the events' monthly
partitions and their retention, migration 0009 on a store holding events, the URL, and
the faults by SQLSTATE. The suites marked `both_engines` prove the rest runs on both.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from core.config import StoreConfig, load_config
from core.errors import ConfigError, StoreBusy, StoreError
from core.model import Event, EventKind, EventResult
from core.services import flats
from store import postgres
from store.database import Store
from tests import pg
from tests.conftest import sql

_numbers = itertools.count(1)


@pytest.fixture
async def pg_url(_pg_seeds):
    """An empty database on the run's server (not migrated), dropped afterwards."""
    dbs = _pg_seeds.pg
    name = await dbs.create(dbs.name(f"own{next(_numbers)}"))
    yield pg.url(dbs.socket, name)
    await dbs.drop(name)


def event(at: datetime, i: int = 0, site: int = 1) -> Event:
    return Event(at, site, EventKind.OPEN_BY_PROXIMITY_FOB, EventResult.OPENING, 7, 2, 3,
                 f"{1111100000 + i}", "Sully Garfield", "", f"APass number : {1111100000 + i}")


def _not_ours(name, type_, _parent) -> bool:
    from store.search_index import is_search_table

    return not (type_ == "table" and (is_search_table(name)
                                      or postgres.is_event_partition(name)))


async def test_migrations_from_empty_reach_the_models_schema(pg_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.tables import metadata

    store = await Store.open(StoreConfig(url=pg_url))
    try:
        async with store.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(
                c, opts={"include_name": _not_ours}), metadata))
            kind = (await conn.exec_driver_sql(
                "SELECT relkind::text FROM pg_class WHERE relname = 'events'")).scalar()
            parts = await postgres.event_partitions(conn)
    finally:
        await store.close()
    assert diff == []
    assert kind == "p"  # partitioned
    this = postgres.month_of(datetime.now(UTC))
    assert {postgres.partition_name(postgres.add_months(this, n)) for n in range(3)} \
        | {"events_default"} <= set(parts)


async def test_0009_moves_stored_events_into_their_months(pg_url):
    """A store at 0008 holding events: after the upgrade each is in its month's
    partition, with its id, and the next event follows the largest id."""
    from alembic import command
    from sqlalchemy.ext.asyncio import create_async_engine

    from store.migrate import alembic_config

    engine = create_async_engine(pg_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0008"))
        for i, at in enumerate(["2025-01-31 23:59:59+00", "2025-02-01 00:00:00+00",
                                "2025-02-14 12:00:00+00"], start=10):
            await conn.exec_driver_sql(
                "INSERT INTO events (id, at, site_id, kind, result, credential, name, reason,"
                f" description) VALUES ({i}, '{at}', 1, 'Door forced', 'Alarm', '', '', '', "
                "'')")
    await engine.dispose()
    store = await Store.open(StoreConfig(url=pg_url))
    try:
        rows = await sql(store, "SELECT tableoid::regclass::text, id FROM events ORDER BY id")
        writer = await store.event_writer()
        new = event(datetime(2025, 2, 15, tzinfo=UTC))
        writer.append(new)
        await writer.flush()
    finally:
        await store.close()
    assert rows == [("events_y2025m01", 10), ("events_y2025m02", 11),
                    ("events_y2025m02", 12)]
    assert new.id == 13


async def test_the_event_writer_makes_a_months_partition_and_retention_drops_old_months(
        pg_url):
    old = datetime(2020, 3, 5, 8, 0, tzinfo=UTC)
    store = await Store.open(StoreConfig(url=pg_url))
    try:
        writer = await store.event_writer()
        writer.append_many([event(old, 1), event(datetime.now(UTC), 2)])
        await writer.flush()
        where = await sql(store, "SELECT tableoid::regclass::text FROM events ORDER BY id")
    finally:
        await store.close()
    assert where[0] == ("events_y2020m03",)  # made for it, not the default partition
    kept = await Store.open(StoreConfig(url=pg_url, event_retention_months=24))
    try:
        left = await sql(kept, "SELECT at FROM events")
        async with kept.engine.connect() as conn:
            parts = await postgres.event_partitions(conn)
    finally:
        await kept.close()
    assert len(left) == 1 and left[0][0] > old  # the old month went, whole
    assert "events_y2020m03" not in parts


async def test_writers_starting_together_make_a_months_partition_once_without_a_warning(
        pg_url, caplog):
    """Gateways starting at the same moment all ask for the same new month: one makes it,
    the others find it made (no false "stay in the default partition" warning)."""
    store = await Store.open(StoreConfig(url=pg_url))
    try:
        months = [date(2019, m, 1) for m in range(1, 7)]
        with caplog.at_level("WARNING", logger=postgres.log.name):
            results = await asyncio.gather(*(postgres.maintain_events(store.engine, months)
                                             for _ in range(6)))
        async with store.engine.connect() as conn:
            parts = await postgres.event_partitions(conn)
    finally:
        await store.close()
    assert not [r for r in caplog.records if "default partition" in r.getMessage()]
    assert {postgres.partition_name(m) for m in months} <= set(parts)
    assert all(results)


async def test_gateways_writing_at_a_months_turn_store_it_in_its_partition_without_a_warning(
        pg_url, caplog):
    """Eight gateways' event writers (each its own store and connections, as eight
    processes have) meet the same new month at once, at its first instant: one makes its
    partition under the PARTITIONS lock, the others find it made; no writer logs a false
    "stay in the default partition" and every row is in the month's partition."""
    month = postgres.add_months(postgres.month_of(datetime.now(UTC)), postgres.AHEAD + 3)
    turn = datetime(month.year, month.month, 1, tzinfo=UTC)  # not made when a store opens
    stores = [await Store.open(StoreConfig(url=pg_url), migrate=i == 0) for i in range(8)]
    try:
        writers = [await s.event_writer() for s in stores]
        for n, writer in enumerate(writers):
            writer.append_many([event(turn + timedelta(microseconds=n * 10 + i), n * 10 + i)
                                for i in range(5)])
        with caplog.at_level("WARNING", logger=postgres.log.name):
            await asyncio.gather(*(w.flush() for w in writers))
        where = await sql(stores[0], "SELECT tableoid::regclass::text, count(*) FROM events "
                                     "GROUP BY 1")
    finally:
        for s in stores:
            await s.close()
    assert [r.getMessage() for r in caplog.records if "default partition" in r.getMessage()] \
        == []
    assert where == [(postgres.partition_name(month), 40)]


async def test_two_gateways_appending_at_once_give_every_event_one_id(pg_url):
    first = await Store.open(StoreConfig(url=pg_url))
    second = await Store.open(StoreConfig(url=pg_url))
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    try:
        writers = [await first.event_writer(), await second.event_writer()]
        for i in range(600):
            writers[i % 2].append(event(start + timedelta(milliseconds=i), i))
            if i % 50 == 0:
                await asyncio.sleep(0)
        await asyncio.gather(*(w.flush() for w in writers))
        rows = await sql(first, "SELECT count(*), count(DISTINCT id), min(id), max(id) "
                                "FROM events")
    finally:
        await first.close()
        await second.close()
    assert rows == [(600, 600, 1, 600)]


ON_POSTGRESQL = pytest.mark.parametrize("store_engine", ["postgresql"], indirect=True)


@ON_POSTGRESQL
async def test_desks_on_many_machines_make_one_audit_chain(store, admin, estate):
    """Ten stores (as ten desks' processes would open) change flats at once: every change
    is one link of the same chain, which verifies."""
    desks = [await _reopen(store) for _ in range(10)]
    try:
        await asyncio.gather(*(
            flats.update_flat(desk.uow(), admin, estate.flats[i % 3].id, notes=f"desk {i}")
            for i, desk in enumerate(desks)))
    finally:
        for desk in desks:
            await desk.close()
    report = await store.verify_audit()
    assert report.ok, report.problem
    notes = await sql(store, "SELECT count(*) FROM audit_entries WHERE action = 'flat.update'")
    assert notes == [(10,)]


async def _reopen(store: Store) -> Store:
    return await Store.open(StoreConfig(url=store.engine.url.render_as_string(
        hide_password=False)), migrate=False)


@ON_POSTGRESQL
async def test_a_desk_waiting_past_the_busy_timeout_is_told_so_and_nothing_is_saved(
        store, admin, estate):
    url = store.engine.url.render_as_string(hide_password=False)
    holder = await _reopen(store)
    impatient = await Store.open(StoreConfig(url=url, busy_timeout_ms=100), migrate=False)
    try:
        async with holder.uow() as uow:  # a desk's write transaction, left open
            await uow.count(type(estate.flats[0]))
            with pytest.raises(StoreBusy):
                await flats.update_flat(impatient.uow(), admin, estate.flats[0].id,
                                        notes="never")
            await uow.rollback()
    finally:
        await holder.close()
        await impatient.close()
    assert await sql(store, f"SELECT notes FROM flats WHERE id = {estate.flats[0].id}") == [
        ("",)]


@pytest.mark.parametrize("url, says", [
    ("mysql+aiomysql://u@h/db", r"must be postgresql\+asyncpg"),
    ("postgresql://u@h/db", r"must be postgresql\+asyncpg"),
    ("postgresql+asyncpg://u:secret@h/", r"must be postgresql\+asyncpg"),
    ("not a url", r"must be postgresql\+asyncpg"),
])
def test_a_bad_store_url_in_the_config_is_refused_in_one_line(tmp_path, url, says):
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=says) as err:
        load_config(config)
    assert "secret" not in str(err.value)


@pytest.mark.parametrize("url, says", [
    ("postgresql+psycopg://u@h/db", "asyncpg driver"),
    ("postgresql+asyncpg://u:secret@h", "names no database"),
    ("oracle://u@h/db", "SQLite or PostgreSQL"),
    ("::", "not a database URL"),
])
def test_a_bad_store_url_is_refused_before_anything_connects(url, says):
    with pytest.raises(StoreError, match=says) as err:
        postgres.check_url(url)
    assert "secret" not in str(err.value)


def test_retention_must_be_whole_months(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[store]\nevent_retention_months = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="event_retention_months"):
        load_config(config)


async def test_an_unreachable_server_is_one_clear_line(tmp_path):
    url = f"postgresql+asyncpg://nobody@/doorkeeper?host={tmp_path}"  # no server there
    with pytest.raises(StoreError, match="Cannot (reach|open) the store"):
        await Store.open(StoreConfig(url=url, busy_timeout_ms=1000))


class _Err(Exception):
    def __init__(self, code: str) -> None:
        self.sqlstate = code


@pytest.mark.parametrize("code, fault", [
    ("53100", "disk full"), ("55P03", "locked too long"), ("40P01", "locked too long"),
    ("25006", "read-only"), ("57P01", "cannot open"), ("08006", "cannot open"),
    ("XX001", "database damaged"), ("58030", "disk I/O error"), ("23505", None),
    ("22001", None), ("P0001", "refusing writes"),
])
def test_postgresqls_errors_are_the_stores_named_faults(code, fault):
    assert postgres.pg_fault(_Err(code)) == fault


def test_months_and_partition_names():
    assert postgres.add_months(date(2026, 11, 1), 2) == date(2027, 1, 1)
    assert postgres.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert postgres.partition_name(date(2027, 1, 1)) == "events_y2027m01"
    assert postgres.is_event_partition("events_default")
    assert not postgres.is_event_partition("events")


def _config(tmp_path, url: str):
    config = tmp_path / "pg.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    return str(config)


async def test_init_doctor_verify_and_backup_on_postgresql(cli, pg_url, tmp_path):
    """`init` creates the schema and the administrator; `doctor` and `audit verify` answer;
    `backup` and `status` name PostgreSQL's own tools instead of touching a file."""
    config = _config(tmp_path, pg_url)
    made = await asyncio.to_thread(cli, "init", "--admin", "boss@example.org",
                                   "--config", config)
    assert made.returncode == 0, made.stderr
    assert "host=" in made.stdout and "boss@example.org" in made.stdout
    doctor = await asyncio.to_thread(cli, "doctor", "--config", config)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "The server answers" in doctor.stdout and "pg_dump" in doctor.stdout
    verify = await asyncio.to_thread(cli, "audit", "verify", "--config", config)
    assert verify.returncode == 0 and "intact" in verify.stdout
    backup = await asyncio.to_thread(cli, "backup", "--config", config)
    assert backup.returncode != 0 and "pg_dump" in backup.stderr
    assert "Traceback" not in backup.stderr
    assert not list(tmp_path.glob("*.db")) and not (tmp_path / "var").exists()


async def test_doctor_names_a_server_it_cannot_reach(cli, tmp_path):
    config = _config(tmp_path, f"postgresql+asyncpg://nobody:pw@/doorkeeper?host={tmp_path}")
    doctor = await asyncio.to_thread(cli, "doctor", "--config", config)
    assert doctor.returncode == 1
    assert "Cannot reach the store" in doctor.stdout and ":pw@" not in doctor.stdout
