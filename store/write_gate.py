"""Event writes go before desk writes: a write-intent lock beside the SQLite file.

SQLite has one write lock per file and no queue: waiters poll it from their busy
handlers, whose sleeps grow to 100 ms, so a writer among eight busy desks can
wait seconds. The event writer therefore announces itself: while it wants the
write lock (and until it commits) it holds an exclusive `flock` on
`<db>.write-intent`, and a desk write (a unit of work) checks that lock before
it asks SQLite for the write lock, waiting while it is held. The event writer
then only waits for the desk transaction already under way, polling the lock
every millisecond. The lock is advisory and costs one non-blocking system call
per transaction; a store whose folder cannot hold the file simply has no gate.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)
#: how often a desk looks again while the event writer holds the intent
DESK_POLL_S = 0.002


def intent_path(db: str | Path) -> Path:
    """The intent lock's file beside a store."""
    return Path(f"{db}.write-intent")


class WriteGate:
    """The intent lock of one store file (one open file per holder: flock is per open file)."""

    def __init__(self, db: str | Path) -> None:
        self.path = intent_path(db)
        self._fd: int | None = None

    def _open(self) -> int | None:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o660)
            except OSError as err:
                log.warning("no write gate at %s (%s): event writes may wait for desks",
                            self.path, err.strerror)
                return None
        return self._fd

    @contextlib.contextmanager
    def intent(self) -> Iterator[None]:
        """Hold the intent (the event writer, around one transaction)."""
        fd = self._open()
        held = False
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
            except OSError:
                pass  # another writer of the same store holds it: just go on
        try:
            yield
        finally:
            if held and fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def held(self) -> bool:
        """True while an event writer (another open file) holds the intent."""
        fd = self._open()
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False

    async def wait_clear(self, timeout: float) -> bool:
        """Wait (a desk) until no event writer holds the intent; False after `timeout`."""
        deadline = time.monotonic() + timeout
        while self.held():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(DESK_POLL_S)
        return True

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
