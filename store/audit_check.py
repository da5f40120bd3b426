"""The audit trail's whole chain checked in a process of its own, at a low priority.

A million entries take seconds of CPU (canonical JSON and SHA-256 for each): in the
console's process that work would hold the interpreter and the screen that asked for it
would stop drawing. `store.audit_queries.audit_chain` starts this module for a whole
check and reads its output; a check from a checkpoint (a few new entries) stays in the
store's thread.

    python -m store.audit_check DB

Output: lines "progress CHECKED TOTAL" as it goes, then one line of JSON, the
ChainReport. Exit code 0 whatever it found; 2 when the database cannot be read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import sys

from core.audit import ChainProgress


class _Printed(ChainProgress):
    """Progress written to stdout each time the check notes it."""

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name == "checked" and self.__dict__.get("total"):
            print(f"progress {value} {self.total}", flush=True)


def main(argv: list[str]) -> int:
    from store.audit_queries import check_chain  # (SQLAlchemy and all: after the nice)

    if len(argv) != 1:
        print("usage: python -m store.audit_check DB", file=sys.stderr)
        return 2
    try:
        con = sqlite3.connect(argv[0])
        try:
            report = check_chain(con, None, _Printed())
            assert report is not None  # (a whole check always reports)
        finally:
            con.close()
    except sqlite3.Error as err:
        print(f"Cannot read the audit trail of {argv[0]}: {err}", file=sys.stderr)
        return 2
    print(json.dumps(dataclasses.asdict(report)), flush=True)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(OSError):
        os.nice(10)  # the desks' keys and the gateway's events come first
    sys.exit(main(sys.argv[1:]))
