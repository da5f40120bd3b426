"""Reading a flats file (CSV or XLSX) in the layout of the flats export, defensively.

A file that cannot be read as a whole is refused with one reason (ValidationError): not
UTF-8 (or UTF-16), larger than MAX_BYTES (an XLSX: MAX_UNZIPPED unpacked), more than
MAX_LINES lines, a cell of more than MAX_CELL characters, no "Flat N°" column, a column
that is not the layout's. A line with
a cell that is a formula (begins with "=") or holds control characters is kept with its
problem, and the plan refuses it alone. A UTF-8 byte-order mark is fine (the export
writes one), and so are semicolons or tabs between the cells (Excel writes semicolons
where the comma is the decimal mark). A cell written "'=…" (the export's way of keeping
a formula-like text as text) is read without its "'".
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from pathlib import Path

from core.errors import ValidationError
from core.flat_layout import BY_TITLE, FLAT_COLUMNS
from core.services.flat_import import Sheet, SheetLine
from core.text import has_control_chars

MAX_BYTES = 8 * 1024 * 1024
MAX_LINES = 20_000
MAX_CELL = 2_000
MAX_UNZIPPED = 64 * 1024 * 1024  # an XLSX's parts, unpacked
FORMATS = ("csv", "xlsx")
_QUOTED = ("'=", "'+", "'-", "'@")


def read_sheet(path: Path, fmt: str | None = None) -> Sheet:
    """The lines of a flats file; ValidationError naming why a file is refused whole."""
    fmt = (fmt or path.suffix.lower().lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValidationError(f"{path.name}: a flats import reads CSV or XLSX files "
                              "(name it .csv or .xlsx).", field="file")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise ValidationError(f"Cannot read {path}: {err.strerror or err}.",
                              field="file") from err
    if len(data) > MAX_BYTES:
        raise ValidationError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB; a "
                              "block's flats take far less. Nothing was read.", field="file")
    rows = _xlsx_rows(data, path.name) if fmt == "xlsx" else _csv_rows(data, path.name)
    return _sheet(rows, path.name)


def _csv_rows(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(f"{name} is UTF-16 text; save it as \"CSV UTF-8\".",
                              field="file")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        at = bom + err.start  # the offset in the file, its byte-order mark counted
        raise ValidationError(
            f"{name} is not UTF-8 text (byte {data[at]:#04x} at offset "
            f"{at}); save it as \"CSV UTF-8\". Nothing was read.",
            field="file") from err
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if len(rows) > MAX_LINES:
                raise ValidationError(f"{name} has more than {MAX_LINES:,} lines; import a "
                                      "block at a time. Nothing was read.", field="file")
            rows.append((reader.line_num, cells))
    except csv.Error as err:
        why = (f"a cell of more than {csv.field_size_limit():,} characters"
               if "field larger" in str(err) else f"not CSV ({err})")
        raise ValidationError(f"{name}, line {reader.line_num}: {why}. Nothing was "
                              "read.", field="file") from err
    return rows


def _xlsx_rows(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only imports of XLSX need it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # a zip bomb stops here
            unzipped = sum(i.file_size for i in archive.infolist())
        if unzipped > MAX_UNZIPPED:
            raise ValidationError(f"{name} unpacks to more than {MAX_UNZIPPED // 2**20} MB; "
                                  "a block's flats take far less. Nothing was read.",
                                  field="file")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise ValidationError(f"{name} is not an XLSX workbook. Nothing was read.",
                              field="file") from err
    try:
        sheet = book.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        for i, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if i > MAX_LINES + 1:
                raise ValidationError(f"{name} has more than {MAX_LINES:,} lines; import "
                                      "a block at a time. Nothing was read.", field="file")
            rows.append((i, [_xlsx_text(v) for v in values]))
    finally:
        book.close()
    return rows


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet(rows: list[tuple[int, list[str]]], name: str) -> Sheet:
    rows = [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise ValidationError(f"{name} is empty.", field="file")
    header_line, header = rows[0]
    parts: list[str] = []
    for title in header:
        title = title.strip().lstrip("\ufeff")
        if not title:
            parts.append("")
            continue
        column = BY_TITLE.get(title.casefold())
        if column is None:
            known = ", ".join(c.title for c in FLAT_COLUMNS)
            shown = title[:40] if not has_control_chars(title) else "(control characters)"
            raise ValidationError(f"{name}: unknown column {shown!r}; the columns are "
                                  f"{known}.", field="file")
        if column.part in parts:
            raise ValidationError(f"{name}: the column {column.title!r} is there twice.",
                                  field="file")
        parts.append(column.part)
    if "number" not in parts:
        raise ValidationError(f"{name}: no \"Flat N°\" column on its first line.",
                              field="file")
    lines = [_line(n, cells, parts, header_line) for n, cells in rows[1:]]
    return Sheet(tuple(p for p in parts if p), lines, name)


def _line(number: int, cells: list[str], parts: list[str], header_line: int) -> SheetLine:
    found: dict[str, str] = {}
    problem = ""
    for i, raw in enumerate(cells):
        part = parts[i] if i < len(parts) else ""
        if len(raw) > MAX_CELL:
            raise ValidationError(f"Line {number}: a cell of {len(raw):,} characters; at most "
                                  f"{MAX_CELL:,} are read. Nothing was read.", field="file")
        if not part:
            if raw.strip() and not problem:
                problem = (f"a cell beyond the {len([p for p in parts if p])} columns of "
                           f"line {header_line}.")
            continue
        title = next(c.title for c in FLAT_COLUMNS if c.part == part)
        value = raw[1:] if raw.startswith(_QUOTED) else raw
        bad = ""
        if raw.startswith("="):
            bad = (f"{title} is a formula (it begins with \"=\"); formulas are not "
                   "imported: write the value itself.")
        elif has_control_chars(value):
            bad = f"{title} contains control characters."
        problem = problem or bad
        found[part] = "" if bad else value.strip()
    return SheetLine(number, found, problem)
