"""Days as people type them: ISO, or the guide's DD/MM/YYYY (operator validity, ...)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from core.errors import ValidationError

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


def local_days(start: date | None, end: date | None, tz: tzinfo
               ) -> tuple[datetime | None, datetime | None]:
    """(since, until) of the site's local days `start` to `end`, `end` included (None: open).
    ValidationError when `end` comes before `start`."""
    if start and end and end < start:
        raise ValidationError("To must not be before From.", field="to")

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tz)

    last = end is not None and end == date.max  # 31/12/9999: no day after it, open-ended
    return (midnight(start) if start else None,
            midnight(end + timedelta(days=1)) if end and not last else None)
