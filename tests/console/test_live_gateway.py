"""The console against a real gateway in-process over its bus socket: opening a door
from the Devices tab, a device going offline, a change made by another console,
and an alarm ringing the bell."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from datetime import UTC, datetime

import pytest

from console.app import DoorkeeperApp
from console.headless.gateway import Gateway, GatewayOptions
from console.launch import console_context
from console.live import LiveHub
from console.widgets.chrome import AlarmBadge, SiteTree
from core.audit import jsonable
from core.config import Config, DriverConfig
from core.devices import OpenDoor, Status
from core.model import Event, EventKind, EventResult
from core.services import blocks, devices
from store.database import Store
from tests.console.conftest import settled, show_tab, until

ADMIN = "admin@test.example"
SIZE = (120, 40)


def short_socket() -> str:
    """AF_UNIX paths must stay under 108 bytes; pytest's tmp_path can be longer."""
    return os.path.join(tempfile.mkdtemp(prefix="dk-", dir="/tmp"), "bus.sock")


@pytest.fixture
async def gateway(store, estate):
    """A gateway over the small estate with its own store, its simulator quiet."""
    config = Config()
    config.bus.path = short_socket()
    config.gateway.change_poll_ms = 250
    config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gw.start()
    yield gw
    await gw.stop()


@pytest.fixture
async def hub(gateway):
    hub = await LiveHub.connect(gateway.config.bus.path)
    yield hub
    await hub.close()



def device_name(app, device_id: int) -> str:
    return str(app.main.tabs["pane-devicestab"].table.get_row(str(device_id))[0])


def health(app, device_id: int) -> str:
    table = app.main.tabs["pane-devicestab"].table
    return str(table.get_cell(str(device_id), "health"))


async def test_o_y_opens_the_door_through_the_gateway_audited(store, estate, gateway, hub):
    ctx = await console_context(store, ADMIN, hub)
    app = DoorkeeperApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await show_tab(pilot, "2")
        await pilot.press("o", "y")
        await until(pilot, lambda: list(app._notifications), "a notice")
        assert [n.message for n in app._notifications] == ["Main entrance opened for 5 s"]
    sim = gateway.drivers[0]
    assert [c for c in sim.commands if isinstance(c, OpenDoor)] == [
        OpenDoor(estate.panel.id, estate.door.id, 1, 5)]
    await gateway.store._writer.flush()
    with sqlite3.connect(store.where) as con:
        audit = con.execute("SELECT actor, entity_id, source FROM audit_entries "
                            "WHERE action = 'door.open'").fetchall()
        events = con.execute("SELECT device_id, name, description FROM events WHERE kind = ?",
                             (EventKind.REMOTE_OPENING.value,)).fetchall()
    # the trail's "from" is the console that asked, not the bus it asked over
    assert audit == [(ADMIN, estate.door.id, "console")]
    assert events == [(estate.panel.id, ADMIN,
                       f"Remote opening of Main entrance for 5 s by {ADMIN}")]


async def test_a_device_the_gateway_sees_go_offline_turns_red(store, estate, gateway, hub):
    ctx = await console_context(store, ADMIN, hub)
    app = DoorkeeperApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await show_tab(pilot, "2")
        assert health(app, estate.panel.id) == "unknown"  # not heard from since it started
        sim = gateway.drivers[0]
        sim.raise_status(estate.panel.id, Status.OFFLINE)
        await until(pilot, lambda: health(app, estate.panel.id) == "● Offline", "offline")
        sim.raise_status(estate.panel.id, Status.ONLINE)
        await until(pilot, lambda: health(app, estate.panel.id) == "● Online", "online")


async def test_a_card_read_shows_last_seen_and_counters_live(
        store, estate, gateway, hub):
    ctx = await console_context(store, ADMIN, hub)
    app = DoorkeeperApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await show_tab(pilot, "2")
        sim = gateway.drivers[0]
        sim.present("9999999999", estate.panel.id)  # unknown: a denial
        table = app.main.tabs["pane-devicestab"].table
        await until(pilot, lambda: str(table.get_cell(str(estate.panel.id), "counters"))
                    == "denials 1", "the denial counted")
        assert health(app, estate.panel.id) == "● Online"
        assert str(table.get_cell(str(estate.panel.id), "seen")).endswith("s ago")


async def test_a_rename_by_another_console_shows_live(store, estate, gateway, hub):
    ctx = await console_context(store, ADMIN, hub)
    other = await console_context(store, ADMIN, hub)  # a second session in this process
    app = DoorkeeperApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await show_tab(pilot, "2")
        assert device_name(app, estate.panel.id) == "PP4G : IP MiniPro"
        await other.change(devices.update_device, estate.panel.id, name="Front panel")
        # live, with no key pressed (how fast: bench_console_live, 1 s)
        await until(pilot, lambda: device_name(app, estate.panel.id) == "Front panel",
                    "the new name")


async def test_a_block_renamed_by_another_console_shows_in_the_tree_live(
        store, estate, gateway, hub):
    ctx = await console_context(store, ADMIN, hub)
    other = await console_context(store, ADMIN, hub)
    app = DoorkeeperApp(ctx)

    def tree_blocks() -> list[str]:
        return [str(leaf.label) for site in app.screen.query_one(SiteTree).root.children
                for leaf in site.children]

    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert estate.block.name in tree_blocks()
        await other.change(blocks.update_block, estate.block.id, name="Block C - East")
        await until(pilot, lambda: "Block C - East" in tree_blocks(), "the new name")
        assert estate.block.name not in tree_blocks()


async def test_an_alarm_on_the_bus_raises_the_count_and_rings_the_bell(store, estate,
                                                                       gateway, hub):
    ctx = await console_context(store, ADMIN, hub)
    app = DoorkeeperApp(ctx)
    bells = 0
    ring = app.bell

    def counting_bell() -> None:
        nonlocal bells
        bells += 1
        ring()
    app.bell = counting_bell
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        badge = app.screen.query_one(AlarmBadge)
        assert "Alarms 0" in str(badge.render())
        # stored first (the writer adds the alarm row), then published as the runtime does
        event = Event(at=datetime.now(UTC), site_id=estate.site.id, kind=EventKind.TAMPER,
                      result=EventResult.ALARM, device_id=estate.panel.id,
                      name=estate.panel.name, description="Tamper : PP4G : IP MiniPro")
        gateway.runtime.sink.append(event)
        await gateway.store._writer.flush()
        gateway.bus.publish({"type": "alarm", "event": jsonable(event)})
        await until(pilot, lambda: "Alarms 1" in str(badge.render()), "the badge")
        assert bells == 1
