"""A week type changed in the store is applied by a running gateway within a second, and
then decides by the minute: a pass presented at 07:59 against a slot 08:00-18:00 is
refused with the guide's reason, at 08:00 it opens, and on a holiday (no holiday slot) it
is refused. Real store, real bus socket, the simulator as the reader."""

from __future__ import annotations

import asyncio
import time as clock
from dataclasses import replace
from datetime import UTC, date, datetime, time

from console.headless.bus.client import BusClient
from core.access import OUTSIDE_WEEK_TYPE
from core.model import TimeWindow
from core.services import schedules
from tests.test_gateway import gateway, next_event  # noqa: F401 (the fixture)

#: a Wednesday in winter: London time is UTC
WEDNESDAY = date(2026, 12, 2)
CHRISTMAS = date(2026, 12, 25)
PASS = "1111100000"


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=UTC)


async def test_a_week_type_change_is_applied_within_a_second(gateway, store, admin,  # noqa: F811
                                                             estate):
    sim = gateway.drivers[0]
    client = await BusClient.connect(gateway.config.bus.path)

    async def present(moment: datetime) -> dict:
        sim.clock = lambda: moment
        sim.present(PASS, estate.panel.id)
        return (await next_event(client))["event"]

    try:
        first = await present(at(WEDNESDAY, 7, 59))
        assert first["result"] == "Opening"  # "Always"
        office = replace(estate.week_type, windows=[TimeWindow(d, time(8), time(18))
                                                    for d in range(7)])
        await schedules.add_holiday(store.uow(), admin, estate.site.id, CHRISTMAS, "Christmas")
        await schedules.save_week_type(store.uow(), admin, office)
        saved = clock.monotonic()
        while (event := await present(at(WEDNESDAY, 7, 59)))["result"] == "Opening":
            assert clock.monotonic() - saved < 1.0, "the week type was not applied within 1 s"
            await asyncio.sleep(0.02)
        assert event["reason"] == OUTSIDE_WEEK_TYPE
        assert (await present(at(WEDNESDAY, 8, 0)))["result"] == "Opening"
        assert (await present(at(WEDNESDAY, 18, 0)))["result"] == "Opening"
        assert (await present(at(WEDNESDAY, 18, 1)))["reason"] == OUTSIDE_WEEK_TYPE
        holiday = await present(at(CHRISTMAS, 10, 0))
        assert holiday["result"] != "Opening" and holiday["reason"] == OUTSIDE_WEEK_TYPE
    finally:
        await client.close()
