"""Devices tab, commissioning (keys n / e / d / r with Devices Create/Modify): an OSDP
reader added with its bus, address and a fresh Secure Channel key that is never shown;
only the type's own fields shown; a refusal by its field with nothing saved; removal
refused with what uses the device; a concierge sees none of these keys."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual.widgets import Input, Select, Switch

from console.screens.device_detail import DeviceDetailScreen
from console.screens.device_form import DeviceForm
from core.model import Device, DeviceType
from core.rights import Profile
from tests.conftest import dump_database, make_operator
from tests.console.conftest import context_for, press, settled, show_tab
from tests.console.setup_helpers import open_form, save, settle

SIZE = (120, 40)


async def _devices_tab(pilot):
    await settle(pilot)
    await show_tab(pilot, "2")
    await settle(pilot)
    return pilot.app.main.tabs["pane-devicestab"]


def _visible(form: DeviceForm, name: str) -> bool:
    return not form.query_one(f"#field-{name}").has_class("-hidden")


async def test_a_reader_is_commissioned_its_key_never_shown_and_its_session_restarted(
        console_ctx, make_app, store, estate):
    """Also, on the same Devices tab: the panel in use is not removed."""
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await _devices_tab(pilot)
        form = await open_form(pilot, "n", DeviceForm)
        assert _visible(form, "bus") and not _visible(form, "display_capacity")
        form.query_one("#f-name", Input).value = "Reader - Lobby"
        form.query_one("#f-bus", Input).value = "/dev/ttyUSB0"
        form.query_one("#f-address", Input).value = "200"
        form.query_one("#f-secure", Switch).value = True
        form.query_one("#f-relay1_name", Input).value = "Lobby door"
        form.query_one("#f-relay1_open_seconds", Input).value = "4"
        before = dump_database(store.where)
        await save(pilot)
        assert app.screen is form  # refused by its field, nothing saved
        assert "0 to 126" in str(form.query_one("#e-address").render())
        assert dump_database(store.where) == before
        form.query_one("#f-address", Input).value = "7"
        await save(pilot)
        assert app.screen is not form
        row = next(r for r in tab.rows if r.name == "Reader - Lobby")
        assert (row.bus, row.address, row.secure, row.sc_install) == (
            "/dev/ttyUSB0", "7", True, True)
        assert [(d.relay, d.name, d.open_seconds) for d in row.doors] == [(1, "Lobby door", 4)]
        detail = " | ".join(str(line) for line in DeviceDetailScreen(
            row, None, console_ctx.actor.now(), ZoneInfo("UTC")).lines())
        assert "Serial port: /dev/ttyUSB0" in detail
        assert "Secure Channel: key set, sent on its install key" in detail
        # modify: the key field opens empty and, left empty, keeps the key
        tab.table.move_cursor(row=tab.rows.index(row))
        form = await open_form(pilot, "e", DeviceForm)
        assert form.query_one("#f-scbk", Input).value == ""
        assert form.query_one("#f-bus", Input).value == "/dev/ttyUSB0"
        form.query_one("#f-type", Select).value = DeviceType.IPGUARD_4G
        await settled(pilot)
        assert not _visible(form, "bus") and _visible(form, "display_capacity")
        form.query_one("#f-type", Select).value = DeviceType.READER
        form.query_one("#f-name", Input).value = "Reader - Hall"
        await save(pilot)
        # restart the reader's session (r): asked of the gateway; the panel has no such key
        rows = [r.id for r in tab.rows]
        tab.table.move_cursor(row=rows.index(estate.panel.id))
        await settled(pilot)
        assert tab.check_action("restart_reader", ()) is False  # the panel: not a reader
        tab.table.move_cursor(row=rows.index(row.id))
        await settled(pilot)
        await press(pilot, "r")
        await settle(pilot)
        assert console_ctx.commander.requests == [{"type": "restart_reader",
                                                   "device_id": row.id}]
        # the panel's door is in the block's profile: its removal is refused, nothing changed
        tab.table.move_cursor(row=rows.index(estate.panel.id))
        await settled(pilot)
        notices = []
        app.notify = lambda message, **kw: notices.append(message)  # what the operator reads
        before = dump_database(store.where)
        await press(pilot, "d")
        await settle(pilot)
        await press(pilot, "y")
        await settle(pilot)
        assert any("still used by access profile 'Profil - Block C'" in n for n in notices)
        assert estate.panel.id in [r.id for r in tab.rows]
        assert dump_database(store.where) == before
    async with store.reader() as uow:
        device = (await uow.find(Device, name="Reader - Hall"))[0]
    assert len(device.scbk) == 32 and device.bus == "/dev/ttyUSB0"
    assert not any(device.scbk in str(r) for r in dump_database(store.where)["audit_entries"])


async def test_a_concierge_has_no_commissioning_keys(store, admin, estate, make_app):
    await make_operator(store, admin, "desk@test.example", estate.site.id, Profile.CONCIERGE)
    app = make_app(await context_for(store, "desk@test.example"))
    async with app.run_test(size=SIZE) as pilot:
        tab = await _devices_tab(pilot)
        assert [tab.check_action(a, ()) for a in ("add", "modify", "remove",
                                                   "restart_reader")] == [False] * 4
        assert tab.check_action("open_door", ()) is True
