"""Table-driven tests of core.rules' whole numbers within the guide's bounds: a flat's
floor, the seconds a call rings before its transfer, a site's quotas."""

from __future__ import annotations

import pytest

from core import rules
from tests.rules_cases import refused

# --- floor -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (0, 0),
        (3, 3),
        ("3", 3),
        (" -2 ", -2),
        (-5, -5),
        ("-5", -5),
        (200, 200),
        ("200", 200),
    ],
)
def test_floor_accepts(value, expected):
    assert rules.floor(value) == expected


@pytest.mark.parametrize("value", [-6, 201, "-6", "201", "abc", "1.5", "1e3", "3rd", "ground"])
def test_floor_refuses(value):
    assert refused(rules.floor, value).field == "floor"


@pytest.mark.parametrize("value", [1.5, 2.9])
def test_floor_refuses_a_fraction(value):
    assert refused(rules.floor, value).field == "floor"


# --- ring seconds ------------------------------------------------------------------------


def test_ring_seconds_default_constant():
    assert rules.TRANSFER_SECONDS_DEFAULT == 20
    assert rules.ring_seconds(rules.TRANSFER_SECONDS_DEFAULT) == 20


@pytest.mark.parametrize("value", [5, 6, 20, 119, 120])
def test_ring_seconds_accepts(value):
    assert rules.ring_seconds(value) == value


@pytest.mark.parametrize("value", [4, 121, 0, -20, "20", 20.0, None, True, False])
def test_ring_seconds_refuses(value):
    assert refused(rules.ring_seconds, value).field == "ring_seconds"
    assert refused(rules.ring_seconds, value, "chain_2_seconds").field == "chain_2_seconds"


# --- quota -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 10, 100_000])
def test_quota_accepts(value):
    assert rules.quota(value, "max_flats", "Flats") == value


@pytest.mark.parametrize("value", [-1, 100_001, "5", 5.0, None])
def test_quota_refuses(value):
    err = refused(rules.quota, value, "max_flats", "Flats")
    assert err.field == "max_flats"
    assert err.message.startswith("Flats must be 0 to 100000")


def test_quota_refuses_a_bool():
    assert refused(rules.quota, True, "max_flats", "Flats").field == "max_flats"
