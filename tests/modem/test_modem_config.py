"""[[modem]] sections: refused in one line naming the setting; the gateway drives each
configured modem under its supervisor (the simulated modem on a pty)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from console.headless.modems import make_modems
from core.config import load_config
from core.errors import ConfigError
from core.model import EventKind, EventResult
from store.snapshot import load_snapshot
from tests.modem.conftest import RESIDENT, dial_estate
from tests.test_gateway import short_socket


def _load(tmp_path, body: str):
    path = tmp_path / "doorkeeper.toml"
    path.write_text(body, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(("body", "error"), [
    ("[modem]\nport = '/dev/null'\n", r"\[\[modem\]\] must be an array of tables"),
    ("[[modem]]\ndevice = 3\n", r"modem\.port is required .*\[\[modem\]\] 1"),
    ("[[modem]]\nport = '/dev/nonexistent'\ndevice = 3\n",
     r"modem\.port \(\[\[modem\]\] 1\): /dev/nonexistent does not exist"),
    ("[[modem]]\nport = '/dev/null'\nbaud = 1200\ndevice = 3\n", r"modem\.baud \(\[\[modem\]\] 1\)"),
    ("[[modem]]\nport = '/dev/null'\n", r"modem\.device \(\[\[modem\]\] 1\) is required"),
    ("[[modem]]\nport = '/dev/null'\ndevice = true\n", r"modem\.device .* is required"),
    ("[[modem]]\nport = '/dev/null'\ndevice = 3\npin = '1234'\n",
     r"Unknown setting modem\.pin for a modem driver"),
    ("[[modem]]\nport = '/dev/null'\ndevice = 3\npin_env = '1 2'\n",
     r"modem\.pin_env .* must name an environment variable"),
    ("[[modem]]\nport = '/dev/null'\ndevice = 3\n[[osdp]]\nport = '/dev/null'\n",
     "Two driver sections use the port /dev/null"),
])
def test_bad_modem_sections_are_refused_in_one_line(tmp_path, body, error):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, body)
    assert "\n" not in str(err.value) and re.search(error, str(err.value)), str(err.value)


def test_the_example_modem_section_loads_when_uncommented(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    block = text[text.index("# [[modem]]"):]
    body = "\n".join(line[2:] for line in block[:block.index("\n\n")].splitlines())
    (modem,) = _load(tmp_path, body.replace("/dev/ttyUSB2", "/dev/null")).drivers
    assert modem.type == "modem" and modem.settings["device"] == "DATA modem"
    assert modem.settings["pin_env"] == "DOORKEEPER_SIM_PIN"


@pytest.mark.parametrize(("device", "environ", "error"), [
    ("'No such modem'", {}, r"modem\.device \(\[\[modem\]\] 1\): 'No such modem' is not"),
    (999, {}, r"no device 999 in the store"),
    ("'PP4G : IP MiniPro'", {}, r"'PP4G : IP MiniPro' is a .*, not a GSM modem"),
    ("'DATA modem'\npin_env = 'SIM_PIN'", {}, r"modem\.pin_env: .*SIM_PIN is not set"),
    ("'DATA modem'\npin_env = 'SIM_PIN'", {"SIM_PIN": "12a4"}, r"SIM_PIN must hold .* digits"),
])
async def test_a_section_that_does_not_match_the_store_is_named(tmp_path, store, admin, estate,
                                                                device, environ, error):
    await dial_estate(store, admin, estate)
    config = _load(tmp_path, f"[[modem]]\nport = '/dev/null'\ndevice = {device}\n")
    with pytest.raises(ConfigError, match=error):
        make_modems(await load_snapshot(store), config.drivers, None, environ)


async def test_the_gateway_drives_a_configured_modem(tmp_path, store, admin, estate,
                                                    monkeypatch):
    from console.headless.gateway import Gateway, GatewayOptions
    from drivers.modem.simulated import SimulatedModem
    from store.database import Store

    await dial_estate(store, admin, estate)
    sim = SimulatedModem()
    config = _load(tmp_path, f"[[modem]]\nport = '{sim.path}'\ndevice = 'DATA modem'\n"
                             "pin_env = 'TEST_SIM_PIN'\n")
    config.bus.path = short_socket()
    sim.pin, sim.unlocked = "4321", False
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    published: list[dict] = []
    gw.bus.publish = published.append  # what every console would be sent
    monkeypatch.setenv("TEST_SIM_PIN", "4321")
    try:
        await gw.start()
        modem = gw.drivers[-1]
        assert modem.name == "modem"  # watched by the supervisor like every driver
        for _ in range(300):
            if modem.state.online:
                break
            await asyncio.sleep(0.01)
        sim.ring(RESIDENT)
        for _ in range(300):
            if any(p.get("event", {}).get("kind") == EventKind.OPEN_BY_TELEPHONE.value
                   for p in published):
                break
            await asyncio.sleep(0.01)
        event = next(p["event"] for p in published
                     if p.get("event", {}).get("kind") == EventKind.OPEN_BY_TELEPHONE.value)
        assert event["result"] == EventResult.OPENING.value and event["credential"] == RESIDENT
        modem._task.cancel()  # the driver's loop dies: the supervisor says so and restarts it
        for _ in range(500):
            if modem.alive() and modem.state.online and any(
                    "Gateway task failed: driver modem" in str(p.get("event", {})) for p in published):
                break
            await asyncio.sleep(0.01)
        assert modem.alive() and modem.state.online
        assert any("Gateway task failed: driver modem" in str(p.get("event", {}))
                   for p in published)
    finally:
        await gw.stop()
        sim.close()
