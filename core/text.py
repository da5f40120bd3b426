"""Terminal safety for text that came from outside (names, notes, device strings)."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import partial

# C0 and C1 controls (including ESC and the 8-bit CSI 0x9B), DEL, the line and
# paragraph separators, and the bidirectional overrides that can make text read
# differently from its bytes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Whole escape sequences, so their printable tails ("[31m") vanish with the ESC.
_ESCAPE_SEQ = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, terminated by BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]"  # two- and three-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)


def has_control_chars(value: str) -> bool:
    """True if `value` holds any control or escape character."""
    return bool(_CONTROL.search(value))


def safe_text(value: object) -> str:
    """Plain printable text: escape sequences and control characters removed.

    Tabs and newlines become spaces so one value stays on one line.
    """
    s = str(value if value is not None else "")
    if s.isascii() and s.isprintable():  # most text: nothing to remove (exports call this a lot)
        return s
    s = _ESCAPE_SEQ.sub("", s)
    s = s.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    s = _CONTROL.sub("", s)
    return unicodedata.normalize("NFC", s)


def plain_lines(text: str) -> str:
    """`text` with each line cleaned (escape sequences and controls removed)."""
    return "\n".join(safe_text(line) for line in text.split("\n"))


class PlainFormatter(logging.Formatter):
    """Log lines with what came from outside cleaned (tracebacks keep their lines): a
    log read with `cat` or `tail -f` never carries a device's or a client's escapes."""

    def format(self, record: logging.LogRecord) -> str:
        return plain_lines(super().format(record))


def _by_its_ends(head: int, tail: int, word: re.Match[str]) -> str:
    w = word[0]
    return f"{w[:head]}…({len(w):,} characters)…{w[-tail:]}"


def long_words_cut(text: str, longest: int, head: int, tail: int) -> str:
    """`text` with each word longer than `longest` characters (a value typed and echoed
    back by a refusal: an email or a path of 10,000 characters) shown by its first
    `head` and last `tail` characters and its length."""
    return re.sub(rf"[^\s'\"]{{{longest + 1},}}", partial(_by_its_ends, head, tail), text)
