"""What a site gateway's log says while the centre is away: a few lines a person can
read, no traceback, nothing repeated several times a second.

A real gateway on a cluster of the test's own, its bus on PostgreSQL, cards read at 20 a
second, the clock checked every second and an SMS route set, so every part that needs
the centre meets the outage (`pg_ctl stop -m immediate`, 8 s). The lines logged at
WARNING and above from the stop until the journal is replayed are counted, by message
(console/headless/repeats.py: a failure that repeats is one line when it begins, a count
every 30 s, one line when it ends; docs/sites.md, "What the log says while the centre is
away")."""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import time

from tests.sms.conftest import twilio_config
from tests.test_centre_probe import CARD, site, twilio  # noqa: F401 - fixtures

OUTAGE_S = 8.0


def _numbers_out(line: str) -> str:
    """A line with its numbers as N: the same line again, whatever it counts."""
    return re.sub(r"\d+(\.\d+)?", "N", line)


async def test_a_gateways_log_over_an_outage_is_a_few_lines_and_no_traceback(
        site, tmp_path, twilio, caplog):  # noqa: F811 - fixtures
    gw = await site.start(tmp_path, twilio_config(twilio, rate=0.5), clock_check_s=1)
    drv, writer = gw.drivers[0], gw.writer
    assert writer is not None and writer.journal is not None

    async def read_cards(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            drv.present(CARD, site.estate.panel.id)
            await asyncio.sleep(0.05)

    try:
        await read_cards(2.0)
        with caplog.at_level(logging.WARNING):
            caplog.clear()
            site.stop_centre()
            await read_cards(OUTAGE_S)
            site.start_centre()
            deadline = time.monotonic() + 30
            while (writer.journal.events or gw.faults.fault is not None
                   or any(p.restart_at is not None for p in gw.supervisor.parts.values())):
                assert time.monotonic() < deadline, "not back within 30 s"
                await asyncio.sleep(0.1)
            await read_cards(1.0)
            records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    finally:
        await gw.stop()
    lines = [f"{r.name}: {r.getMessage()}" for r in records]
    print(f"{len(lines)} lines over an outage of {OUTAGE_S:.0f} s:", *lines, sep="\n  ")
    assert [line for r, line in zip(records, lines, strict=True) if r.exc_info] == []
    same = collections.Counter(map(_numbers_out, lines))
    assert max(same.values()) <= 6, same.most_common(3)  # the SMS sender's back-off (0.5,
    # 1, 2, 4 s ...) is the most; the bus's restarts and the clock's checks, one line each
    # when they begin, then one when they end (and every 30 s, in a longer outage)
    began = [line for line in lines if "(while it lasts, a line every 30 s)" in line]
    ended = [line for line in lines if ": works again after" in line]
    assert any("bus server could not be restarted" in line for line in began), lines
    assert any("could not check the clock" in line for line in began), lines
    assert len(ended) == len(began) and all(same[_numbers_out(line)] == 1 for line in began)
    assert len(lines) <= 25
