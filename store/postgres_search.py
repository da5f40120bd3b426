"""The search index on PostgreSQL: the twin of the FTS5 index (store/search_index.py).

One row per flat in `flat_search` (migration 0010), holding what the SQLite index holds
(the flat's name and number, residents, block, the `details` JSON a hit is read from)
and one `tsvector` of the same tokens, folded the same way in Python (lower case, no
accents), each column behind a weight: flat name A, flat number B, residents C, numbers
and APasses D. Telephone and APass tokens carry a word prefix (`tel`, `pas`) in place of
the FTS5 index's private-use markers, which PostgreSQL's parser would drop: so "0754"
typed as a flat's name never wades through the numbers, nor "J" as a name through the
passes, as on SQLite. A GIN index on the tsvector answers whole words and prefixes
(`to_tsquery('simple', 'smi:*C')`); the query is built from the typed words' tokens
only (letters and digits), so nothing typed is ever tsquery syntax.

The rows are written by the unit of work in its own transaction, as on SQLite (the same
`_documents`), and `rebuild` refills the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

from store import search_index as index

TABLE = "flat_search"
CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (rowid bigint PRIMARY KEY, "
          "flat_id integer NOT NULL, site_id integer NOT NULL, block_id integer NOT NULL, "
          "flat_name text NOT NULL, flat_number text NOT NULL, residents text NOT NULL, "
          "details text NOT NULL, doc tsvector NOT NULL)",
          f"CREATE INDEX IF NOT EXISTS ix_flat_search_doc ON {TABLE} USING gin (doc)",
          f"CREATE INDEX IF NOT EXISTS ix_flat_search_flat_id ON {TABLE} (flat_id)")
WEIGHTS = {"flat_name": "A", "flat_number": "B", "residents": "C"}
MARKED = "D"  # telephones and apasses
MARKS = {index.TEL: "tel", index.PASS: "pas"}
_INSERT = (f"INSERT INTO {TABLE} (rowid, flat_id, site_id, block_id, flat_name, flat_number, "
           "residents, details, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
           "setweight(to_tsvector('simple', $9), 'A') || setweight(to_tsvector('simple', $10), "
           "'B') || setweight(to_tsvector('simple', $11), 'C') || "
           "setweight(to_tsvector('simple', $12), 'D'))")


class _Cursor:
    """The sqlite3 calls `search_index._documents` makes, over a SQLAlchemy connection
    to PostgreSQL (`?` placeholders become `$n`)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> CursorResult[Any]:
        numbered = iter(range(1, len(params) + 1))
        sql = re.sub(r"\?", lambda _m: f"${next(numbered)}", sql)
        return self.connection.exec_driver_sql(sql, tuple(params))


def _fold(text: str) -> str:
    from store.search import _fold as fold  # the SQLite search's own folding

    return fold(text)


def _marked(tokens: str) -> str:
    for mark, word in MARKS.items():
        tokens = tokens.replace(mark, word)
    return tokens


def _rows(con: Connection, where: str, params: list[Any]) -> list[tuple[Any, ...]]:
    rows = []
    for rowid, name, numbers, residents, phones, passes, block_id, details in \
            index._documents(_Cursor(con), where, params):  # type: ignore[arg-type]
        rows.append((rowid, rowid & index.FLAT_MASK, rowid >> index.SITE_SHIFT, block_id,
                     name, numbers, residents, details, _fold(name), _fold(numbers),
                     _fold(residents), _marked(f"{phones} {passes}")))
    return rows


def reindex_sync(con: Connection, flat_ids: Iterable[int]) -> None:
    """Replace the rows of these flats by what the tables hold now."""
    ids = sorted(set(flat_ids))
    for i in range(0, len(ids), index.CHUNK):
        chunk = ids[i:i + index.CHUNK]
        con.exec_driver_sql(f"DELETE FROM {TABLE} WHERE flat_id = ANY($1)", (chunk,))
        rows = _rows(con, f"f.id IN ({', '.join('?' * len(chunk))})", chunk)
        if rows:
            con.exec_driver_sql(_INSERT, rows)


def rebuild_sync(con: Connection, chunk: int = 20_000) -> int:
    """Recreate and refill the whole table from the tables (an older shape too); flats
    indexed."""
    con.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
    for statement in CREATE:
        con.exec_driver_sql(statement)
    con.exec_driver_sql(f"DELETE FROM {TABLE}")
    top = con.exec_driver_sql("SELECT coalesce(max(id), 0) FROM flats").scalar() or 0
    count = 0
    for lo in range(0, int(top), chunk):
        rows = _rows(con, "f.id > ? AND f.id <= ?", [lo, lo + chunk])
        if rows:
            con.exec_driver_sql(_INSERT, rows)
        count += len(rows)
    return count


async def reindex(conn: AsyncConnection, flat_ids: Iterable[int]) -> None:
    """Re-index flats inside the caller's transaction (the unit of work, before commit)."""
    ids = set(flat_ids)
    await conn.run_sync(lambda c: reindex_sync(c, ids))


# --- questions ----------------------------------------------------------------------------

def _tokens(word: str) -> list[str]:
    return re.findall(r"[^\W_]+", _fold(word))


def tsquery(words: Sequence[str], word_columns: Sequence[str], numbers: Sequence[str],
            prefix: bool) -> str | None:
    """The tsquery of what was typed: every word (its tokens a phrase) in the word
    columns, the last one a prefix when `prefix`; or any of the marked numbers."""
    parts = []
    weights = "".join(WEIGHTS[c] for c in word_columns)
    phrases = []
    for i, word in enumerate(words):
        tokens = _tokens(word)
        if not tokens:
            continue
        last = prefix and i == len(words) - 1
        phrases.append("(" + " <-> ".join(
            f"{t}:{'*' if last and k == len(tokens) - 1 else ''}{weights}"
            for k, t in enumerate(tokens)) + ")")
    if phrases and weights:
        parts.append("(" + " & ".join(phrases) + ")")
    for number in numbers:
        token = _marked(number)
        if re.fullmatch(r"[a-z]+\d+", token):
            parts.append(f"{token}:{'*' if prefix else ''}{MARKED}")
    return " | ".join(parts) or None


_SELECT = (f"SELECT rowid, flat_name, residents, block_id, details, flat_number FROM {TABLE} "
           "WHERE doc @@ to_tsquery('simple', $1)")


async def matches(conn: AsyncConnection, query: str, sites: list[int], ranges: int,
                  cap: int) -> list[tuple[Any, ...]]:
    """Up to `cap` matching rows on these sites, as the SQLite search takes them: at most
    `ranges` sites are read one after another (in the order given: by name), each a range
    of rowids in rowid order; more are read at once, any `cap` of them (ordering every
    match would read every match: a one-letter prefix matches most flats)."""
    if len(sites) > ranges:
        rows = await conn.exec_driver_sql(f"{_SELECT} AND site_id = ANY($2) LIMIT $3",
                                          (query, sites, cap))
        return [tuple(r) for r in rows]
    found: list[tuple[Any, ...]] = []
    for site in sites:
        rows = await conn.exec_driver_sql(
            f"{_SELECT} AND rowid BETWEEN $2 AND $3 ORDER BY rowid LIMIT $4",
            (query, site << index.SITE_SHIFT, site << index.SITE_SHIFT | index.FLAT_MASK,
             cap - len(found)))
        found += [tuple(r) for r in rows]
        if len(found) >= cap:
            break
    return found
