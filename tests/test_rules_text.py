"""Table-driven tests of core.rules' text checks: names (any free text), notes and email
addresses; what each accepts, what it refuses and what its messages say."""

from __future__ import annotations

import pytest

from core import rules
from tests.rules_cases import refused

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
