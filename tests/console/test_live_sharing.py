"""Sessions of one process share store reads such as the alarm count (console/live.py SharedReads) and
take their batches less often once the process serves many."""

from __future__ import annotations

import asyncio

import pytest

from console import live
from console.live import BUSY_DRAIN_S, BUSY_SESSIONS, DRAIN_S, LiveHub


class Reads:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> int:
        self.count += 1
        await asyncio.sleep(0.01)
        return self.count


async def test_one_read_serves_every_session_until_alarm_news_arrives():
    hub = LiveHub(client=None)  # no bus needed: messages are dispatched by hand
    sessions = [hub.subscribe() for _ in range(20)]
    read = Reads()
    counts = await asyncio.gather(*(s.shared_read("k", read) for s in sessions))
    assert counts == [1] * 20 and read.count == 1
    hub.dispatch({"type": "alarm", "event": {"site_id": 1}})
    counts = await asyncio.gather(*(s.shared_read("k", read) for s in sessions))
    assert counts == [2] * 20 and read.count == 2
    # the recount half a second later (the alarm is stored by then) is one read too
    await asyncio.sleep(0.06)
    later = await asyncio.gather(*(s.shared_read("k", read, later=0.05) for s in sessions))
    assert later == [3] * 20 and read.count == 3


async def test_a_failed_read_is_not_handed_to_the_next_session():
    hub = LiveHub(client=None)
    session = hub.subscribe()
    calls = []

    async def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("database is locked")
        return 7

    with pytest.raises(OSError):
        await session.shared_read("k", flaky)
    assert await session.shared_read("k", flaky) == 7


def test_a_busy_process_drains_half_as_often(monkeypatch):
    monkeypatch.setattr(live, "machine_busy", lambda: False)  # whatever the machine does
    hub = LiveHub(client=None)
    first = hub.subscribe()
    assert first.drain_interval == DRAIN_S
    for _ in range(BUSY_SESSIONS):
        hub.subscribe()
    assert first.drain_interval == BUSY_DRAIN_S <= 0.5


def test_a_busy_machine_halves_the_drains_too(monkeypatch):
    """A load average above the cores (fifty session processes on two) halves every
    session's frames; it is read again every few seconds, not at each drain."""
    load = [1.0]
    reads = []

    def loadavg() -> tuple[float, float, float]:
        reads.append(1)
        return (load[0], 0.0, 0.0)

    monkeypatch.setattr(live.os, "getloadavg", loadavg)
    monkeypatch.setattr(live.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(live, "_load_seen", [-live.LOAD_EVERY_S * 2, 0.0])
    first = LiveHub(client=None).subscribe()
    assert first.drain_interval == DRAIN_S
    load[0] = 30.0
    assert first.drain_interval == DRAIN_S  # still the last reading
    assert len(reads) == 1
    monkeypatch.setattr(live, "_load_seen", [-live.LOAD_EVERY_S * 2, 0.0])  # time to read
    assert first.drain_interval == BUSY_DRAIN_S
