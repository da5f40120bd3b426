"""Table-driven tests of core.rules: every check, what it accepts and what it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from core import rules
from core.errors import ValidationError
from core.model import ServiceProvider, ValidityStatus


def refused(fn, *args, **kwargs) -> ValidationError:
    """Call `fn` expecting a ValidationError; return it for its field and message."""
    with pytest.raises(ValidationError) as exc:
        fn(*args, **kwargs)
    return exc.value


# --- text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("Block C", {}, "Block C"),
        ("  padded  ", {}, "padded"),
        (None, {}, ""),
        ("", {}, ""),
        ("x" * rules.NAME_MAX, {}, "x" * rules.NAME_MAX),
        ("Zoë Ćwik", {}, "Zoë Ćwik"),
        ("abc", {"max_len": 3}, "abc"),
        ("A", {"required": True}, "A"),
    ],
)
def test_text_accepts(value, kwargs, expected):
    assert rules.text(value, "name", label="Name", **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [
        ("", {"required": True}),
        (None, {"required": True}),
        ("   ", {"required": True}),
        ("x" * (rules.NAME_MAX + 1), {}),
        ("abcd", {"max_len": 3}),
        ("a\x1b[31mb", {}),
        ("a\nb", {}),
        ("a\u202eb", {}),
    ],
)
def test_text_refuses(value, kwargs):
    err = refused(rules.text, value, "display_name", label="Name", **kwargs)
    assert err.field == "display_name"


def test_text_messages_name_the_label_and_limit():
    assert "Name is required" in refused(rules.text, "", "f", label="Name", required=True).message
    assert "61 characters; at most 60" in refused(rules.text, "x" * 61, "f", label="Name").message


# --- keypad codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234", "1234"),
        ("0000", "0000"),
        ("0042", "0042"),
        ("12345678", "12345678"),
        ("987654", "987654"),
        (" 1234 ", "1234"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_keypad_code_accepts(value, expected):
    assert rules.keypad_code(value, "code_main_door") == expected


@pytest.mark.parametrize(
    "value",
    [
        "123",  # too short
        "1",
        "123456789",  # too long
        "12a4",
        "12 34",
        "-1234",
        "12.34",
        "+1234",
        "١٢٣٤",  # Arabic-Indic digits: isdigit() but not ASCII
        "１２３４",  # full-width digits
        "²³⁴⁵",  # superscripts
        "\x1b1234",
    ],
)
def test_keypad_code_refuses(value):
    err = refused(rules.keypad_code, value, "code_aux_relay_1")
    assert err.field == "code_aux_relay_1"


def test_keypad_code_messages():
    assert "digits only" in refused(rules.keypad_code, "١٢٣٤", "c").message
    assert "4 to 8 digits" in refused(rules.keypad_code, "123", "c").message
    assert refused(rules.keypad_code, "12x", "c", "Door code").message.startswith("Door code")


# --- APass numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0000000001", "0000000001"),
        ("0012345678", "0012345678"),
        ("1234567890", "1234567890"),
        ("9999999999", "9999999999"),
        (" 0123456789 ", "0123456789"),
        (1234567890, "1234567890"),
    ],
)
def test_apass_number_accepts(value, expected):
    assert rules.apass_number(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "123456789",  # 9 digits
        "12345678901",  # 11 digits
        "",
        None,
        "12345abcde",
        "-123456789",
        "+123456789",
        "12345 67890",
        "١٢٣٤٥٦٧٨٩٠",
        123,  # an int loses its leading zeros: 3 digits
    ],
)
def test_apass_number_refuses(value):
    assert refused(rules.apass_number, value).field == "number"
    assert refused(rules.apass_number, value, "apass_number").field == "apass_number"


@pytest.mark.parametrize(
    ("first", "quantity", "expected"),
    [
        ("0000000001", 1, ["0000000001"]),
        ("0000000001", 3, ["0000000001", "0000000002", "0000000003"]),
        ("0000000099", 2, ["0000000099", "0000000100"]),
        ("9999999998", 2, ["9999999998", "9999999999"]),
        ("9999999999", 1, ["9999999999"]),
        (1000000000, 2, ["1000000000", "1000000001"]),
    ],
)
def test_apass_batch_accepts(first, quantity, expected):
    assert rules.apass_batch(first, quantity) == expected


def test_apass_batch_of_the_maximum_is_consecutive_and_padded():
    batch = rules.apass_batch("0000000500", rules.APASS_BATCH_MAX)
    assert len(batch) == 1000
    assert batch[0] == "0000000500"
    assert batch[-1] == "0000001499"
    assert all(len(n) == 10 for n in batch)
    assert [int(n) for n in batch] == list(range(500, 1500))


def test_apass_batch_may_end_exactly_at_the_last_number():
    batch = rules.apass_batch("9999999000", 1000)
    assert batch[-1] == "9999999999"


@pytest.mark.parametrize(
    ("first", "quantity", "field"),
    [
        ("0000000001", 0, "quantity"),
        ("0000000001", -1, "quantity"),
        ("0000000001", 1001, "quantity"),
        ("9999999999", 2, "quantity"),  # overflow past 9999999999
        ("9999999001", 1000, "quantity"),  # last would be 10000000000
        ("123", 1, "first_number"),
        ("12345678901", 1, "first_number"),
        ("123", 0, "first_number"),  # the first number is checked first
    ],
)
def test_apass_batch_refuses(first, quantity, field):
    assert refused(rules.apass_batch, first, quantity).field == field


def test_apass_batch_overflow_message():
    assert "9999999999" in refused(rules.apass_batch, "9999999999", 2).message


# --- notes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x" * 160, "x" * 160),
        ("é" * 160, "é" * 160),
        (" " + "x" * 160 + " ", "x" * 160),  # stripped before counting
        ("Key under the mat", "Key under the mat"),
        (None, ""),
        ("", ""),
    ],
)
def test_notes_accepts(value, expected):
    assert rules.notes(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "x" * 161,
        "é" * 161,
        "a\x1b[31mb",
        "line 1\nline 2",
        "tab\there",
        "nul\x00",
        "bell\x07",
        "del\x7f",
        "csi\x9b31m",
        "bidi\u202eevil",
    ],
)
def test_notes_refuses(value):
    assert refused(rules.notes, value).field == "notes"
    assert refused(rules.notes, value, "flat_notes").field == "flat_notes"


def test_notes_limit_is_the_guides():
    assert rules.NOTES_MAX == 160


# --- flat number, floor, call code -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("001", "001"),  # kept as written
        ("12A", "12A"),
        ("b-12", "b-12"),
        ("3/4", "3/4"),
        ("1.2", "1.2"),
        (" 7 ", "7"),
        ("x" * 10, "x" * 10),
    ],
)
def test_flat_number_accepts(value, expected):
    assert rules.flat_number(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", None, "   ", "x" * 11, "A 1", "Flat#1", "1_2", "É1", "1,2", "1\x1b", "١"],
)
def test_flat_number_refuses(value):
    assert refused(rules.flat_number, value).field == "number"


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A22", "A22"),
        ("a22", "A22"),
        (" b1 ", "B1"),
        ("z", "Z"),
        ("7", "7"),
        ("123456", "123456"),
        ("abcdef", "ABCDEF"),
    ],
)
def test_call_code_accepts_and_upper_cases(value, expected):
    assert rules.call_code(value) == expected


@pytest.mark.parametrize(
    "value", ["", None, "   ", "1234567", "ABCDEFG", "A-1", "A 1", "A_1", "é1", "١", "A\x1b"]
)
def test_call_code_refuses(value):
    assert refused(rules.call_code, value).field == "call_code"


@pytest.mark.parametrize("value", ["ß", "ﬁ", "ı1", "ßßß"])
def test_call_code_refuses_non_ascii_letters(value):
    assert refused(rules.call_code, value).field == "call_code"


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


# --- email -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a@b.co", "a@b.co"),
        (" Zoe.Cwik@Example.COM ", "zoe.cwik@example.com"),
        ("first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_email_accepts(value, expected):
    assert rules.email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "plainaddress",
        "a@b",
        "@b.co",
        "a@",
        "a@@b.co",
        "a b@c.de",
        "a@b.c d",
        "a\x1b@b.co",
        "a\x85@b.co",
        "a" * 250 + "@b.co",  # 255 characters
    ],
)
def test_email_refuses(value):
    assert refused(rules.email, value).field == "email"
    assert refused(rules.email, value, "contact_email").field == "contact_email"


@pytest.mark.parametrize("value", ["", None, "  "])
def test_email_required(value):
    err = refused(rules.email, value, required=True)
    assert err.field == "email"
    assert "required" in err.message


def test_email_length_limit_is_254():
    address = "a" * 248 + "@b.com"
    assert len(address) == 254
    assert rules.email(address) == address


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


# --- temporary id ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        (0, "000000000"),
        (0x68B435B0D, "68b435b0d"),
        (255, "0000000ff"),
        (2**36 - 1, "fffffffff"),
        (2**36, "000000000"),  # masked to 36 bits
        (2**36 + 5, "000000005"),
        (-1, "fffffffff"),
    ],
)
def test_temporary_id(seed, expected):
    assert rules.temporary_id(seed) == expected
