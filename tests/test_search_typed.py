"""Whatever is typed into the search: no text makes a bad FTS5 match expression, a search
never raises, and an unknown By is refused with its field."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.search import BY_COLUMNS, match_expression, search
from tests.search_cases import (
    migration_0004,
    people_fixture,  # noqa: F401 - the fixture `people`
)

pytestmark = pytest.mark.both_engines


# --- whatever is typed -------------------------------------------------------------------

def _fts_table() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute(migration_0004().CREATE)
    con.execute("INSERT INTO flat_search (rowid, flat_name, residents, telephones) "
                "VALUES (1, 'Appt. 001', 'NEAR AND OR \"x\"', '447546288399')")
    return con


FTS = _fts_table()
SYNTAX = st.lists(st.sampled_from(list('"*-:()^{}+.,\'/ \x00\t') + [
    "NEAR", "AND", "OR", "NOT", "near", "a", "7", "é", "\u0301", "\u200b", "flat_name"]),
    max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(typed=st.one_of(st.text(max_size=60), SYNTAX), by=st.sampled_from(list(BY_COLUMNS)),
       prefix=st.booleans())
def test_no_text_makes_a_bad_match_expression(typed, by, prefix):
    expr = match_expression(typed, by, prefix)
    if expr is not None:
        FTS.execute("SELECT rowid FROM flat_search WHERE flat_search MATCH ?", (expr,)).fetchall()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(st.text(max_size=30), SYNTAX), by=st.sampled_from(list(BY_COLUMNS)))
async def test_search_never_raises_whatever_is_typed(store, people, typed, by):
    hits = await search(store, typed, by, [people.site.id, people.other.id])
    assert all(h.site in ("Demo Cases", "Harbour View") for h in hits)


async def test_an_unknown_by_is_refused_with_its_field(store, people):
    from core.errors import ValidationError
    with pytest.raises(ValidationError) as err:
        await search(store, "x", "postcode", [people.site.id])
    assert err.value.field == "by"
