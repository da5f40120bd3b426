"""The search index follows every change made through the services (flats, telephones,
panel displays, APasses), and stays as it was when a change is rolled back or its commit
fails; rebuilt, migrated down and up, or made by migrating an older store, it is the same."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from core.model import Flat, PanelDisplay, Telephone, TelephoneKind
from core.services import access_passes, flats, residents
from store import search_index
from store.database import Store
from store.migrate import alembic_config
from store.search import rebuild, search
from tests.conftest import sql
from tests.search_cases import (
    display_id,
    found,
    migration_0004,
    people_fixture,  # noqa: F401 - the fixture `people`
)

pytestmark = pytest.mark.both_engines


# --- the index follows every change ---------------------------------------------------------

async def test_index_follows_flats(store, admin, people):
    await flats.update_flat(store.uow(), admin, people.flat["001"], name="Penthouse A")
    assert await found(store, people, "Penthouse", "flat") == ["001"]
    assert await found(store, people, "Appt. 001", "flat") == []
    made = await flats.create_flats(store.uow(), admin, await _block(store, people.flat["001"]),
                                    4, 2)
    assert await found(store, people, "Appt. 00", "flat") == ["002", "003", "004", "005"]
    await flats.delete_flat(store.uow(), admin, made[0].id)
    await flats.delete_flat(store.uow(), admin, people.flat["001"])  # with its phone, display
    assert await found(store, people, "Appt. 00", "flat") == ["002", "003", "005"]
    assert await found(store, people, "7546", "telephone") == []
    assert await found(store, people, "Smith", "resident") == ["002"]


async def _block(store: Store, flat_id: int) -> int:
    async with store.reader() as uow:
        return (await uow.get(Flat, flat_id)).block_id


async def test_index_follows_telephones(store, admin, people):
    f2 = people.flat["002"]
    extra = await residents.add_telephone(store.uow(), admin, f2, "020 7946 0000")
    assert await found(store, people, "0207946", "telephone") == ["002"]
    await residents.update_telephone(store.uow(), admin, extra.id, value="0161 496 0000")
    assert await found(store, people, "0207946", "telephone") == []
    assert await found(store, people, "+44 161 496", "telephone") == ["002"]
    await residents.delete_telephone(store.uow(), admin, extra.id)
    assert await found(store, people, "0161", "telephone") == []
    await residents.add_telephone(store.uow(), admin, f2, "nobody@example.org",
                                  kind=TelephoneKind.EMAIL)  # an email is not a number
    assert await found(store, people, "example", "any") == []


async def test_index_follows_panel_displays(store, admin, people):
    display = await display_id(store, "Smithson")
    await residents.update_panel_display(store.uow(), admin, display, display_name="Jones")
    assert await found(store, people, "Smith", "resident") == ["001"]
    assert await found(store, people, "jones", "resident") == ["002"]
    await residents.delete_panel_display(store.uow(), admin, display)
    assert await found(store, people, "jones", "resident") == []
    assert await found(store, people, "zoe", "resident") == ["002"]  # the pass's resident


async def test_index_follows_access_passes(store, admin, people):
    await access_passes.assign_to_flat(store.uow(), admin, "1111100008", people.flat["001"],
                                       resident="Mo Farah")
    assert await found(store, people, "1111100008", "apass") == ["001"]
    assert await found(store, people, "zoe", "resident") == []
    assert await found(store, people, "farah", "resident") == ["001"]
    await access_passes.send_to_stock(store.uow(), admin, "1111100008")
    assert await found(store, people, "1111100008", "apass") == []
    await access_passes.create_access_passes(store.uow(), admin, people.site.id, "2222200000",
                                             3, flat_id=people.flat["003"])
    assert await found(store, people, "22222", "apass") == ["003"]


async def _index_rows(store: Store) -> list[tuple]:
    if store.engine.dialect.name == "postgresql":
        return (await sql(store, "SELECT * FROM flat_search ORDER BY rowid")
                + await sql(store, "SELECT * FROM flat_search_token ORDER BY rowid, key"))
    con = sqlite3.connect(store.where)
    try:
        return con.execute("SELECT rowid, * FROM flat_search ORDER BY rowid").fetchall()
    finally:
        con.close()


async def test_a_rolled_back_change_leaves_the_index_as_it_was(store, people):
    before = await _index_rows(store)
    async with store.uow() as uow:  # never committed
        flat = await uow.get(Flat, people.flat["001"])
        flat.name = "Zebra House"
        await uow.update(flat)
        await uow.add(Telephone(people.flat["002"], TelephoneKind.TELEPHONE, "+447700900999",
                                "GB"))
        await uow.delete(await uow.get(PanelDisplay, await display_id(store, "Smithson")))
    assert await _index_rows(store) == before
    assert await found(store, people, "Zebra", "flat") == []
    assert await found(store, people, "Smithson", "resident") == ["002"]


async def test_a_failed_commit_leaves_the_index_as_it_was(store, people, monkeypatch):
    before = await _index_rows(store)

    class DiskError(Exception):
        pass

    def broken(con, ids):
        raise DiskError("disk I/O error")

    on_pg = store.engine.dialect.name == "postgresql"
    monkeypatch.setattr(f"store.{'postgres_search' if on_pg else 'search_index'}.reindex_sync",
                        broken)
    with pytest.raises(DiskError):
        async with store.uow() as uow:
            flat = await uow.get(Flat, people.flat["001"])
            flat.name = "Zebra House"
            await uow.update(flat)
            await uow.commit()
    assert await _index_rows(store) == before
    async with store.reader() as uow:
        assert (await uow.get(Flat, people.flat["001"])).name == "Appt. 001"


async def test_rebuild_gives_the_same_index_even_from_an_older_shape(store, people):
    before = await _index_rows(store)
    older = ("CREATE TABLE flat_search (flat_name text)"
             if store.engine.dialect.name == "postgresql"
             else "CREATE VIRTUAL TABLE flat_search USING fts5(flat_name)")
    async with store.engine.connect() as conn:
        await conn.execute(text("DROP TABLE flat_search"))
        await conn.execute(text(older))
        await conn.commit()
    assert await rebuild(store) == 4
    assert await _index_rows(store) == before
    assert await found(store, people, "07546", "telephone") == ["001"]


async def test_migration_0012_down_and_up_again(store, people):
    """On PostgreSQL 0012's downgrade puts back 0010's weighted tsvector (its GIN index
    finds "smith:*" in the residents, weight C); upgrading again rebuilds the same
    token index. On SQLite neither step touches the FTS5 index."""
    from alembic import command

    before = await _index_rows(store)
    async with store.engine.connect() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0011"))
        await conn.commit()
    if store.engine.dialect.name == "postgresql":
        assert await sql(store, "SELECT flat_number FROM flat_search WHERE doc @@ "
                                "to_tsquery('simple', 'smith:*C') ORDER BY rowid") == [
            ("001 1",), ("002 2",)]
        assert await sql(store, "SELECT count(*) FROM flat_search WHERE doc @@ "
                                "to_tsquery('simple', 'tel447546288399:D')") == [(1,)]
    async with store.engine.connect() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        await conn.commit()
    assert await _index_rows(store) == before
    assert await found(store, people, "smi", "resident") == ["001", "002"]


def test_the_index_is_created_as_the_newest_migration_creates_it():
    assert migration_0004().CREATE.strip() == search_index.CREATE.strip()


async def test_an_older_store_is_indexed_when_it_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    store = await Store.open(path=path, migrate=False)
    async with store.engine.connect() as conn:
        from alembic import command
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0001"))
        await conn.commit()
    await store.close()
    con = sqlite3.connect(path)
    con.executescript("""
        INSERT INTO sites VALUES (1, 'Old Court', 'GB', 'Europe/London', 5, 100, 10, 100, 0, '');
        INSERT INTO blocks VALUES (1, 1, 'Block A', NULL, '');
        INSERT INTO flats VALUES (7, 1, '007', 'Appt. 007', NULL, NULL, NULL, NULL, '', 'x');
        INSERT INTO telephones VALUES (1, 7, 'telephone', '+447546288399', 'GB', 0, 0);
    """)
    con.commit()
    con.close()
    store = await Store.open(path=path)
    try:
        hits = await search(store, "07546 28", "any", [1])
        assert [(h.site, h.flat) for h in hits] == [("Old Court", "Appt. 007")]
    finally:
        await store.close()
