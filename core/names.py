"""Names as people read them: one written form per look, and no invisible characters.

Two names that look the same on a screen must be the same name to the uniqueness
checks. So every name (and every other free text a person types) is:

- normalised to Unicode NFC ("Zoe" + U+0308 and "Zoë" become one form);
- stripped of look-alike spaces: any Unicode space separator (U+00A0 no-break
  space, U+2007 figure space, U+3000 ideographic space, ...) becomes a plain space;
- refused when it holds an invisible character: a format character (Unicode
  category Cf, such as U+200B zero width space, U+200D zero width joiner, U+2060
  word joiner, U+FEFF byte order mark), any other default-ignorable code point
  (U+034F, U+3164 Hangul filler, variation selectors) or a lone surrogate.

:func:`name_key` is the form names are compared in (also for rows stored before
these rules, which may still hold another form).
"""

from __future__ import annotations

import unicodedata

# Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt) that are not
# category Cf, which is refused as a whole.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)


def is_invisible(ch: str) -> bool:
    """True for a format character, another default-ignorable one, or a lone surrogate."""
    if unicodedata.category(ch) in ("Cf", "Cs"):
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES)


def invisible_chars(value: str) -> list[str]:
    """The invisible characters of `value`, named for people ("U+200B ZERO WIDTH SPACE")."""
    if value.isascii():
        return []  # no ASCII character is a format character or default-ignorable
    seen: list[str] = []
    for ch in value:
        if is_invisible(ch):
            label = f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}"
            if label not in seen:
                seen.append(label)
    return seen


def normalise(value: str) -> str:
    """NFC, with every Unicode space separator made a plain space."""
    value = unicodedata.normalize("NFC", value)
    if value.isascii():
        return value
    return "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in value)


def name_key(value: str | None) -> str:
    """The form two names are compared in: normalised, invisible characters dropped,
    outer spaces stripped."""
    value = normalise(value or "")
    return "".join(ch for ch in value if not is_invisible(ch)).strip()


def same_name(a: str | None, b: str | None) -> bool:
    """Whether two names read the same on a screen."""
    return name_key(a) == name_key(b)
