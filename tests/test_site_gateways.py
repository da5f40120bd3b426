"""Site gateways (`doorkeeper gateway --site`): two gateways for different sites on one
PostgreSQL database, each holding and driving its own sites only; a command carried out
by the owner alone; the claims; --site on SQLite; names that are no site."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import time

import pytest

from console.headless.bus.connect import connect
from console.headless.gateway import Gateway, GatewayOptions
from console.headless.sites import SiteScope, resolve_sites
from core.config import Config, DriverConfig
from core.devices import OpenDoor
from core.errors import ConfigError
from core.model import (
    AccessProfile,
    Block,
    Device,
    DeviceType,
    Door,
    EventKind,
    Site,
    TimeWindow,
    WeekType,
)
from core.services import access_passes, blocks, devices, flats, schedules, sites
from tests.conftest import SmallEstate, reopen

on_pg = pytest.mark.parametrize("store_engine", ["postgresql"], indirect=True)


async def second_site(store, admin, name: str = "Byron Court") -> SmallEstate:
    """A second small site: a block, three flats, a panel with its door, a profile."""
    site = await sites.create_site(store.uow(), admin, Site(
        name=name, max_panels=2, max_flats=5, max_foreign_numbers=1, max_panel_names=3))
    block = await blocks.create_block(store.uow(), admin, Block(site.id, "Block A"))
    made = await flats.create_flats(store.uow(), admin, block.id, 1, 3)
    panel = await devices.create_device(store.uow(), admin, Device(
        site.id, "PP4G : Byron", DeviceType.IPGUARD_4G, block_id=block.id,
        gsm_access_point=True), [Door(0, 1, "Front door")])
    async with store.reader() as uow:
        door = (await uow.find(Door, device_id=panel.id))[0]
    wt = await schedules.save_week_type(store.uow(), admin, WeekType(
        site.id, "Always", [TimeWindow(d, time(0, 0), time(23, 59)) for d in range(8)]))
    profile = await schedules.save_access_profile(store.uow(), admin, AccessProfile(
        site.id, "Profil - Block A", wt.id, [door.id]))
    block = await blocks.update_block(store.uow(), admin, block.id,
                                      default_access_profile_id=profile.id)
    return SmallEstate(site, block, made, panel, door, profile, wt)


def gateway_for(store, sites: list[str]) -> Gateway:
    config = Config()
    config.bus.path = store.engine.url.render_as_string(hide_password=False)
    config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
    return Gateway(config, store, GatewayOptions(sites=sites))


@pytest.fixture
async def two_sites(store, admin, estate):
    byron = await second_site(store, admin)
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             1, flat_id=estate.flats[0].id)
    await access_passes.create_access_passes(store.uow(), admin, byron.site.id, "2222200000",
                                             1, flat_id=byron.flats[0].id)
    return estate, byron


@pytest.fixture
async def gateways(store, two_sites):
    estate, byron = two_sites
    one = gateway_for(await reopen(store), ["Demo Cases"])
    two = gateway_for(await reopen(store), [str(byron.site.id)])  # by id
    await one.start()
    await two.start()
    yield one, two
    await one.stop()
    await two.stop()


async def events_of(client, n: int, timeout: float = 5.0) -> list[dict]:
    got: list[dict] = []

    async def read() -> None:
        async for msg in client.messages():
            if msg.get("type") == "event":
                got.append(msg["event"])
                if len(got) == n:
                    return
    await asyncio.wait_for(read(), timeout)
    return got


@on_pg
async def test_each_gateway_holds_and_drives_only_its_own_sites(two_sites, gateways):
    (estate, byron), (one, two) = two_sites, gateways
    assert set(one.runtime.snapshot.sites) == {estate.site.id}
    assert set(two.runtime.snapshot.sites) == {byron.site.id}
    assert set(one.drivers[0].devices) == {estate.panel.id}
    assert set(two.drivers[0].devices) == {byron.panel.id}
    assert one.scope.describe() == "Demo Cases" and two.scope.describe() == "Byron Court"
    restart = {"type": "restart_reader", "device_id": byron.panel.id}
    assert await two.scope.owns(restart, two.runtime.snapshot, two.store)
    assert not await one.scope.owns(restart, one.runtime.snapshot, one.store)
    # each one's journal is its own, should the centre go away
    assert one.store.spill_file != two.store.spill_file


@on_pg
async def test_open_door_is_carried_out_by_the_owner_alone_and_both_sites_events_arrive(
        store, admin, two_sites, gateways):
    (estate, byron), (one, two) = two_sites, gateways
    client = await connect(one.config.bus.path)
    try:
        hello = await client.request({"type": "hello"})
        assert hello["ok"]
        reply = await client.request({"type": "open_door", "operator_id": admin.operator.id,
                                      "door_id": byron.door.id, "seconds": 6})
        assert reply["ok"] is True
        await asyncio.sleep(0.1)  # a second reply, had the other gateway answered, is gone
        assert OpenDoor(byron.panel.id, byron.door.id, 1, 6) in two.drivers[0].commands
        assert not [c for c in one.drivers[0].commands if isinstance(c, OpenDoor)]
        (remote,) = await events_of(client, 1)
        assert remote["kind"] == "Remote opening" and remote["site_id"] == byron.site.id
        one.drivers[0].present("1111100000", estate.panel.id)
        two.drivers[0].present("2222200000", byron.panel.id)
        got = await events_of(client, 2)
        assert {e["site_id"] for e in got} == {estate.site.id, byron.site.id}
        assert {e["result"] for e in got} == {"Opening"}
    finally:
        await client.close()


@on_pg
async def test_an_alarm_is_acknowledged_by_its_sites_gateway(store, admin, two_sites,
                                                             gateways):
    (_, byron), (one, two) = two_sites, gateways
    two.runtime.system_event(EventKind.GATEWAY_TASK_FAILED, "a test's alarm")
    alarm_id = await _wait_alarm(store, byron.site.id)
    msg = {"type": "ack_alarm", "alarm_id": alarm_id, "operator_id": admin.operator.id,
           "note": "seen"}
    assert await two.scope.owns(msg, two.runtime.snapshot, two.store)
    assert not await one.scope.owns(msg, one.runtime.snapshot, one.store)
    assert not await one.scope.owns({"type": "ack_alarm", "alarm_id": 10 ** 9},
                                    one.runtime.snapshot, one.store)
    client = await connect(one.config.bus.path)
    try:
        assert (await client.request(msg))["ok"] is True
        again = await client.request(msg)  # answered once, by the owner: already done
        assert again["ok"] is False and "already acknowledged" in again["error"]
    finally:
        await client.close()


async def _wait_alarm(store, site_id: int, timeout: float = 5.0) -> int:
    from sqlalchemy import select

    from store import tables as t

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with store.engine.connect() as conn:
            found = (await conn.execute(select(t.alarms.c.id).where(
                t.alarms.c.site_id == site_id))).first()
        if found is not None:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no alarm")


@on_pg
async def test_a_site_already_served_is_refused_at_start_with_one_line(store, gateways):
    third = gateway_for(await reopen(store), ["Byron Court"])
    with pytest.raises(ConfigError, match="^site Byron Court is already served by another "
                                          "gateway$"):
        await third.run()
    # refused before its event writer opened the journal the serving gateway writes to
    assert third.writer is None and gateways[1].store.spill_file.exists()
    every = gateway_for(await reopen(store), [])
    with pytest.raises(ConfigError, match="another gateway already serves this store"):
        await every.run()


@on_pg
async def test_a_gateway_for_every_site_keeps_site_gateways_out(store, two_sites):
    every = gateway_for(await reopen(store), [])
    await every.start()
    try:
        site = gateway_for(await reopen(store), ["Demo Cases"])
        with pytest.raises(ConfigError, match="already served by another gateway .one "
                                              "started without --site"):
            await site.run()
    finally:
        await every.stop()
    again = gateway_for(await reopen(store), ["Demo Cases"])  # once it is gone
    await again.start()
    await again.stop()


async def test_a_site_that_does_not_exist_is_one_line_naming_it(store, estate):
    with pytest.raises(ConfigError, match=r"^--site 'Nowhere': there is no such site in the "
                                          r"store \(its sites: Demo Cases\)\.$"):
        await resolve_sites(store, ["Demo Cases", "Nowhere"])
    assert await resolve_sites(store, []) is None
    assert await resolve_sites(store, ["demo cases"]) == {estate.site.id: "Demo Cases"}


async def test_on_sqlite_a_site_gateway_refuses_another_sites_door_with_why(
        store, admin, tmp_path, two_sites):
    estate, byron = two_sites
    config = Config()
    config.bus.path = str(tmp_path / "bus.sock")
    config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
    gw = Gateway(config, await reopen(store), GatewayOptions(sites=["Demo Cases"]))
    await gw.start()
    client = await connect(config.bus.path)
    try:
        assert set(gw.runtime.snapshot.sites) == {estate.site.id}
        refused = await client.request({"type": "open_door", "operator_id": admin.operator.id,
                                        "door_id": byron.door.id})
        assert refused["ok"] is False
        assert refused["error"] == ("This door is not on a site this gateway serves (Demo "
                                    "Cases); its site's gateway carries it out.")
        ok = await client.request({"type": "open_door", "operator_id": admin.operator.id,
                                   "door_id": estate.door.id})
        assert ok["ok"] is True
    finally:
        await client.close()
        await gw.stop()


def test_a_scope_of_every_site_owns_everything():
    scope = SiteScope()
    assert scope.ids is None and scope.owns_site(42) and scope.describe() == "every site"
    assert scope.own_devices([1, 2], None) == [1, 2]  # type: ignore[arg-type]


def _config(tmp_path, store) -> str:
    path = tmp_path / "doorkeeper.toml"
    url = store.engine.url.render_as_string(hide_password=False)
    path.write_text(f'[store]\nurl = "{url}"\npath = "{tmp_path / "doorkeeper.db"}"\n')
    return str(path)


def _gateway_process(config: str, *sites: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "console.cli", "gateway", "--config", config, "--simulate",
            "--rate", "0"]
    for site in sites:
        argv += ["--site", site]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def _answers(url: str, proc: subprocess.Popen[str], door_id: int, operator_id: int,
                   timeout: float = 60.0) -> dict:
    """open_door on a door until a gateway answers it (the process is starting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        assert proc.poll() is None, proc.communicate()[1]
        client = await connect(url)
        try:
            return await client.request({"type": "open_door", "operator_id": operator_id,
                                         "door_id": door_id}, timeout=1.0)
        except Exception:
            if loop.time() > deadline:
                raise
        finally:
            await client.close()
        await asyncio.sleep(0.2)


@on_pg
async def test_real_gateway_processes_for_two_sites_and_a_claim_refused(store, admin,
                                                                        two_sites, tmp_path):
    estate, byron = two_sites
    config = _config(tmp_path, store)
    url = store.engine.url.render_as_string(hide_password=False)
    demo = _gateway_process(config, "Demo Cases")
    others: list[subprocess.Popen[str]] = []
    try:
        assert (await _answers(url, demo, estate.door.id, admin.operator.id))["ok"]
        same = _gateway_process(config, str(estate.site.id))
        others.append(same)
        _, err = await asyncio.to_thread(same.communicate, timeout=120)
        assert same.returncode == 2
        assert err.strip().splitlines()[-1].endswith(
            "site Demo Cases is already served by another gateway")
        byron_gw = _gateway_process(config, "Byron Court")
        others.append(byron_gw)
        assert (await _answers(url, byron_gw, byron.door.id, admin.operator.id))["ok"]
    finally:
        for proc in (demo, *others):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (demo, *others):
            await asyncio.to_thread(proc.communicate, timeout=60)
    assert demo.returncode == 0 and others[1].returncode == 0
    async with store.engine.connect() as conn:
        from sqlalchemy import select

        from store import tables as t
        e = t.events.c
        opened = (await conn.execute(select(e.site_id).where(
            e.kind == EventKind.REMOTE_OPENING.value))).scalars().all()
    assert set(opened) == {estate.site.id, byron.site.id}  # each by its own site's gateway


def test_a_site_that_does_not_exist_stops_the_gateway_command_with_one_line(store, estate):
    done = subprocess.run([sys.executable, "-m", "console.cli", "gateway", "--db", store.where,
                           "--site", "Demo Cases", "--site", "Byron Cort"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith(
        "--site 'Byron Cort': there is no such site in the store (its sites: Demo Cases).")
