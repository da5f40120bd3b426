"""A console whose gateway goes away: a real `doorkeeper gateway` process is killed
(kill -9) under an open console, which says so (banner, bell, an error notice, the badge
offline), and is started again, which the console finds by itself; what was stored
meanwhile then shows in the Events tab, reloaded from the store."""

from __future__ import annotations

from datetime import UTC, datetime

from console.app import DoorkeeperApp
from console.headless.children import start_gateway, stop_gateway
from console.launch import attach, console_context
from console.widgets.chrome import AlarmBadge
from core.model import Event, EventKind, EventResult
from tests.console.conftest import settled, show_tab, until
from tests.console.test_events_tab import shown
from tests.console.test_live_gateway import short_socket

ADMIN = "admin@test.example"
SIZE = (100, 30)



async def test_a_killed_gateway_is_said_and_found_again_and_the_log_reloads(store, estate):
    bus = short_socket()
    gateway = start_gateway(store.where, bus, None, simulate=False)
    hub = await attach(bus, gateway)
    try:
        app = DoorkeeperApp(await console_context(store, ADMIN, hub))
        said: list[str] = []  # every notice's title (a notice on screen times out)
        notify = app.notify
        app.notify = lambda *args, **kwargs: (said.append(kwargs.get("title", "")),
                                              notify(*args, **kwargs))[1]
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await show_tab(pilot, "5")
            events = app.main.tabs["pane-eventstab"]
            banner = app.main.query_one("#gateway-banner")
            badge = app.main.query_one(AlarmBadge)
            assert not banner.display
            gateway.kill()
            gateway.wait()
            await until(pilot, lambda: banner.display, "the banner")
            assert "Gateway lost" in str(banner.render())
            assert "gateway offline" in str(badge.render())
            assert said == ["Gateway lost"]
            # stored while this console was not hearing the gateway
            writer = await store.event_writer()
            writer.append(Event(datetime.now(UTC), estate.site.id, EventKind.TAMPER,
                                EventResult.ALARM, device_id=estate.panel.id,
                                description="Tamper while the console was away"))
            await writer.flush()
            gateway = start_gateway(store.where, bus, None, simulate=False)
            await until(pilot, lambda: not banner.display, "the gateway found again", 30)
            assert "gateway offline" not in str(badge.render())
            await until(pilot, lambda: "Gateway back" in said,
                        "the Gateway back notice")  # shown just after the banner goes
            await until(pilot, lambda: "Tamper while the console was away" in shown(events),
                        "the event log reloaded")
            # commands go to the new gateway
            reply = await hub.client.request({"type": "hello"})
            assert reply.get("ok") is not False
    finally:
        await hub.close()
        stop_gateway(gateway)
