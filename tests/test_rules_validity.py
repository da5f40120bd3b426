"""Table-driven tests of core.rules' dates: adding years (29 February), a service
provider's validity (the 3-year default, permanent, at most 5 years), an operator grant's
dates, and whether a validity is current, not started or expired on a day."""

from __future__ import annotations

from datetime import date

import pytest

from core import rules
from core.model import ServiceProvider, ValidityStatus
from tests.rules_cases import refused

# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2024, 3, 10), 3, date(2027, 3, 10)),
        (date(2024, 12, 31), 5, date(2029, 12, 31)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
        (date(2023, 3, 1), 1, date(2024, 3, 1)),
    ],
)
def test_add_years(day, years, expected):
    assert rules.add_years(day, years) == expected


TODAY = date(2024, 3, 10)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "expected"),
    [
        # the guide's default: from today for 3 years
        (None, None, (TODAY, date(2027, 3, 10))),
        (date(2024, 5, 1), None, (date(2024, 5, 1), date(2027, 5, 1))),
        (None, date(2024, 12, 31), (TODAY, date(2024, 12, 31))),
        (None, TODAY, (TODAY, TODAY)),
        (date(2024, 1, 1), date(2024, 1, 1), (date(2024, 1, 1), date(2024, 1, 1))),
        # exactly 5 years is allowed
        (date(2024, 1, 1), date(2029, 1, 1), (date(2024, 1, 1), date(2029, 1, 1))),
        (None, date(2029, 3, 10), (TODAY, date(2029, 3, 10))),
        # 29 February
        (date(2024, 2, 29), None, (date(2024, 2, 29), date(2027, 2, 28))),
        (date(2024, 2, 29), date(2029, 2, 28), (date(2024, 2, 29), date(2029, 2, 28))),
    ],
)
def test_provider_validity_accepts(valid_from, valid_to, expected):
    assert rules.provider_validity(valid_from, valid_to, permanent=False, today=TODAY) == expected


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (None, None),
        (date(2024, 1, 1), date(2026, 1, 1)),
        (date(2024, 1, 10), date(2024, 1, 9)),  # inverted dates ignored when permanent
        (date(2024, 1, 1), date(2040, 1, 1)),
    ],
)
def test_provider_validity_permanent(valid_from, valid_to):
    assert rules.provider_validity(valid_from, valid_to, permanent=True, today=TODAY) == (
        None,
        None,
    )


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "message"),
    [
        (date(2024, 1, 1), date(2029, 1, 2), "5 years"),  # 5 years + 1 day
        (None, date(2029, 3, 11), "5 years"),
        (date(2024, 2, 29), date(2029, 3, 1), "5 years"),
        (date(2024, 1, 1), date(2034, 1, 1), "5 years"),
        (date(2024, 1, 10), date(2024, 1, 9), "before"),  # To before From
        (None, date(2024, 3, 9), "before"),  # To before the default From (today)
    ],
)
def test_provider_validity_refuses(valid_from, valid_to, message):
    err = refused(rules.provider_validity, valid_from, valid_to, permanent=False, today=TODAY)
    assert err.field == "valid_to"
    assert message in err.message


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (None, None),
        (date(2024, 1, 1), None),
        (None, date(2024, 1, 1)),
        (date(2024, 1, 1), date(2024, 1, 1)),
        (date(2024, 1, 1), date(2030, 1, 1)),  # no length limit on operator grants
    ],
)
def test_validity_dates_accepts(valid_from, valid_to):
    assert rules.validity_dates(valid_from, valid_to) is None


def test_validity_dates_refuses_to_before_from():
    assert refused(rules.validity_dates, date(2024, 1, 2), date(2024, 1, 1)).field == "valid_to"


FROM, TO = date(2024, 1, 10), date(2024, 1, 20)
S = ValidityStatus


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "today", "expected"),
    [
        (FROM, TO, date(2024, 1, 9), S.NOT_STARTED),
        (FROM, TO, FROM, S.CURRENT),  # the From day is current
        (FROM, TO, date(2024, 1, 15), S.CURRENT),
        (FROM, TO, TO, S.CURRENT),  # the To day is current
        (FROM, TO, date(2024, 1, 21), S.EXPIRED),
        (FROM, TO, date(2030, 1, 1), S.EXPIRED),
        (FROM, TO, date(2000, 1, 1), S.NOT_STARTED),
        (None, None, date(2024, 1, 1), S.CURRENT),
        (None, TO, date(1990, 1, 1), S.CURRENT),
        (None, TO, TO, S.CURRENT),
        (None, TO, date(2024, 1, 21), S.EXPIRED),
        (FROM, None, date(2024, 1, 9), S.NOT_STARTED),
        (FROM, None, FROM, S.CURRENT),
        (FROM, None, date(2100, 1, 1), S.CURRENT),
    ],
)
def test_validity_status(valid_from, valid_to, today, expected):
    assert rules.validity_status(valid_from, valid_to, today) is expected
    assert rules.is_valid_on(valid_from, valid_to, today) is (expected is S.CURRENT)
    provider = ServiceProvider(company_id=1, name="P", valid_from=valid_from, valid_to=valid_to)
    assert rules.provider_status(provider, today) is expected
