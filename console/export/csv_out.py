"""CSV exports: the standard library's `csv`, UTF-8 with a byte-order mark so Excel reads
the accents right, one header line of the columns' titles."""

from __future__ import annotations

import csv
from contextlib import aclosing
from pathlib import Path

from console.export.cells import Progress, text_cells
from core.views.exports import EventExport


async def write_csv(export: EventExport, path: Path, progress: Progress | None = None,
                    *, bom: bool = True) -> int:
    """Write every row of `export` to `path`; the number of rows."""
    datetimes = frozenset(i for i, c in enumerate(export.columns) if c.is_datetime)
    rows = 0
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([c.title for c in export.columns])
        async with aclosing(export.pages()) as pages:
            async for page in pages:
                writer.writerows([text_cells(r, datetimes) for r in page])
                rows += len(page)
                if progress is not None:
                    progress(rows)
    return rows
