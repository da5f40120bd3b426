"""The Events tab: the site's log newest first in the guide's columns, its filters,
paging by keyset, the live tail, and the event detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert
from textual.widgets import Input, Select, Static

from console.screens.event_detail import EventDetailScreen
from console.tabs.events import COLUMNS, EventsTab, EventTable
from console.widgets.log_table import LogTable
from core.audit import jsonable
from core.model import Event, EventKind, EventResult
from store import tables as t
from tests.conftest import NOW
from tests.console.conftest import handled, press, settled, show_tab, type_into, until

SIZE = (120, 40)
K, R = EventKind, EventResult


async def write(store, *events: Event) -> list[Event]:
    writer = await store.event_writer()
    writer.append_many(events)
    await writer.flush()
    return list(events)


async def add_reader(store, estate) -> int:
    async with store.engine.begin() as conn:
        result = await conn.execute(insert(t.devices).values(
            site_id=estate.site.id, name="MK2 Reader", type="reader", block_id=estate.block.id,
            gsm_access_point=False, address="", notes=""))
        return result.inserted_primary_key[0]


def ev(estate, ago: timedelta, kind: EventKind, result: EventResult, description: str,
       device_id: int | None = None, **fields) -> Event:
    return Event(NOW - ago, estate.site.id, kind, result,
                 device_id=estate.panel.id if device_id is None else device_id,
                 description=description, **fields)


async def open_events(app, pilot) -> EventsTab:
    await settled(pilot)
    await show_tab(pilot, "5")
    return app.main.tabs["pane-eventstab"]


def detail_lines(app) -> dict[str, str]:
    """The event detail's lines, label -> value, as shown."""
    return {str(line.query_one(".detail-label").render()):
            str(line.query_one(".detail-value").render())
            for line in app.screen.query(".detail-line")}


def shown(tab: EventsTab) -> list[str]:
    """The Description column of the rows held, top to bottom."""
    return [str(tab.table.get_row_at(i)[4]) for i in range(tab.table.row_count)]


async def test_newest_first_in_the_guides_columns(console_ctx, make_app, store, estate):
    h = timedelta(hours=1)
    await write(store,
                ev(estate, 3 * h, K.CALL_TO_RESIDENT, R.COMMUNICATION_NOT_COMPLETED, "oldest"),
                ev(estate, h, K.ACCESS_BY_CODE, R.OPENING, "Code entered : 23456"),
                ev(estate, 2 * h, K.DOOR_FORCED, R.ALARM, "middle"))
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        table = tab.table
        assert [str(c.label) for c in table.ordered_columns] == [c.label for c in COLUMNS]
        assert shown(tab) == ["Code entered : 23456", "middle", "oldest"]
        first = [str(c) for c in table.get_row_at(0)]
        # Europe/London in November is UTC
        assert first == ["2026-11-27 09:00:00", "PP4G : IP MiniPro", "Access by code",
                         "Opening", "Code entered : 23456"]
        styles = [table.get_row_at(i)[3].style for i in range(3)]
        assert styles == ["green", "bold red", "yellow"]


@pytest.fixture
async def log(store, estate) -> dict[str, int]:
    """Five events over two months on the panel and a reader; returns the reader id."""
    reader = await add_reader(store, estate)
    d, h = timedelta(days=1), timedelta(hours=1)
    await write(store,
                ev(estate, h, K.CALL_TO_RESIDENT, R.OPENING, "A", credential="+447546277360",
                   name="Sully Garfield"),
                ev(estate, 2 * h, K.OPEN_BY_PROXIMITY_FOB, R.OPENING_DENIED, "B", reader,
                   credential="1111100009", name="(Appl) Flat 010", reason="APass unknown"),
                ev(estate, 3 * d, K.ACCESS_BY_CODE, R.OPENING, "C", credential="23456"),
                ev(estate, 20 * d, K.CALL_TO_RESIDENT, R.COMMUNICATION_NOT_COMPLETED, "D",
                   credential="+447498433382", name="Jolly, Michael"),
                ev(estate, 60 * d, K.DOOR_FORCED, R.ALARM, "E", reader))
    return {"reader": reader}


