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
numbers: groups of key ranges (each word one, the numbers one) and the checks of a flat's
`doc`, built from tokens only (never syntax): a LIKE and a regular expression per word (a
phrase is consecutive tokens of one column, as in FTS5), a LIKE per number. One statement
(`_SITES`) answers it, site after site in the order SQLite takes them, until the cap: on
each site every group's keys are counted (up to `SITE_DENSE`); with few, the flats
holding keys of each of the rarest words, or of a number, are read in rowid order and
checked; with many (a common word or number: "a", "appt", "+44 7") the site's flats are
walked in rowid order and checked, a match every few rows. In rowid order (every site,
or more than 16) a first count over all the sites together (up to `DENSE`) lets a rare
question be read across them at once rather than site by site.

The rows are written by the unit of work in its own transaction, as on SQLite (the same
`_documents`), and `rebuild_sync` refills both tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
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
    """One token looked for: its keys' ranges, one per column it is looked for in (a
    whole word: the key alone; a prefix: every key that starts with it)."""

    ranges: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, token: str, tags: str, prefix: bool) -> Term:
        return cls(tuple((t + token, _after(t + token) if prefix else t + token + "\x01")
                         for t in tags))


@dataclass(frozen=True)
class Question:
    """What was typed, as the index is asked: `words` (each a list of terms, a phrase)
    all required, or any of `numbers`; `patterns` and `numbers_like` say the same on
    `doc`, and `hints` are what a word's pattern needs (a LIKE far cheaper than it)."""

    words: tuple[tuple[Term, ...], ...]
    numbers: tuple[Term, ...]
    patterns: tuple[str, ...]  # a regular expression per word: all must match
    hints: tuple[str, ...]  # a LIKE per word, its longest token: all must match
    numbers_like: tuple[str, ...]  # a LIKE per number: any may match

    @classmethod
    def of(cls, words: Sequence[str], word_columns: Sequence[str], numbers: Sequence[str],
           prefix: bool) -> Question | None:
        """The question of typed words (in the word columns) and marked numbers; None when
        there is nothing to look for."""
        tags = "".join(TAGS[c] for c in word_columns)
        terms: list[tuple[Term, ...]] = []
        patterns, hints = [], []
        for i, word in enumerate(words if tags else ()):
            toks = tokens(word)
            if not toks:
                continue
            last = prefix and i == len(words) - 1
            terms.append(tuple(Term.of(t, tags, last and k == len(toks) - 1)
                               for k, t in enumerate(toks)))
            end = "" if last else " "
            hints.append(f"%{max(toks, key=len)}%")
            patterns.append("(?:" + "|".join(
                " " + " ".join(tag + t for t in toks) + end for tag in tags) + ")")
        marked = []
        for number in numbers:
            tag, digits = MARKS[number[0]], number[1:]
            if re.fullmatch(r"\d+", digits):
                marked.append((Term.of(digits, tag, prefix),
                               f"% {tag}{digits}{'' if prefix else ' '}%"))
        if not terms and not marked:
            return None
        return cls(tuple(terms), tuple(m[0] for m in marked), tuple(patterns), tuple(hints),
                   tuple(m[1] for m in marked))


_MATCH = ("((cardinality($2::text[]) > 0 AND f.doc LIKE ALL($13::text[]) "
          "AND f.doc ~ ALL($2::text[])) OR f.doc LIKE ANY($3::text[]))")
#: a hit's columns, as store/search.py reads them, and whether the exact question ($11,
#: $12: as $2, $3) matches it too
_COLUMNS = ("f.rowid, f.flat_name, f.residents, f.block_id, f.details, f.flat_number, "
            + _MATCH.replace("$2", "$11").replace("$3", "$12").replace("$13", "$14")
            + " AS exact")
_CHECKED = (f"CROSS JOIN LATERAL (SELECT {_COLUMNS} FROM {TABLE} f WHERE f.rowid = c.rowid "
            f"AND {_MATCH} OFFSET 0) f")  # each candidate read and checked, in c's order
