"""Cells of the guide's lists that several screens show alike."""

from __future__ import annotations

from rich.text import Text

from console.widgets.plain import plain
from core.phones import display_phone


def phone_cell(stored: str, default_country: str) -> Text:
    """ "+447546277360 GB" as the guide shows it ("07546277360 GB"); foreign in yellow."""
    value, _, region = stored.rpartition(" ")
    if not value.startswith("+"):
        return plain(stored)  # an email
    foreign = region != default_country.upper()
    return plain(display_phone(value, region), "yellow" if foreign else "")


def passes_cell(numbers: list[str]) -> Text:
    """The first APass and how many more ("1111100162 +2"): keeps the row narrow."""
    if not numbers:
        return Text("")
    more = f" +{len(numbers) - 1}" if len(numbers) > 1 else ""
    return plain(numbers[0] + more)
