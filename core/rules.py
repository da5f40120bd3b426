"""The field's limits as named constants and checks, used by every caller.

Each check raises ValidationError naming the form field, or returns the
cleaned value. Nothing here touches the store.
"""

from __future__ import annotations

import re
from datetime import date

from core.errors import ValidationError
from core.model import ServiceProvider, ValidityStatus
from core.names import invisible_chars, normalise
from core.text import has_control_chars

# --- limits from the field guide ------------------------------------------------
MAX_TELEPHONES_PER_FLAT = 3
NOTES_MAX = 160
SMS_MAX = 160
APASS_DIGITS = 10
MAX_CALL_CHAIN = 3
TRANSFER_SECONDS_DEFAULT = 20
# A call that rings under 5 s cannot be answered; over 2 min the visitor leaves.
TRANSFER_SECONDS_MIN = 5
TRANSFER_SECONDS_MAX = 120
PROVIDER_VALIDITY_DEFAULT_YEARS = 3
PROVIDER_VALIDITY_MAX_YEARS = 5

# --- limits we chose (documented in docs/rules.md) -------------------------------
# Keypad codes: 4 to 8 digits. Under 4 is guessable in minutes; IPGUARD panels
# and common keypads accept up to 8.
KEYPAD_CODE_MIN = 4
KEYPAD_CODE_MAX = 8
NAME_MAX = 60  # names of sites, blocks, flats, displays, passes' residents
FLAT_NUMBER_MAX = 10
CALL_CODE_RE = re.compile(r"^[A-Z0-9]{1,6}$")
APASS_BATCH_MAX = 1000  # one "Create APasses" at a time
FLOOR_MIN, FLOOR_MAX = -5, 200
DOOR_OPEN_SECONDS_MIN, DOOR_OPEN_SECONDS_MAX = 1, 60
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
QUOTA_MAX = 100_000
# what a person types as a whole number: ASCII digits only (int() takes "１２" and "1_0")
WHOLE_NUMBER_RE = re.compile(r"-?[0-9]+", re.ASCII)


def text(value: str | None, field: str, *, label: str, required: bool = False,
         max_len: int = NAME_MAX) -> str:
    """A name or other free text as stored: NFC, plain spaces, stripped; control and
    invisible characters and overlong text refused (see core/names.py)."""
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{label} must be text.", field=field)
    value = normalise(value or "").strip()
    if required and not value:
        raise ValidationError(f"{label} is required.", field=field)
    if len(value) > max_len:
        raise ValidationError(
            f"{label} is {len(value)} characters; at most {max_len} are allowed.", field=field
        )
    if has_control_chars(value):
        raise ValidationError(f"{label} contains control characters.", field=field)
    hidden = invisible_chars(value)
    if hidden:
        raise ValidationError(f"{label} contains invisible characters ({', '.join(hidden)}); "
                              "type it without them.", field=field)
    return value


def whole_number(value: object, field: str, label: str, lo: int, hi: int) -> int:
    """A whole number from `lo` to `hi`, as typed by a person: ASCII digits with an
    optional leading '-' ("１２", "٣", "1_0", "1e3" and True are refused)."""
    n: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str):
        typed = value.strip()
        if len(typed) <= 20 and WHOLE_NUMBER_RE.fullmatch(typed):
            n = int(typed)
    if n is None or not lo <= n <= hi:
        raise ValidationError(f"{label} must be a whole number from {lo} to {hi}.",
                              field=field)
    return n


def notes(value: str | None, field: str = "notes") -> str:
    """Notes: at most 160 characters, as the guide says."""
    return text(value, field, label="Notes", max_len=NOTES_MAX)


def keypad_code(value: str | None, field: str, label: str = "Keypad code") -> str | None:
    """A keypad code: digits only, 4 to 8 of them; empty means none."""
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not value.isascii():
        raise ValidationError(f"{label} must be digits only.", field=field)
    if not KEYPAD_CODE_MIN <= len(value) <= KEYPAD_CODE_MAX:
        raise ValidationError(
            f"{label} must be {KEYPAD_CODE_MIN} to {KEYPAD_CODE_MAX} digits.", field=field
        )
    return value


def apass_number(value: str | int | None, field: str = "number") -> str:
    """An APass number: exactly 10 digits (leading zeros kept)."""
    value = str(value if value is not None else "").strip()
    if not (value.isascii() and value.isdigit() and len(value) == APASS_DIGITS):
        raise ValidationError(
            f"APass number must be exactly {APASS_DIGITS} digits, got {value!r}.", field=field
        )
    return value


