"""The search index: an SQLite FTS5 table with one row per flat, kept current by the
unit of work (store/search.py asks it questions).

`flat_search` columns (the migration 0002 creates it):
- flat_name, flat_number ("0012 12": the number also without its leading zeros),
- residents: panel display names and APass resident names, one a line,
- telephones: every written form of each number, digits only (E.164 digits,
  national form, national significant number: "447546288399 07546288399
  7546288399"), so whatever a person types matches as a prefix,
- apasses: the flat's APass numbers (assigned or in the lost record),
  numbers and APasses each behind a marker character (TEL, PASS: private-use
  characters, which the tokenizer keeps in the token and nobody types), so that
  "0754" typed as a flat's name never wades through every mobile number, and
  "J" typed as a name never through every APass,
- block_id (unindexed) and details (unindexed JSON: the flat number, the passes
  with their state and resident, the numbers in E.164), so that a search reads
  its hits from the index alone.
The rowid is site id << 32 | flat id: a site is a range of rowids, which FTS5
seeks to, so restricting a search to an operator's sites reads no stored column.

The unit of work notes the flats each transaction touches (adds, updates and
deletes of flats, telephones, panel displays, APasses) and calls `reindex_sync`
for them just before it commits, in that transaction: the index never drifts,
and a rollback leaves it as it was. `rebuild_sync` refills it after bulk loads.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import aiosqlite
import phonenumbers
from sqlalchemy import Connection, CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

from store import aiosqlite_compat

T = TypeVar("T")
TABLE = "flat_search"
COLUMNS = ("flat_name", "flat_number", "residents", "telephones", "apasses")
UNINDEXED = ("block_id", "details")
SITE_SHIFT = 32
FLAT_MASK = (1 << SITE_SHIFT) - 1
CHUNK = 500  # flats re-indexed per statement
#: the table as the newest migration (0004) creates it; rebuild() recreates it from here.
#: Prefix indexes up to 8 characters: a marker and 7 digits, so "+44 1632 9" typed into
#: a million numbers reads one prefix list instead of merging thousands of numbers.
CREATE = f"""
CREATE VIRTUAL TABLE {TABLE} USING fts5(
    {', '.join(COLUMNS)},
    {', '.join(f'{c} UNINDEXED' for c in UNINDEXED)},
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4 5 6 7 8',
    columnsize = 0
)
"""

TEL, PASS = "\ue001", "\ue002"  # the markers of telephone and APass tokens
_NATIONAL_PREFIX: dict[tuple[str, str, int], str] = {}
_COUNTRY_CODES = frozenset(str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def is_search_table(name: str) -> bool:
    """The index and its FTS5 shadow tables (not part of store.tables' metadata)."""
    return name == TABLE or name.startswith(TABLE + "_")


def rowid(site_id: int, flat_id: int) -> int:
    """The index row of a flat: its site in the high bits."""
    return site_id << SITE_SHIFT | flat_id


def _country_code(digits: str) -> str:
    for n in (1, 2, 3):
        if digits[:n] in _COUNTRY_CODES:
            return digits[:n]
    return ""


def phone_forms(e164: str) -> list[str]:
    """The forms a number is written in, digits only: international, national, and the
    national significant number ("447546288399", "07546288399", "7546288399")."""
    digits = re.sub(r"\D", "", e164)
    cc = _country_code(digits)
    if not cc:
        return [digits] if digits else []
    nsn = digits[len(cc):]
    # The national prefix depends on the country and the leading digits: ask phonenumbers
    # once per number range, not once per number (a rebuild formats a million of them).
    key = (cc, nsn[:3], len(nsn))
    prefix = _NATIONAL_PREFIX.get(key)
    if prefix is None:
        try:
            national = re.sub(r"\D", "", phonenumbers.format_number(
                phonenumbers.parse("+" + digits), phonenumbers.PhoneNumberFormat.NATIONAL))
        except phonenumbers.NumberParseException:
            national = nsn
        prefix = national[: len(national) - len(nsn)] if national.endswith(nsn) else ""
        _NATIONAL_PREFIX[key] = prefix
    return list(dict.fromkeys([digits, prefix + nsn, nsn]))


def _documents(con: sqlite3.Connection, where: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Index rows (rowid, COLUMNS, UNINDEXED) of the flats `where` selects."""
    flats: dict[int, dict[str, Any]] = {}
    for fid, number, name, block_id, site_id in con.execute(
            "SELECT f.id, f.number, f.name, f.block_id, b.site_id FROM flats f "
            f"JOIN blocks b ON b.id = f.block_id WHERE {where}", params):
        flats[fid] = {"rowid": rowid(site_id, fid), "name": name, "number": number,
                      "block_id": block_id, "names": [], "passes": [], "phones": []}
    if not flats:
        return []
    sub = where.replace("f.id", "x.flat_id")
    for fid, name in con.execute(f"SELECT x.flat_id, x.display_name FROM panel_displays x "
                                 f"WHERE {sub} ORDER BY x.id", params):
        flats[fid]["names"].append(name)
    for fid, number, state, resident in con.execute(
            f"SELECT x.flat_id, x.number, x.state, x.resident FROM access_passes x "
            f"WHERE {sub} ORDER BY x.number", params):
        if fid in flats:
            flats[fid]["passes"].append((number, state, resident))
            if resident:
                flats[fid]["names"].append(resident)
    for fid, value in con.execute(f"SELECT x.flat_id, x.value FROM telephones x WHERE {sub} "
                                  "AND x.kind = 'telephone' ORDER BY x.id", params):
        flats[fid]["phones"].append(value)
    docs = []
    for f in flats.values():
        short = f["number"].lstrip("0")
        numbers = f"{f['number']} {short}" if short not in ("", f["number"]) else f["number"]
        forms = dict.fromkeys(TEL + x for p in f["phones"] for x in phone_forms(p))
        details = json.dumps({"n": f["number"], "p": f["passes"], "t": f["phones"]},
                             separators=(",", ":"), ensure_ascii=False)
        docs.append((f["rowid"], f["name"], numbers, "\n".join(dict.fromkeys(f["names"])),
                     " ".join(forms), " ".join(PASS + p[0] for p in f["passes"]), f["block_id"],
                     details))
    return docs


_INSERT = (f"INSERT INTO {TABLE} (rowid, {', '.join(COLUMNS + UNINDEXED)}) "
           f"VALUES ({', '.join('?' * (1 + len(COLUMNS) + len(UNINDEXED)))})")


def reindex_sync(con: sqlite3.Connection, flat_ids: Iterable[int]) -> None:
    """Replace the index rows of these flats by what the tables hold now (a deleted flat
    just leaves the index)."""
    ids = sorted(set(flat_ids))
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        docs = _documents(con, f"f.id IN ({', '.join('?' * len(chunk))})", chunk)
        con.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({', '.join('?' * len(docs))})",
                    [d[0] for d in docs])
        gone = sorted(set(chunk) - {d[0] & FLAT_MASK for d in docs})
        if gone:  # deleted flats: their site went with them, so try each site's rowid
            con.execute(f"DELETE FROM {TABLE} WHERE rowid IN (SELECT (s.id << {SITE_SHIFT}) "
                        "| g.value FROM sites s, json_each(?) g)", [json.dumps(gone)])
        con.executemany(_INSERT, docs)


def rebuild_sync(con: sqlite3.Connection, chunk: int = 20_000, recreate: bool = False) -> int:
    """Refill the whole index from the tables (after a bulk load); returns flats indexed.
    `recreate` also drops and creates the table (an index of an older shape)."""
    cache = con.execute("PRAGMA cache_size").fetchone()[0]
    con.execute("PRAGMA cache_size = -262144")  # 256 MiB while it runs: fewer page reloads
    try:
        if recreate:
            con.execute(f"DROP TABLE IF EXISTS {TABLE}")
            con.execute(CREATE)
        con.execute(f"DELETE FROM {TABLE}")
        top = con.execute("SELECT coalesce(max(id), 0) FROM flats").fetchone()[0]
        count = 0
        for lo in range(0, top, chunk):
            docs = _documents(con, "f.id > ? AND f.id <= ?", [lo, lo + chunk])
            con.executemany(_INSERT, docs)
            count += len(docs)
        con.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
    finally:
        con.execute(f"PRAGMA cache_size = {int(cache)}")
    return count


class SqlAlchemyCursor:
    """The two sqlite3 calls the index code makes, over a SQLAlchemy sync connection
    (migrations run there)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Iterable[Any] = ()) -> CursorResult[Any]:
        return self.connection.exec_driver_sql(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        many = list(rows)
        if many:
            self.connection.exec_driver_sql(sql, many)


async def in_thread(conn: AsyncConnection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run `fn(sqlite3 connection)` in the aiosqlite connection's own thread: one hop
    (aiosqlite costs a hop per call; a search wants a few milliseconds in all)."""
    raw = await conn.get_raw_connection()
    aio = raw.driver_connection
    if not isinstance(aio, aiosqlite.Connection):
        raise TypeError(f"in_thread needs an aiosqlite connection, not {type(aio).__name__}")
    return await aiosqlite_compat.run_in_thread(aio, fn)


async def reindex_flats(conn: AsyncConnection, flat_ids: Iterable[int]) -> None:
    """Re-index flats inside the caller's transaction (the unit of work, before commit)."""
    ids = set(flat_ids)
    if ids and conn.dialect.name == "sqlite":
        await in_thread(conn, lambda con: reindex_sync(con, ids))
    elif ids and conn.dialect.name == "postgresql":
        from store import postgres_search  # its twin on PostgreSQL

        await postgres_search.reindex(conn, ids)
