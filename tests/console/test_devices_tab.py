"""The Devices tab: the site's devices with their doors, health live from the gateway,
opening a door from the desk, the detail, and who sees what."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, TabbedContent

from console.screens.device_detail import DeviceDetailScreen, DoorPickScreen
from console.widgets.form import ConfirmScreen
from core.model import Device, DeviceType, Door
from core.rights import Profile
from core.services import devices
from tests.conftest import make_operator
from tests.console.conftest import context_for, settled, show_tab

SIZE = (120, 40)
#: wide enough for every column (narrower, the least needed give way: test_narrow_devices)
WIDE = (200, 40)


def cells(app, device_id: int) -> dict[str, str]:
    """One device's row by column key, as plain text."""
    table = app.main.tabs["pane-devicestab"].table
    row = table.get_row(str(device_id))
    return {str(key.value): str(cell) for key, cell in zip(table.columns, row, strict=True)}


def device_msg(device_id: int, online: bool, last_seen: str | None = None,
               **counters: int) -> dict:
    return {"type": "device", "device": {"device_id": device_id, "online": online,
                                         "last_seen": last_seen, "counters": counters}}


async def open_devices(pilot) -> None:
    await settled(pilot)
    await show_tab(pilot, "2")


async def test_lists_the_panel_with_its_door_and_unknown_health(console_ctx, make_app, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=WIDE) as pilot:
        await open_devices(pilot)
        assert app.screen.query_one(TabbedContent).active == "pane-devicestab"
        row = cells(app, estate.panel.id)
        assert row["device"] == "PP4G : IP MiniPro" and row["type"] == "IPGUARD 4G"
        assert row["block"] == "Block C" and row["gsm"] == "✓"
        assert row["doors"] == "Main entrance R1 5 s"
        assert (row["health"], row["seen"], row["counters"]) == ("unknown", "—", "")
        tab = app.main.tabs["pane-devicestab"]
        assert "1 device" in str(tab.query_one("#devices-summary").render())


