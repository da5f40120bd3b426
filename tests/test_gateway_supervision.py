"""The gateway keeps its promise and watches its own tasks: real store, bus socket, simulator."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest

from console.headless import tasks
from console.headless.bus.client import BusClient
from core.errors import StoreError
from core.model import EventKind
from core.services import access_passes
from tests.test_event_writer import event
from tests.test_gateway import gateway, next_event  # noqa: F401 - the fixture
from tests.test_store_faults import wait_until


@pytest.fixture(autouse=True)
def quick_restarts(monkeypatch):
    monkeypatch.setattr(tasks, "FIRST_BACKOFF", 0.05)


def stored_ids(path) -> set[int]:
    with sqlite3.connect(path) as con:
        return {i for i, in con.execute("SELECT id FROM events")}


async def test_every_event_seen_on_the_bus_is_already_stored(gateway, estate):  # noqa: F811
    sim = gateway.drivers[0]
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        for _ in range(20):
            sim.present("1111100000", estate.panel.id)
            msg = await next_event(client)
            # published only once durable: it has its id and the store holds it now
            assert msg["event"]["id"] in stored_ids(gateway.store.where)
    finally:
        await client.close()


async def test_a_killed_writer_task_is_alarmed_and_restarted(gateway, estate):  # noqa: F811
    writer = gateway.writer
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        writer._task.cancel()  # the writer's task dies (what a bug in it would do)
        alarm = await next_event(client, timeout=5, kinds=("alarm",))
        assert alarm["event"]["kind"] == "Gateway task failed"
        assert "event writer" in alarm["event"]["description"]
        assert alarm["event"]["id"] in stored_ids(gateway.store.where)
        assert writer.running
    finally:
        await client.close()


async def test_flush_on_a_dead_writer_fails_at_once(store):
    writer = await store.event_writer()
    writer._task.cancel()
    await wait_until(lambda: not writer.running)
    writer.append(event(1))
    with pytest.raises(StoreError, match="stopped"):
        await asyncio.wait_for(writer.flush(), 2)
    await writer.restart()
    await writer.flush(timeout=5)


async def test_a_dead_driver_loop_is_alarmed_and_restarted(gateway, estate, admin, store):  # noqa: F811
    sim = gateway.drivers[0]
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        sim._task.cancel()
        alarm = await next_event(client, timeout=5, kinds=("alarm",))
        assert alarm["event"]["kind"] == "Gateway task failed"
        assert "driver" in alarm["event"]["description"]
        await wait_until(lambda: sim.alive() and sim._task is not None)
        sim.present("1111100000", estate.panel.id)  # doors work again
        msg = await next_event(client, timeout=5)
        assert msg["event"]["credential"] == "1111100000"
    finally:
        await client.close()


async def test_a_store_fault_is_an_alarm_on_every_console(gateway, estate):  # noqa: F811
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        gateway.writer.on_fault("disk full")  # what the writer calls (tested in test_store_faults)
        alarm = await next_event(client, timeout=5, kinds=("alarm",))
        assert alarm["event"]["kind"] == "Store fault"
        assert alarm["event"]["description"].startswith("Store fault: disk full.")
        assert alarm["event"]["site_id"] == estate.site.id
    finally:
        await client.close()


async def test_a_change_watcher_that_dies_is_restarted(gateway, estate, admin, store):  # noqa: F811
    watcher = gateway.supervisor.task("change watcher")
    watcher.cancel()
    await wait_until(lambda: gateway.supervisor.task("change watcher") is not watcher
                     and not gateway.supervisor.task("change watcher").done())
    # a pass made by another process is still honoured
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100009",
                                             1, flat_id=estate.flats[0].id)
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        await next_event(client, timeout=5, kinds=("changed",))
        gateway.drivers[0].present("1111100009", estate.panel.id)
        msg = await next_event(client, timeout=5)
        assert msg["event"]["result"] == "Opening"
    finally:
        await client.close()


async def test_lines_of_the_journal_set_aside_are_an_alarm_on_every_site(store, admin, estate):
    """An acknowledged event may be lost in a torn or damaged line of the spill journal:
    a person must know, on every console, not only in the log; the other events are
    stored, and the alarm stays until acknowledged (the store's recovery does not clear it)."""
    from console.headless.gateway import Gateway, GatewayOptions
    from core.config import Config
    from store.database import Store
    from store.spill import SpillJournal, spill_path
    from tests.test_gateway import short_socket

    journal = SpillJournal(spill_path(store.where))
    journal.append([event(1)])
    torn = b'{"at":"2026-11-27T09:00\n'  # a line torn by a crash
    journal._end += os.pwrite(journal._fd, torn, journal._end)
    journal.append([event(2)])
    journal.close()
    config = Config()
    config.bus.path = short_socket()
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gw.start()
    try:
        await wait_until(lambda: gw.writer.replayed == 2)
        await gw.writer.flush()
        with sqlite3.connect(store.where) as con:
            alarms = con.execute("SELECT site_id, description FROM events WHERE kind = ?",
                                 (EventKind.EVENTS_SET_ASIDE.value,)).fetchall()
            credentials = {c for c, in con.execute("SELECT credential FROM events")}
        assert [site for site, _ in alarms] == [estate.site.id]
        text = alarms[0][1]
        assert text.startswith("Events set aside: 1 line of the spill journal could not be read")
        assert text.endswith(f"kept in {spill_path(store.where)}.damaged")
        assert {event(1).credential, event(2).credential} <= credentials
        assert EventKind.EVENTS_SET_ASIDE.is_alarm
    finally:
        await gw.stop()
