"""The guide's search (section 10, "How to use the search function"): In (all my
sites or one), By (name of resident, name of flat, telephone number, APasses, or
anything), Keyword; results Site, Block, Flat, Access Pass, Resident.

Over the FTS5 index of store/search_index.py. Typed text becomes a MATCH
expression in which every word is a quoted string, so quotes, `*`, `NEAR`, `-`,
`:` or parentheses are only ever data; the last word also matches as a prefix
(search as you type). A telephone number matches in any written form ("+44 7546
288399", "07546 288399", "00447546288399", "7546288399", or the start of one).
Exact matches come first, then by site, block and flat. The whole search runs in
the connection's own thread in one hop. On PostgreSQL the same questions go to its
twin, store/postgres_search.py (a btree of tagged tokens: prefixes are range scans).
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from core.errors import StoreError, ValidationError
from core.views.search_rows import BY_FIELDS, SearchHit, SearchResults
from store import postgres_search as pg
from store.search_index import (
    FLAT_MASK,
    PASS,
    SITE_SHIFT,
    TABLE,
    TEL,
    in_thread,
    phone_forms,
    rebuild_sync,
    rowid,
)
from store.sqlite import is_sqlite

if TYPE_CHECKING:
    from store.database import Store

By = Literal["resident", "flat", "telephone", "apass", "any"]
BY_COLUMNS = BY_FIELDS
#: an operator with at most this many sites (and not all of them) has them searched one
#: rowid range at a time, in name order; more are filtered on the rowid
MAX_RANGES = 16
MAX_WORDS = 12
MAX_TEXT = 200


async def rebuild(store: Store) -> int:
    """Recreate and refill the whole index in one transaction (after bulk loads, or to
    repair it); returns how many flats it holds."""
    _require_index(store)
    if not is_sqlite(store.url):
        async with store.engine.begin() as conn:
            return await conn.run_sync(pg.rebuild_sync)
    async with store.engine.connect() as conn:
        conn = await conn.execution_options(write=True)
        async with conn.begin():
            return await in_thread(conn, lambda con: rebuild_sync(con, recreate=True))


# --- what the user typed -----------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    """Lower case without accents, as the index's tokenizer compares."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> list[str]:
    words = [w for w in _CONTROL.sub(" ", text[:MAX_TEXT]).split() if any(c.isalnum() for c in w)]
    return words[:MAX_WORDS]


def _phone_digits(text: str) -> str:
    """Digits of a typed number, international ones without their "+" or "00", and without
    the "(0)" some write after the country code."""
    text = text[:MAX_TEXT].replace("(0)", "")
    digits = re.sub(r"\D", "", text)
    return digits[2:] if digits.startswith("00") else digits


def _phrase(text: str, star: bool) -> str:
    """An FTS5 string: whatever is inside is data, never syntax."""
    return '"' + text.replace('"', '""') + '"' + ("*" if star else "")


def looks_numeric(text: str) -> bool:
    """Typed text that is a number as people write one ("07546 277360", "+44 (0)7546 277360"),
    not a word with digits in it ("Flat 20", "smith15")."""
    return bool(re.fullmatch(r"[\d\s+\-().\u00a0/]*\d[\d\s+\-().\u00a0/]*", text))


def _looked_for(text: str, by: str, columns: frozenset[str] | None
                ) -> tuple[list[str], list[str], list[str]]:
    """What typed text looks for: its words, the word columns they are looked for in, and
    the marked numbers (TEL or PASS + digits) looked for in the number columns."""
    if by not in BY_COLUMNS:
        raise ValidationError(f"Search by {by!r}? Choose one of {', '.join(BY_COLUMNS)}.",
                              field="by")
    cols = [c for c in BY_COLUMNS[by] if columns is None or c in columns]
    raw = re.sub(r"\D", "", text[:MAX_TEXT])
    digits = _phone_digits(text)
    words = [] if by in ("telephone", "apass") else _words(text)
    word_cols = [c for c in cols if c not in ("telephones", "apasses")]
    numbers = []
    numeric = by in ("telephone", "apass") or (raw and looks_numeric(text[:MAX_TEXT]))
    if numeric and "telephones" in cols:
        marked = dict.fromkeys([digits] + ([raw] if by == "any" else []))
        numbers += [TEL + d for d in marked if d]
    if numeric and "apasses" in cols and raw:
        numbers.append(PASS + raw)
    return words, word_cols, numbers


