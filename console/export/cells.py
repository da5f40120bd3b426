"""Cells of an export as spreadsheet programs read them: a text that begins like a
formula (=, +, -, @) must stay text (CSV injection, "formula injection")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.views.exports import Row

#: what spreadsheet programs read as the start of a formula (tab and CR, also on
#: OWASP's list, never reach a cell: the plain-text cleaning removes them)
FORMULA_PREFIXES = ("=", "+", "-", "@")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program would run this text as a formula."""
    return text.startswith(FORMULA_PREFIXES)


def formula_safe(text: str) -> str:
    """Text a spreadsheet shows as it is: a formula's first character gets a "'" before it
    (what Excel and LibreOffice read as "this is text")."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


Progress = Callable[[int], None]
"""Told the rows written so far, after each page."""


def datetime_text(value: Any) -> str:
    """A date and time cell as text: "YYYY-MM-DD HH:MM:SS" (no fraction)."""
    return str(value)[:19]


_STARTS = frozenset(FORMULA_PREFIXES)


def text_cells(row: Row, datetimes: frozenset[int]) -> list[str]:
    """A row as text cells, formula-safe (the CSV's)."""
    if datetimes == _FIRST:  # the exports' layout: one date and time, first (the fast way)
        return [str(row[0])[:19], *[("'" + c) if c[:1] in _STARTS else c for c in row[1:]]]
    return [datetime_text(c) if i in datetimes else formula_safe(c) for i, c in enumerate(row)]


_FIRST = frozenset({0})
