"""Store faults a site meets: each refuses writes, raises a named fault, and loses nothing.

Real SQLite files throughout: a page overwritten in the file, a stale `-wal` beside a
copied store, a real full disk (a 3 MB tmpfs mounted for the test; skipped where the
test may not mount one), and a write lock held by another connection.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import SAWarning

from core.config import StoreConfig
from core.errors import StoreBusy
from core.model import Block, Event, EventKind, EventResult
from core.services import blocks
from store.database import Store
from store.events import EventWriter
from store.faults import store_fault
from store.spill import SpillJournal, spill_path
from tests.test_event_writer import count, event

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class Announced:
    """What the writer announced as durable, and the faults it reported."""

    def __init__(self, writer: EventWriter) -> None:
        self.events: list[Event] = []
        self.faults: list[str | None] = []
        writer.on_durable = self.events.extend
        writer.on_fault = self.faults.append


async def open_writer(path: Path, **options) -> tuple[Store, EventWriter, Announced]:
    store = await Store.open(path=path)
    writer = await store.event_writer()
    for key, value in options.items():
        setattr(writer, key, value)
    return store, writer, Announced(writer)


def damage_index(path: Path) -> None:
    """Overwrite the root page of the events' (site, at) index with garbage."""
    con = sqlite3.connect(path)
    root, = con.execute("SELECT rootpage FROM sqlite_master WHERE name='ix_events_site_at'"
                        ).fetchone()
    size, = con.execute("PRAGMA page_size").fetchone()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xa5" * size)


async def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_damaged_page_is_a_named_fault_and_the_events_wait_in_the_journal(tmp_path):
    path = tmp_path / "e.db"
    store, writer, seen = await open_writer(path)
    writer.append_many(event(i) for i in range(10))
    await writer.flush()
    await store.close()
    damage_index(path)

    store, writer, seen = await open_writer(path)
    writer.append_many(event(i) for i in range(10, 60))
    await writer.flush(timeout=10)  # durable: in the journal, not in the store
    assert seen.faults == ["database damaged"]
    assert [e.credential for e in seen.events] == [event(i).credential for i in range(10, 60)]
    assert writer.rejected == 0  # never mistaken for malformed events
    assert SpillJournal(spill_path(path)).events == 50
    await store.close()
    assert spill_path(path).exists()  # kept for the replay once the store is repaired


async def test_a_stale_wal_beside_a_copied_store_is_a_named_fault(tmp_path):
    """A store copied, used on its own, then given the -wal of the original (taken
    when its pages were still in the WAL): SQLite applies frames of another history."""
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    store, writer, _ = await open_writer(live)
    writer.append_many(event(i) for i in range(3000))
    await store.close()
    shutil.copy(live, copy)
    con = sqlite3.connect(live, isolation_level=None)
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("UPDATE events SET description='changed' WHERE id % 7 = 0")
    stale_wal = Path(f"{live}-wal").read_bytes()
    con.close()
    con = sqlite3.connect(copy, isolation_level=None)
    con.execute("DELETE FROM events WHERE id BETWEEN 1000 AND 2500")
    con.execute("VACUUM")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    Path(f"{copy}-wal").write_bytes(stale_wal)

    store, writer, seen = await open_writer(copy)
    writer.append_many(event(i) for i in range(5000, 5300))
    await writer.flush(timeout=10)
    assert seen.faults == ["database damaged"]
    assert len(seen.events) == 300 and writer.rejected == 0
    assert SpillJournal(spill_path(copy)).events == 300
    await store.close()


async def test_the_journal_is_replayed_in_order_without_duplicates(tmp_path):
    path = tmp_path / "e.db"
    store, writer, _ = await open_writer(path)
    writer.append_many(event(i) for i in range(5))
    await writer.flush()
    await store.close()
    # a replay cut short: events 3 and 4 reached the store, the journal was not emptied
    journal = SpillJournal(spill_path(path))
    journal.append([event(i) for i in range(3, 9)])
    journal.close()
    store, writer, seen = await open_writer(path)
    await wait_until(lambda: writer.replayed == 6)
    await store.close()
    con = sqlite3.connect(path)
    assert [c for c, in con.execute("SELECT credential FROM events ORDER BY id")] == [
        event(i).credential for i in range(9)]
    con.close()
    assert not spill_path(path).exists()


