"""The guide's search over the FTS5 index: every By, every written form of a number,
the index following every change made through the services, rollbacks, sites."""

from __future__ import annotations

import importlib.util
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from core.model import Block, CallStep, Flat, PanelDisplay, Site, Telephone, TelephoneKind
from core.services import access_passes, blocks, flats, residents, sites
from store import postgres_search, search_index
from store import search as search_module
from store.database import Store
from store.migrate import alembic_config
from store.search import BY_COLUMNS, match_expression, rebuild, search
from tests.conftest import SmallEstate, sql

pytestmark = pytest.mark.both_engines

MIGRATION = Path(search_module.__file__).parent / "migrations/versions/0004_search_prefixes.py"


@dataclass
class Residents:
    """The small estate with people in it, and a second site."""

    site: Site
    other: Site
    flat: dict[str, int]  # flat number ("001" ...; "H01" for the other site) -> id
    phone_id: int  # the number called by "Smith, John"


@pytest.fixture
async def people(store: Store, admin, estate: SmallEstate) -> Residents:
    """The small estate with people in it (see add_people)."""
    return await add_people(store, admin, estate)


async def add_people(store: Store, admin, estate: SmallEstate) -> Residents:
    """Flat 001: Smith, John on +44 7546 288399. Flat 002: Smithson, and APass
    1111100008 of Zoë O'Brien. Flat 003: APass 1111100009, lost. Harbour View: John
    Harbour, Flat H01, on +44 7911 123456."""
    f1, f2, f3 = (f.id for f in estate.flats)
    phone = await residents.add_telephone(store.uow(), admin, f1, "07546 288399")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        f1, "Smith, John", "1", call_chain=[CallStep(phone.id, 20)]))
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        f2, "Smithson", "2", hardwired=True))
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100008",
                                             flat_id=f2, resident="Zoë O'Brien")
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100009",
                                             flat_id=f3, resident="Ann Lee")
    await access_passes.send_to_lost(store.uow(), admin, "1111100009")
    other = await sites.create_site(store.uow(), admin, Site(name="Harbour View"))
    block = await blocks.create_block(store.uow(), admin, Block(other.id, "Tower"))
    h01 = await flats.create_flat(store.uow(), admin, Flat(block.id, "H01", "Penthouse"))
    far = await residents.add_telephone(store.uow(), admin, h01.id, "+44 7911 123456")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        h01.id, "John Harbour", "9", call_chain=[CallStep(far.id, 20)]))
    return Residents(estate.site, other, {"001": f1, "002": f2, "003": f3, "H01": h01.id},
                     phone.id)


async def found(store: Store, people: Residents, text_: str, by: str = "any",
                both: bool = False) -> list[str]:
    sites_ = [people.site.id, people.other.id] if both else [people.site.id]
    return [h.flat_number for h in await search(store, text_, by, sites_)]


# --- each By ---------------------------------------------------------------------------

BY_TABLE = [  # typed, By, the flats found
    ("Smith", "resident", ["001", "002"]),  # the exact word first, then Smithson
    ("smi", "resident", ["001", "002"]),
    ("zoe", "resident", ["002"]),  # accents don't matter
    ("O'Brien", "resident", ["002"]),
    ("ann lee", "resident", ["003"]),  # a lost pass's resident
    ("John Smith", "resident", ["001"]),
    ("Smith", "flat", []),
    ("Appt. 002", "flat", ["002"]),
    ("2", "flat", ["002"]),  # Flat N° without its zeros
    ("appt", "flat", ["001", "002", "003"]),
    ("1111100008", "apass", ["002"]),
    ("11111", "apass", ["002", "003"]),  # the lost one too
    ("1111100008", "resident", []),
    ("7546", "telephone", ["001"]),
    ("7546", "resident", []),
    ("smith", "telephone", []),
    ("john", "any", ["001"]),
    ("1111100009", "any", ["003"]),
    ("07546", "any", ["001"]),
    ("Appt. 003", "any", ["003"]),
]


