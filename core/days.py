"""Days as people type them: ISO, or the guide's DD/MM/YYYY (operator validity, ...)."""

from __future__ import annotations

from datetime import date, datetime

DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
DAY_HINT = "YYYY-MM-DD or DD/MM/YYYY"


def parse_day(value: str) -> date | None:
    """The day `value` names, or None if it names none in either format."""
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            pass
    return None
