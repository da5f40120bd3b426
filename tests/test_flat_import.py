"""Import of a block's flats (issue 18): the round trip through the flats export (CSV and
XLSX, each opened with a reader that is not ours and compared with the store), the plan's
diff, apply all or nothing with one audit entry, the rights, and the gateway following.
Hostile files are in tests/test_flat_import_hostile.py."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import time
from pathlib import Path

import openpyxl
import pytest

from console.export.files import write_export
from console.imports.read import read_sheet
from core.errors import PermissionDenied, ValidationError
from core.model import Task, TaskDoor, TelephoneKind
from core.services import access_passes, facilities, residents
from core.services.flat_import import plan_import
from core.services.flat_import_apply import apply_import
from core.views.list_exports import VIEWS, flats_export, passes_export, providers_export
from core.views.viewer import load_viewer
from store.reads import StoreReads
from tests.conftest import dump_database, fixed_clock, make_operator
from tests.test_gateway import gateway, next_event  # noqa: F401  (the gateway fixture)

PASS = "1111100007"


@pytest.fixture
async def residents_of(store, admin, estate):
    """Flat 001 with a telephone, an email and an APass; flat 002 with a main door code."""
    f1, f2 = estate.flats[0], estate.flats[1]
    await residents.add_telephone(store.uow(), admin, f1.id, "020 7946 0123")
    await residents.add_telephone(store.uow(), admin, f1.id, "Ann@Example.org",
                                  kind=TelephoneKind.EMAIL)
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, PASS,
                                             flat_id=f1.id)
    from core.services import flats
    await flats.update_flat(store.uow(), admin, f2.id, code_main_door="4321", floor=2)
    return estate


def store_flats(path: str, block_id: int) -> list[list[str]]:
    """The block's flats as the export should write them, read with plain sqlite3."""
    con = sqlite3.connect(path)
    try:
        rows = []
        for fid, number, name, floor, c1, c2, c3, notes in con.execute(
                "SELECT id, number, name, floor, code_main_door, code_aux_relay_1, "
                "code_aux_relay_2, notes FROM flats WHERE block_id = ? ORDER BY number",
                (block_id,)):
            phones = [v for (v,) in con.execute(
                "SELECT value FROM telephones WHERE flat_id = ? ORDER BY id", (fid,))]
            passes = [n for (n,) in con.execute(
                "SELECT number FROM access_passes WHERE flat_id = ? AND state = 'assigned' "
                "ORDER BY number", (fid,))]
            phones += [""] * (3 - len(phones))
            rows.append([number, name, "" if floor is None else str(floor), c1 or "",
                         c2 or "", c3 or "", *phones, " ".join(passes), notes])
        return rows
    finally:
        con.close()


def unquote(cell: str) -> str:
    """A CSV cell as a person reads it: without the "'" that keeps a formula text."""
    return cell[1:] if cell[:2] in ("'=", "'+", "'-", "'@") else cell


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [[unquote(c) for c in row] for row in csv.reader(f)]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def export(cli, store, estate, target: Path, *extra: str, who: str = "admin@test.example"):
    return cli("export", "flats", "--db", store.where, "--site", estate.site.name,
               "--block", estate.block.name, "-o", str(target), "--operator", who, *extra)


def import_(cli, store, estate, source: Path, *extra: str):
    return cli("import", "flats", str(source), "--db", store.where, "--site",
               estate.site.name, "--block", estate.block.name, "--operator",
               "admin@test.example", *extra)


