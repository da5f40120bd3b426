"""The message's rules (core/sms.py), table-driven: encoding, length, limit, counter."""

from __future__ import annotations

import pytest

from core import sms
from core.errors import ValidationError

CASES = [  # text, encoding, length, limit
    ("Lift out of order", "GSM-7", 17, 160),
    ("Café à 5 €", "GSM-7", 11, 160),  # é, à are GSM-7; € is an extension: two places
    ("{[x]}", "GSM-7", 9, 160),
    ("x" * 160, "GSM-7", 160, 160),
    ("Straße", "GSM-7", 6, 160),  # ß is in GSM 03.38
    ("Łódź", "UCS-2", 4, 70),
    ("Привет", "UCS-2", 6, 70),
    ("Hi 👋", "UCS-2", 5, 70),  # outside the basic plane: two UCS-2 places
]


@pytest.mark.parametrize("text, encoding, length, limit", CASES)
def test_encoding_length_and_limit(text, encoding, length, limit):
    assert (sms.encoding(text).value, sms.length(text), sms.limit(text)) == (
        encoding, length, limit)


@pytest.mark.parametrize("text, shown", [
    ("Hello", "5/160 GSM-7"),
    ("Łódź", "4/70 UCS-2 (because of 'Ł')"),
])
def test_the_live_counter(text, shown):
    assert sms.counter(text) == shown


@pytest.mark.parametrize("text, ok", [
    ("x" * 160, True), ("x" * 161, False), ("Ł" * 70, True), ("Ł" * 71, False),
    ("€" * 80, True), ("€" * 81, False), ("line one\nline two", True), ("", False),
])
def test_check_text(text, ok):
    if ok:
        assert sms.check_text(text)
    else:
        with pytest.raises(ValidationError):
            sms.check_text(text)
