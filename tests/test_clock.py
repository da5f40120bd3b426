"""The gateway's clock: "Clock not synchronised" on every console and cleared again, a jump
of more than a minute as an event with both times.

The clock source is faked at its boundary (the wall and monotonic clocks and the time
service's answer: `ClockSource`), the gateway, its store and its bus are real; the time
services themselves are stood in for by small scripts named timedatectl and chronyc on
PATH, so the real subprocess path is what is tested.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from console.headless.bus.client import BusClient
from console.headless.clock import ClockSource, ClockWatch
from core.config import Config
from core.model import EventKind
from store.database import Store
from tests.conftest import eventually
from tests.test_gateway import next_event, short_socket

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


class FakeClock(ClockSource):
    """The system's clocks as the test sets them."""

    def __init__(self, synced: bool | None = True) -> None:
        self.now, self.mono, self.synced = T0, 1000.0, synced

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    async def synchronised(self) -> tuple[bool | None, str]:
        return self.synced, "timedatectl" if self.synced is not None else "no time service"

    def tick(self, seconds: float, step: float = 0.0) -> None:
        """`seconds` pass; the wall clock is also set `step` seconds ahead (or back)."""
        self.mono += seconds
        self.now += timedelta(seconds=seconds + step)


def open_alarms(db: str, kind: EventKind) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM alarms WHERE kind = ? AND cleared_at IS NULL",
                           (kind.value,)).fetchone()[0]


async def test_an_unsynchronised_clock_rings_every_console_until_it_is_synchronised(
        store, estate):
    from console.headless.gateway import Gateway, GatewayOptions

    clock = FakeClock(synced=True)
    config = Config()
    config.bus.path = short_socket()
    gateway = Gateway(config, await Store.open(path=store.where), GatewayOptions(clock=clock))
    client = None
    try:
        await gateway.start()
        client = await BusClient.connect(config.bus.path)
        await eventually(lambda: gateway.clock.synced)  # the first check, at start
        clock.synced = False  # the time service loses its servers
        clock.tick(30)
        await gateway.clock.check()
        alarm = await next_event(client, kinds=("alarm",))
        assert alarm["event"]["kind"] == "Clock not synchronised"
        assert "timedatectl says the clock is not synchronised" in alarm["event"]["description"]
        await gateway.clock.check()  # still not: no second alarm
        clock.synced = True
        clock.tick(30)
        await gateway.clock.check()
        back = await next_event(client)
        assert back["event"]["kind"] == "Clock synchronised"
        await gateway.writer.flush()
        assert open_alarms(store.where, EventKind.CLOCK_NOT_SYNCHRONISED) == 0
        clock.tick(30, step=-300)  # set back five minutes
        await gateway.clock.check()
        jump = await next_event(client)
        assert jump["event"]["kind"] == "Clock jumped"
        assert jump["event"]["description"] == (
            "Clock jumped backward by 5 min 0 s: it said 2026-12-03 09:01:30 UTC, "
            "now 2026-12-03 08:56:30 UTC.")
    finally:
        if client is not None:
            await client.close()
        await gateway.stop()


async def test_an_open_clock_alarm_is_cleared_by_the_next_gateway(store, estate):
    from console.headless.gateway import Gateway, GatewayOptions

    for synced in (False, True):  # a gateway raises it; the next one finds the clock good
        config = Config()
        config.bus.path = short_socket()
        gateway = Gateway(config, await Store.open(path=store.where),
                          GatewayOptions(clock=FakeClock(synced)))
        await gateway.start()
        await eventually(lambda g=gateway, s=synced: g.clock.synced is s)
        await gateway.stop()
        assert open_alarms(store.where, EventKind.CLOCK_NOT_SYNCHRONISED) == (not synced)


@pytest.mark.parametrize("seconds, step, kinds", [
    (30, 0, []),  # time passing is no jump
    (30, 45, []),  # a step within the threshold (NTP slews or steps a little)
    (30, 61, ["Clock jumped"]),
    (30, -61, ["Clock jumped"]),
    (3600, 3600 * 24, ["Clock jumped"]),
])
async def test_only_a_step_of_more_than_the_threshold_is_a_jump(seconds, step, kinds):
    seen: list[tuple[EventKind, str]] = []
    clock = FakeClock()

    async def newest():
        return None
    watch = ClockWatch(lambda k, d: seen.append((k, d)), newest, source=clock, jump_s=60)
    await watch.check()
    clock.tick(seconds, step)
    await watch.check()
    assert [k.value for k, _ in seen] == kinds


@pytest.mark.parametrize("behind, alarmed", [(0, False), (50, False), (3600, True)])
async def test_with_no_time_service_a_clock_behind_the_newest_event_is_not_synchronised(
        behind, alarmed):
    seen: list[EventKind] = []

    async def newest():
        return T0 + timedelta(seconds=behind)
    watch = ClockWatch(lambda k, d: seen.append(k), newest, source=FakeClock(None), jump_s=60)
    await watch.check()
    assert seen == ([EventKind.CLOCK_NOT_SYNCHRONISED] if alarmed else [])


@pytest.mark.parametrize("timedatectl, chronyc, expected", [
    ("echo yes", None, (True, "timedatectl")),
    ("echo no", None, (False, "timedatectl")),
    ("exit 1", "printf 'Reference ID    : 0\\nLeap status     : Not synchronised\\n'",
     (False, "chrony")),
    (None, "printf 'Leap status     : Normal\\n'", (True, "chrony")),
    (None, None, (None, "no time service")),
])
async def test_the_time_services_are_asked_in_turn(tmp_path, monkeypatch, timedatectl, chronyc,
                                                   expected):
    for name, script in (("timedatectl", timedatectl), ("chronyc", chronyc)):
        if script is not None:
            path = tmp_path / name
            path.write_text(f"#!/bin/sh\n{script}\n")
            path.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert await ClockSource().synchronised() == expected
