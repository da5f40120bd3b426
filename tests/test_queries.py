"""Read models for the console's tables, paged from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.model import CallStep, Event, EventKind, EventResult, PanelDisplay
from core.services import access_passes, flats, residents
from store.queries import EventFilter, block_rows, event_page, flat_page, site_header

pytestmark = pytest.mark.both_engines


async def test_blocks_flats_and_header_in_the_guides_columns(store, admin, estate):
    flat = estate.flats[0]
    await flats.update_flat(store.uow(), admin, flat.id, code_main_door="1234")
    phone = await residents.add_telephone(store.uow(), admin, flat.id, "07546277360")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        flat.id, "Flat 1", "A22", call_chain=[CallStep(phone.id, 20)]))
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             2, flat_id=flat.id)
    (row,) = await block_rows(store, estate.site.id)
    assert (row.name, row.flats, row.devices, row.passes) == ("Block C", 3, 1, 2)
    first = await flat_page(store, estate.block.id, limit=2)
    assert [f.number for f in first] == ["001", "002"]
    assert (first[0].passes, first[0].display, first[0].call_code, first[0].telephones,
            first[0].keypad_code) == (["1111100000", "1111100001"], "Flat 1", "A22",
                                      ["+447546277360 GB"], "1234")
    rest = await flat_page(store, estate.block.id, after=first[-1].number)
    assert [f.number for f in rest] == ["003"]
    header = await site_header(store, estate.site.id)
    assert header.usage["flats"] == 3 and header.quotas["flats"] == 5


async def test_events_page_newest_first_with_filters_and_search(store, estate):
    writer = await store.event_writer()
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(250):
        writer.append(Event(t0 + timedelta(minutes=i), estate.site.id,
                            EventKind.ACCESS_BY_CODE if i % 5 == 0 else
                            EventKind.OPEN_BY_PROXIMITY_FOB,
                            EventResult.OPENING_DENIED if i % 10 == 0 else EventResult.OPENING,
                            estate.panel.id, credential=f"{1111100000 + i}",
                            name="Sully Garfield" if i == 7 else "Someone"))
    await writer.flush()
    everything = EventFilter(site_id=estate.site.id)
    page1 = await event_page(store, everything, limit=100)
    page2 = await event_page(store, everything, before=(page1[-1]["at"], page1[-1]["id"]),
                             limit=100)
    assert [e["credential"] for e in page1][:2] == ["1111100249", "1111100248"]
    assert page2[0]["credential"] == "1111100149" and len(page2) == 100
    denied = await event_page(store, EventFilter(site_id=estate.site.id,
                                                 result="Opening DENIED"))
    assert len(denied) == 25
    codes = await event_page(store, EventFilter(kind="Access by code",
                                                since=t0 + timedelta(minutes=200)))
    assert len(codes) == 10
    assert [e["credential"] for e in await event_page(store, EventFilter(
        search="1111100042"))] == ["1111100042"]
    assert [e["credential"] for e in await event_page(store, EventFilter(
        search="garfield"))] == ["1111100007"]
