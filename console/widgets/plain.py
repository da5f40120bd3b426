"""Text from outside (names, notes, device strings, caller IDs) shown as plain text:
never parsed as markup, with control and escape characters removed."""

from __future__ import annotations

from datetime import date

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.text import Text

from core.text import safe_text

#: validity colours, as the guide shows them (chosen to survive 16-colour terminals)
EXPIRED, NOT_STARTED, CURRENT = "red", "dark_orange", "grey70"


class PlainText(Text):
    """One line of text, measured in one pass: a table measures every cell it is given,
    and Rich's Text measures word by word, which costs more than drawing it."""

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = max((cell_len(line) for line in self.plain.split("\n")), default=0)
        return Measurement(width, width)


def plain(value: object, style: str = "") -> Text:
    """A Rich Text that shows `value` literally: no markup, no escapes."""
    return PlainText(safe_text("" if value is None else value), style=style, no_wrap=True,
                     end="")


def cut(cell: Text | str, width: int) -> Text:
    """`cell` in at most `width` cells, ending in "…" when it is longer (so the columns
    after it stay in view)."""
    text = cell.copy() if isinstance(cell, Text) else plain(cell)
    text.truncate(width, overflow="ellipsis")
    return text


def validity_style(valid_from: date | None, valid_to: date | None, today: date) -> str:
    """Expired red, not started orange, current grey."""
    if valid_to is not None and valid_to < today:
        return EXPIRED
    if valid_from is not None and valid_from > today:
        return NOT_STARTED
    return CURRENT


def validity(valid_from: date | None, valid_to: date | None, today: date) -> Text:
    """The validity period as text in its colour ("Permanent" when unbounded)."""
    if valid_from is None and valid_to is None:
        return Text("Permanent", style=CURRENT)
    span = f"{valid_from or '…'} → {valid_to or '…'}"
    return Text(span, style=validity_style(valid_from, valid_to, today))
