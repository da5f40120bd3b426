"""CSV exports: the standard library's `csv`, UTF-8 with a byte-order mark so Excel reads
the accents right, one header line of the columns' titles.

The Events list comes as ready lines built by the store (`EventExport.text_pages`, in
`LAYOUT`: the `csv` module's own quoting and our formula marks), with the few rows it
cannot write exactly handed back as rows for `csv` to write; other lists go row by row."""

from __future__ import annotations

import csv
from contextlib import aclosing
from pathlib import Path

from console.export.cells import FORMULA_PREFIXES, Progress, text_cells
from core.views.export_lines import LineLayout
from core.views.exports import EventExport

#: what `csv.writer()` writes by default (excel dialect, QUOTE_MINIMAL) and the marks
#: of console.export.cells.formula_safe
LAYOUT = LineLayout(FORMULA_PREFIXES, formula_mark="'", delimiter=",", quote='"')


async def write_csv(export: EventExport, path: Path, progress: Progress | None = None,
                    *, bom: bool = True, lines: bool = True) -> int:
    """Write every row of `export` to `path`; the number of rows. `lines=False` writes
    row by row even where the store could write the lines (to compare the two)."""
    datetimes = frozenset(i for i, c in enumerate(export.columns) if c.is_datetime)
    rows = 0
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([c.title for c in export.columns])
        if lines and export.has_lines:
            async with aclosing(export.text_pages(LAYOUT)) as texts:
                async for count, items in texts:
                    for item in items:
                        if isinstance(item, str):
                            out.write(item)
                        else:
                            writer.writerow(text_cells(item, datetimes))
                    rows += count
                    if progress is not None:
                        progress(rows)
            return rows
        async with aclosing(export.pages()) as pages:
            async for page in pages:
                writer.writerows([text_cells(r, datetimes) for r in page])
                rows += len(page)
                if progress is not None:
                    progress(rows)
    return rows
