"""OSDP readers commissioned in the store (no [[osdp]] section): the gateway starts their
bus when one is added, without a restart, and stops it when the last is removed; the
device service's rules for what each type needs (table-driven), and the refusal to
remove a device still in use, naming what uses it."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace

import osdp
import pytest

from core.errors import Conflict, DoorkeeperError, ValidationError
from core.model import AccessProfile, Device, DeviceType, Door
from core.services import devices, schedules
from drivers.osdp.cards import wiegand
from drivers.osdp.reader import Link
from store.database import Store
from tests.conftest import dump_database
from tests.osdp.peer import KEY
from tests.test_gateway import short_socket


async def _until(check, timeout: float = 3.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if value := check():
            return value
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_a_reader_added_in_the_store_comes_online_without_a_restart(
        store, admin, estate, a_pass, hub, secure_pd):
    from console.headless.gateway import Gateway, GatewayOptions
    from core.config import Config

    pd = secure_pd(7)
    config = Config()
    config.bus.path = short_socket()
    config.gateway.change_poll_ms = 50
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gw.start()
    try:
        assert gw.buses.running == {}
        reader = await devices.create_device(store.uow(), admin, Device(
            estate.site.id, "Reader - Lobby", DeviceType.READER, block_id=estate.block.id,
            bus=hub.path, address="7", scbk=KEY.hex()), [Door(0, 1, "Lobby door", 4)])
        async with store.reader() as uow:
            lobby = (await uow.find(Door, device_id=reader.id))[0]
        await schedules.save_access_profile(store.uow(), admin, replace(
            estate.profile, door_ids=[estate.door.id, lobby.id]))
        gw._changed.set()  # a console's change notice on the bus does this
        state = await _until(lambda: hub.path in gw.buses.running
                             and gw.buses.running[hub.path][1].readers[0], 1.0)
        assert state.config.device_id == reader.id and state.config.secure
        await _until(lambda: state.link is Link.ONLINE)
        assert pd.pd.is_sc_active()
        pd.card(wiegand(12345678))
        out = await _until(lambda: pd.of(osdp.Command.Output))
        assert out[0]["timer_count"] == 40
        # restart the reader's session: it meets the reader again
        assert gw.buses.restart_session(reader.id)
        await _until(lambda: state.link is Link.ONLINE)
        # removed: its bus stops, and the supervisor no longer watches it
        await schedules.save_access_profile(store.uow(), admin, estate.profile)
        await devices.delete_device(store.uow(), admin, reader.id)
        gw._changed.set()
        await _until(lambda: hub.path not in gw.buses.running, 1.0)
        assert f"driver osdp {hub.path}" not in gw.supervisor.parts
    finally:
        await gw.stop()


BAD = [  # (type, fields, the field refused)
    (DeviceType.READER, {"bus": "ttyUSB0", "address": "1"}, "bus"),
    (DeviceType.READER, {"bus": "/dev/ttyUSB0", "address": "127"}, "address"),
    (DeviceType.READER, {"bus": "/dev/ttyUSB0", "address": "x"}, "address"),
    (DeviceType.READER, {"bus": "/dev/ttyUSB0", "address": "1", "card_format": "hid"},
     "card_format"),
    (DeviceType.READER, {"bus": "/dev/ttyUSB0", "address": "1", "scbk": "00ff"}, "scbk"),
    (DeviceType.READER, {"bus": "/dev/ttyUSB0", "address": "1", "sc_install": True}, "scbk"),
    (DeviceType.READER, {"scbk": KEY.hex()}, "bus"),
    (DeviceType.CONTROL_UNIT, {"bus": "/dev/ttyUSB0"}, "bus"),
    (DeviceType.CONTROL_UNIT, {"card_format": "raw"}, "card_format"),
    (DeviceType.GSM_MODEM, {"bus": "COM3"}, "bus"),
    (DeviceType.GSM_MODEM, {"telephone": "12"}, "telephone"),
    (DeviceType.KEY_SAFE, {"telephone": "07546277360"}, "telephone"),
    (DeviceType.IPGUARD_4G, {"display_capacity": -1}, "display_capacity"),
    (DeviceType.CODE_KEYPAD, {"display_capacity": 10}, "display_capacity"),
]


@pytest.mark.parametrize(("kind", "fields", "field"), BAD)
async def test_what_a_type_may_not_have_is_refused_by_its_field(store, admin, estate, kind,
                                                                 fields, field):
    before = dump_database(store.where)
    with pytest.raises(ValidationError) as err:
        await devices.create_device(store.uow(), admin, Device(
            estate.site.id, "New device", kind, **fields))
    assert err.value.field == field
    assert dump_database(store.where) == before


async def test_each_type_keeps_what_it_needs(store, admin, estate):
    reader = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Reader", DeviceType.READER, bus="/dev/ttyUSB0", address=" 05 ",
        scbk=KEY.hex().upper()))
    assert (reader.address, reader.card_format, reader.scbk) == ("5", "wiegand26", KEY.hex())
    modem = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "DATA modem", DeviceType.GSM_MODEM, bus="/dev/ttyUSB1",
        telephone="07546 277360"))
    assert modem.telephone == "+447546277360"
    # a second reader at the same address on the same bus
    with pytest.raises(Conflict) as err:
        await devices.create_device(store.uow(), admin, Device(
            estate.site.id, "Reader 2", DeviceType.READER, bus="/dev/ttyUSB0", address="5"))
    assert err.value.field == "address" and "Reader" in err.value.message
    # the key is kept when not given again, removed when given empty
    kept = await devices.update_device(store.uow(), admin, reader.id, scbk=None, name="R1")
    assert kept.scbk == KEY.hex()
    gone = await devices.update_device(store.uow(), admin, reader.id, scbk="")
    assert gone.scbk == ""


async def test_the_key_never_reaches_the_audit_trail(store, admin, estate):
    await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Reader", DeviceType.READER, bus="/dev/ttyUSB0", address="5",
        scbk=KEY.hex()))
    dump = dump_database(store.where)
    assert not any(KEY.hex() in str(row) for row in dump["audit_entries"])


async def test_a_device_in_use_is_not_removed_and_its_users_are_named(store, admin, estate):
    unit = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Centrale", DeviceType.CONTROL_UNIT), [Door(0, 1, "Back door")])
    await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "MK2 Reader", DeviceType.READER, parent_id=unit.id))
    door = (await devices.update_device(store.uow(), admin, unit.id))  # no change
    async with store.reader() as uow:
        back = (await uow.find(Door, device_id=door.id))[0]
    await schedules.save_access_profile(store.uow(), admin, AccessProfile(
        estate.site.id, "Back", door_ids=[back.id]))
    before = dump_database(store.where)
    with pytest.raises(Conflict) as err:
        await devices.delete_device(store.uow(), admin, unit.id)
    assert "access profile 'Back'" in err.value.message
    assert "1 device wired to it" in err.value.message
    # its door cannot be taken away either (the form's doors are replaced in one go)
    with pytest.raises(DoorkeeperError) as err:
        await devices.update_device(store.uow(), admin, unit.id, doors=[])
    assert err.value.field == "relay1_name" and "'Back'" in err.value.message
    assert dump_database(store.where) == before


async def test_a_devices_doors_are_saved_with_it_or_not_at_all(store, admin, estate):
    before = dump_database(store.where)
    with pytest.raises(ValidationError) as err:
        await devices.update_device(store.uow(), admin, estate.panel.id, name="Main panel",
                                    doors=[replace(estate.door, open_seconds=99)])
    assert err.value.field == "relay1_open_seconds"
    assert dump_database(store.where) == before
    await devices.update_device(store.uow(), admin, estate.panel.id, doors=[
        replace(estate.door, open_seconds=9), Door(0, 2, "Gate")])
    async with store.reader() as uow:
        doors = await uow.find(Door, device_id=estate.panel.id, order_by="relay")
    assert [(d.relay, d.name, d.open_seconds) for d in doors] == [
        (1, estate.door.name, 9), (2, "Gate", 5)]
    assert doors[0].id == estate.door.id  # the same door: profiles keep opening it


async def test_a_config_reader_whose_device_is_removed_is_an_alarm(store, admin, estate, hub):
    """The config names a reader the store no longer has: the buses stay as they were
    and every console gets an alarm, not only a log line."""
    from console.headless.gateway import Gateway, GatewayOptions
    from core.config import Config, DriverConfig
    from core.model import EventKind

    named = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Reader - Side", DeviceType.READER, block_id=estate.block.id), [])
    config = Config()
    config.bus.path = short_socket()
    config.gateway.change_poll_ms = 50
    config.drivers = [DriverConfig("osdp", {"port": hub.path, "reader": [
        {"address": 7, "device": "Reader - Side"}]})]
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gw.start()
    try:
        assert hub.path in gw.buses.running
        await devices.delete_device(store.uow(), admin, named.id)
        gw._changed.set()
        def alarms() -> list[str]:
            with sqlite3.connect(store.where) as con:
                return [d for (d,) in con.execute(
                    "SELECT description FROM events WHERE kind = ?",
                    (EventKind.GATEWAY_TASK_FAILED.value,))]
        found = await _until(alarms, 5.0)
        assert "OSDP buses not updated" in found[0] and "Reader - Side" in found[0]
        assert hub.path in gw.buses.running  # kept as it was
    finally:
        await gw.stop()


async def test_a_store_reader_the_gateway_cannot_drive_is_an_alarm_until_mended(
        store, admin, estate, hub):
    """A store reader at an address a config reader has on the same port, and one whose
    address in the store is not valid (written behind the services' back): each is an
    alarm on its site, not only a log line; mended through the services, each is driven
    and its alarm cleared, whether the gateway was running or started after the mend."""
    from console.headless.gateway import Gateway, GatewayOptions
    from core.config import Config, DriverConfig
    from core.model import EventKind

    def add(name: str, **kw) -> Device:
        return Device(estate.site.id, name, DeviceType.READER, block_id=estate.block.id, **kw)

    await devices.create_device(store.uow(), admin, add("Reader - Side"), [])
    lobby = await devices.create_device(store.uow(), admin, add(
        "Reader - Lobby", bus=hub.path, address="7"), [])
    back = await devices.create_device(store.uow(), admin, add(
        "Reader - Back", bus=hub.path, address="9"), [])
    with sqlite3.connect(store.where) as con:
        con.execute("UPDATE devices SET address = '1x' WHERE id = ?", (back.id,))
    config = Config()
    config.bus.path = short_socket()
    config.gateway.change_poll_ms = 50
    config.drivers = [DriverConfig("osdp", {"port": hub.path, "reader": [
        {"address": 7, "device": "Reader - Side"}]})]

    def alarms() -> dict[int, tuple[str, bool]]:
        """Each reader's "Reader not driven" alarm: its text, and whether it is cleared."""
        with sqlite3.connect(store.where) as con:
            return {d: (text, cleared is not None) for d, text, cleared in con.execute(
                "SELECT a.device_id, e.description, a.cleared_at FROM alarms a JOIN events e"
                " ON e.id = a.event_id WHERE a.kind = ?",
                (EventKind.READER_NOT_DRIVEN.value,))}

    def driven() -> set[int]:
        return {r.device_id for r in gw.buses.running[hub.path][0].readers}

    async def started() -> Gateway:
        made = Gateway(config, await Store.open(path=store.where), GatewayOptions())
        await made.start()
        return made

    gw = await started()
    try:
        found = await _until(lambda: len(alarms()) == 2 and alarms())
        assert "Reader - Lobby" in found[lobby.id][0]
        assert "address 7 on" in found[lobby.id][0] and "Reader - Side's" in found[lobby.id][0]
        assert "'1x'" in found[back.id][0]
        assert not found[lobby.id][1] and not found[back.id][1]
        assert lobby.id not in driven() and back.id not in driven()
        # mended while the gateway is stopped: cleared when it starts; the other stays open
        await gw.stop()
        await devices.update_device(store.uow(), admin, lobby.id, address="8")
        gw = await started()
        await _until(lambda: alarms()[lobby.id][1])
        assert lobby.id in driven() and not alarms()[back.id][1]
        # mended while it runs: cleared at the change
        await devices.update_device(store.uow(), admin, back.id, address="9")
        gw._changed.set()
        await _until(lambda: alarms()[back.id][1])
        assert {lobby.id, back.id} <= driven()
        assert len(alarms()) == 2  # cleared, none raised again (nor at the restart)
    finally:
        await gw.stop()
