"""The layout of a block's flats in a file: the columns the flats export writes and
the flats import reads, so that a file exported, edited and imported again round-trips.

One line per flat. Each column belongs to an area of the rights matrix, as the parts of
Flat management do (core.views.blocks.FLAT_PARTS): an operator who may not consult
keypad codes gets no code columns, and an import without a column leaves that part of
every flat as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.rights import Area


@dataclass(frozen=True)
class FlatColumn:
    """A column of the layout: its title (the guide's words), the part of a flat it
    holds, the area an operator needs to consult it, and a width in characters."""

    title: str
    part: str
    area: Area
    width: int


PHONE_PARTS = ("telephone_1", "telephone_2", "telephone_3")
CODE_PARTS = ("code_main_door", "code_aux_relay_1", "code_aux_relay_2")
FLAT_COLUMNS = (
    FlatColumn("Flat N°", "number", Area.FLATS, 10),
    FlatColumn("Flat", "name", Area.FLATS, 24),
    FlatColumn("Floor", "floor", Area.FLATS, 6),
    FlatColumn("Main door code", "code_main_door", Area.KEYPAD_CODE, 10),
    FlatColumn("AUX relay 1 code", "code_aux_relay_1", Area.KEYPAD_CODE, 10),
    FlatColumn("AUX relay 2 code", "code_aux_relay_2", Area.KEYPAD_CODE, 10),
    FlatColumn("Telephone / Email 1", "telephone_1", Area.RESIDENTS_DISPLAYS, 24),
    FlatColumn("Telephone / Email 2", "telephone_2", Area.RESIDENTS_DISPLAYS, 24),
    FlatColumn("Telephone / Email 3", "telephone_3", Area.RESIDENTS_DISPLAYS, 24),
    FlatColumn("APasses", "passes", Area.APASS_MANAGEMENT, 24),
    FlatColumn("Notes", "notes", Area.FLATS, 40),
)
BY_TITLE = {c.title.casefold(): c for c in FLAT_COLUMNS}
BY_PART = {c.part: c for c in FLAT_COLUMNS}
#: APass numbers in one cell: separated by spaces (commas and semicolons are read too)
PASS_SEPARATORS = re.compile(r"[\s,;]+")


def columns_for(may: set[Area]) -> tuple[FlatColumn, ...]:
    """The columns of the areas an operator may consult."""
    return tuple(c for c in FLAT_COLUMNS if c.area in may)


def passes_cell(numbers: list[str]) -> str:
    """A flat's APass numbers as one cell."""
    return " ".join(numbers)


def pass_numbers(cell: str) -> list[str]:
    """The APass numbers written in one cell."""
    return [n for n in PASS_SEPARATORS.split(cell.strip()) if n]
