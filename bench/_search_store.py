"""The million-flat store of bench_search.py: its rows, made once and cached in /tmp under a
version string that changes with the data, the index's DDL and the indexing code."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from store import search_index
from store.database import Store
from store.search import rebuild

SITES, BLOCKS = 40, 25
LOCALES = ("en_GB", "en_US", "fr_FR", "de_DE", "it_IT", "es_ES", "pt_PT", "tr_TR", "en_IN",
           "pl_PL")


def _names() -> tuple[list[str], list[str]]:
    firsts: set[str] = set()
    lasts: set[str] = set()
    for loc in LOCALES:
        p = importlib.import_module(f"faker.providers.person.{loc}").Provider
        firsts.update(n for n in getattr(p, "first_names", ()) if " " not in n)
        lasts.update(n for n in getattr(p, "last_names", ()) if " " not in n)
    return sorted(firsts), sorted(lasts)


def version(flats: int) -> str:
    """Names the cached store: the data's parameters, the index DDL, the indexing code."""
    code = "".join(inspect.getsource(f) for f in (
        search_index._documents, search_index.phone_forms, make_rows)) + search_index.CREATE
    migration = Path(search_index.__file__).parent / "migrations/versions/0002_search_index.py"
    digest = hashlib.sha256((code + migration.read_text()).encode()).hexdigest()[:10]
    return f"v1-{flats}-{digest}"


def make_rows(flats_per_site: int, seed: int = 7) -> dict[str, list[tuple]]:
    """Rows for sites, blocks, flats, panel displays, telephones and APasses."""
    rnd = random.Random(seed)
    firsts, lasts = _names()
    per_block = flats_per_site // BLOCKS
    rows: dict[str, list[tuple]] = {k: [] for k in
                                    ("sites", "blocks", "flats", "displays", "phones", "passes")}
    phones: set[str] = set()
    flat_id = block_id = phone_id = pass_id = 0
    next_pass = 1_000_000_000
    for s in range(1, SITES + 1):
        rows["sites"].append((s, f"Estate {s:02d}", "GB", "Europe/London", 50,
                              per_block * BLOCKS, 100_000, per_block * BLOCKS, 0, ""))
        for b in range(BLOCKS):
            block_id += 1
            rows["blocks"].append((block_id, s, f"Block {chr(65 + b)}", None, ""))
            next_pass += rnd.randrange(100, 5000)
            for n in range(1, per_block + 1):
                flat_id += 1
                number = f"{n:04d}"
                rows["flats"].append((flat_id, block_id, number, f"Appt. {number}", n // 40,
                                      None, None, None, "", f"{flat_id:09x}"))
                first, last = rnd.choice(firsts), rnd.choice(lasts)
                name = rnd.choice([f"{first} {last}", f"{last}, {first}", f"{first} {last}"])
                rows["displays"].append((flat_id, name, str(n), None, None, 0, 0, 0))
                for k in range(rnd.choice((1, 1, 1, 2, 2, 1, 1, 1, 2, 1))):
                    value, country = _phone(rnd)
                    while value in phones:
                        value, country = _phone(rnd)
                    phones.add(value)
                    phone_id += 1
                    rows["phones"].append((phone_id, flat_id, "telephone", value, country,
                                           int(country != "GB"), int(k == 0)))
                for _ in range(rnd.choice((1, 1, 1, 1, 2))):
                    pass_id += 1
                    state = "lost" if rnd.random() < 0.03 else "assigned"
                    rows["passes"].append((pass_id, s, str(next_pass), "proximity_fob", "black",
                                           state, block_id, flat_id, f"{first} {last}", None, ""))
                    next_pass += 1
    return rows


def _phone(rnd: random.Random) -> tuple[str, str]:
    r = rnd.random()
    if r < 0.75:
        return f"+447{rnd.randrange(100_000_000, 999_999_999)}", "GB"
    if r < 0.98:
        area = rnd.choice(["20", "161", "113", "121", "131", "141", "1632"])
        return f"+44{area}{rnd.randrange(10 ** (9 - len(area)), 10 ** (10 - len(area)))}", "GB"
    return f"+336{rnd.randrange(10_000_000, 99_999_999)}", "FR"


INSERTS = {
    "sites": "INSERT INTO sites (id, name, default_country, timezone, max_panels, max_flats, "
             "max_foreign_numbers, max_panel_names, residents_dial_to_open, notes) "
             "VALUES (?,?,?,?,?,?,?,?,?,?)",
    "blocks": "INSERT INTO blocks (id, site_id, name, default_access_profile_id, notes) "
              "VALUES (?,?,?,?,?)",
    "flats": "INSERT INTO flats (id, block_id, number, name, floor, code_main_door, "
             "code_aux_relay_1, code_aux_relay_2, notes, temporary_id) "
             "VALUES (?,?,?,?,?,?,?,?,?,?)",
    "displays": "INSERT INTO panel_displays (flat_id, display_name, call_code, "
                "access_profile_id, auto_open_week_type_id, hardwired, name_at_top, "
                "voice_server) VALUES (?,?,?,?,?,?,?,?)",
    "phones": "INSERT INTO telephones (id, flat_id, kind, value, country, \"foreign\", "
              "app_activated) VALUES (?,?,?,?,?,?,?)",
    "passes": "INSERT INTO access_passes (id, site_id, number, type, colour, state, block_id, "
              "flat_id, resident, access_profile_id, notes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
}


async def cached_store(flats: int, fresh: bool, folder: str | None = None
                       ) -> tuple[Path, dict[str, float]]:
    """The store file for this version, built if missing (in the temp folder, or in
    `folder`); and what building it took."""
    where = Path(folder or tempfile.gettempdir())
    path = where / f"doorkeeper-bench-search-{version(flats)}.db"
    if path.exists() and not fresh:
        return path, {}
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for old in where.glob(f"doorkeeper-bench-search-v1-{flats}-*.db*"):
        old.unlink(missing_ok=True)  # an older version's file of the same size
    took: dict[str, float] = {}
    t = time.perf_counter()
    rows = make_rows(flats // SITES)
    took["make rows"] = time.perf_counter() - t
    store = await Store.open(path=path)  # the schema, by the migrations
    await store.close()
    t = time.perf_counter()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")  # a scratch file: rebuilt if a crash spoils it
    con.execute("PRAGMA cache_size = -1048576")
    con.execute("BEGIN")
    for name, sql in INSERTS.items():
        con.executemany(sql, rows[name])
    con.execute("COMMIT")
    con.close()
    took["insert (sqlite3 executemany)"] = time.perf_counter() - t
    store = await Store.open(path=path)
    try:
        t = time.perf_counter()
        indexed = await rebuild(store)
        took["store.search.rebuild"] = time.perf_counter() - t
    finally:
        await store.close()
    if indexed != flats // SITES // BLOCKS * SITES * BLOCKS:
        raise SystemExit(f"rebuild indexed {indexed:,} flats")
    return path, took
