"""A console's first frame (console.screens.main, console.widgets.chrome): the live feed
waits until it is drawn and loses nothing meanwhile, and the chrome is not drawn again
when it learns its size just after it (docs/ssh-sessions.md, where a start's CPU goes)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from console.screens.main import MainScreen
from console.widgets.chrome import SiteHeaderBar, SiteTree
from core.audit import jsonable
from core.model import Event, EventKind, EventResult
from core.views.blocks import site_header
from tests.conftest import NOW
from tests.console.conftest import settled, show_tab

SIZE = (120, 40)
#: the first read held this long (a loaded machine), events arriving meanwhile
SLOW_READ_S = 1.0


def count_frames(app: Any) -> list[int]:
    """The full frames of the main screen drawn so far (once it is mounted: its first
    read done), in a one-item list."""
    frames = [0]
    display = app._display

    def counted(screen: Any, renderable: Any) -> None:
        if renderable is not None and isinstance(screen, MainScreen) and screen.is_mounted:
            frames[0] += 1
        display(screen, renderable)

    app._display = counted
    return frames


async def test_no_live_batch_is_taken_before_the_first_frame_and_none_is_lost(
        console_ctx, make_app, store, estate):
    events = [Event(NOW - timedelta(seconds=5 - i), estate.site.id, EventKind.DOOR_FORCED,
                    EventResult.ALARM, device_id=estate.panel.id, description=f"early {i}")
              for i in range(3)]
    writer = await store.event_writer()
    writer.append_many(events)
    await writer.flush()
    app = make_app(console_ctx)
    frames = count_frames(app)
    live = console_ctx.live
    drains: list[tuple[int, int]] = []  # (frames drawn then, events in the batch)
    drain = live.drain

    def drained():
        batch = drain()
        drains.append((frames[0], len(batch.events)))
        return batch

    live.drain = drained
    view = console_ctx.view
    first = [True]

    async def slow_first_read(read, *args, **kwargs):
        # a loaded machine: the first read of the site header is slow, and events
        # arrive meanwhile
        if first[0] and read is site_header:
            first[0] = False
            live.put({"type": "event", "event": jsonable(events[1])})
            await asyncio.sleep(SLOW_READ_S)
            live.put({"type": "event", "event": jsonable(events[2])})
        return await view(read, *args, **kwargs)

    console_ctx.view = slow_first_read
    live.put({"type": "event", "event": jsonable(events[0])})  # before the console runs
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await asyncio.sleep(0.6)  # a few drain ticks
        await settled(pilot)
        assert drains and all(drawn >= 1 for drawn, _ in drains), drains
        assert sum(n for _, n in drains) == 3  # all three, in one batch or more
        await show_tab(pilot, "5")
        table = app.main.tabs["pane-eventstab"].table
        shown = {str(table.get_row_at(i)[4]) for i in range(3)}
        assert shown == {"early 0", "early 1", "early 2"}


async def test_the_chrome_is_not_drawn_again_when_it_learns_its_size(console_ctx, make_app):
    app = make_app(console_ctx)
    at_first_frame: list[tuple[int, object]] = []
    display = app._display

    def noted(screen: Any, renderable: Any) -> None:
        if renderable is not None and not at_first_frame and \
                app.screen.query(SiteHeaderBar) and app.main.query_one(SiteHeaderBar).content:
            tree, header = app.main.query_one(SiteTree), app.main.query_one(SiteHeaderBar)
            at_first_frame.append((tree._updates, header.content))
        display(screen, renderable)

    app._display = noted
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await asyncio.sleep(0.3)
        await settled(pilot)
        tree, header = app.main.query_one(SiteTree), app.main.query_one(SiteHeaderBar)
        # the tree's lines and the header's text are those of the first frame: both
        # learnt their size after it, and neither was drawn again for that
        assert at_first_frame == [(tree._updates, header.content)]
        assert at_first_frame[0][1] is header.content
        await pilot.resize_terminal(200, 40)  # wider: the header lengthens its labels
        await settled(pilot)
        assert header.content is not at_first_frame[0][1]
        assert "Qty of panels 1/2" in str(header.render())
        assert tree._drawn_width == tree.size.width


async def test_the_terminal_saying_its_size_again_draws_nothing_a_real_resize_does(
        console_ctx, make_app):
    """The driver says the terminal's size once it starts; on a loaded machine that comes
    after the first frame, which was laid out at that very size (console.app)."""
    from textual import events
    from textual.geometry import Size

    app = make_app(console_ctx)
    frames = count_frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await asyncio.sleep(0.2)
        await settled(pilot)
        drawn = frames[0]
        assert drawn >= 1
        same = Size(*SIZE)
        app.post_message(events.Resize(same, same))  # as the driver says it
        await asyncio.sleep(0.2)
        await settled(pilot)
        assert frames[0] == drawn, "the same size was laid out and drawn again"
        assert app.main.outer_size == same
        await pilot.resize_terminal(90, 28)  # a real resize: laid out and drawn anew
        await settled(pilot)
        assert frames[0] > drawn
        assert app.main.outer_size == Size(90, 28)
