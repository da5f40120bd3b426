"""Days as typed by people (core/days.py): the forms and the CLI read them the same way."""

from datetime import date

import pytest

from core.days import parse_day


@pytest.mark.parametrize(("typed", "day"), [
    ("2027-01-31", date(2027, 1, 31)),
    ("31/01/2027", date(2027, 1, 31)),
    (" 01/02/2027 ", date(2027, 2, 1)),
    ("2027-13-01", None),
    ("31/02/2027", None),
    ("01-02-2027", None),
    ("tomorrow", None),
    ("", None),
])
def test_iso_and_the_guides_format_and_nothing_else(typed, day):
    assert parse_day(typed) == day


def test_the_last_day_there_is_is_an_open_end():
    """31/12/9999 has no day after it: To that day is every day from From (it was an
    OverflowError out of `export events --to 9999-12-31` and the Events tab's To)."""
    from zoneinfo import ZoneInfo

    from core.days import local_days

    tz = ZoneInfo("Europe/London")
    since, until = local_days(date(2026, 1, 1), date.max, tz)
    assert until is None and since is not None and since.date() == date(2026, 1, 1)
    assert local_days(None, date(9999, 12, 30), tz)[1].date() == date.max
