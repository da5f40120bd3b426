"""Hostile flats files (issue 18): each refused whole with one reason, or line by line with
the rule's words, never with a traceback and never with a partial write (the store's
every row compared before and after an attempt to apply)."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.imports.read import MAX_LINES, read_sheet
from core.errors import ValidationError
from core.services.flat_import import plan_import
from core.services.flat_import_apply import apply_import
from tests.conftest import dump_database

HEADER = "Flat N°,Flat,Floor,Main door code,APasses,Notes\r\n"
GOOD = "001,Appt. 001,,,,\r\n"


def utf8(*lines: str) -> bytes:
    return "".join(lines).encode("utf-8")


#: (case, file's bytes, whole-file refusal expected, or None when read)
WHOLE = [
    ("latin-1", (HEADER + "004,Zoë,,,,\r\n").encode("latin-1"), "is not UTF-8 text"),
    ("utf-16", (HEADER + GOOD).encode("utf-16"), "is UTF-16 text"),
    ("10 MB in one cell", utf8(HEADER, "004,", "x" * 10_000_000, ",,,,\r\n"),
     "is larger than 8 MB"),
    ("200 kB in one cell", utf8(HEADER, "004,", "x" * 200_000, ",,,,\r\n"),
     "line 2: a cell of more than 131,072 characters"),
    ("3,000 characters in one cell", utf8(HEADER, "004,", "x" * 3_000, ",,,,\r\n"),
     "Line 2: a cell of 3,000 characters"),
    ("a million lines", utf8(HEADER, "9,x\n" * 1_000_000),
     f"has more than {MAX_LINES:,} lines"),
    ("an unknown column", utf8("Flat N°,Flat,Owner\r\n", GOOD), "unknown column 'Owner'"),
    ("no Flat N°", utf8("Flat,Floor\r\n", "Appt,1\r\n"), 'no "Flat N°" column'),
    ("a column twice", utf8("Flat N°,Flat,flat\r\n", GOOD), "'Flat' is there twice"),
    ("escape in a title", utf8("Flat N°,\x1b]52;c;eA==\x07\r\n", GOOD),
     "unknown column '(control characters)'"),
    ("empty", b"", "is empty"),
    ("unbalanced quotes", utf8(HEADER, '004,"Appt,,,,\r\n'), "not CSV"),
]


@pytest.mark.parametrize("case, data, refusal", WHOLE, ids=[c[0] for c in WHOLE])
def test_a_file_refused_whole_says_why(tmp_path: Path, case, data, refusal):
    source = tmp_path / "flats.csv"
    source.write_bytes(data)
    with pytest.raises(ValidationError) as err:
        read_sheet(source)
    assert refusal in err.value.message
    assert "\x1b" not in err.value.message


def test_a_byte_not_utf8_is_named_at_its_offset_in_the_file(tmp_path: Path):
    """The offset counts the byte-order mark, so it is where a hex editor shows it."""
    for bom in (b"", b"\xef\xbb\xbf"):
        source = tmp_path / "flats.csv"
        data = bom + utf8(HEADER, "004,Appt. ") + b"\xff" + utf8(",,,,\r\n")
        source.write_bytes(data)
        with pytest.raises(ValidationError) as err:
            read_sheet(source)
        at = data.index(b"\xff")
        assert f"byte 0xff at offset {at}" in err.value.message


#: (case, the line after the header, the refusal of line 2 or "" when it is read)
LINES = [
    ("a byte-order mark", None, ""),
    ("semicolons", None, ""),
    ("a formula", "004,=HYPERLINK(\"http://evil.example\";\"x\"),,,,\r\n",
     "Flat is a formula (it begins with \"=\")"),
    ("a formula kept as text", "004,'=1+1,,,,\r\n", ""),
    ("an escape sequence", "004,Appt\x1b[2J,,,,\r\n", "Flat contains control characters."),
    ("a C1 control", "004,Appt\u009b31m,,,,\r\n", "Flat contains control characters."),
    ("a bidi override", "004,Appt\u202e,,,,\r\n", "Flat contains control characters."),
    ("a number twice", "001,A,,,,\r\n001,B,,,,\r\n", "Flat N° 001 is also on line 2."),
    ("an APass twice", "004,A,,,1111100001 1111100001,\r\n",
     "APass 1111100001 is also on line 2."),
    ("a short APass", "004,A,,,12345,\r\n", "APass number must be exactly 10 digits"),
    ("a code twice", "004,A,,2580,,\r\n005,B,,2580,,\r\n",
     "Main door code 2580 is also on line 2."),
    ("a floor out of range", "004,A,900,,,\r\n", "Floor must be a whole number from -5"),
    ("a name too long", "004," + "n" * 61 + ",,,,\r\n", "Name of flat is 61 characters"),
    ("a cell too many", "004,A,,,,,extra\r\n", "a cell beyond the 6 columns of line 1"),
]


@pytest.mark.parametrize("case, line, refusal", LINES, ids=[c[0] for c in LINES])
async def test_a_line_refused_alone_and_nothing_written(store, admin, estate, tmp_path,
                                                        case, line, refusal):
    source = tmp_path / "flats.csv"
    if case == "a byte-order mark":
        source.write_bytes(b"\xef\xbb\xbf" + utf8(HEADER, "004,Zoë,,,,\r\n"))
    elif case == "semicolons":
        source.write_bytes(utf8(HEADER.replace(",", ";"), "004;Zoë;-1;;;\r\n"))
    else:
        source.write_bytes(utf8(HEADER, line))
    sheet = read_sheet(source)
    plan = await plan_import(store.reader(), admin, estate.block.id, sheet)
    before = dump_database(Path(store.where))
    if not refusal:
        assert not plan.refused and len(plan.add) == 1
        added = plan.add[0]
        assert added.number == "004" and added.name in ("Zoë", "=1+1")
        return
    refused = [r for r in plan.refused if r.line == 2 or "also on line 2" in r.message]
    assert refused and refusal in refused[0].message, plan.refused
    assert all("\x1b" not in r.message and "\u009b" not in r.message for r in plan.refused)
    with pytest.raises(ValidationError, match="refused: nothing was imported"):
        await apply_import(store.uow(), admin, estate.block.id, sheet)
    assert dump_database(Path(store.where)) == before


async def test_a_quota_refuses_the_file_whole(store, admin, estate, tmp_path):
    """The site holds 5 flats: a file adding 3 to its 3 is refused as a whole."""
    source = tmp_path / "flats.csv"
    source.write_bytes(utf8(HEADER, "004,A,,,,\r\n005,B,,,,\r\n006,C,,,,\r\n"))
    plan = await plan_import(store.reader(), admin, estate.block.id, read_sheet(source))
    assert [(r.line, r.message) for r in plan.refused] == [
        (0, "Qty of flats/units on Demo Cases is 3 / 5: no room for 3 more.")]


async def test_a_plan_made_stale_is_not_applied(store, admin, estate, tmp_path):
    """Apply refuses a plan whose block changed since it was shown."""
    from core.services import flats
    source = tmp_path / "flats.csv"
    source.write_bytes(utf8(HEADER, "001,New name,,,,\r\n"))
    sheet = read_sheet(source)
    plan = await plan_import(store.reader(), admin, estate.block.id, sheet)
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, name="Changed meanwhile")
    before = dump_database(Path(store.where))
    with pytest.raises(Exception, match="changed since this plan was made"):
        await apply_import(store.uow(), admin, estate.block.id, sheet, expected=plan.digest)
    assert dump_database(Path(store.where)) == before


async def test_xlsx_formulas_are_refused_and_a_non_workbook_whole(store, admin, estate,
                                                                  tmp_path, monkeypatch):
    """An XLSX formula cell reads as its formula, and is refused like a CSV's; a file
    named .xlsx that is not a workbook is refused whole."""
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Flat N°", "Flat", "Floor"])
    sheet.append(["004", "=HYPERLINK(\"http://evil.example\")", 2])
    sheet.append([5, "Five", 1.0])  # numbers typed as numbers: read as their digits
    book.save(tmp_path / "f.xlsx")
    plan = await plan_import(store.reader(), admin, estate.block.id,
                             read_sheet(tmp_path / "f.xlsx"))
    assert [(r.line, r.message[:26]) for r in plan.refused] == [(2, "Flat is a formula (it begi")]
    assert [(p.number, p.name) for p in plan.add] == [("5", "Five")]
    (tmp_path / "not.xlsx").write_bytes(b"Flat N\xc2\xb0,Flat\r\n")
    with pytest.raises(ValidationError, match="is not an XLSX workbook"):
        read_sheet(tmp_path / "not.xlsx")
    monkeypatch.setattr("console.imports.read.MAX_UNZIPPED", 1000)  # a zip bomb, in small
    with pytest.raises(ValidationError, match="unpacks to more than"):
        read_sheet(tmp_path / "f.xlsx")
