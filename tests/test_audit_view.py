"""The audit trail's read service (core.views.audit): who may read which entries (a
table of profiles), the filters, the guide's words with before -> after per field, keyset
paging, and the chain's integrity as the Audit screen shows it."""

from __future__ import annotations

import sqlite3

import pytest

from core.audit import ChainProgress, Checkpoint
from core.errors import PermissionDenied, ValidationError
from core.rights import Area, Profile
from core.services import access_passes, flats
from core.views.audit import AuditFilter, audit_count, audit_export, audit_integrity, audit_page
from core.views.audit_names import Names
from core.views.audit_words import changes, what
from core.views.viewer import load_viewer
from store.audit_queries import checkpoint_path, read_checkpoint
from store.reads import StoreReads
from tests.conftest import NOW, fixed_clock, make_operator, sql

pytestmark = pytest.mark.both_engines

EVERYTHING = AuditFilter()


async def read(store, who: str, flt: AuditFilter = EVERYTHING, before=None, limit=100):
    async with store.reader() as uow:
        viewer = await load_viewer(uow, who, "test", fixed_clock)
    return await audit_page(StoreReads(store), viewer, flt, before, limit)


@pytest.fixture
async def trail(store, admin, estate):
    """A flat renamed, a pass assigned, a user added: entries of three areas."""
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, name="Dupont",
                            code_main_door="1234")
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                             "0000000101", 1)
    await access_passes.assign_to_flat(store.uow(), admin, "0000000101", estate.flats[1].id)
    return estate


RIGHTS_TABLE = [
    # profile, sees a flat's change, sees an APass's, sees a grant's (Users), codes shown
    (Profile.ADMINISTRATION, True, True, True, True),
    (Profile.MANAGEMENT, True, True, True, True),
    (Profile.CONCIERGE, True, True, False, False),
    (Profile.TECHNICAL_MAINTENANCE, True, False, False, True),
]


@pytest.mark.parametrize("profile,flats_seen,passes_seen,grants_seen,codes_seen", RIGHTS_TABLE)
async def test_each_profile_reads_the_entries_of_its_areas(store, admin, trail, profile,
                                                           flats_seen, passes_seen,
                                                           grants_seen, codes_seen):
    who = f"{profile.value.split()[0].lower()}@test.example"
    await make_operator(store, admin, who, trail.site.id, profile)
    rows = await read(store, who)
    kinds = {r.what.split(":")[0] for r in rows}
    assert ("Flat modified" in kinds) is flats_seen
    assert ("APass assigned to a flat" in kinds) is passes_seen
    assert ("User's rights on a site created" in kinds) is grants_seen
    renamed = next(r for r in rows if r.what.startswith("Flat modified"))
    code = dict((k, (a, b)) for k, a, b in renamed.changes)["Keypad code (main door)"]
    assert code == (("—", "1234") if codes_seen else ("(hidden)", "(hidden)"))


async def test_without_events_the_trail_is_refused(store, admin, trail):
    await make_operator(store, admin, "noevents@test.example", trail.site.id, Profile.CUSTOM,
                        custom=["flats:consult", "users:consult"])
    with pytest.raises(PermissionDenied):
        await read(store, "noevents@test.example")


async def test_what_when_who_from_where_and_each_field(store, trail):
    row = next(r for r in await read(store, "admin@test.example")
               if r.what.startswith("Flat modified"))
    assert (row.actor, row.source, row.at) == ("admin@test.example", "test", NOW)
    assert row.what == "Flat modified: 001 (Block C)"
    assert ("Name", "Appt. 001", "Dupont") in row.changes
    assert [k for k, _, _ in row.changes] == ["Name", "Keypad code (main door)"]


