"""The spill journal: where events wait, fsync'd, while the store refuses writes.

A file beside the store (`<db>.events-spill`), one JSON object a line, appended
and fsync'd batch by batch, so an event written here is as durable as one
committed to the store and may be published. Space for it is reserved when it
is opened (`posix_fallocate`, zeros past the last line), so a disk that fills up
afterwards still takes `reserve` bytes of events; beyond that it grows while the
disk allows, and `append` raises OSError when it cannot. Lines are read back in
order by `read()` and the file is emptied by `clear()` once the store holds them.
A JSON line never holds a NUL byte, so the data ends at the first one.

A store in PostgreSQL has no file to sit beside: its journal is the local file
`[store] spill_path` (default `var/doorkeeper.pg.events-spill`; a site gateway's
names its sites), and a server that cannot be reached (refused, gone, restarting)
is the fault "centre unreachable": the gateway keeps deciding from memory and
journaling until it answers, then the journal is replayed in order. Every event
carries its writer's run id (`origin`, `new_origin()`) and a sequence number, so
a replay stores each exactly once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from core.audit import jsonable_fields
from core.model import Event, EventKind, EventResult
from store.faults import free_bytes, store_fault

log = logging.getLogger(__name__)
#: bytes reserved on disk when the journal is opened (about 25,000 events)
RESERVE = 8 << 20
#: events written at a time by append_chunks (a nearly full disk takes what it can)
CHUNK = 200


#: the fault of a PostgreSQL store that does not answer at all
UNREACHABLE = "centre unreachable"
#: what a PostgreSQL store's errors are named when the server cannot be reached
_UNREACHABLE = {"cannot open", "disk I/O error", "refusing writes"}


def spill_path(db: str | Path) -> Path:
    """The journal beside a store's file."""
    return Path(f"{db}.events-spill")


def pg_spill_path(folder: str | Path, sites: list[int] | None = None) -> Path:
    """The journal of a gateway on PostgreSQL in `folder` (that of `[store] path`,
    `var/` by default); one per set of sites, so site gateways on one machine never
    share one."""
    part = "" if not sites else ".sites-" + "-".join(str(s) for s in sorted(sites))
    return Path(folder) / f"doorkeeper.pg{part}.events-spill"


def new_origin() -> str:
    """An id for one run of an event writer: the host's name and a random part."""
    return f"{socket.gethostname()[:24]}-{secrets.token_hex(6)}"


def journal_fault(err: BaseException, dialect: str, where: str | None) -> str | None:
    """The store's fault for an error (store.faults), UNREACHABLE for a PostgreSQL
    server that cannot be reached; None when the data itself was refused."""
    fault = store_fault(err, where)
    return UNREACHABLE if dialect == "postgresql" and fault in _UNREACHABLE else fault


def to_line(event: Event) -> bytes:
    """One event as a journal line."""
    data = jsonable_fields(event)
    data["id"] = None  # the store gives ids when the journal is replayed
    return (json.dumps(data, ensure_ascii=True, separators=(",", ":")) + "\n").encode()


def from_line(line: bytes) -> Event:
    """An event back from its journal line."""
    data = json.loads(line)
    data["at"] = datetime.fromisoformat(data["at"])
    data["kind"], data["result"] = EventKind(data["kind"]), EventResult(data["result"])
    return Event(**data)


