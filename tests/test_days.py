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
