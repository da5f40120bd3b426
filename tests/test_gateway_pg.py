"""A gateway whose store is in PostgreSQL speaks on PostgreSQL's LISTEN/NOTIFY: a console
that only has the database's URL (another machine's) sees its events live, opens a door
through it, and is refused what its operator may not do. Real server (tests/pg.py)."""

from __future__ import annotations

import asyncio

import pytest

from console.headless.bus.connect import connect
from console.headless.bus.pg import PgConsoleBus, PgGatewayBus
from core.config import Config, DriverConfig
from core.devices import OpenDoor
from core.model import Operator
from core.rights import Profile
from core.services import access_passes, operators
from tests.conftest import make_operator, reopen

#: every test here runs on PostgreSQL only (the SQLite gateway: tests/test_gateway.py)
pytestmark = pytest.mark.parametrize("store_engine", ["postgresql"], indirect=True)


@pytest.fixture
async def gateway(store, admin, estate):
    from console.headless.gateway import Gateway, GatewayOptions

    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             2, flat_id=estate.flats[0].id)
    config = Config()
    config.bus.path = store.engine.url.render_as_string(hide_password=False)
    config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
    gw = Gateway(config, await reopen(store), GatewayOptions())
    await gw.start()
    yield gw
    await gw.stop()


async def next_event(client, timeout: float = 5.0) -> dict:
    async def read():
        async for msg in client.messages():
            if msg.get("type") in ("event", "alarm"):
                return msg
        raise AssertionError("bus closed")
    return await asyncio.wait_for(read(), timeout)


async def test_events_reach_a_console_that_has_only_the_database(store, admin, estate,
                                                                  gateway):
    assert isinstance(gateway.bus, PgGatewayBus)
    client = await connect(gateway.config.bus.path)
    assert isinstance(client, PgConsoleBus)
    try:
        assert (await client.request({"type": "hello"}))["ok"]
        gateway.drivers[0].present("1111100000", estate.panel.id)
        msg = await next_event(client)
        assert msg["event"]["result"] == "Opening" and msg["event"]["credential"] == "1111100000"
    finally:
        await client.close()


async def test_open_door_from_afar_is_checked_audited_and_carried_out(store, admin, estate,
                                                                      gateway):
    concierge = await make_operator(store, admin, "desk@test.example", estate.site.id,
                                    Profile.CONCIERGE)
    nobody = await operators.add_operator(store.uow(), admin, Operator("x@test.example"))
    client = await connect(gateway.config.bus.path)
    try:
        reply = await client.request({"type": "open_door", "operator_id": concierge.operator.id,
                                      "door_id": estate.door.id, "seconds": 8,
                                      "source": "ssh 192.0.2.7"})
        assert reply["ok"] is True
        msg = await next_event(client)
        assert msg["event"]["kind"] == "Remote opening"
        await asyncio.sleep(0.05)
        assert OpenDoor(estate.panel.id, estate.door.id, 1, 8) in gateway.drivers[0].commands
        refused = await client.request({"type": "open_door", "operator_id": nobody.id,
                                        "door_id": estate.door.id})
        assert refused["ok"] is False and "no access" in refused["error"]
    finally:
        await client.close()


async def test_a_second_gateway_on_the_same_database_stops_with_one_line(store, gateway):
    from console.headless.gateway import Gateway, GatewayOptions
    from core.errors import ConfigError

    config = Config()
    config.bus.path = gateway.config.bus.path
    second = Gateway(config, await reopen(store), GatewayOptions())
    with pytest.raises(ConfigError, match="another gateway already serves this store"):
        await second.bus.start()
    await second.store.close()