def match_expression(text: str, by: str, prefix: bool,
                     columns: frozenset[str] | None = None) -> str | None:
    """A safe FTS5 MATCH expression for typed text (the last word a prefix when `prefix`),
    looking only in `columns` of those `by` names (None: all of them), or None when
    there is nothing to look for."""
    words, word_cols, numbers = _looked_for(text, by, columns)
    parts = []
    if words and word_cols:
        body = " ".join(_phrase(w, prefix and i == len(words) - 1) for i, w in enumerate(words))
        # the marked columns never hold a plain word: "any" needs no column filter
        parts.append(f"({body})" if by == "any" and len(word_cols) == 3
                     else f"{{{' '.join(word_cols)}}} : ({body})")
    parts += [_phrase(n, prefix) for n in numbers]
    return " OR ".join(parts) or None


# --- results -----------------------------------------------------------------------------


def _require_index(store: Store) -> None:
    if store.engine.dialect.name not in ("sqlite", "postgresql"):
        raise StoreError("Search needs the SQLite or PostgreSQL search index; this store is "
                         f"{store.engine.dialect.name}.")


@dataclass(frozen=True)
class Query:
    """What was typed: MATCH expressions, and the words and digits that pick out the
    passes, names and numbers a hit shows."""

    by: str
    exact: str | None
    prefix: str | None
    words: tuple[str, ...]
    digits: tuple[str, ...]
    looked_for: tuple[list[str], list[str], list[str]] = ([], [], [])

    @classmethod
    def of(cls, text: str, by: str, columns: frozenset[str] | None = None) -> Query:
        digits = {_phone_digits(text), re.sub(r"\D", "", text[:MAX_TEXT])}
        return cls(by, match_expression(text, by, prefix=False, columns=columns),
                   match_expression(text, by, prefix=True, columns=columns),
                   tuple(_fold(w) for w in _words(text)), tuple(d for d in digits if d),
                   _looked_for(text, by, columns))


async def search(store: Store, text: str, by: str, site_ids: Iterable[int],
                 limit: int = 50, columns: frozenset[str] | None = None) -> SearchResults:
    """Flats of these sites matching typed text: exact matches first, then by site, block
    and flat. At most `limit` exact and `limit` prefix matches are read (`capped` says
    there were more)."""
    _require_index(store)
    query = Query.of(text, by, columns)
    sites = sorted({int(s) for s in site_ids})
    if query.prefix is None or not sites or limit < 1:
        return SearchResults()
    if not is_sqlite(store.url):
        async with store.engine.connect() as conn:
            raw = await conn.get_raw_connection()  # asyncpg's own: one hop a statement
            try:
                exact, prefixed, blocks, full = await pg.find(
                    raw.driver_connection, *query.looked_for, sites, MAX_RANGES, limit)
            except BaseException:
                # cut mid-way (the next keystroke cancels it): asyncpg's own read-only
                # transaction may still be open on this connection, which SQLAlchemy does
                # not know of; the pool must never hand it to a writer, so it is closed
                await asyncio.shield(conn.invalidate())
                raise
        rows = {r[0]: r for r in exact + prefixed}
        return _ranked(exact, prefixed, rows, blocks, query, limit, full)
    async with store.engine.connect() as conn:
        return await in_thread(conn, lambda con: _search_sync(con, query, sites, limit))


def _search_sync(con: sqlite3.Connection, query: Query, sites: list[int],
                 limit: int) -> SearchResults:
    prefix = query.prefix
    if prefix is None:  # search() answers those without the index
        return SearchResults()
    con.execute("BEGIN")  # one snapshot for the matches and the names
    try:
        mine = [r[0] for r in con.execute(
            f"SELECT id FROM sites WHERE id IN ({', '.join('?' * len(sites))}) ORDER BY name",
            sites)]
        every = con.execute("SELECT count(*) FROM sites").fetchone()[0] == len(mine)
        exact = _matches(con, query.exact, mine, every, limit) if query.exact else []
        # a page of exact matches needs no prefix matches: they would come after it
        full = len(exact) >= limit
        prefixed = [] if full else _matches(con, prefix, mine, every, limit)
        rows = {r[0]: r for r in exact + prefixed}
        blocks = {r[0]: r[1:] for r in con.execute(
            "SELECT b.id, b.name, s.id, s.name FROM blocks b JOIN sites s ON s.id = b.site_id "
            f"WHERE b.id IN ({', '.join('?' * len(rows))})", [r[3] for r in rows.values()])}
    finally:
        con.execute("COMMIT")
    return _ranked(exact, prefixed, rows, blocks, query, limit, full)


