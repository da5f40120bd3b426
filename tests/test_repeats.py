"""A failure that repeats while it lasts: one line when it begins, a count every 30 s,
one line when it ends; a traceback only for an unexpected error, and only once
(console/headless/repeats.py; the real outage: tests/test_outage_logs.py)."""

from __future__ import annotations

import logging

from console.headless.repeats import Repeats
from core.errors import ConfigError

log = logging.getLogger("tests.repeats")


def test_a_failure_every_two_seconds_for_a_minute_is_four_lines(caplog):
    now = [0.0]
    repeats = Repeats(log, "gateway task bus server could not be restarted",
                      clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger=log.name):
        for _ in range(31):  # 0, 2, ... 60 s
            repeats.failed(ConfigError("cannot reach PostgreSQL for the bus"))
            now[0] += 2.0
        repeats.ended()
        repeats.ended()  # working again, and still: nothing more to say
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "gateway task bus server could not be restarted: ConfigError: cannot reach "
        "PostgreSQL for the bus (while it lasts, a line every 30 s)",
        "gateway task bus server could not be restarted: 15 more times in 30 s, the last: "
        "ConfigError: cannot reach PostgreSQL for the bus",
        "gateway task bus server could not be restarted: 15 more times in 30 s, the last: "
        "ConfigError: cannot reach PostgreSQL for the bus",
        "gateway task bus server could not be restarted: works again after 31 failures "
        "over 62 s"]
    assert not [r for r in caplog.records if r.exc_info]


def test_an_unexpected_error_keeps_its_traceback_once(caplog):
    repeats = Repeats(log, "could not check the clock")
    with caplog.at_level(logging.WARNING, logger=log.name):
        for _ in range(3):
            try:
                {}["synchronised"]
            except KeyError as err:
                repeats.failed(err)
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is not None
    assert caplog.records[0].getMessage().startswith(
        "could not check the clock: KeyError: 'synchronised'")
