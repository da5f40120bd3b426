"""Throttled connections: one line per address per interval, not one per connection."""

from __future__ import annotations

import logging

from console.ssh.throttle_log import ThrottleLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_flood_from_one_address_is_one_line_then_one_summary(caplog) -> None:
    clock = Clock()
    throttle = ThrottleLog(interval=10, clock=clock)
    with caplog.at_level(logging.WARNING, logger="console.ssh.throttle_log"):
        for _ in range(2000):
            throttle.note("10.0.0.1")
        throttle.note("10.0.0.2")
        assert len(caplog.records) == 2  # the first refusal of each address
        clock.now += 10
        assert throttle.flush() == [
            "throttled 1999 more connections from 10.0.0.1 in the last 10 s"]
        assert len(caplog.records) == 3
        throttle.note("10.0.0.1")  # within the interval of the summary: counted
        assert len(caplog.records) == 3 and throttle.pending["10.0.0.1"] == 1
