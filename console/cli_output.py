"""What the `doorkeeper` command prints: plain text, line by line.

Messages echo what the caller typed (a `--right`, a key's fingerprint, argparse's
"unrecognized arguments" line), and a terminal would act on the escape sequences in
them (clear the screen, write the clipboard with OSC 52). Every line the CLI prints,
argparse's own and the log's included, goes through core's plain-text cleaning.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import IO, TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

from core import days
from core.text import long_words_cut, plain_lines, safe_text

EXIT_USAGE = 2


def say(text: str, *, file: IO[str] | None = None, flush: bool = False) -> None:
    """Print a message of the CLI (stdout unless `file`), cleaned."""
    print(plain_lines(text), file=file or sys.stdout, flush=flush)


def cli_date(value: str) -> date:
    """An argparse type: YYYY-MM-DD, or the guide's DD/MM/YYYY."""
    day = days.parse_day(value)
    if day is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date ({days.DAY_HINT})")
    return day


#: a word of a refusal longer than this (an email or a path of 10,000 characters) is
#: shown by its head and tail
LONG_WORD = 300


def refuse(text: str) -> None:
    """The CLI's one line on stderr for a refusal: a reason that spans lines (SQLite's
    integrity report, a caller's newline) is put on one, and a word as long as a page
    (what the caller typed, echoed) is cut to its ends."""
    line = long_words_cut(safe_text(text), LONG_WORD, 100, 40)
    print(f"doorkeeper: {line}", file=sys.stderr)


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line, not a usage block, and nothing it prints
    carries the arguments' escape sequences."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(plain_lines(message.rstrip("\n")) + "\n")
        sys.exit(status)

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        (file or sys.stdout).write(plain_lines(self.format_help()))

    def print_usage(self, file: SupportsWrite[str] | None = None) -> None:
        (file or sys.stdout).write(plain_lines(self.format_usage()))