#: (selects set, fields typed, descriptions expected): one app runs them all, clearing
#: the filters (x) between cases
FILTER_CASES = [
    ({}, {}, "ABCDE"),
    ({"ev-result": "Opening DENIED"}, {}, "B"),
    ({"ev-kind": "Call to resident"}, {}, "AD"),
    ({"ev-device": "$reader"}, {}, "BE"),
    ({"ev-type": "reader"}, {}, "BE"),
    ({"ev-type": "IPGUARD 4G", "ev-result": "Opening"}, {}, "AC"),
    ({"ev-period": "today"}, {}, "AB"),
    ({"ev-period": "7d"}, {}, "ABC"),
    ({"ev-period": "30d"}, {}, "ABCD"),
    ({}, {"ev-from": "2026-11-06", "ev-to": "2026-11-24"}, "CD"),
    ({}, {"ev-from": "2026-11-27"}, "AB"),
    ({}, {"ev-search": "1111100009"}, "B"),
    ({}, {"ev-search": "+447546277360"}, "A"),
    ({}, {"ev-search": "jolly"}, "D"),
    ({"ev-kind": "Call to resident"}, {"ev-search": "garfield"}, "A"),
]


async def test_filters_narrow_the_log(console_ctx, make_app, log):
    """Each step waits until the tab has handled it, the log read included."""
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        await press(pilot, "f")
        for selects, inputs, expected in FILTER_CASES:
            for widget_id, value in selects.items():
                select = tab.query_one(f"#{widget_id}", Select)
                async with handled(tab, Select.Changed):
                    select.value = log[value[1:]] if value.startswith("$") else value
            for widget_id, value in inputs.items():
                field = tab.query_one(f"#{widget_id}", Input)
                field.focus()
                await type_into(pilot, field, value)
                async with handled(tab, Input.Submitted):
                    await pilot.press("enter")
            assert "".join(shown(tab)) == expected, (selects, inputs)
            await press(pilot, "x")  # clear filters: everything again
            assert "".join(shown(tab)) == "ABCDE"


async def test_search_key_focuses_the_search_field(console_ctx, make_app, log):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        await pilot.press("s")
        assert app.focused is tab.query_one("#ev-search")
        await pilot.press(*"Garfield")
        # applied after a short pause in typing
        await until(pilot, lambda: shown(tab) == ["A"], "the search applied")
        await pilot.press("escape")
        assert app.focused is tab.table


async def test_a_bad_date_is_named_and_changes_nothing(console_ctx, make_app, log):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        await press(pilot, "f")
        field = tab.query_one("#ev-to", Input)
        field.focus()
        await type_into(pilot, field, "2026-13-40")
        async with handled(tab, Input.Submitted):
            await pilot.press("enter")
        assert "To: a date as YYYY-MM-DD" in str(tab.query_one("#ev-error", Static).render())
        assert "".join(shown(tab)) == "ABCDE"
        async with handled(tab, Input.Changed, times=2):
            tab.query_one("#ev-from", Input).value = "2026-11-27"
            tab.query_one("#ev-to", Input).value = "2026-11-01"
        await tab.apply_filters()
        assert "To must not be before From" in str(tab.query_one("#ev-error").render())
        assert "".join(shown(tab)) == "ABCDE"


