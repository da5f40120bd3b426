"""GSM modems commissioned in the console (a device with a serial port, no [[modem]]
section): the gateway drives one added in the store without a restart, moves it when
its port changes, stops it when it is removed; a modem on a port already taken is a
"Modem not driven" alarm until mended; `--simulate` drives the store's modems on
simulated modems, and sends SMS by them when no route is set. One gateway walks the
first three."""

from __future__ import annotations

from core.config import Config
from core.model import Device, DeviceType, Event, EventKind
from core.services import devices, sms
from core.services.sms import Selection
from drivers.modem.driver import ModemDriver
from drivers.modem.simulated import SimulatedModem
from store.database import Store
from tests.conftest import eventually
from tests.sms.conftest import MOBILE_3, phones_estate
from tests.test_gateway import short_socket


async def _events(store, kind: EventKind) -> list[Event]:
    async with store.reader() as uow:
        return await uow.find(Event, kind=kind)


async def test_a_modem_added_in_the_store_is_driven_moved_and_stopped(store, admin, estate):
    from console.headless.gateway import Gateway, GatewayOptions

    sim, other = SimulatedModem(), SimulatedModem()
    config = Config()
    config.bus.path = short_socket()
    config.gateway.change_poll_ms = 50
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gw.start()
    try:
        assert gw.modems.running == {}
        modem = await devices.create_device(store.uow(), admin, Device(
            estate.site.id, "DATA modem", DeviceType.GSM_MODEM, block_id=estate.block.id,
            bus=sim.path))
        gw._changed.set()  # a console's change notice on the bus does this
        driver = (await eventually(lambda: gw.modems.running.get(modem.id)))[1]
        assert isinstance(driver, ModemDriver) and driver in gw.runtime.drivers
        await eventually(lambda: driver.state.online and "AT+CREG=1" in sim.commands)
        assert f"driver modem {sim.path}" in gw.supervisor.parts
        # a second modem on the same port: not driven, an alarm saying why
        clash = await devices.create_device(store.uow(), admin, Device(
            estate.site.id, "Spare modem", DeviceType.GSM_MODEM, bus=sim.path))
        gw._changed.set()
        await eventually(lambda: clash.id in gw.modems.not_driven)
        # moved to another port: driven there; the spare is then driven on the first
        await devices.update_device(store.uow(), admin, modem.id, bus=other.path)
        gw._changed.set()
        moved = (await eventually(lambda: (p := gw.modems.running.get(modem.id))
                                  and p[0].port == other.path and p))[1]
        await eventually(lambda: moved.state.online and "AT+CREG=1" in other.commands)
        await eventually(lambda: clash.id in gw.modems.running and not gw.modems.not_driven)
        await devices.delete_device(store.uow(), admin, clash.id)
        await devices.delete_device(store.uow(), admin, modem.id)
        gw._changed.set()
        await eventually(lambda: not gw.modems.running)
        assert not [d for d in gw.runtime.drivers if isinstance(d, ModemDriver)]
    finally:
        await gw.stop()
        sim.close()
        other.close()
    not_driven = await _events(store, EventKind.MODEM_NOT_DRIVEN)
    driven = await _events(store, EventKind.MODEM_DRIVEN)
    assert [e.device_id for e in not_driven] == [clash.id] and "already DATA modem's" in (
        not_driven[0].description)
    assert [e.device_id for e in driven] == [clash.id]


async def test_simulate_drives_the_store_modems_on_simulated_modems(store, admin, estate):
    from console.headless.gateway import Gateway, GatewayOptions

    modem = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "DATA modem", DeviceType.GSM_MODEM, block_id=estate.block.id))
    config = Config()
    config.bus.path = short_socket()
    gw = Gateway(config, await Store.open(path=store.where),
                 GatewayOptions(simulate=True, rate=0.001))
    await gw.start()
    try:
        driver = gw.modems.running[modem.id][1]
        sim = gw.modems.simulators[modem.id]
        assert driver.config.port == sim.path
        await eventually(lambda: driver.state.online and driver.state.info.get("signal"))
        assert driver.state.info["registration"] == "home"
        # no [sms] route set: a simulated gateway sends by the simulated modem (the demo's
        # Messages screen goes all the way to "sent"; nothing real is dialled)
        assert gw.sms_routes.config.route == "modem" and config.sms.route == ""
        flat = await phones_estate(store, admin, estate)
        await sms.send_sms(store.uow(), admin, Selection(flat.site_id, flat_ids=(
            flat.flat_ids[2],)), "Boiler service today")
        gw.sms.wake()  # a console's change notice does this
        await eventually(lambda: sim.sent == [(MOBILE_3, "Boiler service today")], 10)
    finally:
        await gw.stop()
    assert not gw.modems.simulators  # closed with the gateway
