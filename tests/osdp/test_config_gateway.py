"""`[[driver]]` osdp sections: checked with one-line errors, and driven by `doorkeeper gateway`."""

from __future__ import annotations

import asyncio
import textwrap

import osdp
import pytest

from core.config import load_config
from core.errors import ConfigError
from core.services import access_passes
from drivers.osdp.cards import wiegand
from drivers.osdp.reader import Link
from store.database import Store
from tests.osdp.peer import KEY, Peer, PtyHub
from tests.test_gateway import short_socket


def _write(tmp_path, body: str):
    path = tmp_path / "dk.toml"
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize(("reader", "error"), [
    ("address = 200\ndevice = 1", r"address .* must be 0 to 126"),
    ("device = 1", r"address .* must be 0 to 126"),
    ("address = 1", "device .* is required"),
    ("address = 1\ndevice = 1\ncard_format = 'mifare'", r"card_format .* must be one of"),
    ("address = 1\ndevice = 1\nscbk = 'abcd'", "32 hex digits"),
    ("address = 1\ndevice = 1\ninstall = true", "needs the reader's own key"),
    ("address = 1\ndevice = 1\ncolour = 'red'", "Unknown setting driver.reader.colour"),
    ("address = 1\ndevice = 1\nbuzzer = 1", "buzzer .* must be bool"),
])
def test_bad_reader_settings_are_refused_in_one_line(tmp_path, reader, error):
    path = _write(tmp_path, f"""
        [[driver]]
        type = "osdp"
        port = "/dev/null"
        [[driver.reader]]
        {reader.replace(chr(10), chr(10) + '        ')}
        """)
    with pytest.raises(ConfigError, match=error) as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_two_readers_at_one_address(tmp_path):
    path = _write(tmp_path, """
        [[driver]]
        type = "osdp"
        port = "/dev/null"
        [[driver.reader]]
        address = 1
        device = 1
        [[driver.reader]]
        address = 1
        device = 2
        """)
    with pytest.raises(ConfigError, match="Two readers at address 1"):
        load_config(path)


async def test_the_gateway_drives_a_real_reader(tmp_path, store, admin, estate):
    from console.gateway import Gateway, GatewayOptions

    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "0012345678",
                                             1, flat_id=estate.flats[0].id)
    hub = PtyHub()
    pd = Peer(hub, 9, scbk=KEY)
    config = load_config(_write(tmp_path, f"""
        [[driver]]
        type = "osdp"
        port = "{hub.path}"
        baud = 115200
        [[driver.reader]]
        address = 9
        device = "{estate.panel.name}"
        relay = 1
        scbk = "{KEY.hex()}"
        """))
    config.bus.path = short_socket()
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gw.start()
    try:
        reader = gw.drivers[0].readers[0]
        assert reader.config.door_id == estate.door.id
        for _ in range(300):
            if reader.link is Link.ONLINE:
                break
            await asyncio.sleep(0.01)
        assert reader.link is Link.ONLINE and pd.pd.is_sc_active()
        pd.card(wiegand(12345678))
        for _ in range(300):
            if pd.of(osdp.Command.Output):
                break
            await asyncio.sleep(0.01)
        assert pd.of(osdp.Command.Output)[0]["timer_count"] == estate.door.open_seconds * 10
    finally:
        await gw.stop()
        pd.teardown()
        hub.close()
