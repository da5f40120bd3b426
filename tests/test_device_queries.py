"""The Devices tab's read model: a site's (block's) devices with block, control unit,
doors, and a reader opening its control unit's doors."""

from __future__ import annotations

import pytest

from core.model import Block, Device, DeviceType, Door, Site
from core.services import blocks, devices, sites
from store.device_queries import device_rows

pytestmark = pytest.mark.both_engines


async def add_wiring(store, admin, estate):
    """A control unit with two doors and a reader wired to it, a modem on the site."""
    unit = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Centrale Block C", DeviceType.CONTROL_UNIT, block_id=estate.block.id,
        address="osdp:2"), [Door(0, 2, "Bin store", 7, 40), Door(0, 1, "Back door")])
    reader = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "MK2 Reader", DeviceType.READER, block_id=estate.block.id,
        parent_id=unit.id))
    modem = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "DATA modem", DeviceType.GSM_MODEM, gsm_access_point=True))
    return unit, reader, modem


async def test_a_sites_devices_with_block_parent_and_doors(store, admin, estate):
    unit, reader, modem = await add_wiring(store, admin, estate)
    rows = await device_rows(store, estate.site.id)
    # devices of no block first, then by block; panels before control units before readers
    assert [r.name for r in rows] == ["DATA modem", "PP4G : IP MiniPro", "Centrale Block C",
                                      "MK2 Reader"]
    modem_row, panel, unit_row, reader_row = rows
    assert (modem_row.block, modem_row.gsm_access_point, modem_row.opens) == ("", True, ())
    assert (panel.block, panel.type, panel.gsm_access_point) == ("Block C",
                                                                 DeviceType.IPGUARD_4G, True)
    assert [(d.id, d.relay, d.name, d.open_seconds) for d in panel.doors] == [
        (estate.door.id, 1, "Main entrance", 5)]
    assert [(d.relay, d.name, d.open_seconds, d.held_open_seconds) for d in unit_row.doors] == [
        (1, "Back door", 5, 30), (2, "Bin store", 7, 40)]
    assert unit_row.wired == ("MK2 Reader",) and unit_row.address == "osdp:2"
    # the reader has no relay: it opens its control unit's doors
    assert (reader_row.parent, reader_row.parent_id, reader_row.doors) == (
        "Centrale Block C", unit.id, ())
    assert [d.name for d in reader_row.opens] == ["Back door", "Bin store"]


async def test_a_block_shows_only_its_devices_and_other_sites_never(store, admin, estate):
    await add_wiring(store, admin, estate)
    other_block = await blocks.create_block(store.uow(), admin, Block(estate.site.id, "Block D"))
    await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Keypad D", DeviceType.CODE_KEYPAD, block_id=other_block.id))
    other = await sites.create_site(store.uow(), admin, Site(name="Harbour View"))
    await devices.create_device(store.uow(), admin, Device(other.id, "Panel", DeviceType.PANEL_3G))
    in_c = [r.name for r in await device_rows(store, estate.site.id, estate.block.id)]
    assert in_c == ["PP4G : IP MiniPro", "Centrale Block C", "MK2 Reader"]
    assert [r.name for r in await device_rows(store, estate.site.id, other_block.id)] == [
        "Keypad D"]
    assert [r.name for r in await device_rows(store, other.id)] == ["Panel"]
    assert await device_rows(store, other.id, estate.block.id) == []
