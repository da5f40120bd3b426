"""Each operator's export folder: `[store] export_folder` (default: `exports/` beside
the database file), one subfolder per operator named by their email. The console writes
there; `doorkeeper serve` offers it over SFTP, read-only, to that operator alone."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from store.database import Store

_UNSAFE = re.compile(r"[^a-z0-9@._+-]")


def export_root(store: Store) -> Path:
    """The folder that holds every operator's export folder."""
    if store.export_folder:
        return Path(store.export_folder)
    return store.local.resolve().parent / "exports"


def folder_name(email: str) -> str:
    """An operator's subfolder: their email, lowercase, with anything else than letters,
    digits and @._+- as "_" (never "." or "..")."""
    name = _UNSAFE.sub("_", email.strip().lower())
    return name if name.strip(".") else "_" + name


def operator_folder(store: Store, email: str, *, create: bool = True) -> Path:
    """The operator's own export folder (made, readable by its owner only, if missing)."""
    folder = export_root(store) / folder_name(email)
    if create:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    return folder


def export_file_name(kind: str, fmt: str, now: datetime) -> str:
    """A new export's file name: "events-2026-12-03-181530.xlsx"."""
    return f"{kind}-{now:%Y-%m-%d-%H%M%S}.{fmt}"
