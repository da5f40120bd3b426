"""`add_all` on SQLite: one executemany, and every object gets the id of its own row (the
ids are worked out, then checked against the table, never assumed)."""

from __future__ import annotations

import sqlite3

import pytest

from core.model import Telephone, TelephoneKind


def emails(flat_id: int, n: int, tag: str) -> list[Telephone]:
    return [Telephone(flat_id, TelephoneKind.EMAIL, f"{tag}{i}@example.org") for i in range(n)]


async def test_each_object_gets_the_id_of_its_own_row(store, estate):
    flat = estate.flats[0]
    first, second = emails(flat.id, 40, "a"), emails(flat.id, 3, "b")
    async with store.uow() as uow:
        await uow.add_all(first)
        await uow.add_all(second)
        await uow.commit()
    con = sqlite3.connect(store.engine.url.database)
    stored = dict(con.execute("SELECT id, value FROM telephones").fetchall())
    con.close()
    for phone in first + second:
        assert stored[phone.id] == phone.value
    assert len({p.id for p in first + second}) == 43


async def test_ids_sqlite_did_not_give_in_order_are_an_error_not_a_guess(store, estate):
    """At the largest rowid SQLite picks new ids at random: add_all says so and the unit of
    work writes nothing."""
    flat = estate.flats[0]
    con = sqlite3.connect(store.engine.url.database)
    con.execute("INSERT INTO telephones (id, flat_id, kind, value, country, \"foreign\", "
                "app_activated) VALUES (9223372036854775807, ?, 'email', 'x@example.org', '', "
                "0, 0)", (flat.id,))
    con.commit()
    before = con.execute("SELECT count(*) FROM telephones").fetchone()[0]
    with pytest.raises(RuntimeError, match="telephones: 5 rows inserted"):
        async with store.uow() as uow:
            await uow.add_all(emails(flat.id, 5, "c"))
            await uow.commit()
    assert con.execute("SELECT count(*) FROM telephones").fetchone()[0] == before
    con.close()