@pytest.mark.parametrize("flt,expected", [
    # (a batch of passes is one entry of the site, found by the area, not by a number)
    (lambda e: AuditFilter(apass="0000000101"), {"APass assigned to a flat"}),
    (lambda e: AuditFilter(flat_id=e.flats[0].id), {"Flat modified"}),
    (lambda e: AuditFilter(flat_id=e.flats[1].id), {"APass assigned to a flat"}),
    (lambda e: AuditFilter(area=Area.APASS_MANAGEMENT), {"APass added in a batch",
                                                         "APass assigned to a flat"}),
    (lambda e: AuditFilter(actor="nobody"), set()),
    (lambda e: AuditFilter(until=NOW), set()),  # every entry is at NOW or later
])
async def test_filters(store, trail, flt, expected):
    rows = await read(store, "admin@test.example", flt(trail))
    assert {r.what.split(":")[0] for r in rows} == expected


async def test_a_block_filter_finds_its_flats_and_passes(store, trail):
    rows = await read(store, "admin@test.example", AuditFilter(block_id=trail.block.id))
    kinds = {r.what.split(":")[0] for r in rows}
    assert {"Flat modified", "APass assigned to a flat", "Block modified",
            "Flat added in a batch"} <= kinds


async def test_keyset_pages_cover_the_trail_once(store, trail):
    whole = await read(store, "admin@test.example")
    seen, before = [], None
    while page := await read(store, "admin@test.example", before=before, limit=3):
        seen += page
        before = page[-1].id
    assert [r.id for r in seen] == [r.id for r in whole]
    assert [r.id for r in whole] == sorted((r.id for r in whole), reverse=True)
    async with store.reader() as uow:
        viewer = await load_viewer(uow, "admin@test.example", "test", fixed_clock)
    assert await audit_count(StoreReads(store), viewer, AuditFilter()) == len(whole)


async def test_a_bad_filter_is_refused(store, trail):
    with pytest.raises(ValidationError):
        await read(store, "admin@test.example", AuditFilter(apass="12ab"))
    with pytest.raises(ValidationError):
        await read(store, "admin@test.example", AuditFilter(since=NOW, until=NOW))


async def test_integrity_names_where_the_chain_breaks(store, trail):
    async with store.reader() as uow:
        viewer = await load_viewer(uow, "admin@test.example", "test", fixed_clock)
    assert (await audit_integrity(StoreReads(store), viewer)).ok
    await sql(store, "UPDATE audit_entries SET actor = 'x@y.example' WHERE id = 3")
    if store.engine.dialect.name == "sqlite":
        # from the checkpoint the first check left, the entries since: the edited one is
        # before it, so only the check of all of them (v, `doorkeeper audit verify`) sees it
        report = await audit_integrity(StoreReads(store), viewer)
        assert report.ok and report.since == report.checked
    # (PostgreSQL keeps no checkpoint yet: every check is of all of them)
    report = await audit_integrity(StoreReads(store), viewer, full=True)
    assert (report.ok, report.entry_id) == (False, 3)


#: the checkpoint is a file beside a SQLite store (store/audit_queries.py)
SQLITE_ONLY = pytest.mark.parametrize("store_engine", ["sqlite"], indirect=True)


@SQLITE_ONLY
async def test_a_check_starts_at_the_checkpoint_and_finds_what_came_since(store, trail,
                                                                          admin, estate):
    async with store.reader() as uow:
        viewer = await load_viewer(uow, "admin@test.example", "test", fixed_clock)
    reads = StoreReads(store)
    first = await audit_integrity(reads, viewer)
    assert first.ok and first.since == 0 and first.full_at  # no checkpoint yet: all
    saved = read_checkpoint(checkpoint_path(store.where))
    assert saved == Checkpoint(first.checked, first.last_hash, first.full_at)
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, name="Later")
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, name="Later still")
    progress = ChainProgress()
    report = await audit_integrity(reads, viewer, progress)
    assert (report.ok, report.since, report.checked) == (True, first.checked,
                                                         first.checked + 2)
    assert (progress.checked, progress.total) == (first.checked + 2, first.checked + 2)
    assert report.full_at == first.full_at  # the whole chain was checked then, not now
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, name="Last")
    con = sqlite3.connect(store.where)
    con.execute("UPDATE audit_entries SET actor = 'x@y.example' WHERE id = ?",
                (first.checked + 3,))  # an entry after the checkpoint's
    con.commit()
    report = await audit_integrity(reads, viewer)
    assert (report.ok, report.entry_id) == (False, first.checked + 3)
    # a chain rewritten from an old entry on (hashes and head made to fit): the
    # checkpoint's entry no longer has its hash, so the whole chain is checked again
    con.execute("UPDATE audit_entries SET hash = 'f' || substr(hash, 2) WHERE id = 2")
    con.commit()
    con.close()
    report = await audit_integrity(reads, viewer)
    assert (report.ok, report.since) == (False, 0) and report.entry_id is not None


