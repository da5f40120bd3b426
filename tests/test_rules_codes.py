"""Table-driven tests of core.rules' codes and numbers that name things: keypad codes,
APass numbers and batches of them, Flat N°, call codes, temporary resident ids."""

from __future__ import annotations

import pytest

from core import rules
from tests.rules_cases import refused

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


# --- flat number -------------------------------------------------------------------


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


# --- call code ---------------------------------------------------------------------


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
