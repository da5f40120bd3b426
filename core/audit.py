"""The audit trail's hash chain, pure: what an entry's hash is and whether a chain holds.

Each entry's hash covers its own fields and its predecessor's hash, so editing,
removing or inserting an entry breaks the chain from that point on. The store
keeps a separate head (count and last hash) so removing the newest entries is
detected too.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime, time

from core.model import AuditEntry

GENESIS = "0" * 64


def jsonable(value: object) -> object:
    """A JSON-safe copy of a domain value (dates as ISO text, enums as their value)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return [jsonable(v) for v in sorted(value)]
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def jsonable_fields(obj: object) -> dict[str, object]:
    """A dataclass's fields as a JSON-safe dict (see jsonable)."""
    data = jsonable(obj)
    if not isinstance(data, dict):
        raise TypeError(f"{type(obj).__name__} is not a dataclass instance")
    return data


def snapshot(obj: object | None) -> dict[str, object] | None:
    """The before/after image of an object for the audit trail (secrets removed)."""
    if obj is None:
        return None
    data = jsonable_fields(obj)
    if "password_hash" in data:
        data["password_hash"] = "***" if data["password_hash"] else None
    if "scbk" in data:  # a reader's Secure Channel key: whether one is set, never the key
        data["scbk"] = "***" if data["scbk"] else ""
    return data


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    """SHA-256 over the predecessor's hash and the entry's canonical JSON."""
    body = {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "site_id": entry.site_id,
        "before": entry.before,
        "after": entry.after,
        "source": entry.source,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


@dataclasses.dataclass
class ChainReport:
    """What verification found: ok, or the first broken entry and why. A check that
    began at a checkpoint says so (`since`: the entries it took as checked), with when
    the whole trail was last checked in full (`full_at`, UTC ISO text)."""

    checked: int
    ok: bool
    problem: str = ""
    entry_id: int | None = None
    last_hash: str = ""  # the newest entry's hash (a checkpoint to start from next time)
    since: int = 0
    full_at: str = ""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """A prefix of the chain found intact: its length, its newest entry's hash, and when
    the whole chain was last checked in full (UTC ISO text)."""

    count: int
    hash: str
    full_at: str


class ChainProgress:
    """How far a check has got (written by the checking thread, read by a screen)."""

    def __init__(self) -> None:
        self.checked = 0
        self.total = 0


def verify_chain(entries: Iterable[AuditEntry], head_count: int | None,
                 head_hash: str | None, *, start: Checkpoint | None = None,
                 progress: ChainProgress | None = None) -> ChainReport:
    """Walk the chain in id order (from the entry after `start`, taken as intact, or
    from the first); compare its end with the stored head."""
    prev = start.hash if start else GENESIS
    expected_id = start.count + 1 if start else None
    n = start.count if start else 0
    for entry in entries:
        if expected_id is not None and entry.id != expected_id:
            return ChainReport(n, False, f"entry {expected_id} is missing", expected_id)
        if entry.prev_hash != prev:
            return ChainReport(n, False, "the link to the previous entry is broken", entry.id)
        if entry_hash(entry, prev) != entry.hash:
            return ChainReport(n, False, "the entry was altered after it was written", entry.id)
        prev = entry.hash
        expected_id = (entry.id or 0) + 1
        n += 1
        if progress is not None and not n % 4096:
            progress.checked = n
    if progress is not None:
        progress.checked = n
    if head_count is not None and head_count != n:
        return ChainReport(n, False, f"the trail should hold {head_count} entries, found {n}")
    if head_hash is not None and n and head_hash != prev:
        return ChainReport(n, False, "the newest entries were replaced")
    return ChainReport(n, True, last_hash=prev if n else "",
                       since=start.count if start else 0,
                       full_at=start.full_at if start else "")