async def test_each_by_finds_what_the_guide_says(store, people):
    got = [(typed, by, await found(store, people, typed, by)) for typed, by, _ in BY_TABLE]
    assert got == BY_TABLE


WRITTEN_FORMS = [
    "+44 7546 288399", "+447546288399", "07546 288399", "07546288399", "00447546288399",
    "0044 7546 288399", "7546288399", "7546 288 399", "+44 (0)7546 288399", "(07546) 288-399",
    "0754", "07546 28", "+44 75", "0044 754", "4475", "7546",
]


async def test_a_telephone_is_found_from_any_written_form(store, people):
    for by in ("telephone", "any"):
        got = {}
        for written in WRITTEN_FORMS:
            hits = await search(store, written, by, [people.site.id])
            got[written] = [(h.flat_number, h.telephones) for h in hits]
        assert got == {w: [("001", ("+447546288399",))] for w in WRITTEN_FORMS}, by


async def test_other_numbers_find_nothing(store, people):
    others = ["07546 288398", "+33 7546 288399", "288399", "44 0"]
    assert {w: await found(store, people, w, "telephone") for w in others} == {
        w: [] for w in others}


async def test_a_hit_carries_names_and_the_passes_that_matched(store, people):
    (hit,) = await search(store, "1111100008", "apass", [people.site.id])
    assert (hit.site, hit.block, hit.flat, hit.flat_number) == (
        "Demo Cases", "Block C", "Appt. 002", "002")
    assert (hit.site_id, hit.flat_id) == (people.site.id, people.flat["002"])
    assert hit.access_passes == ("1111100008",) and hit.lost_passes == ()
    assert hit.residents == ("Smithson", "Zoë O'Brien") and hit.exact
    (lost,) = await search(store, "Ann", "resident", [people.site.id])
    assert lost.access_passes == ("1111100009",) and lost.lost_passes == ("1111100009",)
    assert lost.residents == ("Ann Lee",)


async def test_exact_matches_come_first_then_site_block_flat(store, admin, people):
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        people.flat["003"], "Smithers", "3", hardwired=True))
    hits = await search(store, "smith", "any", [people.site.id, people.other.id])
    assert [(h.flat_number, h.exact) for h in hits] == [
        ("001", True), ("002", False), ("003", False)]
    await residents.update_panel_display(store.uow(), admin, (await _display(
        store, "John Harbour")), display_name="John Smith")
    hits = await search(store, "smith", "any", [people.other.id, people.site.id])
    assert [(h.site, h.flat_number, h.exact) for h in hits] == [
        ("Demo Cases", "001", True), ("Harbour View", "H01", True),
        ("Demo Cases", "002", False), ("Demo Cases", "003", False)]


async def test_limit_and_capped(store, people):
    hits = await search(store, "appt", "flat", [people.site.id], limit=2)
    assert [h.flat_number for h in hits] == ["001", "002"] and hits.capped
    assert not (await search(store, "appt", "flat", [people.site.id])).capped


# --- PostgreSQL: however a question is read, the same answers ------------------------------

@pytest.mark.parametrize("dense", [(1, 1), (10**6, 10**6), (1, 10**6)],
                         ids=["every-site-walked", "keys-read-together", "keys-read-site-by-site"])
async def test_postgresql_answers_the_same_however_it_reads(store, people, monkeypatch, dense):
    """A site's keys read or its flats walked, all the sites at once or one by one
    (store/postgres_search.py): the small estate is below every threshold, so they are
    forced; the answers must not change (nor, on SQLite, which ignores them)."""
    asked = [(t, by) for t, by, _ in BY_TABLE] + [(w, "any") for w in WRITTEN_FORMS]

    async def answers() -> list[list[tuple[str, bool]]]:
        return [[(h.flat_number, h.exact) for h in await search(store, t, by, sites_)]
                for sites_ in ([people.site.id], [people.site.id, people.other.id])
                for t, by in asked]

    before = await answers()
    monkeypatch.setattr(postgres_search, "SITE_DENSE", dense[0])
    monkeypatch.setattr(postgres_search, "DENSE", dense[1])
    assert await answers() == before
    assert [(t, by, await found(store, people, t, by)) for t, by, _ in BY_TABLE] == BY_TABLE


