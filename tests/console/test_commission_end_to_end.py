"""Commissioning a building end to end, as an installer would: from an empty store made
by `doorkeeper init --admin` (the real command, in process), through the console only
(Pilot): a site, a block, a week type (08:00-18:00 every day), an OSDP reader on its bus
(libosdp's PD on a pty, in Secure Channel), an access profile, a flat and a pass. Then
the card at the PD: OUT within the slot; at 07:59 denied with the guide's reason in the
event. The gateway runs in process and picks every change up from the store without a
restart; its reader's clock is set to the moment the card is presented."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import osdp
from textual.widgets import Input, Select, SelectionList, Switch

from console import cli
from console.app import DoorkeeperApp
from console.context import load_context
from console.headless.gateway import Gateway, GatewayOptions
from core.access import OUTSIDE_WEEK_TYPE
from core.config import Config
from core.model import Device, Door, WeekType
from drivers.osdp.cards import wiegand
from drivers.osdp.reader import Link
from store.database import Store
from tests.conftest import fixed_clock
from tests.console.conftest import RecordingCommander, press, show_tab
from tests.console.setup_helpers import save, settle
from tests.osdp.peer import KEY, Peer, PtyHub
from tests.test_gateway import short_socket

SIZE = (120, 40)
ADMIN = "installer@example.com"
CARD = 12345678  # APass 0012345678
IN_SLOT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday; London is on UTC
BEFORE_SLOT = datetime(2026, 12, 2, 7, 59, tzinfo=UTC)


def _fill(screen, **values) -> None:
    for name, value in values.items():
        screen.query_one(f"#f-{name}").value = value


async def _form(pilot, key: str):
    await press(pilot, key)
    await settle(pilot)
    return pilot.app.screen


async def _until(check, timeout: float = 5.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if value := check():
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def _events(path, device_id: int) -> list[tuple[str, str]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT result, reason FROM events WHERE device_id = ? "
                           "ORDER BY id", (device_id,)).fetchall()
    finally:
        con.close()


async def test_a_building_commissioned_from_the_console_opens_for_its_resident(tmp_path):
    path = tmp_path / "site.db"
    assert await asyncio.to_thread(cli.main, ["init", "--admin", ADMIN, "--db", str(path)]) == 0
    hub = PtyHub()
    pd = Peer(hub, 9, scbk=KEY)
    config = Config()
    config.bus.path = short_socket()
    gw = Gateway(config, await Store.open(path=path), GatewayOptions())
    store = await Store.open(path=path)
    await gw.start()
    moment = [IN_SLOT]
    gw.buses.clock = lambda: moment[0]
    try:
        ctx = await load_context(store, ADMIN, source="test", clock=fixed_clock)
        ctx.commander = RecordingCommander()
        app = DoorkeeperApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            # the site
            await _form(pilot, "S")
            form = await _form(pilot, "n")
            _fill(form, name="Harbour View", address="1 Quay Street", default_country="GB",
                  timezone="Europe/London", max_flats="200")
            await save(pilot)
            await press(pilot, "escape")
            await settle(pilot)
            assert app.main.site_id is not None
            # the block
            await show_tab(pilot, "1")
            form = await _form(pilot, "n")
            _fill(form, name="Block A")
            await save(pilot)
            # the week type
            await _form(pilot, "w")
            form = await _form(pilot, "n")
            _fill(form, name="Office hours", **{f"day{d}": "08:00-18:00" for d in range(7)})
            await save(pilot)
            await press(pilot, "escape")
            await settle(pilot)
            # the reader, on its bus, with the key it already has
            await show_tab(pilot, "2")
            form = await _form(pilot, "n")
            _fill(form, name="Reader - Entrance", bus=hub.path, address="9",
                  relay1_name="Entrance", relay1_open_seconds="4")
            form.query_one("#f-secure", Switch).value = True
            form.query_one("#f-scbk", Input).value = KEY.hex()
            await save(pilot)
            async with store.reader() as uow:
                reader = (await uow.find(Device, name="Reader - Entrance"))[0]
                door = (await uow.find(Door, device_id=reader.id))[0]
                week_type = (await uow.find(WeekType, name="Office hours"))[0]
            # the access profile
            await _form(pilot, "P")
            form = await _form(pilot, "n")
            _fill(form, name="Residents")
            form.query_one("#f-week_type_id", Select).value = week_type.id
            form.query_one("#f-door_ids", SelectionList).select(door.id)
            await save(pilot)
            await press(pilot, "escape")
            await settle(pilot)
            # the flat, and its pass
            await show_tab(pilot, "1")
            await press(pilot, "enter")
            await settle(pilot)
            form = await _form(pilot, "n")
            _fill(form, first_number="1", quantity="1")
            await save(pilot)
            flat_screen = await _form(pilot, "e")
            flat_screen.action_pane(3)
            await settle(pilot)
            form = await _form(pilot, "n")
            form.query_one("#f-source", Select).value = "create"
            _fill(form, number=f"{CARD:010d}", quantity="1", resident="Mrs Okafor")
            profile = next(v for label, v in form.fields[-1].options
                           if str(label) == "Residents")
            form.query_one("#f-access_profile_id", Select).value = profile
            await save(pilot)
            assert [p.number for p in app.screen.detail.passes] == [f"{CARD:010d}"]
        # the gateway drives the new reader on its bus, in Secure Channel
        state = await _until(lambda: hub.path in gw.buses.running
                             and gw.buses.running[hub.path][1].readers[0])
        await _until(lambda: state.link is Link.ONLINE)
        assert pd.pd.is_sc_active()
        await _until(lambda: any(f"{CARD:010d}" in s.passes  # the pass is in the snapshot
                                 for s in gw.runtime.snapshot.sites.values()))
        pd.card(wiegand(CARD))
        out = await _until(lambda: pd.of(osdp.Command.Output))
        assert out[0]["timer_count"] == 40
        moment[0] = BEFORE_SLOT
        pd.card(wiegand(CARD))
        events = await _until(lambda: len(_events(path, reader.id)) >= 2
                              and _events(path, reader.id))
        assert events[-2:] == [("Opening", ""), ("Opening DENIED", OUTSIDE_WEEK_TYPE)]
        assert len(pd.of(osdp.Command.Output)) == 1
    finally:
        await gw.stop()
        await store.close()
        pd.teardown()
        hub.close()
