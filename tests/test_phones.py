"""Telephone numbers in the forms the guide writes them (core.phones)."""

from __future__ import annotations

import pytest

from core.errors import ValidationError
from core.phones import ParsedNumber, display_phone, parse_phone, search_forms, shown_phone


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("0044 7546 277360", "GB", "+447546277360"),
        ("07546277360", "GB", "+447546277360"),
        ("07546 277360", "GB", "+447546277360"),
        ("+44 7546 277360", "GB", "+447546277360"),
        ("+44 7546 277360", "FR", "+447546277360"),  # international form ignores the default
        ("00447546288399", "GB", "+447546288399"),
        ("00447546288399", "FR", "+447546288399"),
        ("  +447546277360  ", "GB", "+447546277360"),
        ("07546277360", "gb", "+447546277360"),  # default country in lower case
        ("+44 20 7946 0018", "GB", "+442079460018"),
    ],
)
def test_guide_forms_parse_to_e164(raw, country, e164):
    assert parse_phone(raw, country) == ParsedNumber(e164, "GB")


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("+33 1 99 00 12 34", "GB"),
        ("+33 1 99 00 12 34", "FR"),
        ("0033 1 99 00 12 34", "GB"),
        ("01 99 00 12 34", "FR"),
    ],
)
def test_french_number(raw, country):
    parsed = parse_phone(raw, country)
    assert parsed == ParsedNumber("+33199001234", "FR")
    assert parsed.is_foreign("GB") is True
    assert parsed.is_foreign("FR") is False
    assert parsed.is_foreign("fr") is False


def test_british_number_is_not_foreign_for_gb():
    parsed = parse_phone("07546277360", "GB")
    assert parsed.is_foreign("GB") is False
    assert parsed.is_foreign("gb") is False
    assert parsed.is_foreign("FR") is True


@pytest.mark.parametrize(
    ("raw", "country", "message"),
    [
        ("", "GB", "required"),
        (None, "GB", "required"),
        ("   ", "GB", "required"),
        ("hello", "GB", "not a telephone number"),
        ("garbage!!", "GB", "not a telephone number"),
        ("+44", "GB", "not a telephone number"),
        ("0044", "GB", "not a telephone number"),
        ("++44", "GB", "not a telephone number"),
        ("123", "GB", "not a valid telephone number"),  # too short
        ("0754", "GB", "not a valid telephone number"),
        ("+44 7546 27736", "GB", "not a valid telephone number"),  # one digit short
        ("+44 7546 2773600", "GB", "not a valid telephone number"),  # one digit long
        ("07546277360", "FR", "not a valid telephone number"),  # a GB national form in FR
    ],
)
def test_refused(raw, country, message):
    with pytest.raises(ValidationError) as exc:
        parse_phone(raw, country)
    assert exc.value.field == "number"
    assert message in exc.value.message


def test_refusal_names_the_given_field():
    with pytest.raises(ValidationError) as exc:
        parse_phone("nonsense", "GB", field="mobile")
    assert exc.value.field == "mobile"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0044 7546 277360", "+447546277360"),
        ("07546277360", "+447546277360"),
        ("Smith", None),
        ("", None),
        ("123", None),
    ],
)
def test_search_forms(raw, expected):
    assert search_forms(raw, "GB") == expected


@pytest.mark.parametrize(
    ("e164", "region", "expected"),
    [
        ("+447546277360", "GB", "07546277360 GB"),
        ("+447546288399", "GB", "07546288399 GB"),
        ("+442079460018", "GB", "02079460018 GB"),
        ("+33199001234", "FR", "0199001234 FR"),
        ("+447546277360", "", "07546277360"),
        ("not a number", "GB", "not a number"),  # unparsable: shown as stored
    ],
)
def test_display_phone(e164, region, expected):
    assert display_phone(e164, region) == expected


@pytest.mark.parametrize("raw", ["0044 7546 277360", "07546277360", "+44 7546 277360"])
def test_parse_then_display_gives_the_guides_listing(raw):
    parsed = parse_phone(raw, "GB")
    assert display_phone(parsed.e164, parsed.region) == "07546277360 GB"


@pytest.mark.parametrize("stored, shown", [
    ("+447802980851", "07802980851 GB"),
    ("+33612345678", "0612345678 FR"),
    ("flat3@example.org", "flat3@example.org"),  # an email as it is
    ("+999", "+999"),  # not a number the library reads: as it is
])
def test_one_display_form_for_a_stored_number(stored, shown):
    assert shown_phone(stored) == shown
