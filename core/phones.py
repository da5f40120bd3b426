"""Telephone numbers in the forms residents and the guide write them.

Accepted: "0044 7546 277360", "07546277360" (the site's default country),
"+44 7546 277360", "00447546288399". Stored as E.164 ("+447546277360").
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from core.errors import ValidationError


@dataclass(frozen=True)
class ParsedNumber:
    """A valid number: its E.164 form and the ISO region it belongs to."""

    e164: str
    region: str

    def is_foreign(self, default_country: str) -> bool:
        """A number from another country counts against the foreign quota."""
        return self.region != default_country.upper()


def parse_phone(raw: str, default_country: str, field: str = "number") -> ParsedNumber:
    """Parse a written number to E.164, or raise ValidationError saying why."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Telephone number is required.", field=field)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_country.upper())
    except phonenumbers.NumberParseException as err:
        raise ValidationError(f"{raw!r} is not a telephone number.", field=field) from err
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{raw!r} is not a valid telephone number.", field=field)
    region = phonenumbers.region_code_for_number(number) or ""
    return ParsedNumber(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), region
    )


def search_forms(raw: str, default_country: str) -> str | None:
    """The E.164 form of a number typed into a search box, or None if it isn't one."""
    try:
        return parse_phone(raw, default_country).e164
    except ValidationError:
        return None


def display_phone(e164: str, region: str) -> str:
    """A number as the guide lists it: national form and country ("07546277360 GB")."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return f"{national.replace(' ', '')} {region}".strip()


def shown_phone(value: str) -> str:
    """A stored number in the one form the console shows ("07546277360 GB"), its country
    read from the number itself; anything else (an email) as it is."""
    if not value.startswith("+"):
        return value
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(value)) or ""
    except phonenumbers.NumberParseException:
        return value
    return display_phone(value, region)


def is_mobile(e164: str) -> bool:
    """True if the number can take an SMS: a mobile (or a number its plan does not tell
    from one: the US and Canada)."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