def _ranked(exact: list[tuple[Any, ...]], prefixed: list[tuple[Any, ...]],
            rows: dict[int, tuple[Any, ...]], blocks: dict[int, tuple[Any, ...]], query: Query,
            limit: int, full: bool) -> SearchResults:
    """Exact matches first, then by site, block and flat; at most `limit`."""
    first = {r[0] for r in exact}
    ranked = sorted((r for r in rows.values() if r[3] in blocks), key=lambda r: (
        r[0] not in first, blocks[r[3]][2].casefold(), blocks[r[3]][0].casefold(),
        r[5].split(" ")[0], r[0] & FLAT_MASK))
    return SearchResults([_hit(r, r[0] in first, blocks[r[3]], query) for r in ranked[:limit]],
                         capped=full or len(prefixed) >= limit)


def _matches(con: sqlite3.Connection, match: str, sites: list[int], every: bool,
             cap: int) -> list[tuple[Any, ...]]:
    """Up to `cap` matching index rows on these sites (taken site by site, by name)."""
    sql = (f"SELECT rowid, flat_name, residents, block_id, details, flat_number FROM {TABLE} "
           f"WHERE {TABLE} MATCH ?")
    if every:
        return con.execute(f"{sql} LIMIT ?", (match, cap)).fetchall()
    if len(sites) > MAX_RANGES:
        in_sites = ", ".join(map(str, sites))  # ints from the sites table
        return con.execute(f"{sql} AND (rowid >> {SITE_SHIFT}) IN ({in_sites}) LIMIT ?",
                           (match, cap)).fetchall()
    found: list[tuple[Any, ...]] = []
    for site in sites:
        found += con.execute(f"{sql} AND rowid >= ? AND rowid <= ? LIMIT ?",
                             (match, rowid(site, 0), rowid(site, FLAT_MASK), cap - len(found)))
        if len(found) >= cap:
            break
    return found


@lru_cache(maxsize=8192)
def _tokens(name: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", _fold(name)))


_forms = lru_cache(maxsize=8192)(phone_forms)


def _distinct_people(names: list[str]) -> list[str]:
    """"Smith, John" on the panel and "John Smith" on his pass are one resident."""
    seen: set[frozenset[str]] = set()
    out = []
    for name in names:
        key = frozenset(_tokens(name))
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out


def _hit(row: tuple[Any, ...], exact: bool, block: tuple[Any, ...], query: Query) -> SearchHit:
    """A hit, with the passes, names and numbers that made it match picked out."""
    key, flat, residents, block_id, details, _ = row
    block_name, site_id, site = block
    d = json.loads(details)
    by = query.by
    words = query.words if by in ("resident", "any") else ()
    pass_digits = query.digits if by in ("apass", "any") else ()
    phone_digits = query.digits if by in ("telephone", "any") else ()
    matched: dict[str, bool] = {}

    def name_matches(n: str) -> bool:
        if n not in matched:
            matched[n] = any(t.startswith(w) for t in _tokens(n) for w in words)
        return matched[n]

    names = _distinct_people(residents.split("\n")) if residents else []
    passes = [p for p in d["p"] if (pass_digits and p[0].startswith(pass_digits))
              or (words and name_matches(p[2]))]
    if not passes:
        passes = [p for p in d["p"] if p[1] == "assigned"]
    phones = [v for v in d["t"] if any(f.startswith(phone_digits) for f in _forms(v))
              ] if phone_digits else []
    matching = [n for n in names if name_matches(n)] if words else []
    return SearchHit(site_id, site, block_id, block_name, key & FLAT_MASK, flat, d["n"],
                     tuple(p[0] for p in passes), tuple(p[0] for p in passes if p[1] == "lost"),
                     tuple(matching or names), tuple(phones), exact)