def test_round_trip_through_csv(store, residents_of, cli, tmp_path):
    """Export, edit (add, change, break lines), plan, apply, export again, compare."""
    estate = residents_of
    first = tmp_path / "flats.csv"
    done = export(cli, store, estate, first)
    assert done.returncode == 0, done.stderr
    assert "Wrote 3 flats of Demo Cases" in done.stdout
    assert first.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(first)
    assert rows[0][:3] == ["Flat N°", "Flat", "Floor"] and len(rows[0]) == 11
    assert rows[1:] == store_flats(store.where, estate.block.id)
    assert rows[1][6:10] == ["+442079460123", "ann@example.org", "", PASS]

    edited = [row[:] for row in rows]
    edited[2][1], edited[2][2] = "Smith", "3"  # flat 002: name and floor
    edited[1][8] = "+442079460456"  # flat 001: a third number
    edited.append(["004", "Jones", "1", "5555", "", "", "jones@example.org", "", "",
                   "1111100020 1111100021", "=cmd|' /C calc'!A0"])  # a formula: refused
    edited.append(["005", "Brown", "", "12ab", "", "", "", "", "", "", ""])  # bad code
    edited.append(["002", "Twice", "", "", "", "", "", "", "", "", ""])  # N° twice
    source = write_csv(tmp_path / "edited.csv", edited)
    before = dump_database(Path(store.where))

    plan = import_(cli, store, estate, source)
    assert plan.returncode == 1, plan.stderr
    out = plan.stdout
    assert "~ line 2: Flat N° 001 'Appt. 001'  Telephones / Emails: +442079460123, " \
           "ann@example.org → +442079460123, ann@example.org, +442079460456" in out
    assert "~ line 3: Flat N° 002 'Smith'  Flat: Appt. 002 → Smith; Floor: 2 → 3" in out
    assert "! line 5, Flat N° 004: Notes is a formula" in out
    assert "! line 6, Flat N° 005: Main door code must be digits only." in out
    assert "! line 7, Flat N° 002: Flat N° 002 is also on line 3." in out
    assert "0 to add, 2 to change, 1 unchanged, 3 refused" in out
    assert "Nothing was written" in out
    refused = import_(cli, store, estate, source, "--apply")
    assert refused.returncode == 2 and "3 lines of the file are refused" in refused.stderr
    assert dump_database(Path(store.where)) == before  # nothing written

    edited[4][10] = "Moved in on 1 December"
    del edited[5:]
    source = write_csv(tmp_path / "fixed.csv", edited)
    applied = import_(cli, store, estate, source, "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "Imported: 1 flats added, 2 changed, 0 removed." in applied.stdout

    again = tmp_path / "again.csv"
    assert export(cli, store, estate, again).returncode == 0
    assert read_csv(again) == edited
    assert read_csv(again)[1:] == store_flats(store.where, estate.block.id)
    with sqlite3.connect(store.where) as con:
        audit = con.execute("SELECT action, site_id, after FROM audit_entries "
                            "ORDER BY id DESC LIMIT 1").fetchone()
    assert audit[0] == "import.flats" and audit[1] == estate.site.id
    assert '"added": 1' in audit[2] and '"changed": 2' in audit[2]


async def test_round_trip_through_xlsx(store, residents_of, tmp_path, admin):
    """The XLSX export opened with openpyxl matches the store, and imported back as it is
    it changes nothing."""
    estate = residents_of
    target = tmp_path / "flats.xlsx"
    async with store.reader() as uow:
        viewer = await load_viewer(uow, admin.operator.email, "test", fixed_clock)
    await write_export(await flats_export(StoreReads(store), viewer, estate.site.id,
                                          estate.block.id, page=2), "xlsx", target)
    book = openpyxl.load_workbook(target, read_only=True)
    sheet = book.worksheets[0]
    cells = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    assert sheet.title == "Flats"
    assert cells[1:] == store_flats(store.where, estate.block.id)
    plan = await plan_import(store.reader(), admin, estate.block.id, read_sheet(target))
    assert plan.counts == {"added": 0, "changed": 0, "unchanged": 3, "refused": 0,
                           "removed": 0}


async def test_remove_missing_only_when_asked(store, residents_of, admin, tmp_path):
    """A flat the file no longer has is removed only with remove_missing; one that still
    holds an APass is refused, with delete_flat's message."""
    estate = residents_of
    source = write_csv(tmp_path / "one.csv", [["Flat N°", "Flat"], ["002", "Appt. 002"]])
    sheet = read_sheet(source)
    plan = await plan_import(store.reader(), admin, estate.block.id, sheet)
    assert plan.remove == [] and plan.counts["unchanged"] == 1
    plan = await plan_import(store.reader(), admin, estate.block.id, sheet,
                             remove_missing=True)
    assert [p.number for p in plan.remove] == ["003"]
    assert [r.message for r in plan.refused] == [
        "Appt. 001 still has 1 APass(es); move them to another flat, the stock or the lost "
        "record first."]
    with pytest.raises(ValidationError):
        await apply_import(store.uow(), admin, estate.block.id, sheet, remove_missing=True)


@pytest.mark.parametrize("profile, rights, outcome", [
    ("Administration", None, "ok"),
    ("Management", None, "ok"),
    ("Concierge", None, "may not change Import"),
    ("Technical maintenance", None, "may not change Import"),
    ("Custom", ["import:modify", "flats:modify"], "may not change Keypad code"),
    ("Custom", ["import:modify", "keypad_code:modify"], "may not change Flats"),
    ("Custom", ["flats:modify", "keypad_code:modify"], "may not change Import"),
])
async def test_rights_to_import(store, admin, estate, tmp_path, profile, rights, outcome):
    """Import needs Import, and each part changed the right of its area."""
    who = await make_operator(store, admin, "op@test.example", estate.site.id, profile,
                              **({"custom": rights} if rights else {}))
    source = write_csv(tmp_path / "f.csv", [["Flat N°", "Flat", "Main door code"],
                                           ["001", "Appt. 001", "2580"]])
    sheet = read_sheet(source)
    if outcome == "may not change Import":
        with pytest.raises(PermissionDenied, match=outcome):
            await plan_import(store.reader(), who, estate.block.id, sheet)
        return
    plan = await plan_import(store.reader(), who, estate.block.id, sheet)
    if outcome == "ok":
        assert plan.counts["changed"] == 1 and not plan.refused
    else:
        assert [r.line for r in plan.refused] == [2] and outcome in plan.refused[0].message


@pytest.mark.parametrize("profile, columns", [
    ("Administration", 11),
    ("Technical maintenance", 10),  # no APass mgmnt: no APasses column
    ("Concierge", 0),  # no Export
])
async def test_rights_to_export_flats(store, admin, residents_of, tmp_path, profile,
                                      columns):
    """Export and Flats are needed; each part's columns only with its area's right."""
    estate = residents_of
    await make_operator(store, admin, "op@test.example", estate.site.id, profile)
    async with store.reader() as uow:
        viewer = await load_viewer(uow, "op@test.example", "test", fixed_clock)
    reads = StoreReads(store)
    if not columns:
        with pytest.raises(PermissionDenied, match="may not consult Export"):
            await flats_export(reads, viewer, estate.site.id, estate.block.id)
        return
    target = tmp_path / "f.csv"
    await write_export(await flats_export(reads, viewer, estate.site.id, estate.block.id),
                       "csv", target)
    assert len(read_csv(target)[0]) == columns


async def test_the_gateway_follows_an_import_within_a_second(gateway, store, admin,  # noqa: F811
                                                            estate, tmp_path):
    """An APass an import gives to flat 002 opens the door within a second."""
    sim = gateway.drivers[0]
    from console.headless.bus.client import BusClient
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        sim.present("1111100009", estate.panel.id)
        assert (await next_event(client))["event"]["result"] == "Opening DENIED"
        source = write_csv(tmp_path / "p.csv", [["Flat N°", "APasses"],
                                               ["002", "1111100009"]])
        await apply_import(store.uow(), admin, estate.block.id, read_sheet(source))
        saved = time.monotonic()
        result = ""
        while result != "Opening":
            assert time.monotonic() - saved < 1.0, "the import was not honoured within 1 s"
            await asyncio.sleep(0.05)
            sim.present("1111100009", estate.panel.id)
            result = (await next_event(client))["event"]["result"]
    finally:
        await client.close()


async def _viewer(store):
    async with store.reader() as uow:
        return await load_viewer(uow, "admin@test.example", "test", fixed_clock)


async def test_apass_lists_export_by_view(store, residents_of, admin, tmp_path):
    """Each of the Access Passes tab's lists, opened with csv and compared with the
    store (read with plain sqlite3)."""
    estate = residents_of
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                             "0000000001", 3)  # the site stock
    await access_passes.send_to_lost(store.uow(), admin, "0000000002")
    viewer, reads = await _viewer(store), StoreReads(store)
    with sqlite3.connect(store.where) as con:
        by_state = {s: [n for (n,) in con.execute(
            "SELECT number FROM access_passes WHERE site_id = ? AND state = ? "
            "ORDER BY number", (estate.site.id, s))] for s in ("assigned", "stock", "lost")}
    for view, state in VIEWS.items():
        target = tmp_path / f"{view}.csv"
        await write_export(await passes_export(reads, viewer, estate.site.id, state, page=1),
                           "csv", target)
        rows = read_csv(target)
        assert rows[0][:3] == ["APass number", "Type", "Colour"]
        assert [r[0] for r in rows[1:]] == by_state[view]
    assert read_csv(tmp_path / "assigned.csv")[1][3:6] == ["Block C", "001", "Appt. 001"]


