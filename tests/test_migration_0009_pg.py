"""Migration 0009 on PostgreSQL moves the event log into a table partitioned by month in
one transaction: all or nothing. A store at 0008 holding events whose upgrade fails at
its last step (dropping the old table, held by a view of the operator's own) is left as
it was: the same table, every event, revision 0008, nothing half made. Real server."""

from __future__ import annotations

import itertools

import pytest
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from core.config import StoreConfig
from core.errors import StoreError
from store.database import Store
from store.migrate import alembic_config
from tests import pg

_numbers = itertools.count(1)


@pytest.fixture
async def pg_url(_pg_seeds):
    """An empty database on the run's server (not migrated), dropped afterwards."""
    dbs = _pg_seeds.pg
    name = await dbs.create(dbs.name(f"m9_{next(_numbers)}"))
    yield pg.url(dbs.socket, name)
    await dbs.drop(name)


async def _state(url: str) -> tuple:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            async def one(sql: str):
                return (await conn.exec_driver_sql(sql)).scalar()

            return (await one("SELECT version_num FROM alembic_version"),
                    await one("SELECT relkind::text FROM pg_class WHERE relname = 'events'"),
                    await one("SELECT count(*) FROM pg_class WHERE relname LIKE 'events\\_%' "
                              "AND relkind IN ('r', 'p')"),
                    await one("SELECT string_agg(id::text, ',' ORDER BY id) FROM events"),
                    await one("SELECT pg_get_serial_sequence('events', 'id')"))
    finally:
        await engine.dispose()


async def test_0009_that_fails_at_its_last_step_leaves_the_store_as_it_was(pg_url):
    engine = create_async_engine(pg_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0008"))
        for i, at in enumerate(["2025-01-31 23:59:59+00", "2025-02-01 00:00:00+00",
                                "2025-03-14 12:00:00+00"], start=10):
            await conn.exec_driver_sql(
                "INSERT INTO events (id, at, site_id, kind, result, credential, name, reason,"
                f" description) VALUES ({i}, '{at}', 1, 'Door forced', 'Alarm', '', '', '', "
                "'')")
        # the old table cannot be dropped while this view reads it: the upgrade fails
        # after it has made the partitions and copied every row
        await conn.exec_driver_sql("CREATE VIEW kept AS SELECT id FROM events")
    await engine.dispose()
    before = await _state(pg_url)
    assert before == ("0008", "r", 0, "10,11,12", "public.events_id_seq")
    with pytest.raises(StoreError, match="^Cannot open the store .*depend"):
        await Store.open(StoreConfig(url=pg_url))
    assert await _state(pg_url) == before  # nothing of 0009 stayed
    engine = create_async_engine(pg_url)
    async with engine.begin() as conn:  # the operator's view gone, the upgrade goes through
        await conn.exec_driver_sql("DROP VIEW kept")
    await engine.dispose()
    store = await Store.open(StoreConfig(url=pg_url))
    await store.close()
    after = await _state(pg_url)
    assert after[0] != "0008" and after[1] == "p" and after[3] == "10,11,12"
