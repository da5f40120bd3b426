"""Exports of the Events list: each file opened with a reader that is not ours (csv,
openpyxl, poppler's pdftotext) and compared cell by cell with the store read through
plain sqlite3; the rights (Export, APass mgmnt); hostile text in a resident's name; a
file never half written."""

from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from console.export.files import write_export
from core.errors import PermissionDenied
from core.model import Event, EventKind, EventResult
from core.views.exports import HIDDEN, EventExport, event_export
from core.views.rows import EventFilter
from core.views.viewer import load_viewer
from store.reads import StoreReads
from tests.conftest import make_operator

HOSTILE = '=HYPERLINK("http://evil.example","x")\x1b[31m\x07'
APASS = "1111100007"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
N = 60


@pytest.fixture
async def events(store, estate):
    """60 events of the small estate: fobs (an APass number), codes, calls; one resident
    with a hostile name, and names beginning like formulas."""
    writer = await store.event_writer()
    names = [HOSTILE, "+44 Bob", "-1+2", "@SUM(A1)", "Zoë Ångström"]
    for i in range(N):
        fob = i % 3 == 0
        name = names[i % len(names)]
        credential = APASS if fob else f"{4000 + i}"
        desc = (f"APass number : {APASS} (Resident) Name associated : {name}" if fob
                else f"Code entered : {credential}")
        writer.append(Event(
            T0 + timedelta(minutes=7 * i), estate.site.id,
            EventKind.OPEN_BY_PROXIMITY_FOB if fob else EventKind.ACCESS_BY_CODE,
            EventResult.OPENING if i % 4 else EventResult.OPENING_DENIED, estate.panel.id,
            credential=credential, name=name, description=desc))
    await writer.flush()
    return estate


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A folder for the exports alone (the store lives in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


async def export_as(store, who, flt, page=7) -> EventExport:
    async with store.reader() as uow:
        viewer = await load_viewer(uow, who, "test", lambda: T0 + timedelta(days=30))
    return await event_export(StoreReads(store), viewer, flt, page=page)


def stored_rows(path: str, site_id: int) -> list[tuple]:
    """The events as the export should show them, read with plain sqlite3."""
    con = sqlite3.connect(path)
    try:
        return con.execute(
            "SELECT e.at, d.name, d.type, e.kind, e.result, e.name, e.credential, "
            "e.description FROM events e LEFT JOIN devices d ON d.id = e.device_id "
            "WHERE e.site_id = ? ORDER BY e.at DESC, e.id DESC", (site_id,)).fetchall()
    finally:
        con.close()


def local(at: str, tz: str) -> str:
    return datetime.fromisoformat(at).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def expected(store, estate, with_apass: bool) -> list[list[str]]:
    rows = []
    for at, device, dtype, kind, result, name, credential, desc in stored_rows(
            store.where, estate.site.id):
        clean = name.replace("\x1b[31m", "").replace("\x07", "")
        cells = [local(at, estate.site.timezone), device, dtype, kind, result, clean]
        desc = desc.replace("\x1b[31m", "").replace("\x07", "")
        if with_apass:
            cells.append(credential if kind == EventKind.OPEN_BY_PROXIMITY_FOB else "")
        else:
            desc = desc.replace(APASS, HIDDEN)
        rows.append([*cells, desc])
    return rows


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel looks for
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def unquote(cell: str) -> str:
    return cell[1:] if cell[:2] in ("'=", "'+", "'-", "'@") else cell


async def test_csv_holds_the_store_s_rows_and_neutralises_formulas(store, events, admin,
                                                                  out):
    flt = EventFilter(site_id=events.site.id)
    done = await write_export(await export_as(store, admin.operator.email, flt), "csv",
                              out / "events.csv")
    assert done.rows == N
    header, *rows = read_csv(out / "events.csv")
    assert header == ["Date & time", "Device", "Device type", "Event type", "Result", "Name",
                      "APass number", "Description"]
    assert [[unquote(c) for c in r] for r in rows] == expected(store, events, True)
    names = {r[5] for r in rows}
    assert {"'+44 Bob", "'-1+2", "'@SUM(A1)", "Zoë Ångström",
            """'=HYPERLINK("http://evil.example","x")"""} == names
    assert "\x1b" not in (out / "events.csv").read_text(encoding="utf-8-sig")
    assert list(out.iterdir()) == [out / "events.csv"]  # no temporary file left


async def test_xlsx_typed_frozen_filtered_and_formulas_stay_text(store, events, admin,
                                                                 out):
    flt = EventFilter(site_id=events.site.id, result=EventResult.OPENING.value)
    target = out / "events.xlsx"
    done = await write_export(await export_as(store, admin.operator.email, flt), "xlsx",
                              target)
    want = [r for r in expected(store, events, True) if r[4] == EventResult.OPENING.value]
    assert done.rows == len(want) == 45
    book = openpyxl.load_workbook(target)
    sheet = book["Events"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:H{len(want) + 1}"
    assert sheet.column_dimensions["H"].width > sheet.column_dimensions["E"].width
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[0] == "Date & time" and header[-1] == "Description"
    first = sheet["A2"]
    assert first.is_date and first.number_format == "yyyy-mm-dd hh:mm:ss"
    got = [[c.strftime("%Y-%m-%d %H:%M:%S") if isinstance(c, datetime) else (c or "")
            for c in r] for r in rows]
    assert got == want
    formulas = [c for r in sheet.iter_rows(min_row=2) for c in r
                if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert formulas and all(c.data_type == "s" and c.quotePrefix for c in formulas)


@pytest.mark.skipif(shutil.which("pdftotext") is None,
                    reason="pdftotext (poppler-utils) is not installed: apt-get install "
                           "poppler-utils (.ci/run does)")
async def test_pdf_report_has_header_pages_and_rows(store, events, admin, out):
    flt = EventFilter(site_id=events.site.id, kind=EventKind.ACCESS_BY_CODE.value)
    target = out / "events.pdf"
    done = await write_export(await export_as(store, admin.operator.email, flt), "pdf",
                              target)
    assert done.rows == 40 and not done.cut
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]
    for page in pages[:2]:
        assert "Events – Demo Cases" in page and "Generated by admin@test.example" in page
        assert "Event type: Access by code" in page and "Date & time" in page
    want = [r for r in expected(store, events, True) if r[3] == "Access by code"]
    for row in want:
        assert row[0] in text and row[-1] in text  # date & time and the code entered
    text = unicodedata.normalize("NFC", text)
    assert "Zoë Ångström" in text and '=HYPERLINK("http://ev' in text  # cut to its column
    assert "\x1b" not in text and "40 events, newest first." in text


async def test_pdf_holds_its_first_rows_and_says_so(store, events, admin, out):
    from console.export.pdf_out import write_pdf
    export = await export_as(store, admin.operator.email, EventFilter(site_id=events.site.id))
    assert await write_pdf(export, out / "cut.pdf", max_rows=10) == 10


async def test_without_the_export_right_nothing_is_written(store, events, admin, out):
    await make_operator(store, admin, "desk@test.example", events.site.id, "Concierge")
    with pytest.raises(PermissionDenied, match="may not consult Export"):
        await export_as(store, "desk@test.example", EventFilter(site_id=events.site.id))


async def test_without_apass_rights_no_apass_column_nor_number(store, events, admin,
                                                               out):
    await make_operator(store, admin, "eng@test.example", events.site.id,
                        "Technical maintenance")
    export = await export_as(store, "eng@test.example", EventFilter(site_id=events.site.id))
    await write_export(export, "csv", out / "eng.csv")
    header, *rows = read_csv(out / "eng.csv")
    assert "APass number" not in header
    assert [[unquote(c) for c in r] for r in rows] == expected(store, events, False)
    assert APASS not in (out / "eng.csv").read_text(encoding="utf-8-sig")


async def test_a_failed_export_leaves_the_old_file_and_no_part(store, events, admin,
                                                               out):
    target = out / "events.xlsx"
    target.write_bytes(b"the previous export")
    export = await export_as(store, admin.operator.email, EventFilter(site_id=events.site.id))
    pages = export._pages

    async def broken():
        try:
            async for page in pages:
                yield page
                raise OSError(28, "No space left on device")
        finally:
            await pages.aclose()  # as a failing writer's `async for` leaves it

    export._pages = broken()
    with pytest.raises(Exception, match="No space left on device"):
        await write_export(export, "xlsx", target)
    assert target.read_bytes() == b"the previous export"
    assert list(out.iterdir()) == [target]


# --- the CLI ------------------------------------------------------------------------------


@pytest.fixture
async def desk(store, events, admin) -> str:
    """A concierge of the site: Events, but not Export."""
    await make_operator(store, admin, "desk@test.example", events.site.id, "Concierge")
    return "desk@test.example"


def test_cli_exports_a_period_with_filters(store, events, admin, out, cli):
    """`doorkeeper export events`: the site's local days, To included, and the filters
    (a sync test: the command runs its own event loop)."""
    target = out / "denied.csv"
    done = cli("export", "events", "--db", store.where, "--site", "demo cases",
               "--from", "2026-11-01", "--to", "01/11/2026", "--filter", "result=opening denied",
               "--filter", "event-type=Access by code", "-o", str(target),
               "--operator", admin.operator.email)
    assert (done.returncode, done.stderr) == (0, "")
    want = [r for r in expected(store, events, True)
            if r[4] == "Opening DENIED" and r[3] == "Access by code"]
    assert done.stdout == f"Wrote {len(want)} events of Demo Cases to {target}.\n"
    assert [[unquote(c) for c in r] for r in read_csv(target)[1:]] == want
    done = cli("export", "events", "--db", store.where, "--site", str(events.site.id),
               "--from", "2026-11-02", "-o", str(out / "none.xlsx"),
               "--operator", admin.operator.email)
    assert done.stdout.startswith("Wrote 0 events")
    assert list(openpyxl.load_workbook(out / "none.xlsx")["Events"].values)[1:] == []


BAD = {
    "unknown site": (["--site", "Nowhere"], "has no site called 'Nowhere'"),
    "bad date": (["--from", "2026-13-01"], "'2026-13-01' is not a date"),
    "to before from": (["--from", "2026-11-02", "--to", "2026-11-01"],
                       "To must not be before From."),
    "filter without =": (["--filter", "result"], "write KEY=VALUE"),
    "unknown filter": (["--filter", "colour=red"], "write KEY=VALUE"),
    "filter twice": (["--filter", "result=Opening", "--filter", "result=Alarm"],
                     "--filter result is given twice"),
    "unknown event type": (["--filter", "event-type=Teleport"], "Unknown event type"),
    "unknown device": (["--filter", "device=Lift"], "no device called 'Lift'"),
    "no format": (["-o", "{out}/events.txt"], "Name the format"),
    "bad format": (["--format", "docx"], "invalid choice: 'docx'"),
    "no such folder": (["-o", "{out}/gone/events.csv"], "No folder"),
    "a folder": (["-o", "{out}", "--format", "csv"], "is a folder"),
    "unknown operator": (["--operator", "nobody@test.example"], "No operator is called"),
    "no Export right": (["--operator", "desk@test.example"], "may not consult Export on"),
}


@pytest.mark.parametrize("case", BAD)
def test_cli_refuses_bad_input_in_one_line_and_writes_nothing(case, store, events, admin,
                                                              desk, out, cli):
    extra, message = BAD[case]
    args = {"--site": "Demo Cases", "-o": str(out / "events.csv"),
            "--operator": admin.operator.email}
    extra = [a.replace("{out}", str(out)) for a in extra]
    for i in range(0, len(extra), 2):
        if extra[i] in args:
            args[extra[i]] = extra.pop(i + 1)
            extra.pop(i)
            break
    argv = ["export", "events", "--db", store.where, *[x for kv in args.items() for x in kv],
            *extra]
    done = cli(*argv)
    assert done.returncode == 2, done
    assert message in done.stderr and done.stderr.count("\n") == 1 and done.stdout == ""
    assert list(out.iterdir()) == []


async def test_the_block_and_flat_filters_are_named_in_the_header_and_kept(store, events,
                                                                            admin, estate):
    flat, other = estate.flats[0], estate.flats[1]
    writer = await store.event_writer()
    for i, at_flat in enumerate((flat, flat, other, flat)):  # calls from two flats
        writer.append(Event(T0 + timedelta(minutes=i), estate.site.id,
                            EventKind.CALL_TO_RESIDENT, EventResult.OPENING, estate.panel.id,
                            block_id=estate.block.id, flat_id=at_flat.id))
    await writer.flush()
    flt = EventFilter(site_id=estate.site.id, block_id=estate.block.id, flat_id=flat.id)
    export = await export_as(store, "admin@test.example", flt)
    assert export.filters[:3] == [("Period", "All"), ("Block", "Block C"),
                                  ("Flat N°", flat.number)]
    rows = [row async for page in export.pages() for row in page]
    con = sqlite3.connect(store.where)
    kept = con.execute("SELECT count(*) FROM events WHERE site_id = ? AND flat_id = ?",
                       (estate.site.id, flat.id)).fetchone()[0]
    con.close()
    assert len(rows) == kept == 3  # the flat's events, and only they


@pytest.fixture
async def flat_calls(store, events, estate) -> None:
    """Calls from the block's first two flats: three of the first's, one of the second's."""
    flat, other = estate.flats[0], estate.flats[1]
    writer = await store.event_writer()
    for i, at_flat in enumerate((flat, flat, other, flat)):
        writer.append(Event(T0 + timedelta(minutes=i), estate.site.id,
                            EventKind.CALL_TO_RESIDENT, EventResult.OPENING, estate.panel.id,
                            block_id=estate.block.id, flat_id=at_flat.id))
    await writer.flush()


def test_cli_block_and_flat_filters_are_the_tab_s_exact_ones(store, flat_calls, admin,
                                                             estate, out, cli):
    """`--filter block=B --filter flat=N`: the Events tab's exact filters ("1" finds Flat
    N° 001, never 0010), the block by name or id; the header names them."""
    flat = estate.flats[0]
    bare = flat.number.lstrip("0")
    base = ["export", "events", "--db", store.where, "--site", "Demo Cases",
            "--operator", admin.operator.email]
    done = cli(*base, "--filter", "block=block c", "--filter", f"flat={bare}",
               "-o", str(out / "flat.csv"))
    assert (done.returncode, done.stderr) == (0, ""), done
    assert done.stdout == f"Wrote 3 events of Demo Cases to {out / 'flat.csv'}.\n"
    assert [r[0] for r in read_csv(out / "flat.csv")[1:]] == [
        local("2026-11-01 08:03:00+00:00", estate.site.timezone),
        local("2026-11-01 08:01:00+00:00", estate.site.timezone),
        local("2026-11-01 08:00:00+00:00", estate.site.timezone)]
    done = cli(*base, "--filter", f"block={estate.block.id}", "-o", str(out / "block.csv"))
    assert done.stdout.startswith("Wrote 4 events"), done  # the block's: both flats
    for extra, message in (
            (["--filter", f"flat={bare}"], "--filter flat needs --filter block"),
            (["--filter", "block=Block Z"], "has no block called 'Block Z'"),
            (["--filter", "block=Block C", "--filter", f"flat={flat.number}0"],
             f"Flat N° {flat.number}0 is not a flat of Block C.")):
        done = cli(*base, *extra, "-o", str(out / "refused.csv"))
        assert done.returncode == 2 and message in done.stderr, done
        assert done.stderr.count("\n") == 1 and not (out / "refused.csv").exists()


async def test_cli_block_and_flat_filters_are_named_in_the_header(store, events, admin,
                                                                   estate):
    import argparse

    from console.cli_export import _filter, site_named
    async with store.reader() as uow:
        viewer = await load_viewer(uow, admin.operator.email, "test")
    reads = StoreReads(store)
    flat = estate.flats[1]
    args = argparse.Namespace(date_from=None, date_to=None, filter=[
        "block=Block C", f"flat={flat.number}"])
    flt = await _filter(reads, viewer, site_named(viewer, "Demo Cases"), args)
    assert (flt.block_id, flt.flat_id) == (estate.block.id, flat.id)
    export = await event_export(reads, viewer, flt)
    assert export.filters[:3] == [("Period", "All"), ("Block", "Block C"),
                                  ("Flat N°", flat.number)]
