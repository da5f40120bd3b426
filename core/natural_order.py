"""The order people expect a list of names in: "Task 2" before "Task 10".

Long lists (service providers, tasks) are paged in SQL by keyset, so the order must be
a column the database can sort and index: :func:`sort_key` turns a name into a string
whose plain (binary) order is the natural one. The store writes it beside the name
(store/mapping.py) and migration 0007 filled it in for the rows stored before; a change
to this function needs a migration that fills the column in again.

The key of a name:

- letters compare without case or accents ("émile" = "Emile"), on the name as
  core.names compares names (NFC, look-alike spaces made plain, invisible ones dropped),
  with runs of spaces taken as one;
- a run of ASCII digits is a number: its digit count (two digits) then its digits
  without leading zeros, so 2 < 10 < 100 and "007" = "7"; a number sorts before
  letters, as a digit does;
- names with the same key (they differ only in case, accents or leading zeros) keep
  the order they were added in (the lists break ties by id).
"""

from __future__ import annotations

import re
import unicodedata

from core.names import name_key

_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"\s+")
#: enough for any number a 60-character name can hold
_COUNT_WIDTH = 2


def _letters(text: str) -> str:
    """Case and accents dropped: the base letters, casefolded."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _number(digits: str) -> str:
    significant = digits.lstrip("0") or "0"
    return f"{len(significant):0{_COUNT_WIDTH}d}{significant}"


def sort_key(name: str | None) -> str:
    """The natural sort key of a name (see the module's docstring)."""
    text = _letters(_SPACES.sub(" ", name_key(name)))  # NFKD first: "²" is a 2 here too
    return _DIGITS.sub(lambda m: _number(m.group()), text)
