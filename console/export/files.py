"""Writing an export to a file: never half. The rows go to a temporary file beside the
target, which is flushed to disk and renamed over it only once complete; a failure or a
cancel removes it and leaves whatever was at the target untouched."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from console.export.cells import Progress
from core.errors import DoorkeeperError, ValidationError
from core.views.exports import PDF_MAX_ROWS, EventExport

Writer = Callable[[EventExport, Path, "Progress | None"], Awaitable[int]]
FORMATS = ("xlsx", "pdf", "csv")


def writer(fmt: str) -> Writer:
    """The writer of a format, imported when first used (fpdf2 alone takes a noticeable
    part of a second to import: every other `doorkeeper` command does without it)."""
    if fmt == "csv":
        from console.export.csv_out import write_csv
        return write_csv
    if fmt == "xlsx":
        from console.export.xlsx_out import write_xlsx
        return write_xlsx
    from console.export.pdf_out import write_pdf
    return write_pdf


@dataclass(frozen=True)
class Written:
    """What an export wrote."""

    path: Path
    rows: int
    cut: bool  # a PDF that holds only its first PDF_MAX_ROWS rows


def check_target(target: Path, fmt: str) -> Path:
    """The file an export may write: a known format, in a folder that exists."""
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown format {fmt!r}; choose one of "
                              f"{', '.join(FORMATS)}.", field="format")
    if not target.name or target.is_dir():
        raise ValidationError(f"{target} is a folder; name the file to write.", field="file")
    if not target.parent.is_dir():
        raise ValidationError(f"No folder {target.parent} to write {target.name} in.",
                              field="file")
    return target


async def write_export(export: EventExport, fmt: str, target: Path,
                       progress: Progress | None = None) -> Written:
    """Write `export` as `fmt` to `target`, atomically (temporary file, then rename)."""
    check_target(target, fmt)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                    dir=target.parent)
    except OSError as err:
        raise ValidationError(f"Cannot write in {target.parent}: {err.strerror}.",
                              field="file") from err
    os.close(fd)
    part = Path(name)
    try:
        rows = await writer(fmt)(export, part, progress)
        with open(part, "rb") as done:
            os.fsync(done.fileno())
        os.replace(part, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            part.unlink()
        raise DoorkeeperError(f"Cannot write {target}: {err.strerror or err}.") from err
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return Written(target, rows, fmt == "pdf" and export.rows_done > rows
                   and rows >= PDF_MAX_ROWS)
