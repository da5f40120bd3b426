"""The Events tab's Block and Flat N° filters: exact, by id (Appt. 041 is never 0419),
the Block filled from the block picked in the tree, a Flat N° that is not in the block
named and nothing changed, and the live tail filtered the same way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Input, Select, Static

from core.audit import jsonable
from core.model import Block, Event, EventKind, EventResult, Flat
from core.services import blocks, flats
from tests.conftest import NOW
from tests.console.conftest import handled, press, settled, type_into
from tests.console.test_events_tab import open_events, shown

SIZE = (120, 40)


@pytest.fixture
async def places(store, admin, estate) -> dict[str, int]:
    """Block D with flats 041 and 0419, and one event each (plus one in Block C)."""
    other = await blocks.create_block(store.uow(), admin, Block(estate.site.id, "Block D"))
    made = {n: await flats.create_flat(store.uow(), admin, Flat(other.id, n, f"Appt. {n}"))
            for n in ("041", "0419")}
    writer = await store.event_writer()
    for i, (desc, block_id, flat_id) in enumerate([
            ("c-flat-1", estate.block.id, estate.flats[0].id),
            ("d-041", other.id, made["041"].id),
            ("d-0419", other.id, made["0419"].id)]):
        writer.append(Event(NOW - timedelta(minutes=i + 1), estate.site.id,
                            EventKind.ACCESS_BY_CODE, EventResult.OPENING,
                            device_id=estate.panel.id, block_id=block_id, flat_id=flat_id,
                            description=desc))
    await writer.flush()
    return {"C": estate.block.id, "D": other.id, "041": made["041"].id,
            "0419": made["0419"].id}


async def type_flat(pilot, tab, typed: str) -> None:
    field = tab.query_one("#ev-flat", Input)
    field.value = ""
    field.focus()
    await type_into(pilot, field, typed)
    async with handled(tab, Input.Submitted):
        await pilot.press("enter")


async def test_block_and_flat_filters_are_exact(console_ctx, make_app, store, estate, places):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_events(app, pilot)
        assert shown(tab) == ["c-flat-1", "d-041", "d-0419"]
        # a Flat N° needs its block (the same Flat N° can be in every block)
        await press(pilot, "f")
        await type_flat(pilot, tab, "041")
        error = tab.query_one("#ev-error", Static)
        assert str(error.render()) == "Flat N°: choose the block first."
        assert shown(tab) == ["c-flat-1", "d-041", "d-0419"]
        # the block picked in the tree fills the Block filter (and clears the Flat N°)
        await app.main.select(estate.site.id, places["D"])
        await settled(pilot)
        assert shown(tab) == ["d-041", "d-0419"] and not error.display
        assert tab.query_one("#ev-block", Select).value == places["D"]
        await type_flat(pilot, tab, "041")
        assert shown(tab) == ["d-041"]
        assert "Block D › Flat N° 041" in str(tab.query_one("#ev-summary", Static).render())
        # a live event of the other flat does not join; one of this flat does
        writer = await store.event_writer()
        for flat, desc in (("0419", "live-0419"), ("041", "live-041")):
            live = Event(NOW, estate.site.id, EventKind.ACCESS_BY_CODE, EventResult.OPENING,
                         device_id=estate.panel.id, block_id=places["D"],
                         flat_id=places[flat], description=desc)
            writer.append(live)
            await writer.flush()  # stored, then published, as the gateway does
            console_ctx.live.put({"type": "event", "event": jsonable(live)})
        await console_ctx.live.shown()
        assert shown(tab) == ["live-041", "d-041"]
        # a Flat N° not in the block is named, and the list stays as it was
        await type_flat(pilot, tab, "7")
        assert str(error.render()) == "Flat N° 7 is not a flat of Block D."
        assert shown(tab) == ["live-041", "d-041"]
        # another block from the bar: its events (Flat N° cleared first)
        await type_flat(pilot, tab, "")
        async with handled(tab, Select.Changed):
            tab.query_one("#ev-block", Select).value = places["C"]
        assert shown(tab) == ["c-flat-1"]
        await press(pilot, "escape", "x")  # clear: every event of the site
        assert shown(tab) == ["live-041", "live-0419", "c-flat-1", "d-041", "d-0419"]

