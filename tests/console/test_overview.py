"""The live overview (key O): per site its open alarms by kind, devices offline, events
per hour and door activity, read once, then kept up from the bus; only the sites where
the operator consults Events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.live import GATEWAY_BACK, GATEWAY_LOST
from console.screens.overview import OverviewScreen, SiteLine
from core.audit import jsonable
from core.model import Event, EventKind, EventResult, Site
from core.rights import Profile
from core.services import sites
from tests.conftest import NOW, make_operator
from tests.console.conftest import context_for, press, settled, until
from tests.console.test_snapshots import SIZES

SIZE = (80, 24)


async def write(store, *events: Event) -> None:
    writer = await store.event_writer()
    writer.append_many(events)
    await writer.flush()


def publish(ctx, *events: Event) -> None:
    """What the gateway's bus carries once the events are stored."""
    for e in events:
        kind = "alarm" if e.kind.is_alarm else "event"
        ctx.live.put({"type": kind, "event": jsonable(e)})


async def open_overview(pilot) -> OverviewScreen:
    await settled(pilot)
    await press(pilot, "O")
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OverviewScreen)
    return screen


def line(screen: OverviewScreen, site_id: int) -> dict[str, str]:
    """A site's line as shown: its cells by class, and the chart's data."""
    found = next(s for s in screen.query(SiteLine) if s.site_id == site_id)
    cells = {name: str(found.query_one(f".ov-{name}").render())
             for name in ("name", "alarms", "offline", "now", "kinds")}
    cells["chart"] = found.query_one(".ov-chart").data
    return cells


def doors(screen: OverviewScreen) -> str:
    return str(screen.query_one("#ov-doors").render())


async def test_alarms_offline_devices_and_door_events_arrive_live(console_ctx, make_app, store,
                                                                  estate):
    site = estate.site.id
    door = Event(NOW - timedelta(hours=2), site, EventKind.OPEN_BY_PROXIMITY_FOB,
                 EventResult.OPENING, device_id=estate.panel.id, credential="1111100007",
                 name="Michael Jolly")
    await write(store, door)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)  # the key is in the ? help and the palette
        assert app.screen.active_bindings["O"].binding.description == "Overview"
        screen = await open_overview(pilot)
        first = line(screen, site)
        assert (first["name"], first["alarms"], first["offline"]) == ("Demo Cases", "0", "0")
        assert first["chart"][-3] == 1 and sum(first["chart"]) == 1
        assert "Michael Jolly" in doors(screen)
        # an alarm and a device going offline, stored then published as the gateway does
        forced = Event(NOW, site, EventKind.DOOR_FORCED, EventResult.ALARM,
                       device_id=estate.panel.id, name="PP4G : IP MiniPro")
        offline = Event(NOW, site, EventKind.DEVICE_OFFLINE, EventResult.ALARM,
                        device_id=estate.panel.id)
        code = Event(NOW, site, EventKind.ACCESS_BY_CODE, EventResult.OPENING_DENIED,
                     device_id=estate.panel.id, credential="9999")
        await write(store, forced, offline, code)
        publish(console_ctx, forced, offline, code)
        await console_ctx.live.shown()
        await until(pilot, lambda: line(screen, site)["alarms"] == "⚠ 2", "the alarms counted")
        now = line(screen, site)
        assert now["offline"] == "1"
        assert now["kinds"] in ("Door forced 1 · Device offline 1",
                                "Device offline 1 · Door forced 1")
        assert now["chart"][-1] == 3 and now["now"] == "3"  # this hour: the three events
        assert doors(screen).splitlines()[0].split()[:3] == ["10:00:00", "Opening", "DENIED"]
        assert "⚠" not in doors(screen)
        assert "2 open alarms · 1 device offline" in str(screen.query_one("#ov-title").render())
        # the gateway goes away: said in the title; back: read again from the store
        console_ctx.live.put({"type": GATEWAY_LOST})
        await console_ctx.live.shown()
        title = screen.query_one("#ov-title")
        await until(pilot, lambda: "gateway lost" in str(title.render()), "the gateway lost")
        console_ctx.live.put({"type": GATEWAY_BACK})
        await console_ctx.live.shown()
        await until(pilot, lambda: "gateway lost" not in str(title.render()), "it is back")
        assert line(screen, site)["now"] == "3"
        await press(pilot, "escape")
        assert app.screen is app.main and app.main.overview is None


@pytest.fixture
async def two_sites(store, admin, estate) -> tuple[int, int]:
    other = await sites.create_site(store.uow(), admin, Site(
        name="Other Court", max_panels=1, max_flats=5, max_foreign_numbers=0,
        max_panel_names=1))
    await make_operator(store, admin, "desk@test.example", estate.site.id, Profile.CONCIERGE)
    return estate.site.id, other.id


async def test_a_one_site_concierge_sees_only_their_site(store, admin, estate, make_app,
                                                        two_sites):
    mine, other = two_sites
    theirs = Event(NOW, other, EventKind.TAMPER, EventResult.ALARM)
    await write(store, theirs, Event(NOW, other, EventKind.ACCESS_BY_CODE, EventResult.OPENING,
                                     credential="4242", name="Elsewhere"))
    ctx = await context_for(store, "desk@test.example")
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overview(pilot)
        assert [s.site_id for s in screen.query(SiteLine)] == [mine]
        assert line(screen, mine)["alarms"] == "0"
        assert "Elsewhere" not in doors(screen)
        late = Event(NOW, other, EventKind.ACCESS_BY_CODE, EventResult.OPENING,
                     credential="4243", name="Elsewhere too")
        await write(store, late)
        publish(ctx, late, theirs)
        await ctx.live.shown()
        await settled(pilot)
        assert sum(line(screen, mine)["chart"]) == 0
        assert "Elsewhere" not in doors(screen)
        assert "0 open alarms" in str(screen.query_one("#ov-title").render())


async def test_without_events_rights_there_is_no_overview_key(store, admin, estate, make_app):
    await make_operator(store, admin, "blocks@test.example", estate.site.id, Profile.CUSTOM,
                        custom=["blocks:consult"])
    app = make_app(await context_for(store, "blocks@test.example"))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert "O" not in app.screen.active_bindings
        await pilot.press("O")
        await settled(pilot)
        assert app.screen is app.main


@pytest.fixture(scope="module")
def estate_db(tmp_path_factory):
    from tests.console.estate_file import build_estate_file
    return build_estate_file(tmp_path_factory.mktemp("overview") / "estate.db")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview_snapshot(snap_compare, estate_db, size):
    from tests.console.test_snapshots import app_over
    assert snap_compare(app_over(estate_db), press=["_", "O", "_"], terminal_size=size)


async def test_a_long_door_line_stays_one_line_at_80_columns(console_ctx, make_app, store,
                                                              estate):
    """A door event whose name does not fit is cut with '…', never wrapped onto a line
    of its own (which a concierge would read as another event)."""
    import re

    from textual.geometry import Region

    long_name = "Bartholomew-Fitzwilliam " * 4
    event = Event(NOW, estate.site.id, EventKind.OPEN_BY_PROXIMITY_FOB, EventResult.OPENING,
                  credential="1111100001", name=long_name)
    await write(store, event)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overview(pilot)
        widget = screen.query_one("#ov-doors")
        strips = widget.render_lines(Region(0, 0, *widget.outer_size))
        shown = [s.text.strip() for s in strips if s.text.strip()]
        assert shown, "no door line shown"
        assert all(re.match(r"\d\d:\d\d:\d\d ", text) for text in shown), shown
        assert any("Bartholomew" in text and text.endswith("…") for text in shown), shown
