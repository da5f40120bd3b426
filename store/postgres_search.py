"""The search index on PostgreSQL: the twin of the FTS5 index (store/search_index.py).

Two tables (migration 0012):
- `flat_search`, one row per flat with what the SQLite index holds (the flat's name and
  number, residents, block, the `details` JSON a hit is read from) and `doc`, the flat's
  tokens in order, each tagged with its column: " aappt a0012 b0012 b12 cjohn csmith
  t447546288399 t07546288399 t7546288399 p1111100008 " (a flat name, b flat number,
  c residents, t telephone forms, p APasses). Tokens are folded in Python as for SQLite
  (lower case, no accents) and are letters and digits only, so the tags keep a typed name
  out of the numbers, and a number out of the names, as FTS5's private-use markers do.
- `flat_search_token`, one row per distinct (site, tagged token, flat): its btree on
  (site_id, key COLLATE "C", rowid) answers a typed prefix as a range scan
  (`key >= 'cjo' AND key < 'cjp'`), a whole word as one key; as FTS5's prefix indexes do.

A question (what was typed, `Question`) is every word's tokens as a phrase in the By's
columns, all words required, the last one a prefix as you type; or any of the marked
numbers. It is answered in two steps: `probe` counts, for each token, its keys on the
searched sites (each count stopped at `DENSE`); then a rare question reads the rowids of
its rarest word's keys (and of its numbers) and keeps the flats whose `doc` matches; a
common one ("a", "appt", "+44 7") walks `flat_search` in rowid order and stops at the cap.
Both check the same regular expressions on `doc` (tokens only, never syntax), so both
give FTS5's answers: a phrase is consecutive tokens of one column.

The rows are written by the unit of work in its own transaction, as on SQLite (the same
`_documents`), and `rebuild_sync` refills both tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

from store import search_index as index

TABLE = "flat_search"
TOKENS = "flat_search_token"
CREATE = (f"CREATE TABLE {TABLE} (rowid bigint PRIMARY KEY, flat_id integer NOT NULL, "
          "site_id integer NOT NULL, block_id integer NOT NULL, flat_name text NOT NULL, "
          "flat_number text NOT NULL, residents text NOT NULL, details text NOT NULL, "
          "doc text NOT NULL)",
          f"CREATE INDEX ix_flat_search_flat_id ON {TABLE} (flat_id)",
          f"CREATE TABLE {TOKENS} (site_id integer NOT NULL, key text COLLATE \"C\" NOT NULL, "
          "rowid bigint NOT NULL, PRIMARY KEY (site_id, key, rowid))",
          f"CREATE INDEX ix_flat_search_token_rowid ON {TOKENS} (rowid)")
#: the tag of each column's tokens
TAGS = {"flat_name": "a", "flat_number": "b", "residents": "c", "telephones": "t",
        "apasses": "p"}
MARKS = {index.TEL: "t", index.PASS: "p"}
#: a token with at least this many keys on the searched sites is common: the question is
#: answered by walking the flats in rowid order (each match found among few rows) rather
#: than by reading every key (measured: bench/bench_search_pg.py)
DENSE = 2000
_INSERT = (f"INSERT INTO {TABLE} (rowid, flat_id, site_id, block_id, flat_name, flat_number, "
           "residents, details, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
_INSERT_TOKENS = (f"INSERT INTO {TOKENS} (site_id, key, rowid) "
                  "SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[])")


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


def tokens(text: str) -> list[str]:
    """The tokens FTS5's unicode61 tokenizer makes of folded text: letters and digits."""
    return re.findall(r"[^\W_]+", _fold(text))


def _tagged(text: str, tag: str) -> list[str]:
    return [tag + t for t in tokens(text)]


def document(name: str, numbers: str, residents: str, phones: str, passes: str) -> list[str]:
    """A flat's tagged tokens in order, from its FTS5 row's columns (phones and passes
    with their markers: each marked number becomes that column's tag and its digits)."""
    doc = _tagged(name, "a") + _tagged(numbers, "b") + _tagged(residents, "c")
    for column in (phones, passes):
        for word in column.split():
            tag = MARKS.get(word[:1], "")
            doc += _tagged(word[1:] if tag else word, tag or "c")
    return doc


