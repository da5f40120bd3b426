"""Migrations from an empty file reach exactly the schema the code describes."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from store import migrate
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


def test_head_is_alembics_own_head():
    """store.migrate.HEAD lets a store at head open without importing Alembic: it must be
    the newest revision, or stores would open without their newest migration."""
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == migrate.HEAD


def test_a_cli_command_on_a_store_at_head_does_not_import_alembic(tmp_path):
    path = tmp_path / "h.db"
    asyncio.run(_open_and_close(path))
    probe = ("import asyncio, sys; from store.database import Store\n"
             "async def main():\n"
             f"    s = await Store.open(path={str(path)!r}); await s.close()\n"
             "asyncio.run(main()); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "False"


async def _open_and_close(path: Path) -> None:
    store = await Store.open(path=path)
    await store.close()


async def test_0007_fills_in_the_natural_sort_keys_of_rows_stored_before(tmp_path):
    """A store at 0006 holding providers and tasks: after the upgrade every one has its
    name's sort key, and the lists page in natural order."""
    from alembic import command
    from sqlalchemy import create_engine

    from core.natural_order import sort_key
    from core.views.facilities_rows import ProviderFilter, TaskFilter
    from store.facilities_queries import provider_page, task_page

    path = tmp_path / "0006.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006")
    engine.dispose()
    names = ["Task 10", "task 9", "Émile 2", "Task 007", ""]
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO sites VALUES (1, 'S', 'GB', 'UTC', 1, 1, 1, 1, 0, '', '')")
        con.execute("INSERT INTO management_companies VALUES (1, 'Co', '', '', '')")
        for i, name in enumerate(names, 1):
            con.execute("INSERT INTO service_providers (id, company_id, name, email, mobile, "
                        "apass_dual_tech, radio_dual_tech) VALUES (?, 1, ?, '', '', 0, 0)",
                        (i, name))
            con.execute("INSERT INTO tasks (id, name, company_id, provider_id) "
                        "VALUES (?, ?, 1, ?)", (i, name, i))
            con.execute("INSERT INTO task_sites (task_id, site_id) VALUES (?, 1)", (i,))
    con.close()
    store = await Store.open(path=path)
    try:
        providers = await provider_page(store, ProviderFilter(), None, None, 10)
        tasks = await task_page(store, TaskFilter(), [1], None, 10)
    finally:
        await store.close()
    natural = ["", "Émile 2", "Task 007", "task 9", "Task 10"]
    assert [r.provider.name for r in providers] == natural
    assert [r.name for r in tasks] == natural
    con = sqlite3.connect(path)
    for table in ("service_providers", "tasks"):
        stored = dict(con.execute(f"SELECT name, sort_key FROM {table}").fetchall())
        assert stored == {name: sort_key(name) for name in names}
    con.close()
