"""Read models of the Alarms screen and the event detail; live events against a filter."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import PermissionDenied
from core.model import Event, EventKind, EventResult, Site
from core.rights import Profile
from core.services import operations, sites
from core.views.events import event_matches
from store.alarm_queries import alarm_page, alarm_signature, open_alarm_count
from store.event_queries import event_detail, site_devices
from store.queries import EventFilter
from tests.conftest import NOW, make_operator

pytestmark = pytest.mark.both_engines


async def _raise(store, site_id, kind, minutes_ago, device_id=None) -> None:
    writer = await store.event_writer()
    writer.append(Event(NOW - timedelta(minutes=minutes_ago), site_id, kind, EventResult.ALARM,
                        device_id=device_id))
    await writer.flush()


async def test_open_alarms_newest_first_with_names(store, admin, estate):
    site = estate.site.id
    await _raise(store, site, EventKind.TAMPER, 30, estate.panel.id)
    await _raise(store, site, EventKind.DOOR_FORCED, 10, estate.panel.id)
    await _raise(store, site, EventKind.POWER_FAILURE, 20, None)
    rows = await alarm_page(store, [site])
    assert [r.kind for r in rows] == ["Door forced", "Power failure", "Tamper"]
    assert rows[0].site == "Demo Cases" and rows[0].device == "PP4G : IP MiniPro"
    assert rows[1].device == ""
    assert await open_alarm_count(store, [site]) == 3


async def test_acknowledged_alarms_only_when_asked(store, admin, estate):
    site = estate.site.id
    await _raise(store, site, EventKind.TAMPER, 30)
    await _raise(store, site, EventKind.DOOR_HELD_OPEN, 10)
    first = (await alarm_page(store, [site]))[-1]
    before = await alarm_signature(store, [site])
    await operations.acknowledge_alarm(store.uow(), admin, first.id, "Reset the cover")
    assert await alarm_signature(store, [site]) != before
    assert [r.kind for r in await alarm_page(store, [site])] == ["Door held open"]
    every = await alarm_page(store, [site], acknowledged=True)
    assert [r.kind for r in every] == ["Door held open", "Tamper"]
    done = every[1]
    assert (done.acknowledged_by, done.note) == ("admin@test.example", "Reset the cover")
    assert done.acknowledged_at == NOW


async def test_pages_by_keyset_without_duplicates(store, admin, estate):
    writer = await store.event_writer()
    for i in range(25):
        writer.append(Event(NOW - timedelta(minutes=i // 2), estate.site.id,
                            EventKind.DOOR_HELD_OPEN, EventResult.ALARM))
    await writer.flush()
    seen, before = [], None
    while True:
        page = await alarm_page(store, [estate.site.id], before=before, limit=10)
        if not page:
            break
        seen += [r.id for r in page]
        before = page[-1].key
    assert len(seen) == len(set(seen)) == 25


async def test_only_the_sites_asked_for(store, admin, estate):
    other = await sites.create_site(store.uow(), admin, Site(name="Harbour View"))
    await _raise(store, estate.site.id, EventKind.TAMPER, 5)
    await _raise(store, other.id, EventKind.TAMPER, 5)
    assert [r.site for r in await alarm_page(store, [other.id])] == ["Harbour View"]
    assert await open_alarm_count(store, [estate.site.id, other.id]) == 2


async def test_acknowledging_needs_events_modify(store, admin, estate):
    await _raise(store, estate.site.id, EventKind.TAMPER, 5)
    alarm = (await alarm_page(store, [estate.site.id]))[0]
    viewer = await make_operator(store, admin, "viewer@test.example", estate.site.id,
                                 Profile.CUSTOM, custom=["events:consult"])
    with pytest.raises(PermissionDenied):
        await operations.acknowledge_alarm(store.uow(), viewer, alarm.id, "no")
    assert (await alarm_page(store, [estate.site.id]))[0].acknowledged_at is None


async def test_event_detail_names_what_it_refers_to(store, admin, estate):
    writer = await store.event_writer()
    flat = estate.flats[0]
    event = Event(NOW, estate.site.id, EventKind.OPEN_BY_PROXIMITY_FOB,
                  EventResult.OPENING_DENIED, device_id=estate.panel.id,
                  block_id=estate.block.id, flat_id=flat.id, credential="1111100009",
                  name="Flat 010", reason="APass unknown", description="APass number : …")
    writer.append(event)
    await writer.flush()
    detail = await event_detail(store, event.id)
    assert (detail.site, detail.device, detail.block) == ("Demo Cases", "PP4G : IP MiniPro",
                                                          "Block C")
    assert detail.flat.startswith(flat.number)
    assert detail.event["reason"] == "APass unknown"
    assert await event_detail(store, 10_000) is None
    assert [d.name for d in await site_devices(store, estate.site.id)] == ["PP4G : IP MiniPro"]


LIVE = {"site_id": 1, "at": NOW.isoformat(), "kind": "Open by proximity fob",
        "result": "Opening DENIED", "device_id": 7, "credential": "1111100009",
        "name": "Jolly, Michael"}


@pytest.mark.parametrize(("flt", "expected"), [
    (EventFilter(site_id=1), True),
    (EventFilter(site_id=2), False),
    (EventFilter(since=NOW - timedelta(hours=1)), True),
    (EventFilter(since=NOW + timedelta(seconds=1)), False),
    (EventFilter(until=NOW), False),
    (EventFilter(device_id=7), True),
    (EventFilter(device_id=8), False),
    (EventFilter(kind="Open by proximity fob"), True),
    (EventFilter(kind="Call to resident"), False),
    (EventFilter(result="Opening DENIED"), True),
    (EventFilter(result="Opening"), False),
    (EventFilter(search="1111100009"), True),
    (EventFilter(search="jolly"), True),
    (EventFilter(search="Garfield"), False),
])
def test_live_event_against_a_filter(flt, expected):
    assert event_matches(flt, LIVE, {7: "reader"}) is expected


def test_live_event_by_device_type():
    from core.model import DeviceType
    assert event_matches(EventFilter(device_type=DeviceType.READER), LIVE, {7: "reader"})
    assert not event_matches(EventFilter(device_type=DeviceType.CODE_KEYPAD), LIVE,
                             {7: "reader"})
