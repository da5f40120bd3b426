"""Tabs composed when first shown (console.screens.main): the first frame holds one
tab; what the live feed brought before a tab was ever shown is on it when it is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual import events
from textual.widgets import TabbedContent

from core.audit import jsonable
from core.model import Event, EventKind, EventResult
from tests.conftest import NOW
from tests.console.conftest import settled, show_tab

#: a tab's key and one of that tab's keys, typed at once, and the screen the second opens
TYPED_AT_ONCE = [("2o", "ConfirmScreen"),  # open the first device's door: the question
                 ("2i", "DeviceDetailScreen")]  # the first device in full

SIZE = (120, 40)
HIDDEN = ("pane-devicestab", "pane-displaystab", "pane-accesspassestab", "pane-eventstab")


async def test_only_the_tab_shown_is_composed_until_another_is_shown(console_ctx, make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        tabs = app.main.tabs
        assert app.main.query_one(TabbedContent).active == "pane-blockstab"
        assert tabs["pane-blockstab"].is_mounted and app.focused is not None
        assert [p for p in HIDDEN if tabs[p].is_mounted] == []
        await show_tab(pilot, "3")
        assert [p for p in HIDDEN if tabs[p].is_mounted] == ["pane-displaystab"]
        assert app.focused is not None and tabs["pane-displaystab"] in app.focused.ancestors
        await show_tab(pilot, "1")  # back: nothing composed twice
        await show_tab(pilot, "3")
        assert list(app.main.query_one("#pane-displaystab").children) == [
            tabs["pane-displaystab"]]


async def test_live_news_before_a_tab_was_ever_shown_is_on_it_when_it_is(
        console_ctx, make_app, store, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        event = Event(NOW - timedelta(seconds=1), estate.site.id, EventKind.DOOR_FORCED,
                      EventResult.ALARM, device_id=estate.panel.id, description="before shown")
        writer = await store.event_writer()
        writer.append_many([event])
        await writer.flush()
        console_ctx.live.put({"type": "event", "event": jsonable(event)})
        console_ctx.live.put({"type": "device", "device": {"device_id": estate.panel.id,
                                                           "online": False}})
        await console_ctx.live.shown()
        assert not app.main.tabs["pane-eventstab"].is_mounted
        await show_tab(pilot, "5")
        events = app.main.tabs["pane-eventstab"]
        assert str(events.table.get_row_at(0)[4]) == "before shown"
        await show_tab(pilot, "2")
        devices = app.main.tabs["pane-devicestab"]
        assert str(devices.table.get_cell(str(estate.panel.id), "health")) == "● Offline"


@pytest.mark.parametrize(("keys", "opens"), TYPED_AT_ONCE)
async def test_a_tabs_key_typed_just_after_the_key_that_shows_it_is_not_lost(
        console_ctx, make_app, estate, keys, opens):
    """Read from the terminal in one go, both keys are queued before either runs: the
    second must find the new tab built, read and focused (MainScreen.action_tab)."""
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        for key in keys:
            app.post_message(events.Key(key, key))
        await settled(pilot)
        assert type(app.screen).__name__ == opens