_GROUPED = (f"{TOKENS} t, unnest($4::text[], $5::text[], $8::int[]) AS r(lo, hi, g) "
            "WHERE t.key >= r.lo AND t.key < r.hi AND t.site_id = ANY(s.ids)")
#: Site after site in the order given ($1, each its own segment $10) until the cap ($7),
#: or (when $15: rowid order) all the sites as one segment when their keys are few (`g`:
#: no number has $16 and no word, or some word, has fewer). In each segment every group
#: of ranges ($4, $5, $8: 0 the numbers, 1... a word each) has its keys counted (up to
#: $6 on a site). Where the numbers have fewer and some word has fewer, the flats with
#: keys of each of the rarest words, or of a number, are read in rowid order, each
#: checked; elsewhere the site is walked in rowid order, each flat checked (a common word
#: or number: matches come every few flats).
_SITES = (f"WITH g AS MATERIALIZED (SELECT c.g, (SELECT count(*) FROM (SELECT 1 FROM "
          f"unnest($4::text[], $5::text[], $8::int[]) AS r(lo, hi, g), {TOKENS} t "
          "WHERE r.g = c.g AND t.site_id = ANY($1) AND t.key >= r.lo AND t.key < r.hi "
          "LIMIT $16) x) AS n FROM unnest($9::int[]) AS c(g) WHERE $15), "
          "w AS (SELECT $15 AND coalesce(bool_and(g.n < $16) FILTER (WHERE g.g = 0), true) "
          "AND coalesce(bool_or(g.n < $16) FILTER (WHERE g.g > 0), true) AS together FROM g) "
          "SELECT q.*, b.name, b.site_id, st.name FROM (SELECT f.* "
          "FROM (SELECT x.seg, array_agg(x.id) AS ids, bool_or(x.together) AS "
          f"together, min(x.id)::bigint << {index.SITE_SHIFT} AS lo, "
          f"(max(x.id)::bigint << {index.SITE_SHIFT}) + {index.FLAT_MASK} AS hi "
          "FROM (SELECT CASE WHEN w.together THEN 0 ELSE m.seg END AS seg, m.id, w.together "
          "FROM unnest($1::int[], $10::int[]) AS m(id, seg), w) x GROUP BY x.seg "
          "ORDER BY x.seg) s CROSS JOIN LATERAL (SELECT bit_or(1 << c.g) FILTER (WHERE "
          "c.g > 0 AND c.n < c.lim AND c.n <= 4 * c.least + 100) AS few, (bool_or(c.g > 0) "
          "AND NOT coalesce(bool_or(c.g > 0 AND c.n < c.lim), false)) "
          "OR coalesce(bool_or(c.g = 0 AND c.n >= c.lim), false) AS walk "
          "FROM (SELECT c.g, c2.n, c2.lim, min(c2.n) FILTER (WHERE c.g > 0) OVER () AS least "
          "FROM unnest($9::int[]) AS c(g) CROSS JOIN LATERAL (SELECT CASE WHEN s.together "
          "THEN (SELECT g.n FROM g WHERE g.g = c.g) ELSE (SELECT count(*) FROM "
          f"(SELECT 1 FROM {_GROUPED} AND r.g = c.g LIMIT $6) x) END AS n, "
          "CASE WHEN s.together THEN $16 ELSE $6 END AS lim OFFSET 0) c2) c) d "
          f"CROSS JOIN LATERAL ((SELECT {_COLUMNS} FROM {TABLE} f WHERE d.walk "
          f"AND f.rowid >= s.lo AND f.rowid <= s.hi AND f.site_id = ANY(s.ids) "
          f"AND {_MATCH} ORDER BY f.rowid LIMIT $7) UNION ALL "
          f"(SELECT f.* FROM (SELECT t.rowid FROM {_GROUPED} AND NOT d.walk "
          "AND (r.g = 0 OR (d.few & (1 << r.g)) <> 0) GROUP BY t.rowid "
          "HAVING bool_or(r.g = 0) OR bit_or(1 << r.g) = d.few ORDER BY t.rowid) c "
          f"{_CHECKED} LIMIT $7)) f LIMIT $7) q LEFT JOIN blocks b ON b.id = q.block_id "
          "LEFT JOIN sites st ON st.id = b.site_id")