class SpillJournal:
    """An append-only, fsync'd file of events with disk space reserved ahead."""

    def __init__(self, path: str | Path, reserve: int = RESERVE,
                 on_set_aside: Callable[[str], object] | None = None) -> None:
        self.path = Path(path)
        self.reserve = reserve
        #: told, once a read, what lines were set aside (the gateway raises an alarm)
        self.on_set_aside = on_set_aside
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        self._damaged: set[bytes] = set()  # lines no event, already set aside
        self._end = len(self._data())
        self.events = sum(1 for line in self._data().splitlines() if line.strip())
        self._reserve()

    def _data(self) -> bytes:
        size = os.fstat(self._fd).st_size
        data = os.pread(self._fd, size, 0) if size else b""
        return data.split(b"\0", 1)[0]

    def _reserve(self) -> None:
        """Allocate `reserve` bytes past the end, or as much of it as the disk has room
        for (at most a quarter of the free space, halving down to 64 kB): a nearly full
        disk still gets a journal, and the journal never fills the disk itself."""
        free = free_bytes(self.path)
        size = self.reserve if free is None else min(self.reserve, free // 4)
        last: OSError | None = None
        while size >= 1 << 16:
            try:
                os.posix_fallocate(self._fd, self._end, size)
                return
            except OSError as err:
                last = err
                size //= 2
        log.warning("spill journal %s: no space could be reserved (%s)", self.path,
                    last.strerror if last else "the disk is full")

    def append(self, events: list[Event]) -> None:
        """Write events at the end and fsync; OSError if the disk takes none of it
        (then nothing counts as written: the next append starts at the same place)."""
        if not events:
            return
        data = b"".join(to_line(e) for e in events)
        size = os.fstat(self._fd).st_size
        if self._end + len(data) > size:  # past the reserve: grow while the disk allows
            os.posix_fallocate(self._fd, self._end, len(data) + self.reserve)
        written = os.pwrite(self._fd, data, self._end)
        if written != len(data):
            raise OSError(f"short write to the spill journal {self.path}")
        os.fsync(self._fd)
        self._end += len(data)
        self.events += len(events)

    def append_chunks(self, events: list[Event]) -> int:
        """Append in chunks, so that a disk with little room takes what it can; how many
        of the first events were written (the rest are logged as waiting in memory)."""
        written = 0
        for i in range(0, len(events), CHUNK):
            chunk = events[i:i + CHUNK]
            try:
                self.append(chunk)
            except OSError as err:
                log.error("the spill journal %s refused %d events (%s); they wait in memory",
                          self.path, len(events) - written, err)
                break
            written += len(chunk)
        return written

    def read(self) -> list[Event]:
        """Every event in the journal, in the order written. A line that is no event (torn
        by a crash, damaged on disk) would stop every replay: it is copied, once, to
        `<journal>.damaged` (the evidence kept), logged and told to `on_set_aside`: an
        acknowledged event may be lost there, which a person must know. The others are read."""
        events: list[Event] = []
        set_aside = 0
        for line in self._data().splitlines():
            if not line.strip():
                continue
            try:
                events.append(from_line(line))
            except (ValueError, KeyError, TypeError) as err:  # JSON, UTF-8, a field
                set_aside += self._set_aside(line, err)
        if set_aside and self.on_set_aside is not None:
            try:
                self.on_set_aside(f"{EventKind.EVENTS_SET_ASIDE.value}: {set_aside} line"
                                  f"{'s' if set_aside > 1 else ''} of the spill journal could "
                                  f"not be read (torn or damaged), events may be missing; "
                                  f"kept in {self.damaged_path}")
            except Exception:  # noqa: BLE001 - the replay goes on; the log says it all
                log.exception("could not raise the alarm for the lines set aside")
        return events

    @property
    def damaged_path(self) -> Path:
        """Where lines that are no event are kept."""
        return self.damaged_at(self.path)

    @staticmethod
    def damaged_at(journal: Path) -> Path:
        """Where the lines of `journal` that are no event are kept."""
        return journal.with_name(journal.name + ".damaged")

    def _set_aside(self, line: bytes, err: Exception) -> int:
        """Keep a line that is no event; 1 if it was not kept already, else 0."""
        if line in self._damaged:
            return 0
        self._damaged.add(line)
        damaged = self.damaged_path
        fd = os.open(damaged, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)  # residents' data
        try:
            os.write(fd, line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        log.error("a line of the spill journal %s is no event (%s: %s); it is kept in %s "
                  "and the other events are stored", self.path, type(err).__name__, err,
                  damaged)
        return 1

    def clear(self) -> None:
        """Empty the journal (its events are in the store) and reserve space again."""
        os.ftruncate(self._fd, 0)
        self._end = 0
        self.events = 0
        self._reserve()
        os.fsync(self._fd)

    def close(self) -> None:
        """Close the file; an empty journal is removed."""
        empty = self.events == 0
        with contextlib.suppress(OSError):
            os.close(self._fd)
        if empty:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