async def test_a_cancelled_search_leaves_the_store_as_it_was(store, admin, people):
    """Search as you type cancels the search of the keystroke before: whenever it is
    cut, the connection goes back to the pool out of its read-only snapshot."""
    import asyncio

    # cut at every point from before its first statement to after its last (each
    # loop ends with a write: a connection left in the snapshot refuses it)
    for i, wait in enumerate([0] * 5 + [n * 0.0001 for n in range(1, 60)]):
        for _ in range(3):
            task = asyncio.ensure_future(search(store, "smi", "any", [people.site.id]))
            await asyncio.sleep(wait)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await flats.update_flat(store.uow(), admin, people.flat["003"], name=f"Smithy {i}")
    await flats.update_flat(store.uow(), admin, people.flat["003"], name="Smithy Loft")
    assert await found(store, people, "smi") == ["001", "002", "003"]


# --- the operator's sites only ------------------------------------------------------------

@pytest.mark.parametrize("ranges", [16, 0])  # site by site, or filtered on the rowid
async def test_only_the_given_sites_are_searched(store, people, monkeypatch, ranges):
    monkeypatch.setattr(search_module, "MAX_RANGES", ranges)
    assert await found(store, people, "john") == ["001"]
    assert await found(store, people, "john", both=True) == ["001", "H01"]
    assert await found(store, people, "Penthouse", "flat") == []
    assert [h.site for h in await search(store, "john", "any", [people.other.id])] == [
        "Harbour View"]
    assert await search(store, "john", "any", []) == []
    assert await search(store, "john", "any", [9999]) == []


# --- the index follows every change ---------------------------------------------------------

async def _display(store: Store, name: str) -> int:
    async with store.reader() as uow:
        return (await uow.find(PanelDisplay, display_name=name))[0].id


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
    display = await _display(store, "Smithson")
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
        await uow.delete(await uow.get(PanelDisplay, await _display(store, "Smithson")))
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
    assert _migration().CREATE.strip() == search_index.CREATE.strip()


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


# --- whatever is typed -------------------------------------------------------------------

def _migration():
    spec = importlib.util.spec_from_file_location("m0004", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def _fts_table() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute(_migration().CREATE)
    con.execute("INSERT INTO flat_search (rowid, flat_name, residents, telephones) "
                "VALUES (1, 'Appt. 001', 'NEAR AND OR \"x\"', '447546288399')")
    return con


FTS = _fts_table()
SYNTAX = st.lists(st.sampled_from(list('"*-:()^{}+.,\'/ \x00\t') + [
    "NEAR", "AND", "OR", "NOT", "near", "a", "7", "é", "\u0301", "\u200b", "flat_name"]),
    max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(typed=st.one_of(st.text(max_size=60), SYNTAX), by=st.sampled_from(list(BY_COLUMNS)),
       prefix=st.booleans())
def test_no_text_makes_a_bad_match_expression(typed, by, prefix):
    expr = match_expression(typed, by, prefix)
    if expr is not None:
        FTS.execute("SELECT rowid FROM flat_search WHERE flat_search MATCH ?", (expr,)).fetchall()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(st.text(max_size=30), SYNTAX), by=st.sampled_from(list(BY_COLUMNS)))
async def test_search_never_raises_whatever_is_typed(store, people, typed, by):
    hits = await search(store, typed, by, [people.site.id, people.other.id])
    assert all(h.site in ("Demo Cases", "Harbour View") for h in hits)


async def test_an_unknown_by_is_refused_with_its_field(store, people):
    from core.errors import ValidationError
    with pytest.raises(ValidationError) as err:
        await search(store, "x", "postcode", [people.site.id])
    assert err.value.field == "by"
