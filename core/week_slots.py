"""A week type's time slots as people type and read them, and the holiday lists they
paste: "08:00-18:00, 20:00-22:00" for a day, "2026-12-25 Christmas Day" for a holiday.

A slot's end is inclusive (08:00-18:00 lets a pass in at 18:00) and an end of 00:00
means the end of the day, as the access engine reads them (core.access). Two slots of
one day may touch (08:00-12:00, 12:00-14:00) but not overlap, and none may end before
it starts: such a week type would say two things about the same minute.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, time

from core.errors import ValidationError
from core.model import HOLIDAY, TimeWindow

#: the rows of the week grid: Monday first, the holiday rule last
DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
              "Holidays")
DAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Hol")

# ASCII digits only: "٠٨:٠٠" is not a time a reader keeps
_SLOT = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*[-–]\s*([0-9]{1,2}):([0-9]{2})")
_HOLIDAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\s*[,;\t ]\s*(.*)")
#: the most lines one import takes (a site's holidays for a few years)
HOLIDAYS_IMPORT_MAX = 500


def _minutes(t: time) -> int:
    """Minutes from midnight; an end of 00:00 is the end of the day."""
    return t.hour * 60 + t.minute


def _end(t: time) -> int:
    return 24 * 60 if t == time(0, 0) else _minutes(t)


def _clock(hh: str, mm: str, what: str, field: str) -> time:
    hour, minute = int(hh), int(mm)
    if hour > 23 or minute > 59:
        raise ValidationError(f"{what}: {hh}:{mm} is not a time of day.", field=field)
    return time(hour, minute)


def parse_slots(text: str, day: int, field: str | None = None) -> list[TimeWindow]:
    """The slots typed for one day ("" for none), checked; errors name the day."""
    label = DAY_LABELS[day]
    field = field or f"day{day}"
    out: list[TimeWindow] = []
    for part in (p.strip() for p in re.split(r"[,;]", text or "")):
        if not part:
            continue
        m = _SLOT.fullmatch(part)
        if m is None:
            raise ValidationError(f"{label}: write each slot as 08:00-18:00, slots apart "
                                  "with commas.", field=field)
        out.append(TimeWindow(day, _clock(m[1], m[2], label, field),
                              _clock(m[3], m[4], label, field)))
    check_day(out, field)
    return out


def check_day(windows: Sequence[TimeWindow], field: str = "windows") -> None:
    """Refuse an inverted slot, or two slots of one day that overlap."""
    by_day: dict[int, list[TimeWindow]] = {}
    for w in windows:
        label = DAY_LABELS[w.day] if 0 <= w.day <= HOLIDAY else f"Day {w.day}"
        if _end(w.end) <= _minutes(w.start):
            raise ValidationError(f"{label}: {slot_text(w)} ends before it starts.",
                                  field=field)
        by_day.setdefault(w.day, []).append(w)
    for day, slots in by_day.items():
        slots.sort(key=lambda w: _minutes(w.start))
        for a, b in zip(slots, slots[1:], strict=False):
            if _minutes(b.start) < _end(a.end):
                raise ValidationError(f"{DAY_LABELS[day]}: {slot_text(a)} and {slot_text(b)} "
                                      "overlap.", field=field)


def slot_text(w: TimeWindow) -> str:
    """"08:00-18:00"."""
    return f"{w.start:%H:%M}-{w.end:%H:%M}"


def day_text(windows: Iterable[TimeWindow], day: int) -> str:
    """The slots of one day as the form shows them, earliest first."""
    slots = sorted((w for w in windows if w.day == day), key=lambda w: _minutes(w.start))
    return ", ".join(slot_text(w) for w in slots)


def day_spans(windows: Iterable[TimeWindow], day: int) -> list[tuple[int, int]]:
    """The (start, end) minutes of a day's slots, for drawing them."""
    return sorted((_minutes(w.start), _end(w.end)) for w in windows if w.day == day)


def parse_holidays(text: str) -> list[tuple[date, str]]:
    """Holidays pasted one a line ("2026-12-25 Christmas Day", or CSV "2026-12-25,Christmas
    Day"); blank lines and a "date,name" header are skipped. Every bad line is named in one
    error, so nothing is imported until the whole list is right."""
    out: list[tuple[date, str]] = []
    bad: list[str] = []
    seen: dict[date, int] = {}
    lines = (text or "").splitlines()
    if len(lines) > HOLIDAYS_IMPORT_MAX:
        raise ValidationError(f"At most {HOLIDAYS_IMPORT_MAX} lines at once.", field="lines")
    for n, raw in enumerate(lines, start=1):
        line = raw.strip().strip('"')
        if not line or (n == 1 and line.casefold().replace(" ", "") in ("date,name",
                                                                          "date;name")):
            continue
        m = _HOLIDAY.fullmatch(line)
        name = m[4].strip().strip('"').strip() if m else ""
        try:
            day = date(int(m[1]), int(m[2]), int(m[3])) if m else None
        except ValueError:
            day = None
        if day is None or not name:
            bad.append(f"line {n} (write 2026-12-25 Christmas Day)")
        elif day in seen:
            bad.append(f"line {n} (the date of line {seen[day]} again)")
        else:
            seen[day] = n
            out.append((day, name))
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise ValidationError(f"Nothing imported: {shown}.", field="lines")
    if not out:
        raise ValidationError("Nothing to import: paste one holiday a line.", field="lines")
    return out