@SQLITE_ONLY
async def test_a_checkpoint_of_another_store_or_unreadable_is_not_used(store, trail):
    async with store.reader() as uow:
        viewer = await load_viewer(uow, "admin@test.example", "test", fixed_clock)
    path = checkpoint_path(store.where)
    for bad in ('{"count": 99999, "hash": "ab", "full_at": ""}', "not json",
                '{"count": 2, "hash": "00", "full_at": ""}'):
        path.write_text(bad)
        report = await audit_integrity(StoreReads(store), viewer)
        assert report.ok and report.since == 0, bad


def test_the_guides_words():
    assert what("access_pass.lost") == "APass declared lost"
    assert what("grant.update") == "User's rights on a site modified"
    assert changes("grant", {"rights": ["flats:consult"], "id": 1},
                   {"rights": ["flats:consult", "flats:modify"], "id": 1}) == [
        ("Rights", "Flats (Consult)", "Flats (Modify)")]
    assert changes("access_pass", None, {"number": "0000000101", "block_id": 4}) == [
        ("APass number", "—", "0000000101"), ("Block", "—", "4")]



async def test_ids_read_as_the_guide_s_names(store, trail):
    """A pass's flat, block and access profile, a grant's user and site, a batch's
    block: names, never ids."""
    rows = {r.what.split(":")[0]: r for r in await read(store, "admin@test.example")}
    assigned = rows["APass assigned to a flat"]
    assert assigned.what == "APass assigned to a flat: 0000000101 (Block C, Flat N° 002)"
    assert ("Flat", "—", "Block C, Flat N° 002") in assigned.changes
    assert ("Block", "—", "Block C") in assigned.changes
    assert ("Access profile", "—", "Profil - Block C") in assigned.changes
    grant = rows["User's rights on a site created"]
    assert grant.what.endswith(": admin@test.example on Demo Cases")
    assert ("Operator", "—", "admin@test.example") in grant.changes
    assert rows["Flat added in a batch"].what == "Flat added in a batch: Block C"
    assert ("Doors", "—", "PP4G : IP MiniPro – Main entrance") in rows[
        "Access profile created"].changes


async def test_a_removed_object_or_one_of_another_site_keeps_its_number(store, trail):
    async with store.reader() as uow:
        viewer = await load_viewer(uow, "admin@test.example", "test", fixed_clock)
    names = Names(viewer, {"block": {7: ("Block Z", 999)}, "site": {}})
    assert names.of("block", 7) == "#7"  # a site the reader does not hold: no name
    assert names.of("block", 8) == "#8 (removed)"
    assert names.value("door_ids", [8, True]) == ["#8 (removed)", True]
    assert names.value("name", 7) == 7  # not a reference


async def test_an_export_s_header_names_the_block_and_flat(store, trail):
    async with store.reader() as uow:
        viewer = await load_viewer(uow, "admin@test.example", "test", fixed_clock)
    flt = AuditFilter(site_id=trail.site.id, block_id=trail.block.id,
                      flat_id=trail.flats[1].id)
    export = await audit_export(StoreReads(store), viewer, flt)
    assert ("Block", "Block C") in export.filters
    assert ("Flat", "Block C, Flat N° 002") in export.filters
    rows = [r async for page in export.pages() for r in page]
    assert [r[3] for r in rows] == ["APass assigned to a flat: 0000000101 (Block C, Flat N° 002)"]
