"""XLSX exports: xlsxwriter in constant-memory mode (each row goes to disk once the next
one starts, so a million rows take the memory of one), a bold header row frozen above
an autofilter, typed date and time cells, and column widths from the columns.

A text that begins like a formula is written as a string cell with Excel's "quote
prefix" style: its value stays exactly as stored, and Excel keeps it text when the
cell is edited."""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

import xlsxwriter

from console.export.cells import Progress, looks_like_formula
from core.views.exports import EventExport

DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


async def write_xlsx(export: EventExport, path: Path, progress: Progress | None = None) -> int:
    """Write every row of `export` to `path`; the number of rows."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                            "remove_timezone": True})
    try:
        sheet = book.add_worksheet(export.kind[:31])
        bold = book.add_format({"bold": True})
        when = book.add_format({"num_format": DATETIME_FORMAT})
        as_text = book.add_format({"quote_prefix": True})
        columns = export.columns
        for i, column in enumerate(columns):
            sheet.set_column(i, i, column.width + 2)
            sheet.write_string(0, i, column.title, bold)
        sheet.freeze_panes(1, 0)
        datetimes = [i for i, c in enumerate(columns) if c.is_datetime]
        texts = [i for i, c in enumerate(columns) if not c.is_datetime]
        write_datetime, write_string = sheet.write_datetime, sheet.write_string
        r = 0
        async with aclosing(export.pages()) as pages:
            async for page in pages:
                for row in page:
                    r += 1
                    for i in datetimes:
                        write_datetime(r, i, row[i], when)
                    for i in texts:
                        value = row[i]
                        if not value:
                            continue
                        if looks_like_formula(value):
                            write_string(r, i, value, as_text)
                        else:
                            write_string(r, i, value)
                if progress is not None:
                    progress(r)
        sheet.autofilter(0, 0, max(r, 1), len(columns) - 1)
    finally:
        book.close()
    return r
