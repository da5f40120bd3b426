"""The guide's search, what it finds and in what order: every By, every written form of a
number, what a hit carries, the limit, the same answers however PostgreSQL reads, a
cancelled search, and only the operator's sites."""

from __future__ import annotations

import pytest

from core.model import PanelDisplay
from core.services import flats, residents
from store import postgres_search
from store import search as search_module
from store.search import search
from tests.search_cases import (
    display_id,
    found,
    people_fixture,  # noqa: F401 - the fixture `people`
)

pytestmark = pytest.mark.both_engines


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
    await residents.update_panel_display(store.uow(), admin, (await display_id(
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