async def test_a_line_of_the_journal_that_is_no_event_is_set_aside_not_fatal(tmp_path):
    """A line torn by a crash, or bytes damaged on disk, made the event writer die at
    every replay (restarted, dying again): the other events never reached the store."""
    path = tmp_path / "e.db"
    store, _, _ = await open_writer(path)
    await store.close()
    torn, damaged = b'{"at":"2026-11-27T09:00', b"\xa9\xff garbage"
    journal = SpillJournal(spill_path(path))
    journal.append([event(1)])
    os.pwrite(journal._fd, torn + b"\n" + damaged + b"\n", journal._end)
    journal._end += len(torn) + len(damaged) + 2
    journal.append([event(2)])
    journal.close()
    told: list[str] = []
    store, writer, _ = await open_writer(path, on_set_aside=told.append)
    await wait_until(lambda: writer.replayed == 2)
    writer.journal.read()  # read again: told once, kept once
    await store.close()
    con = sqlite3.connect(path)
    assert [c for c, in con.execute("SELECT credential FROM events ORDER BY id")] == [
        event(1).credential, event(2).credential]
    assert len(told) == 1 and told[0].startswith("Events set aside: 2 lines of the spill")
    con.close()
    kept = spill_path(path).with_name(spill_path(path).name + ".damaged")
    assert kept.read_bytes() == torn + b"\n" + damaged + b"\n"
    assert kept.stat().st_mode & 0o777 == 0o640
    assert not spill_path(path).exists()


async def test_a_write_lock_held_too_long_is_a_fault_and_nothing_waits_for_it(tmp_path):
    path = tmp_path / "e.db"
    store, writer, seen = await open_writer(path, fault_after_s=0.3)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        writer.append_many(event(i) for i in range(30))
        started = asyncio.get_running_loop().time()
        await writer.flush(timeout=5)
        assert asyncio.get_running_loop().time() - started < 1.0  # the journal took them
        assert len(seen.events) == 30 and count(path) == 0
        writer.append(event(30))  # the lock lasts: it becomes a fault
        await wait_until(lambda: seen.faults == ["locked too long"])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await wait_until(lambda: seen.faults == ["locked too long", None])
    await writer.flush()
    assert count(path) == 31
    await store.close()


async def test_a_service_call_meeting_a_held_lock_is_refused_by_name(store, admin, estate):
    await store.close()  # the same file, opened by a desk that waits 0.3 s, not 5
    store = await Store.open(StoreConfig(busy_timeout_ms=300), path=store.where, migrate=False)
    blocker = sqlite3.connect(store.where, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SAWarning)  # "non-checked-in connection"
            for _ in range(3):
                with pytest.raises(StoreBusy, match="busy"):
                    await blocks.create_block(store.uow(), admin, Block(estate.site.id, "Annex"))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.engine.pool.checkedout() == 0  # every connection went back to the pool
    created = await blocks.create_block(store.uow(), admin, Block(estate.site.id, "Annex"))
    assert created.id is not None
    await store.close()


def test_an_operational_error_is_a_fault_and_a_constraint_is_not():
    assert store_fault(sqlite3.OperationalError("database or disk is full")) == "disk full"
    assert store_fault(sqlite3.DatabaseError("database disk image is malformed")) == \
        "database damaged"
    assert store_fault(sqlite3.OperationalError("attempt to write a readonly database")) == \
        "read-only"
    assert store_fault(sqlite3.IntegrityError("NOT NULL constraint failed")) is None
    assert store_fault(AttributeError("'str' object has no attribute 'value'")) is None


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs: a real disk that fills up (room, once freed, for the store with its
    journal, WAL and the events' eight indexes)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


async def test_a_full_disk_is_a_named_fault_and_the_journal_holds_the_events(small_disk):
    path = small_disk / "e.db"
    store, writer, seen = await open_writer(path)
    writer.append_many(event(i) for i in range(10))
    await writer.flush()
    assert os.path.getsize(spill_path(path)) > 0  # space reserved while there was some
    filler = fill(small_disk)
    big = [Event(T0 + timedelta(seconds=i), 1, EventKind.TAMPER, EventResult.ALARM,
                 description="d" * 300, credential=str(i)) for i in range(3000)]
    writer.append_many(big)
    await wait_until(lambda: writer.spilled > 0)
    assert seen.faults[0] == "disk full" and writer.lost == 0
    assert 0 < len(seen.events) - 10 <= writer.spilled  # announced: what the journal holds
    filler.unlink()  # space again: the journal goes into the store, then the rest
    await writer.flush(timeout=30)
    await wait_until(lambda: writer.spilled == writer.replayed and seen.faults[-1] is None)
    assert len(seen.events) == 3010
    await store.close()
    assert count(path) == 3010
    assert count(path, "SELECT count(DISTINCT at || credential) FROM events") == 3010


async def test_a_desk_waits_while_the_event_writer_holds_the_write_intent(store, admin, estate):
    """The order, not a timing: a desk's unit of work begins only once the intent is let go."""
    from store.write_gate import WriteGate

    gate = WriteGate(store.where)  # the event writer's own open file
    with gate.intent():
        uow = store.uow()
        begun = asyncio.create_task(uow.begin())
        for _ in range(20):
            await asyncio.sleep(0.005)
        assert not begun.done()
    await asyncio.wait_for(begun, 5)
    await uow.rollback()
    gate.close()