def _rows(con: Connection, where: str, params: list[Any]
          ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The `flat_search` rows and the `flat_search_token` rows of the flats `where` picks."""
    rows, keys = [], []
    for rowid, name, numbers, residents, phones, passes, block_id, details in \
            index._documents(_Cursor(con), where, params):  # type: ignore[arg-type]
        doc = document(name, numbers, residents, phones, passes)
        site = rowid >> index.SITE_SHIFT
        rows.append((rowid, rowid & index.FLAT_MASK, site, block_id, name, numbers, residents,
                     details, f" {' '.join(doc)} "))
        keys += [(site, key, rowid) for key in sorted(set(doc))]
    return rows, keys


def _write(con: Connection, where: str, params: list[Any]) -> int:
    rows, keys = _rows(con, where, params)
    if rows:
        con.exec_driver_sql(_INSERT, rows)
        con.exec_driver_sql(_INSERT_TOKENS, tuple(list(c) for c in zip(*keys, strict=True)))
    return len(rows)


def reindex_sync(con: Connection, flat_ids: Iterable[int]) -> None:
    """Replace the rows of these flats by what the tables hold now."""
    ids = sorted(set(flat_ids))
    for i in range(0, len(ids), index.CHUNK):
        chunk = ids[i:i + index.CHUNK]
        con.exec_driver_sql(f"DELETE FROM {TOKENS} WHERE rowid IN (SELECT rowid FROM {TABLE} "
                            "WHERE flat_id = ANY($1))", (chunk,))
        con.exec_driver_sql(f"DELETE FROM {TABLE} WHERE flat_id = ANY($1)", (chunk,))
        _write(con, f"f.id IN ({', '.join('?' * len(chunk))})", chunk)


def rebuild_sync(con: Connection, chunk: int = 20_000) -> int:
    """Recreate and refill both tables from the tables (whatever shape they had before:
    0010's tsvector too); flats indexed."""
    con.exec_driver_sql(f"DROP TABLE IF EXISTS {TOKENS}")
    con.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
    for statement in CREATE:
        con.exec_driver_sql(statement)
    top = con.exec_driver_sql("SELECT coalesce(max(id), 0) FROM flats").scalar() or 0
    count = 0
    for lo in range(0, int(top), chunk):
        count += _write(con, "f.id > ? AND f.id <= ?", [lo, lo + chunk])
    con.exec_driver_sql(f"ANALYZE {TABLE}")  # the planner's row counts, at once
    con.exec_driver_sql(f"ANALYZE {TOKENS}")
    return count


async def reindex(conn: AsyncConnection, flat_ids: Iterable[int]) -> None:
    """Re-index flats inside the caller's transaction (the unit of work, before commit)."""
    ids = set(flat_ids)
    await conn.run_sync(lambda c: reindex_sync(c, ids))


# --- questions ----------------------------------------------------------------------------

def _after(key: str) -> str:
    """The first key after every key that starts with `key` (C collation: code points)."""
    return key[:-1] + chr(ord(key[-1]) + 1)


@dataclass(frozen=True)
class Term:
    """One token looked for: its keys' ranges (one per column) and its regular
    expression's piece for each column."""

    ranges: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, token: str, tags: str, prefix: bool) -> Term:
        return cls(tuple((t + token, _after(t + token) if prefix else t + token + "\x01")
                         for t in tags))


@dataclass(frozen=True)
class Question:
    """What was typed, as the index is asked: `words` (each a list of terms, a phrase)
    all required, or any of `numbers`; `patterns` and `numbers_re` say the same on `doc`."""

    words: tuple[tuple[Term, ...], ...]
    numbers: tuple[Term, ...]
    patterns: tuple[str, ...]  # one per word: all must match
    numbers_re: tuple[str, ...]  # any may match

    @classmethod
    def of(cls, words: Sequence[str], word_columns: Sequence[str], numbers: Sequence[str],
           prefix: bool) -> Question | None:
        """The question of typed words (in the word columns) and marked numbers; None when
        there is nothing to look for."""
        tags = "".join(TAGS[c] for c in word_columns)
        terms: list[tuple[Term, ...]] = []
        patterns = []
        for i, word in enumerate(words if tags else ()):
            toks = tokens(word)
            if not toks:
                continue
            last = prefix and i == len(words) - 1
            terms.append(tuple(Term.of(t, tags, last and k == len(toks) - 1)
                               for k, t in enumerate(toks)))
            end = "" if last else " "
            patterns.append("(?:" + "|".join(
                " " + " ".join(tag + t for t in toks) + end for tag in tags) + ")")
        marked = []
        for number in numbers:
            tag, digits = MARKS[number[0]], number[1:]
            if re.fullmatch(r"\d+", digits):
                marked.append((Term.of(digits, tag, prefix), f" {tag}{digits}{'' if prefix else ' '}"))
        if not terms and not marked:
            return None
        return cls(tuple(terms), tuple(m[0] for m in marked), tuple(patterns),
                   tuple(m[1] for m in marked))


_PROBE = (f"SELECT r.i, count(*) FROM unnest($1::text[], $2::text[], $3::int[]) AS r(lo, hi, i) "
          f"CROSS JOIN LATERAL (SELECT 1 FROM {TOKENS} t WHERE t.site_id = ANY($4) "
          "AND t.key >= r.lo AND t.key < r.hi LIMIT $5) x GROUP BY r.i")
_COLUMNS = "f.rowid, f.flat_name, f.residents, f.block_id, f.details, f.flat_number"
_MATCH = ("((cardinality($2::text[]) > 0 AND f.doc ~ ALL($2::text[])) "
          "OR f.doc ~ ANY($3::text[]))")
#: a rare question: the rowids of some keys, in the sites' order, each flat's doc checked
_RARE = (f"SELECT {_COLUMNS} FROM (SELECT DISTINCT t.rowid, "
         "coalesce(array_position($4::int[], t.site_id), 0) AS o "
         f"FROM {TOKENS} t, unnest($5::text[], $6::text[]) AS r(lo, hi) "
         "WHERE t.site_id = ANY($1) AND t.key >= r.lo AND t.key < r.hi ORDER BY o, t.rowid) c "
         f"CROSS JOIN LATERAL (SELECT {_COLUMNS} FROM {TABLE} f WHERE f.rowid = c.rowid "
         f"AND {_MATCH} OFFSET 0) f LIMIT $7")
#: a common question: the flats walked in rowid order, range after range
_COMMON = (f"SELECT {_COLUMNS} FROM unnest($4::bigint[], $5::bigint[]) AS r(lo, hi) "
           f"CROSS JOIN LATERAL (SELECT {_COLUMNS} FROM {TABLE} f WHERE f.rowid >= r.lo "
           f"AND f.rowid <= r.hi AND f.site_id = ANY($1) AND {_MATCH} ORDER BY f.rowid "
           "LIMIT $6) f LIMIT $6")


async def probe(conn: AsyncConnection, questions: Iterable[Question], sites: list[int]
                ) -> dict[Term, int]:
    """How many keys each term of these questions has on these sites (at most `DENSE`
    per column): one statement for all."""
    terms = list(dict.fromkeys(t for q in questions for t in (*[t for w in q.words for t in w],
                                                               *q.numbers)))
    ranges = [(lo, hi, i) for i, t in enumerate(terms) for lo, hi in t.ranges]
    counts = dict(tuple(r) for r in await conn.exec_driver_sql(_PROBE, (
        [r[0] for r in ranges], [r[1] for r in ranges], [r[2] for r in ranges], sites,
        DENSE)))
    return {t: counts.get(i, 0) for i, t in enumerate(terms)}


async def matches(conn: AsyncConnection, question: Question, counts: dict[Term, int],
                  sites: list[int], in_order: bool, cap: int) -> list[tuple[Any, ...]]:
    """Up to `cap` matching rows on these sites, as the SQLite search takes them: in rowid
    order, or (`in_order`) site after site in the order given, each in rowid order."""
    rarest = min((min(w, key=lambda t: counts[t]) for w in question.words),
                 key=lambda t: counts[t], default=None)
    common = ((rarest is not None and counts[rarest] >= DENSE)
              or any(counts[t] >= DENSE for t in question.numbers))
    shared = (sites, list(question.patterns), list(question.numbers_re))
    if common:
        spans = ([(s << index.SITE_SHIFT, s << index.SITE_SHIFT | index.FLAT_MASK) for s in sites]
                 if in_order else [(0, (1 << 63) - 1)])
        rows = await conn.exec_driver_sql(_COMMON, (*shared, [s[0] for s in spans],
                                                    [s[1] for s in spans], cap))
    else:
        ranges = [r for t in ([rarest] if rarest else []) + list(question.numbers)
                  for r in t.ranges]
        rows = await conn.exec_driver_sql(_RARE, (*shared, sites if in_order else [],
                                                  [r[0] for r in ranges],
                                                  [r[1] for r in ranges], cap))
    return [tuple(r) for r in rows]