async def test_live_reports_turn_it_offline_and_online_cell_by_cell(console_ctx, make_app,
                                                                     estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        tab = app.main.tabs["pane-devicestab"]
        reloads = 0
        original = tab.reload

        async def counting_reload():
            nonlocal reloads
            reloads += 1
            await original()
        tab.reload = counting_reload
        # the fixed clock is 10:00:00 UTC
        console_ctx.live.put(device_msg(estate.panel.id, False, "2026-11-27T09:59:48+00:00",
                                        grants=12, denials=3))
        await console_ctx.live.shown()
        row = cells(app, estate.panel.id)
        assert row["health"] == "● Offline"
        assert row["seen"] == "12 s ago"
        assert row["counters"] == "grants 12 · denials 3"
        console_ctx.live.put(device_msg(estate.panel.id, True, "2026-11-26T09:00:00+00:00",
                                        grants=13))
        await console_ctx.live.shown()
        row = cells(app, estate.panel.id)
        # a day back: the site's own time (Europe/London is UTC in November)
        assert (row["health"], row["seen"], row["counters"]) == (
            "● Online", "2026-11-26 09:00", "grants 13")
        assert reloads == 0  # health never reloads the list
        assert "1 online · 0 offline" in str(tab.query_one("#devices-summary").render())


async def test_health_that_came_while_hidden_shows_when_the_tab_is_opened(console_ctx,
                                                                          make_app, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        await show_tab(pilot, "1")
        console_ctx.live.put(device_msg(estate.panel.id, False, "2026-11-27T09:58:00+00:00"))
        await console_ctx.live.shown()
        await show_tab(pilot, "2")
        assert cells(app, estate.panel.id)["health"] == "● Offline"
        assert cells(app, estate.panel.id)["seen"] == "2 min ago"


async def test_a_change_saved_elsewhere_reloads_the_list(console_ctx, make_app, estate, store,
                                                         admin):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        await devices.update_device(store.uow(), admin, estate.panel.id, name="Front panel")
        console_ctx.live.put({"type": "changed"})
        await console_ctx.live.shown()
        assert cells(app, estate.panel.id)["device"] == "Front panel"


async def test_o_then_y_sends_one_open_door_and_notifies(console_ctx, make_app, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        await pilot.press("o")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Open Main entrance for 5 s?"
        await pilot.press("y")
        await settled(pilot)
        assert console_ctx.commander.requests == [{"type": "open_door",
                                                   "door_id": estate.door.id}]
        assert [n.message for n in app._notifications] == ["Main entrance opened for 5 s"]


async def test_o_then_n_sends_nothing(console_ctx, make_app, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        await pilot.press("o", "n")
        await settled(pilot)
        assert console_ctx.commander.requests == []
        assert not isinstance(app.screen, ConfirmScreen)


async def test_a_refusal_shows_the_gateways_message_as_an_error(console_ctx, make_app, estate):
    from core.errors import PermissionDenied

    async def refuse(msg):
        raise PermissionDenied("You may not open doors on Demo Cases.")
    console_ctx.commander.request = refuse
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        await pilot.press("o", "y")
        await settled(pilot)
        [note] = list(app._notifications)
        assert note.message == "You may not open doors on Demo Cases." and note.severity == "error"


async def test_several_doors_are_picked_and_a_reader_opens_its_control_units(
        console_ctx, make_app, store, admin, estate):
    unit = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Centrale", DeviceType.CONTROL_UNIT, block_id=estate.block.id),
        [Door(0, 1, "Back door"), Door(0, 2, "Bin store", open_seconds=8)])
    reader = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "MK2 Reader", DeviceType.READER, block_id=estate.block.id,
        parent_id=unit.id))
    async with store.reader() as uow:
        bin_store = (await uow.find(Door, device_id=unit.id, relay=2))[0]
    app = make_app(console_ctx)
    async with app.run_test(size=WIDE) as pilot:
        await open_devices(pilot)
        tab = app.main.tabs["pane-devicestab"]
        assert cells(app, reader.id)["doors"] == "↳ Back door R1 5 s, Bin store R2 8 s"
        assert cells(app, reader.id)["parent"] == "Centrale"
        tab.table.move_cursor(row=[r.id for r in tab.rows].index(reader.id))
        await pilot.press("o")
        await settled(pilot)
        assert isinstance(app.screen, DoorPickScreen)
        await pilot.press("escape")  # no door picked: nothing asked, nothing sent
        await settled(pilot)
        assert not isinstance(app.screen, DoorPickScreen)
        await pilot.press("o", "down", "enter")
        await settled(pilot)
        assert app.screen.question == "Open Bin store for 8 s?"
        await pilot.press("y")
        await settled(pilot)
        assert console_ctx.commander.requests == [{"type": "open_door", "door_id": bin_store.id}]


async def test_a_device_with_no_door_has_no_open_key(console_ctx, make_app, store, admin,
                                                     estate):
    modem = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "DATA modem", DeviceType.GSM_MODEM))
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        tab = app.main.tabs["pane-devicestab"]
        tab.table.move_cursor(row=[r.id for r in tab.rows].index(modem.id))
        await settled(pilot)
        assert "o" not in app.screen.active_bindings
        await pilot.press("o")
        await settled(pilot)
        assert console_ctx.commander.requests == [] and not isinstance(app.screen,
                                                                       ConfirmScreen)
        tab.table.move_cursor(row=[r.id for r in tab.rows].index(estate.panel.id))
        await settled(pilot)
        assert "o" in app.screen.active_bindings