async def test_providers_and_tasks_export(store, estate, admin, provider, tmp_path):
    """The Facilities lists: providers (with their credentials) and the site's tasks."""
    await facilities.save_task(store.uow(), admin, Task(
        "Lift upkeep", provider.company_id, provider.id, [estate.site.id],
        {estate.site.id: None}, [TaskDoor(estate.door.id, by_code=True)]))
    viewer, reads = await _viewer(store), StoreReads(store)
    await write_export(await providers_export(reads, viewer, estate.site.id), "xlsx",
                       tmp_path / "p.xlsx")
    book = openpyxl.load_workbook(tmp_path / "p.xlsx", read_only=True)
    cells = [[c or "" for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    assert cells[0][:2] == ["Service provider", "Management company"]
    assert cells[1][:2] == ["Sam", "Lifts"] and "+442079460998" in cells[1]
    assert cells[1][10] == "2468"
    await write_export(await providers_export(reads, viewer, estate.site.id, tasks=True),
                       "csv", tmp_path / "t.csv")
    rows = read_csv(tmp_path / "t.csv")
    assert rows[1][:3] == ["Lift upkeep", "Lifts", "Sam"] and "2468" in rows[1][3]


def test_cli_exports_the_other_lists(store, residents_of, provider, cli, tmp_path):
    """`export passes` and `export providers` as scripts call them; a block the site does
    not have, or a bad view, is one line on stderr, exit code 2, no file."""
    estate = residents_of
    common = ["--db", store.where, "--site", estate.site.name, "--operator",
              "admin@test.example"]
    done = cli("export", "passes", *common, "--view", "assigned", "--block", "block c",
               "-o", str(tmp_path / "p.csv"))
    assert done.returncode == 0, done.stderr
    assert "Wrote 1 APass of Demo Cases" in done.stdout
    assert [r[0] for r in read_csv(tmp_path / "p.csv")] == ["APass number", PASS]
    done = cli("export", "providers", *common, "-o", str(tmp_path / "s.pdf"))
    assert done.returncode == 0 and "Wrote 1 service provider of Demo Cases" in done.stdout
    done = cli("export", "flats", *common, "--block", "Block Z", "-o", str(tmp_path / "z.csv"))
    assert done.returncode == 2 and "Demo Cases has no block called 'Block Z'" in done.stderr
    assert not (tmp_path / "z.csv").exists()
    done = cli("import", "flats", str(tmp_path / "missing.csv"), *common, "--block", "Block C")
    assert done.returncode == 2 and "Cannot read" in done.stderr
