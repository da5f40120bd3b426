"""The event log: appended without waiting, committed in groups, never lost."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

from core.model import Event, EventKind, EventResult
from store.database import Store
from store.events import EventWriter
from store.sqlite import create_sqlite_engine, sqlite_url

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def event(i: int, kind: EventKind = EventKind.OPEN_BY_PROXIMITY_FOB) -> Event:
    return Event(T0 + timedelta(seconds=i), 1, kind, EventResult.OPENING, 7, 2, 3,
                 f"{1111100000 + i}", "Sully Garfield", "", f"APass number : {1111100000 + i}")


def count(path, sql="SELECT count(*) FROM events") -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


async def test_append_returns_at_once_and_flush_makes_it_durable(tmp_path):
    store = await Store.open(path=tmp_path / "e.db")
    writer = await store.event_writer()
    for i in range(5000):
        writer.append(event(i))
    # queuing 5,000 events waited for no commit: all are still queued, none written
    # (how fast appends are is bench_event_append's, not a timed test's)
    assert (writer.pending, writer.batches, count(tmp_path / "e.db")) == (5000, 0, 0)
    await writer.flush()
    assert count(tmp_path / "e.db") == 5000
    assert writer.pending == 0 and writer.batches >= 1
    await store.close()


async def test_an_event_becomes_durable_without_flush(tmp_path):
    """Group commit writes on its own within the flush interval (50 ms by default)."""
    store = await Store.open(path=tmp_path / "e.db")
    writer = await store.event_writer()
    writer.append(event(1))
    deadline = time.monotonic() + 2.0
    while count(tmp_path / "e.db") == 0:
        assert time.monotonic() < deadline, "event not committed by the background writer"
        await asyncio.sleep(0.01)
    await store.close()


async def test_fields_and_ids_round_trip_and_alarms_are_raised(tmp_path):
    store = await Store.open(path=tmp_path / "e.db")
    writer = await store.event_writer()
    events = [event(1), event(2, EventKind.DOOR_FORCED), event(3)]
    writer.append_many(events)
    await writer.flush()
    assert [e.id for e in events] == [1, 2, 3]
    con = sqlite3.connect(tmp_path / "e.db")
    row = con.execute(
        "SELECT at, kind, result, credential, name FROM events WHERE id=1").fetchone()
    assert row == ("2026-11-27 09:00:01.000000", "Open by proximity fob", "Opening",
                   "1111100001", "Sully Garfield")
    assert con.execute("SELECT event_id, kind, acknowledged_at FROM alarms").fetchall() == [
        (2, "Door forced", None)]
    con.close()
    await store.close()


async def test_clean_shutdown_flushes_everything(tmp_path):
    store = await Store.open(path=tmp_path / "e.db")
    writer = await store.event_writer()
    writer.append_many(event(i) for i in range(12_345))
    await store.close()  # no explicit flush
    assert count(tmp_path / "e.db") == 12_345


async def test_a_locked_database_delays_but_loses_nothing(tmp_path):
    """While another process holds the write lock, batches stay queued and are retried."""
    path = tmp_path / "e.db"
    store = await Store.open(path=path)
    await store.close()
    engine = create_sqlite_engine(sqlite_url(path), busy_timeout_ms=20)
    writer = await EventWriter(engine, flush_ms=10).start()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    writer.append_many(event(i) for i in range(100))
    deadline = time.monotonic() + 5
    while writer.failures == 0:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert writer.pending == 100
    blocker.execute("ROLLBACK")
    blocker.close()
    await asyncio.wait_for(writer.flush(), timeout=15)
    await writer.close()
    await engine.dispose()
    assert count(path) == 100


async def test_an_event_the_store_refuses_does_not_block_the_others(tmp_path, caplog):
    store = await Store.open(path=tmp_path / "e.db")
    writer = await store.event_writer()
    bad = event(2)
    bad.kind = "not a kind"  # a faulty driver's event
    writer.append_many([event(1), bad, event(3)])
    await asyncio.wait_for(writer.flush(), timeout=10)
    assert writer.rejected == 1
    assert count(tmp_path / "e.db", "SELECT group_concat(credential) FROM events") == \
        "1111100001,1111100003"
    assert "not a kind" in caplog.text  # kept in the log in full
    await store.close()


def test_a_crash_after_flush_loses_nothing_acknowledged(tmp_path):
    """A process killed (os._exit) right after flush() returns keeps every flushed event."""
    path = tmp_path / "e.db"
    script = textwrap.dedent(f"""
        import asyncio, os
        from tests.test_event_writer import event
        from store.database import Store
        async def main():
            store = await Store.open(path={str(path)!r})
            w = await store.event_writer()
            w.append_many(event(i) for i in range(3000))
            await w.flush()
            print("acknowledged", flush=True)
            for i in range(3000, 4000):   # queued, never acknowledged
                w.append(event(i))
            os._exit(9)
        asyncio.run(main())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert "acknowledged" in out.stdout, out.stderr
    assert out.returncode == 9
    assert count(path) >= 3000