async def test_enter_shows_the_device_in_full(console_ctx, make_app, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        msg = device_msg(estate.panel.id, True, "2026-11-27T09:59:30+00:00", polls=40,
                         **{"round trip ms": 13})
        msg["device"]["info"] = {"vendor": "[b]ACME[/b]", "model": "MK2 v1.2"}  # OSDP ID
        console_ctx.live.put(msg)
        await console_ctx.live.shown()
        assert cells(app, estate.panel.id)["counters"] == "polls 40 · round trip 13 ms"
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, DeviceDetailScreen)
        text = "\n".join(str(line) for line in app.screen.lines())
        for part in ("Type: IPGUARD 4G", "Block: Block C", "GSM access point: yes",
                     "Health: ● Online", "Last seen: 30 s ago (2026-11-27 09:59:30 GMT)",
                     "polls: 40", "round trip: 13 ms", "vendor: [b]ACME[/b]",
                     "model: MK2 v1.2",
                     "Relay 1: Main entrance — opens 5 s, held-open alarm after "
                     "30 s"):
            assert part in text
        await pilot.press("escape")
        await settled(pilot)
        assert not isinstance(app.screen, DeviceDetailScreen)


@pytest.mark.parametrize(("profile", "custom", "sees"), [
    (Profile.ADMINISTRATION, None, True),
    (Profile.MANAGEMENT, None, True),
    (Profile.CONCIERGE, None, True),
    (Profile.TECHNICAL_MAINTENANCE, None, True),
    (Profile.CUSTOM, {"devices:consult", "events:consult"}, True),
    (Profile.CUSTOM, {"events:consult", "blocks:consult"}, False),
])
async def test_who_sees_the_tab_and_the_open_door_key(store, admin, estate, make_app, profile,
                                                      custom, sees):
    grant = {"custom": sorted(custom)} if custom else {}
    await make_operator(store, admin, "op@test.example", estate.site.id, profile, **grant)
    ctx = await context_for(store, "op@test.example")
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        tab = app.main.tabs["pane-devicestab"]
        tabbed = app.screen.query_one(TabbedContent)
        assert (tabbed.active == "pane-devicestab") is sees
        assert tab.check_action("open_door", ()) is sees
        assert ("o" in app.screen.active_bindings) is sees
        await pilot.press("o", "y")
        await settled(pilot)
        assert len(ctx.commander.requests) == (1 if sees else 0)
        # a tab is composed when first shown: one the operator may not see never is
        assert (isinstance(tab.table, DataTable) if sees else not tab.is_mounted)


async def test_a_block_selected_in_the_tree_lists_only_its_devices(console_ctx, make_app, store,
                                                                   admin, estate):
    from core.model import Block
    from core.services import blocks
    other = await blocks.create_block(store.uow(), admin, Block(estate.site.id, "Block D"))
    keypad = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Keypad D", DeviceType.CODE_KEYPAD, block_id=other.id))
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_devices(pilot)
        tab = app.main.tabs["pane-devicestab"]
        assert {r.id for r in tab.rows} == {estate.panel.id, keypad.id}
        await app.main.select(estate.site.id, other.id)
        await settled(pilot)
        assert [r.id for r in tab.rows] == [keypad.id]
        assert tab.table.row_count == 1
        await app.main.select(estate.site.id, estate.block.id)
        await settled(pilot)
        assert [r.id for r in tab.rows] == [estate.panel.id]


async def test_narrow_devices_keep_device_and_health_and_give_way_in_order(console_ctx,
                                                                            make_app):
    """At 80 columns the least needed columns give way (the device's detail has them
    all); widening brings them back."""
    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_devices(pilot)
        tab = app.main.tabs["pane-devicestab"]
        narrow = list(tab.keys)
        assert {"device", "health"} <= set(narrow) and "gsm" not in narrow
        assert narrow == [k for k in ("device", "type", "health", "seen", "block", "doors",
                                      "parent", "gsm", "counters") if k in narrow]
        assert [str(c.value) for c in tab.table.columns] == narrow
        await pilot.resize_terminal(240, 40)
        await pilot.pause()
        assert len(tab.keys) == 9 and [str(c.value) for c in tab.table.columns] == tab.keys
