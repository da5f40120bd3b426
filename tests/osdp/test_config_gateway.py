"""OSDP buses in the config, written [[osdp]] or [[driver]] type = "osdp": checked with
one-line errors, and driven by the gateway (in process, and `doorkeeper gateway --config`)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import textwrap
from pathlib import Path

import osdp
import pytest

from core.config import load_config
from core.errors import ConfigError
from core.model import Device, DeviceType, Door, EventResult
from core.services import devices
from drivers.osdp.cards import wiegand
from drivers.osdp.reader import Link
from store.database import Store
from store.queries import EventFilter, event_page
from tests.osdp.peer import KEY
from tests.test_gateway import short_socket

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
#: how each style opens a bus and a reader, and the name its settings go by
STYLES = {
    "osdp": ("[[osdp]]", "[[osdp.reader]]"),
    "driver": ('[[driver]]\ntype = "osdp"', "[[driver.reader]]"),
}
ONE_READER = ("address = 1\ndevice = 1",)


def _bus(style: str, settings: str = "", readers=ONE_READER, port: str | None = "/dev/null",
         reader_head: str | None = None) -> str:
    """One bus section in `style`, its settings, then its readers."""
    head, reader = STYLES[style]
    lines = [head] + ([f'port = "{port}"'] if port is not None else []) + [settings]
    for body in readers:
        lines += [reader_head or reader, body]
    return "\n".join(lines) + "\n"


def _write(tmp_path, body: str) -> Path:
    path = tmp_path / "dk.toml"
    path.write_text(textwrap.dedent(body))
    return path


def _refused(tmp_path, body: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, body))
    message = str(err.value)
    assert "\n" not in message
    return message


# (what the bus section holds, what the message says); {t} is "osdp" or "driver"
BAD_BUSES = [
    (dict(readers=["address = 200\ndevice = 1"]),
     r"{t}\.reader\.address \(\[\[{t}\]\] 1, reader 1\) must be 0 to 126"),
    (dict(readers=["device = 1"]), r"{t}\.reader\.address .* must be 0 to 126"),
    (dict(readers=["address = 1"]), r"{t}\.reader\.device .* is required"),
    (dict(readers=["address = 1\ndevice = 1\ncard_format = 'mifare'"]),
     r"{t}\.reader\.card_format .* must be one of"),
    (dict(readers=["address = 1\ndevice = 1\nscbk = 'abcd'"]), "32 hex digits"),
    (dict(readers=["address = 1\ndevice = 1\ninstall = true"]), "needs the reader's own key"),
    (dict(readers=["address = 1\ndevice = 1\ncolour = 'red'"]),
     r"Unknown setting {t}\.reader\.colour \(\[\[{t}\]\] 1, reader 1\)"),
    (dict(readers=["address = 1\ndevice = 1\nbuzzer = 1"]), r"{t}\.reader\.buzzer .* must be bool"),
    (dict(readers=["address = 1\ndevice = 1\nled_seconds = 90"]), "must be 0 to 25 s"),
    (dict(readers=["address = 1\ndevice = 1", "address = 1\ndevice = 2"]),
     r"Two readers at address 1 on one bus \(\[\[{t}\]\] 1, reader 2\)"),
    (dict(port=None), r"Setting {t}\.port is required for a osdp driver \(\[\[{t}\]\] 1\)"),
    (dict(port="/dev/ttyNOPE"), r"{t}\.port \(\[\[{t}\]\] 1\): /dev/ttyNOPE does not exist"),
    (dict(settings="baud = 1200"), r"{t}\.baud \(\[\[{t}\]\] 1\) must be one of 9600"),
    (dict(settings="baud = '9600'"), r"{t}\.baud \(\[\[{t}\]\] 1\) must be a int"),
    (dict(settings="poll_ms = 5000"), r"{t}\.poll_ms \(\[\[{t}\]\] 1\) must be 0 to 1000"),
    (dict(settings="colour = 'red'"), r"Unknown setting {t}\.colour for a osdp driver"),
    (dict(reader_head="[{t}.reader]"), r"{t}\.reader .* must be an array of tables "
                                       r"\(write \[\[{t}\.reader\]\]\)"),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("bus", "error"), BAD_BUSES,
                         ids=[e[1][:40] for e in BAD_BUSES])
def test_bad_bus_settings_are_refused_in_one_line(tmp_path, style, bus, error):
    bus = dict(bus)
    if "reader_head" in bus:
        bus["reader_head"] = bus["reader_head"].format(t=style)
    message = _refused(tmp_path, _bus(style, **bus))
    assert re.search(error.replace("{t}", style), message), message


@pytest.mark.parametrize(("body", "error"), [
    ('[osdp]\nport = "/dev/null"\n', r"\[\[osdp\]\] must be an array of tables"),
    ('osdp = [1]\n', r"\[\[osdp\]\] 1 must be a table"),
    ('[[osdp]]\ntype = "osdp"\nport = "/dev/null"\n', r"Unknown setting osdp\.type"),
    ('[[osdp]]\nport = "/dev/null"\n[[osdp]]\nport = "/dev/null"\n',
     "Two driver sections use the port /dev/null"),
    ('[[driver]]\ntype = "osdp"\nport = "/dev/null"\n[[osdp]]\nport = "/dev/null"\n',
     "Two driver sections use the port /dev/null"),
    ('[[osdp]]\nport = "/dev/null"\n[[osdp]]\nport = "/dev/zero"\nbaud = 7\n',
     r"osdp\.baud \(\[\[osdp\]\] 2\)"),
])
def test_bad_osdp_sections_are_refused_in_one_line(tmp_path, body, error):
    assert re.search(error, _refused(tmp_path, body))


def test_osdp_and_driver_sections_are_the_same_bus(tmp_path):
    readers = ["address = 1\ndevice = 'Reader - Main entrance'\nscbk = '" + KEY.hex() + "'",
               "address = 2\ndevice = 42\nrelay = 2\ncontact_input = -1"]
    written = {style: load_config(_write(tmp_path, _bus(style, "baud = 115200\npoll_ms = 10",
                                                        readers))).drivers
               for style in STYLES}
    assert written["osdp"] == written["driver"]
    (bus,) = written["osdp"]
    assert bus.type == "osdp" and bus.settings["baud"] == 115200
    assert [r["address"] for r in bus.settings["reader"]] == [1, 2]


def test_a_simulator_and_two_osdp_buses(tmp_path):
    config = load_config(_write(tmp_path, '[[driver]]\ntype = "simulator"\n'
                                + _bus("osdp") + _bus("osdp", port="/dev/zero")))
    assert [(d.type, d.settings.get("port")) for d in config.drivers] == [
        ("simulator", None), ("osdp", "/dev/null"), ("osdp", "/dev/zero")]


def test_the_example_osdp_section_loads_when_uncommented(tmp_path):
    text = EXAMPLE.read_text()
    block = text[text.index("# [[osdp]]"):]
    block = block[:block.index("\n\n")]
    body = "\n".join(line[2:] for line in block.splitlines())
    config = load_config(_write(tmp_path, body.replace("/dev/ttyUSB0", "/dev/null")))
    (bus,) = config.drivers
    assert bus.type == "osdp" and len(bus.settings["reader"]) == 2


@pytest.mark.parametrize("style", STYLES)
async def test_the_gateway_drives_a_real_reader(tmp_path, store, estate, a_pass, hub,
                                                secure_pd, style):
    from console.headless.gateway import Gateway, GatewayOptions

    pd = secure_pd(9)
    config = load_config(_write(tmp_path, _bus(style, "baud = 115200", port=hub.path, readers=[
        f'address = 9\ndevice = "{estate.panel.name}"\nrelay = 1\nscbk = "{KEY.hex()}"'])))
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


async def test_a_reader_wired_to_a_control_unit_opens_the_units_door(tmp_path, store, admin,
                                                                       estate, hub):
    from console.headless.gateway import Gateway, GatewayOptions

    unit = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Centrale", DeviceType.CONTROL_UNIT, block_id=estate.block.id),
        [Door(0, 1, "Back door"), Door(0, 2, "Bin store", open_seconds=8)])
    await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "MK2 Reader", DeviceType.READER, block_id=estate.block.id,
        parent_id=unit.id))
    config = load_config(_write(tmp_path, _bus("osdp", port=hub.path, readers=[
        'address = 3\ndevice = "MK2 Reader"\nrelay = 2'])))
    config.bus.path = short_socket()
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gw.start()
    try:
        reader = gw.drivers[0].readers[0].config
        assert (reader.door_device_id, reader.open_seconds) == (unit.id, 8)
        assert gw.runtime.snapshot.doors[reader.door_id].name == "Bin store"
    finally:
        await gw.stop()


async def _until(check, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if check():
            return True
        await asyncio.sleep(0.02)
    return False


async def _doorkeeper(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "console.cli", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def test_doorkeeper_gateway_with_an_osdp_section_opens_the_door(tmp_path, store, estate,
                                                                      a_pass, hub, secure_pd):
    pd = secure_pd(9)
    config = _write(tmp_path, f'[bus]\npath = "{short_socket()}"\n' + _bus(
        "osdp", "baud = 115200", port=hub.path,
        readers=[f'address = 9\ndevice = "{estate.panel.name}"\nscbk = "{KEY.hex()}"']))
    gateway = await _doorkeeper("gateway", "--config", str(config), "--db", str(store.where))
    try:
        assert await _until(pd.pd.is_sc_active, 20), "the reader never came online"
        pd.card(wiegand(12345678))
        assert await _until(lambda: pd.of(osdp.Command.Output), 5)
        assert pd.of(osdp.Command.Output)[0]["timer_count"] == estate.door.open_seconds * 10
    finally:
        if gateway.returncode is None:
            gateway.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(gateway.communicate(), 20)
    assert gateway.returncode == 0, err.decode()
    events = await event_page(store, EventFilter(device_id=estate.panel.id))
    assert [(e["credential"], e["result"]) for e in events][:1] == [("0012345678", EventResult.OPENING.value)]


async def test_doorkeeper_gateway_refuses_a_bad_osdp_section_and_starts_nothing(tmp_path):
    db, sock = tmp_path / "dk.db", short_socket()
    config = _write(tmp_path, f'[bus]\npath = "{sock}"\n'
                    + _bus("osdp", readers=["address = 1\ndevice = 1\nscbk = 'abcd'"]))
    gateway = await _doorkeeper("gateway", "--config", str(config), "--db", str(db))
    out, err = await asyncio.wait_for(gateway.communicate(), 60)
    assert gateway.returncode == 2 and out == b""
    assert err.decode().count("\n") == 1 and "Traceback" not in err.decode()
    assert "osdp.reader.scbk ([[osdp]] 1, reader 1) must be 32 hex digits" in err.decode()
    assert not db.exists() and not os.path.exists(sock)
