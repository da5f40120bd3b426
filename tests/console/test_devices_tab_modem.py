"""A GSM modem's health on the Devices tab at 80x24: registration and signal bars in the
Health column, network, signal in dBm, operator and counters in the detail (plain text)."""

from __future__ import annotations

from console.screens.device_detail import DeviceDetailScreen
from core.model import Device, DeviceType
from core.services import devices
from tests.console.conftest import context_for, settled
from tests.console.test_devices_tab import cells, device_msg, open_devices


async def test_a_modems_health_reads_plainly_at_80x24(store, admin, estate, make_app):
    modem = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "DATA modem", DeviceType.GSM_MODEM, block_id=estate.block.id,
        parent_id=estate.panel.id))
    ctx = await context_for(store, "admin@test.example")
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_devices(pilot)
        msg = device_msg(modem.id, True, "2026-11-27T09:59:58+00:00", calls=7,
                         **{"SMS received": 2, "timeouts": 1})
        msg["device"]["info"] = {"registration": "roaming", "signal": "▂▄▆_ -83 dBm",
                                 "operator": "\x1b[31mEvil\x1b[0m Net"}
        ctx.live.put(msg)
        await ctx.live.shown()
        row = cells(app, modem.id)
        assert row["health"] == "● Online roaming ▂▄▆_"
        assert "counters" not in row  # given way at 80 columns: the detail has them
        app.main.tabs["pane-devicestab"].table.move_cursor(
            row=[r.id for r in app.main.tabs["pane-devicestab"].rows].index(modem.id))
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, DeviceDetailScreen)
        text = "\n".join(str(line) for line in app.screen.lines())
        for part in ("Health: ● Online roaming ▂▄▆_", "Last seen: 2 s ago",
                     "registration: roaming", "signal: ▂▄▆_ -83 dBm", "calls: 7",
                     "SMS received: 2"):
            assert part in text, part
        assert "\x1b" not in text
