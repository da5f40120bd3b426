"""A site gateway while PostgreSQL (the centre) is away: doors keep deciding from memory,
events wait in the local spill journal, a "Centre unreachable" alarm is raised, and once
the server is back every event is stored exactly once, in order. And the exactly-once
rule itself: a journal replayed again after a crash between the store's commit and the
journal's clearing stores nothing twice (both engines)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from console.headless.gateway import Gateway, GatewayOptions
from core.config import Config, DriverConfig, StoreConfig
from core.devices import OpenDoor
from core.model import Event, EventKind, EventResult
from core.services import access_passes, operators
from core.services.base import Actor
from store import tables as t
from store.database import Store
from store.events import EventWriter
from store.spill import UNREACHABLE, SpillJournal
from tests import pg
from tests.conftest import build_small_estate, eventually, fixed_clock


@pytest.fixture
def own_cluster():
    """A cluster of this test's own, to stop and start (the run's is shared)."""
    if not pg.available():
        pytest.skip("PostgreSQL's binaries are missing")
    cluster = pg.Cluster.start()
    yield cluster
    cluster.stop()


def pg_ctl(cluster: pg.Cluster, *args: str) -> None:
    cluster._run([*pg._as_user(), pg.pg_bin("pg_ctl") or "pg_ctl", "-D", str(cluster.data),
                  *args])


def restart(cluster: pg.Cluster) -> None:
    pg_ctl(cluster, "-o", f"-k {cluster.socket} -c listen_addresses=''", "-l",
           str(cluster.log), "-w", "start")


def opened(drv) -> int:
    return sum(isinstance(c, OpenDoor) for c in drv.commands)


async def rows(store: Store, *columns):
    async with store.engine.connect() as conn:
        return (await conn.execute(select(*columns).order_by(t.events.c.id))).all()


async def test_doors_keep_deciding_while_the_centre_is_away_and_every_event_is_stored_once(
        own_cluster, tmp_path):
    # a commit must survive `-m immediate`: the run's clusters commit asynchronously
    # (synchronous_commit=off), so this one starts again with PostgreSQL's defaults
    pg_ctl(own_cluster, "-m", "fast", "-w", "stop")
    restart(own_cluster)
    url = pg.url(own_cluster.socket, "postgres")
    store = await Store.open(StoreConfig(url=url, path=str(tmp_path / "doorkeeper.db"),
                                         busy_timeout_ms=1000))
    op = await operators.bootstrap_admin(store.uow(), "admin@test.example")
    admin = Actor(op, source="test", clock=fixed_clock)
    estate = await build_small_estate(store, admin)
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             1, flat_id=estate.flats[0].id)
    config = Config()
    config.bus.path = url
    config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
    gw = Gateway(config, store, GatewayOptions(sites=["Demo Cases"]))
    await gw.start()
    try:
        drv, writer = gw.drivers[0], gw.writer
        assert writer is not None and writer.journal is not None
        assert writer.journal.path == tmp_path / f"doorkeeper.pg.sites-{estate.site.id}.events-spill"
        for _ in range(3):
            drv.present("1111100000", estate.panel.id)
        await writer.flush()
        pg_ctl(own_cluster, "-m", "immediate", "-w", "stop")
        for _ in range(10):  # while away: decided from memory, the relay driven
            drv.present("1111100000", estate.panel.id)
            await asyncio.sleep(0.05)
        assert opened(drv) == 13
        await eventually(lambda: writer.fault == UNREACHABLE and writer.journal.events >= 10,
                         timeout=10)
        restart(own_cluster)
        await eventually(lambda: writer.journal.events == 0 and writer.fault is None,
                         timeout=20)
        await writer.flush()
        e = t.events.c
        stored = await rows(store, e.kind, e.result, e.origin, e.seq, e.description)
        numbers = [(r.origin, r.seq) for r in stored]
        assert len(numbers) == len(set(numbers))  # each once
        assert [r.seq for r in stored] == sorted(r.seq for r in stored)  # in order
        assert sum(r.result == EventResult.OPENING.value for r in stored) == 13
        kinds = [r.kind for r in stored]
        fault = kinds.index(EventKind.STORE_FAULT.value)
        assert stored[fault].description.startswith("Centre unreachable: the store ")
        assert kinds.index(EventKind.STORE_RECOVERED.value) > fault
        async with store.engine.connect() as conn:  # "Store recovered" cleared the alarm
            open_alarms = (await conn.execute(select(func.count()).where(
                t.alarms.c.kind == EventKind.STORE_FAULT.value,
                t.alarms.c.cleared_at.is_(None)))).scalar()
        assert open_alarms == 0
    finally:
        await gw.stop()


def _event(site_id: int, i: int) -> Event:
    return Event(datetime(2026, 12, 1, 12, tzinfo=UTC) + timedelta(seconds=i), site_id,
                 EventKind.OPEN_BY_PROXIMITY_FOB, EventResult.OPENING, credential=f"{i:010d}")


@pytest.mark.parametrize("store_engine", ["sqlite", "postgresql"], indirect=True)
async def test_a_journal_replayed_again_after_a_crash_stores_nothing_twice(store, estate,
                                                                          tmp_path):
    first = await store.event_writer()
    batch = [_event(estate.site.id, i) for i in range(3)]
    first.append_many(batch)
    await first.flush()
    assert {e.origin for e in batch} == {first.origin} and [e.seq for e in batch] == [1, 2, 3]
    # the crash: the store committed them, the journal still holds them
    journal = SpillJournal(tmp_path / "left.events-spill")
    never = _event(estate.site.id, 3)  # and one the store never got
    never.origin, never.seq = first.origin, 4
    journal.append([*batch, never])
    journal.close()
    writer = EventWriter(store.engine, spill=tmp_path / "left.events-spill", origin="next")
    await writer.start()
    try:
        await eventually(lambda: writer.replayed == 4, timeout=10)
    finally:
        await writer.close()
    e = t.events.c
    stored = await rows(store, e.origin, e.seq, e.credential)
    assert [(r.origin, r.seq) for r in stored] == [(first.origin, n) for n in (1, 2, 3, 4)]
    assert [r.credential for r in stored] == [f"{i:010d}" for i in range(4)]


@pytest.mark.parametrize("store_engine", ["sqlite", "postgresql"], indirect=True)
async def test_the_insert_itself_ignores_an_event_stored_already(store, estate):
    from store.event_insert import EventInsert

    writer = await store.event_writer()
    batch = [_event(estate.site.id, i) for i in range(2)]
    writer.append_many(batch)
    await writer.flush()
    again = [Event(**{**vars(e), "id": None}) for e in batch]
    await EventInsert(store.engine.dialect).commit(store.engine, again, gate=None,
                                                   lock_wait_s=1.0)
    assert len(await rows(store, t.events.c.id)) == 2