#: keys in a segment past which a group is common there
SITE_DENSE = 1000
#: keys on all the sites past which a group is common (rowid order only)
DENSE = 2000


def _groups(question: Question) -> list[tuple[int, tuple[str, str]]]:
    """(group, range) of every term: 0 the numbers, 1... each word."""
    groups = [(0, t) for t in question.numbers] + [
        (g, t) for g, word in enumerate(question.words, start=1) for t in word]
    return [(g, r) for g, t in groups for r in t.ranges]


async def matches(con: asyncpg.Connection, question: Question, exact: Question,
                  sites: list[int], in_order: bool, cap: int) -> list[tuple[Any, ...]]:
    """Up to `cap` matching rows, each with whether `exact` matches it too and its block
    (name, site id, site name): site after site in the order given (`in_order`), each in
    rowid order; or in rowid order (the sites by id), all at once when the keys are few."""
    ranges = _groups(question)
    rows = await con.fetch(_SITES, sites, list(question.patterns), list(question.numbers_like),
                           [r[0] for _, r in ranges], [r[1] for _, r in ranges], SITE_DENSE,
                           cap, [g for g, _ in ranges], sorted({g for g, _ in ranges}),
                           list(range(len(sites))), list(exact.patterns),
                           list(exact.numbers_like), list(question.hints), list(exact.hints),
                           not in_order, DENSE)
    return [tuple(r) for r in rows]


async def find(con: asyncpg.Connection, words: Sequence[str], word_columns: Sequence[str],
               numbers: Sequence[str], sites: list[int], max_ranges: int, cap: int
               ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]],
                          dict[int, tuple[Any, ...]], bool]:
    """The search's rows on PostgreSQL, in one REPEATABLE READ snapshot: up to `cap` exact
    and `cap` prefix matches (none of the latter when the exact ones fill the cap), the
    blocks they are on (name, site id, site name), and whether the exact ones filled it.
    Sites are taken as SQLite takes them (store/search.py): every site, or more than
    `max_ranges`, in rowid order; fewer by name."""
    exact_q = Question.of(words, word_columns, numbers, prefix=False)
    prefix_q = Question.of(words, word_columns, numbers, prefix=True)
    if exact_q is None or prefix_q is None:
        return [], [], {}, False
    # One snapshot (asyncpg's own transaction; a search cut mid-way, by the next
    # keystroke, may leave it open: store.search closes that connection). Generic plans: the statements are the same each time, only their
    # arrays differ, and planning them anew cost more than running them; and no hash
    # aggregates: a generic plan sizes their tables for the whole index, on every site.
    async with con.transaction(isolation="repeatable_read", readonly=True):
        await con.execute("SET LOCAL plan_cache_mode = force_generic_plan; "
                          "SET LOCAL enable_hashagg = off")
        named = await con.fetch("SELECT id, (SELECT count(*) FROM sites) FROM sites "
                                "WHERE id = ANY($1) ORDER BY name", sites)
        if not named:
            return [], [], {}, False
        mine = [r[0] for r in named]
        in_order = len(mine) <= max_ranges and named[0][1] != len(mine)
        if not in_order:
            mine.sort()  # rowid order: site after site by id
        # the prefix matches first: when they are fewer than the cap, the exact ones are
        # among them, and the exact question need not be asked (SQLite asks it first)
        prefixed = await matches(con, prefix_q, exact_q, mine, in_order, cap)
        exact = [r for r in prefixed if r[6]]
        if len(prefixed) >= cap:
            exact = await matches(con, exact_q, exact_q, mine, in_order, cap)
        full = len(exact) >= cap
        if full:  # a page of exact matches: the prefix ones would come after it
            prefixed = []
    blocks = {r[3]: r[7:] for r in exact + prefixed if r[8] is not None}
    return [r[:6] for r in exact], [r[:6] for r in prefixed], blocks, full