def apass_batch(first: str | int, quantity: int) -> list[str]:
    """The consecutive numbers of a batch starting at `first`."""
    start = apass_number(first, "first_number")
    quantity = whole_number(quantity, "quantity", "Quantity", 1, APASS_BATCH_MAX)
    last = int(start) + quantity - 1
    if last >= 10**APASS_DIGITS:
        raise ValidationError(
            f"The batch would run past {'9' * APASS_DIGITS}.", field="quantity"
        )
    return [str(n).zfill(APASS_DIGITS) for n in range(int(start), last + 1)]


def flat_number(value: str | None) -> str:
    """Flat N°: letters, digits, dashes; kept as written ("001")."""
    value = text(value, "number", label="Flat N°", required=True, max_len=FLAT_NUMBER_MAX)
    if not re.fullmatch(r"[A-Za-z0-9\-/.]+", value):
        raise ValidationError("Flat N° may hold letters, digits, '-', '/' and '.' only.",
                              field="number")
    return value


def floor(value: int | float | str | None) -> int | None:
    """Floor: a whole number from -5 to 200, or not defined."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return whole_number(value, "floor", "Floor", FLOOR_MIN, FLOOR_MAX)


def call_code(value: str | None) -> str:
    """A panel display's call code: 1 to 6 letters or digits ("A22")."""
    value = (value or "").strip()
    # check before upper-casing: "ß".upper() is "SS"
    if not value.isascii() or not CALL_CODE_RE.fullmatch(value.upper()):
        raise ValidationError("Call code must be 1 to 6 letters or digits.", field="call_code")
    return value.upper()


def ring_seconds(value: int, field: str = "ring_seconds") -> int:
    """Time before transfer to the next number: 5 to 120 s, default 20."""
    if not isinstance(value, int) or isinstance(value, bool) or not TRANSFER_SECONDS_MIN <= value <= TRANSFER_SECONDS_MAX:
        raise ValidationError(
            f"Time before transfer must be {TRANSFER_SECONDS_MIN} to "
            f"{TRANSFER_SECONDS_MAX} seconds.",
            field=field,
        )
    return value


def email(value: str | None, field: str = "email", *, required: bool = False) -> str:
    """A plausible email address, lower-cased."""
    value = (value or "").strip().lower()
    if not value:
        if required:
            raise ValidationError("Email is required.", field=field)
        return ""
    if (len(value) > 254 or not EMAIL_RE.fullmatch(value) or has_control_chars(value)
            or invisible_chars(value)):
        raise ValidationError(f"{value!r} is not an email address.", field=field)
    return value


def quota(value: int, field: str, label: str) -> int:
    """A site quota: a whole number from 0 to 100,000."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= QUOTA_MAX:
        raise ValidationError(f"{label} must be 0 to {QUOTA_MAX}.", field=field)
    return value


def add_years(day: date, years: int) -> date:
    """The same day `years` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def provider_validity(valid_from: date | None, valid_to: date | None, *, permanent: bool,
                      today: date) -> tuple[date | None, date | None]:
    """Validity of a service provider: permanent, or From/To at most 5 years apart.

    With neither date given (and not permanent), the guide's default applies:
    from today for 3 years.
    """
    if permanent:
        return None, None
    start = valid_from or today
    end = valid_to or add_years(start, PROVIDER_VALIDITY_DEFAULT_YEARS)
    validity_dates(start, end)
    if end > add_years(start, PROVIDER_VALIDITY_MAX_YEARS):
        raise ValidationError(
            f"Validity is limited to {PROVIDER_VALIDITY_MAX_YEARS} years.", field="valid_to"
        )
    return start, end


def validity_dates(valid_from: date | None, valid_to: date | None) -> None:
    """From/To dates of an operator's grant: To not before From."""
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationError("Validity 'To' is before 'From'.", field="valid_to")


def validity_status(valid_from: date | None, valid_to: date | None, today: date
                    ) -> ValidityStatus:
    """Expired (red), not started (orange) or current (grey)."""
    if valid_to is not None and today > valid_to:
        return ValidityStatus.EXPIRED
    if valid_from is not None and today < valid_from:
        return ValidityStatus.NOT_STARTED
    return ValidityStatus.CURRENT


def provider_status(provider: ServiceProvider, today: date) -> ValidityStatus:
    """A service provider's validity status for today."""
    return validity_status(provider.valid_from, provider.valid_to, today)


def is_valid_on(valid_from: date | None, valid_to: date | None, today: date) -> bool:
    """True when `today` lies within the dates (None = open-ended)."""
    return validity_status(valid_from, valid_to, today) is ValidityStatus.CURRENT


def temporary_id(seed: int) -> str:
    """A 9-character temporary resident ID like the guide's "68b435b0d"."""
    return format(seed & 0xFFFFFFFFF, "09x")