async def test_paging_down_loads_the_next_page_without_duplicates(console_ctx, make_app,
                                                                  store, estate):
    await write(store, *(ev(estate, timedelta(seconds=i // 3), K.ACCESS_BY_CODE, R.OPENING,
                            f"n{i}") for i in range(250)))
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        table = tab.table
        assert len(table.rows_held) == table.first_page  # a screenful first
        for _ in range(3):  # about 90 rows down: past the first page, pages follow
            await press(pilot, "pagedown")  # the next page is read by a worker
            await app.workers.wait_for_complete()
        assert len(table.rows_held) in (150, 250) and 60 < table.cursor_row < 100
        for _ in range(2):
            await press(pilot, "ctrl+end")
            await app.workers.wait_for_complete()
        ids = [r["id"] for r in table.rows_held]
        assert len(ids) == len(set(ids)) == 250 == table.row_count
        keys = [(r["at"], r["id"]) for r in table.rows_held]
        assert keys == sorted(keys, reverse=True)


async def test_a_live_event_joins_at_the_top_when_following(console_ctx, make_app, store,
                                                            estate, log):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        (new,) = await write(store, ev(estate, timedelta(0), K.OPEN_BY_TELEPHONE, R.OPENING,
                                       "live one"))
        console_ctx.live.put({"type": "event", "event": jsonable(new)})
        await console_ctx.live.shown()
        assert shown(tab)[:2] == ["live one", "A"]
        assert tab.table.cursor_row == 0
        assert str(tab.query_one("#ev-new", Static).render()) == ""


async def test_a_live_event_joins_from_the_bus_before_it_is_stored(console_ctx, make_app,
                                                                   store, estate, log):
    """The tail shows what the bus carries (no store query per batch); its detail is
    read from the store once the writer has it."""
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        fetches = []
        fetch = tab.table.fetch

        async def counted(after, limit):
            fetches.append(after)
            return await fetch(after, limit)

        tab.table.fetch = counted
        new = ev(estate, timedelta(0), K.OPEN_BY_TELEPHONE, R.OPENING, "late")
        console_ctx.live.put({"type": "event", "event": jsonable(new)})
        await console_ctx.live.shown()
        assert shown(tab)[:2] == ["late", "A"]
        assert fetches == []  # the store was not asked
        await write(store, new)
        async with handled(tab, LogTable.RowSelected):  # the detail is read, then shown
            await pilot.press("enter")
        assert isinstance(app.screen, EventDetailScreen)
        assert detail_lines(app)["Description"] == "late"


async def test_a_live_event_does_not_move_the_cursor_when_not_following(console_ctx, make_app,
                                                                        store, estate, log):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        await pilot.press("down", "down")
        before = tab.table.current["id"]
        (new,) = await write(store, ev(estate, timedelta(0), K.TAMPER, R.ALARM, "live one"))
        other_site = {**jsonable(new), "site_id": estate.site.id + 1}
        console_ctx.live.put({"type": "alarm", "event": jsonable(new)})
        console_ctx.live.put({"type": "event", "event": other_site})
        await console_ctx.live.shown()
        assert tab.table.cursor_row == 2 and tab.table.current["id"] == before
        assert shown(tab)[0] == "A"
        note = str(tab.query_one("#ev-new", Static).render())
        assert note == "▲ 1 new event — Home to see them"
        async with handled(tab, EventTable.Newest):  # the tab reads the log again
            await pilot.press("home")
        assert shown(tab)[:2] == ["live one", "A"] and tab.table.cursor_row == 0
        assert str(tab.query_one("#ev-new", Static).render()) == ""


async def test_a_live_event_outside_the_filter_is_not_counted(console_ctx, make_app, store,
                                                              estate, log):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        await press(pilot, "f")
        async with handled(tab, Select.Changed):
            tab.query_one("#ev-result", Select).value = "Opening DENIED"
        await pilot.press("f", "down")  # nowhere to go: still following
        (new,) = await write(store, ev(estate, timedelta(0), K.ACCESS_BY_CODE, R.OPENING, "ok"))
        console_ctx.live.put({"type": "event", "event": jsonable(new)})
        await console_ctx.live.shown()
        assert shown(tab) == ["B"]
        assert str(tab.query_one("#ev-new", Static).render()) == ""


HOSTILE = "[bold red]boom[/] [@click=app.quit]x[/]\x1b[31m red\x07"


async def test_the_detail_shows_every_field_and_hostile_text_literally(console_ctx, make_app,
                                                                       store, estate):
    flat = estate.flats[0]
    await write(store, ev(estate, timedelta(minutes=5), K.OPEN_BY_PROXIMITY_FOB,
                          R.OPENING_DENIED, HOSTILE, block_id=estate.block.id,
                          flat_id=flat.id, credential="1111100009", name="[i]Flat 010[/i]",
                          reason="APass unknown"))
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        async with handled(tab, LogTable.RowSelected):
            await pilot.press("enter")
        assert isinstance(app.screen, EventDetailScreen)
        lines = detail_lines(app)
        assert lines["Description"] == "[bold red]boom[/] [@click=app.quit]x[/] red"
        assert lines["Name associated"] == "[i]Flat 010[/i]"
        assert lines["Pattern"] == "APass unknown"
        assert lines["Credential"] == "1111100009"
        assert lines["Device"] == "PP4G : IP MiniPro (IPGUARD 4G)"
        assert lines["Block"] == "Block C" and lines["Site"] == "Demo Cases"
        assert lines["Flat"].startswith(flat.number)
        assert lines["Date & time"].startswith("2026-11-27 09:55:00")
        assert (lines["Event type"], lines["Result"]) == ("Open by proximity fob",
                                                          "Opening DENIED")
        await press(pilot, "escape")
        assert app.screen is app.main


async def test_events_that_came_while_another_tab_was_shown_join_when_back(
        console_ctx, make_app, store, estate, log):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        await show_tab(pilot, "1")
        (new,) = await write(store, ev(estate, timedelta(0), K.OPEN_BY_TELEPHONE, R.OPENING,
                                       "while away"))
        console_ctx.live.put({"type": "event", "event": jsonable(new)})
        await console_ctx.live.shown()
        assert shown(tab)[0] == "A"  # a hidden tab does not redraw
        await show_tab(pilot, "5")
        assert shown(tab)[:2] == ["while away", "A"]
