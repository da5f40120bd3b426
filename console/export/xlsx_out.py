"""XLSX exports, streamed: the sheet's XML is written a page of rows at a time straight
into the zip (deflate level 1), so a million rows take the memory of one page and about
a tenth of the time xlsxwriter spends per cell (docs/export.md, "How fast").

What the file holds, as before with xlsxwriter: one sheet named after the list, a bold
header row frozen above an autofilter over every row, typed date and time cells
(`yyyy-mm-dd hh:mm:ss`), column widths from the columns, text as inline strings. A text
that begins like a formula is a string cell with Excel's "quote prefix" style: its value
stays exactly as stored, and Excel keeps it text when the cell is edited. The package
is the minimum SpreadsheetML asks for (content types, relationships, workbook, styles,
one worksheet); openpyxl, LibreOffice and Excel read it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from contextlib import aclosing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from console.export.cells import FORMULA_PREFIXES, Progress
from core.views.exports import Column, EventExport

DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: Excel's day 0 (its 1900 date system, with the 1900 leap-year bug folded in)
EPOCH = datetime(1899, 12, 30)
DAY = timedelta(days=1)
#: cell styles (xl/styles.xml's cellXfs): plain, header, date and time, quote prefix
PLAIN, HEADER, WHEN, AS_TEXT = 0, 1, 2, 3
_STARTS = frozenset(FORMULA_PREFIXES)

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="{DATETIME_FORMAT}"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""


def column_letter(index: int) -> str:
    """A 0-based column's letters: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _workbook(sheet: str, last_column: str, rows: int) -> str:
    name = quoteattr(sheet)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets>'
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
            f'hidden="1">{escape(_quoted(sheet))}!$A$1:${last_column}${rows + 1}'
            '</definedName></definedNames></workbook>')


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _sheet_head(columns: Sequence[Column]) -> str:
    widths = "".join(f'<col min="{i}" max="{i}" width="{c.width + 2}" customWidth="1"/>'
                     for i, c in enumerate(columns, 1))
    header = "".join(f'<c r="{column_letter(i)}1" s="{HEADER}" t="inlineStr"><is><t>'
                     f'{escape(c.title)}</t></is></c>' for i, c in enumerate(columns))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>'
            f'</sheetView></sheetViews><cols>{widths}</cols><sheetData>'
            f'<row r="1">{header}</row>')


def _text(value: str) -> str:
    if "&" in value or "<" in value or ">" in value:
        return escape(value)
    return value


def _row_xml(r: int, row: Sequence[Any], letters: Sequence[str],
             datetimes: frozenset[int]) -> str:
    """One row's XML: every cell with its reference; empty cells left out, but for the
    last column's (an empty `<c/>`), so that a reader sees every row as wide as the
    header (openpyxl's read-only rows otherwise stop at the last filled cell)."""
    cells: list[str] = []
    append = cells.append
    last = len(letters) - 1
    for i, value in enumerate(row):
        if value is None or value == "":
            if i == last:
                append(f'<c r="{letters[i]}{r}"/>')
            continue
        ref = letters[i]
        if i in datetimes:
            if value.tzinfo is not None:  # the wall time it shows (Excel has no zones)
                value = value.replace(tzinfo=None)
            append(f'<c r="{ref}{r}" s="{WHEN}"><v>{(value - EPOCH) / DAY!r}</v></c>')
        elif isinstance(value, str):
            style = f' s="{AS_TEXT}"' if value[:1] in _STARTS else ""
            append(f'<c r="{ref}{r}"{style} t="inlineStr"><is><t xml:space="preserve">'
                   f'{_text(value)}</t></is></c>')
        elif isinstance(value, bool):
            append(f'<c r="{ref}{r}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            append(f'<c r="{ref}{r}"><v>{value!r}</v></c>')
        else:
            append(f'<c r="{ref}{r}" t="inlineStr"><is><t xml:space="preserve">'
                   f'{_text(str(value))}</t></is></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


async def write_xlsx(export: EventExport, path: Path, progress: Progress | None = None) -> int:
    """Write every row of `export` to `path`; the number of rows."""
    columns = export.columns
    letters = [column_letter(i) for i in range(len(columns))]
    datetimes = frozenset(i for i, c in enumerate(columns) if c.is_datetime)
    sheet = export.kind[:31] or "Sheet1"
    r = 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(_sheet_head(columns).encode())
            async with aclosing(export.pages()) as pages:
                async for page in pages:
                    chunk = []
                    for row in page:
                        r += 1
                        chunk.append(_row_xml(r, row, letters, datetimes))
                    out.write("".join(chunk).encode())
                    if progress is not None:
                        progress(r - 1)
            out.write((f'</sheetData><autoFilter ref="A1:{letters[-1]}{max(r, 2)}"/>'
                       '</worksheet>').encode())
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", _workbook(sheet, letters[-1], max(r - 1, 1)))
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/styles.xml", STYLES)
    return r - 1
