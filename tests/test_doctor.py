"""`doorkeeper doctor` on real store files: it names the fault, says what to do, changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3

from console.cli import main
from store.database import Store
from store.spill import SpillJournal, spill_path
from tests.test_event_writer import event
from tests.test_store_faults import damage_index


async def _a_store(path) -> None:
    store = await Store.open(path=path)
    writer = await store.event_writer()
    writer.append_many(event(i) for i in range(50))
    await store.close()


def a_store(path) -> None:
    asyncio.run(_a_store(path))


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_healthy_store(tmp_path, capsys):
    a_store(tmp_path / "s.db")
    assert main(["doctor", "--db", str(tmp_path / "s.db")]) == 0
    out = capsys.readouterr().out
    assert "Integrity check: ok" in out and "(current)" in out


def test_a_damaged_store_is_named_and_left_as_it_was(tmp_path, capsys):
    path = tmp_path / "s.db"
    a_store(path)
    damage_index(path)
    before = digest(path)
    assert main(["doctor", "--db", str(path)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM: The database is damaged" in out and "restore the store" in out
    assert digest(path) == before


def test_a_foreign_wal_is_named(tmp_path, capsys):
    path = tmp_path / "s.db"
    a_store(path)
    other = tmp_path / "other.db"
    a_store(other)
    con = sqlite3.connect(other, isolation_level=None)
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("DELETE FROM events WHERE id % 2 = 0")
    con.execute("CREATE TABLE filler (x)")
    (tmp_path / "s.db-wal").write_bytes((tmp_path / "other.db-wal").read_bytes())
    con.close()
    code = main(["doctor", "--db", str(path)])
    out = capsys.readouterr().out
    assert "-wal file of" in out
    assert code == 1 or "Integrity check: ok" in out  # SQLite may take it whole


def test_an_unknown_schema_and_waiting_events_are_named(tmp_path, capsys):
    path = tmp_path / "s.db"
    a_store(path)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num='9999'")
    journal = SpillJournal(spill_path(path))
    journal.append([event(1), event(2)])
    journal.close()
    assert main(["doctor", "--db", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Schema version 9999 is unknown" in out
    assert "2 events wait in the spill journal" in out
    assert "set aside" not in out
    SpillJournal.damaged_at(spill_path(path)).write_bytes(b'{"at":"2026\n')
    assert main(["doctor", "--db", str(path)]) == 1
    out = capsys.readouterr().out
    assert "1 line of the spill journal could not be read as events and was set aside" in out


def test_not_a_database_and_hostile_names(tmp_path, capsys):
    path = tmp_path / "bad\x1b[2Jname.db"
    path.write_bytes(b"hello")
    assert main(["doctor", "--db", str(path)]) == 1
    out = capsys.readouterr().out
    assert "is not a SQLite database" in out and "\x1b" not in out
    assert main(["doctor", "--db", str(tmp_path / "missing.db")]) == 1
