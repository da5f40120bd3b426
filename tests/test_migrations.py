"""Migrations from an empty file reach exactly the schema the code describes."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from store.database import Store
from store.migrate import alembic_config
from store.search_index import is_search_table
from store.tables import metadata


def _not_search_index(name, type_, _parent) -> bool:
    return not (type_ == "table" and is_search_table(name))


async def test_migrations_from_empty_reach_the_models_schema(tmp_path):
    store = await Store.open(path=tmp_path / "m.db")
    try:
        async with store.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(
                    c, opts={"include_name": _not_search_index}), metadata))
    finally:
        await store.close()
    assert diff == []


async def test_opening_twice_is_idempotent_and_records_the_revision(tmp_path):
    path = tmp_path / "m.db"
    for _ in range(2):
        store = await Store.open(path=path)
        await store.close()
    con = sqlite3.connect(path)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sites", "flats", "access_passes", "events", "audit_entries",
            "flat_search"} <= tables


async def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path):
    store = await Store.open(path=tmp_path / "m.db")
    try:
        async with store.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    finally:
        await store.close()
    assert (mode, fks, busy) == ("wal", 1, 5000)
