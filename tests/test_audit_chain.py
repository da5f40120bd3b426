"""The audit trail's hash chain: core.audit.verify_chain on hand-built entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.audit import GENESIS, entry_hash, verify_chain
from core.model import AuditEntry

T0 = datetime(2024, 3, 10, 9, 0, tzinfo=UTC)


def sealed(entry: AuditEntry, prev: str) -> AuditEntry:
    """The entry linked to `prev` with its own hash, as the store writes it."""
    entry = replace(entry, prev_hash=prev)
    entry.hash = entry_hash(entry, prev)
    return entry


def raw_entry(i: int, **changes) -> AuditEntry:
    fields = dict(
        at=T0 + timedelta(minutes=i),
        actor="admin@example.com",
        action="flat.update",
        entity="Flat",
        entity_id=100 + i,
        site_id=1,
        before={"name": f"Flat {i}", "floor": i},
        after={"name": f"Flat {i}b", "floor": i},
        source="cli",
        id=i,
    )
    fields.update(changes)
    return AuditEntry(**fields)


def chain(n: int = 5) -> list[AuditEntry]:
    entries, prev = [], GENESIS
    for i in range(1, n + 1):
        e = sealed(raw_entry(i), prev)
        entries.append(e)
        prev = e.hash
    return entries


def head(entries: list[AuditEntry]) -> tuple[int, str | None]:
    return len(entries), entries[-1].hash if entries else None


# --- entry_hash -------------------------------------------------------------------------


def test_entry_hash_is_sha256_hex_and_deterministic():
    e = raw_entry(1)
    h = entry_hash(e, GENESIS)
    assert len(h) == 64
    assert int(h, 16) >= 0
    assert entry_hash(raw_entry(1), GENESIS) == h
    assert entry_hash(e, "1" * 64) != h  # covers the predecessor's hash


def test_entry_hash_ignores_key_order_of_snapshots():
    a = raw_entry(1, after={"a": 1, "b": 2})
    b = raw_entry(1, after={"b": 2, "a": 1})
    assert entry_hash(a, GENESIS) == entry_hash(b, GENESIS)


def test_chain_links():
    entries = chain(3)
    assert entries[0].prev_hash == GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash


# --- good chains -------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 20])
def test_good_chain_verifies(n):
    entries = chain(n)
    report = verify_chain(entries, *head(entries))
    assert report.ok
    assert report.checked == n
    assert report.problem == ""
    assert report.entry_id is None


@pytest.mark.parametrize(("head_count", "head_hash"), [(0, None), (None, None)])
def test_empty_chain_verifies(head_count, head_hash):
    report = verify_chain([], head_count, head_hash)
    assert report.ok
    assert report.checked == 0


def test_good_chain_without_head_verifies():
    report = verify_chain(chain(4), None, None)
    assert report.ok
    assert report.checked == 4


# --- tampering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("at", T0 + timedelta(days=1)),
        ("actor", "intruder@example.com"),
        ("action", "flat.delete"),
        ("entity", "Site"),
        ("entity_id", 999),
        ("entity_id", None),
        ("site_id", 2),
        ("site_id", None),
        ("before", {"name": "Flat 3", "floor": 99}),
        ("before", None),
        ("after", {"name": "forged"}),
        ("source", "ssh 10.0.0.66"),
    ],
)
def test_edited_field_detected(field, value):
    entries = chain(5)
    original = entries[2]
    assert getattr(original, field) != value
    entries[2] = replace(original, **{field: value})
    report = verify_chain(entries, *head(chain(5)))
    assert not report.ok
    assert report.entry_id == 3
    assert report.checked == 2
    assert "altered" in report.problem


def test_edit_inside_a_snapshot_detected():
    entries = chain(5)
    entries[3].after["floor"] = 42  # mutate the stored dict itself
    report = verify_chain(entries, *head(entries))
    assert not report.ok
    assert report.entry_id == 4
    assert "altered" in report.problem


def test_edited_and_rehashed_entry_breaks_the_next_link():
    entries = chain(5)
    forged = replace(entries[2], actor="intruder@example.com")
    forged.hash = entry_hash(forged, forged.prev_hash)
    entries[2] = forged
    report = verify_chain(entries, *head(entries))
    assert not report.ok
    assert report.entry_id == 4
    assert report.checked == 3
    assert "link" in report.problem


def test_edited_hash_detected():
    entries = chain(5)
    entries[1] = replace(entries[1], hash="f" * 64)
    report = verify_chain(entries, *head(chain(5)))
    assert not report.ok
    assert report.entry_id == 2
    assert "altered" in report.problem


@pytest.mark.parametrize("removed", [2, 3, 4])
def test_removed_middle_entry_detected(removed):
    entries = [e for e in chain(5) if e.id != removed]
    report = verify_chain(entries, *head(chain(5)))
    assert not report.ok
    assert report.entry_id == removed
    assert report.problem == f"entry {removed} is missing"
    assert report.checked == removed - 1


def test_removed_first_entry_detected():
    entries = chain(5)[1:]
    report = verify_chain(entries, *head(chain(5)))
    assert not report.ok
    assert report.entry_id == 2
    assert "link" in report.problem
    assert report.checked == 0


def test_swapped_order_detected():
    e = chain(5)
    report = verify_chain([e[0], e[1], e[3], e[2], e[4]], *head(e))
    assert not report.ok
    assert report.entry_id == 3
    assert report.problem == "entry 3 is missing"


def test_swapped_contents_with_ids_kept_detected():
    # The rows keep their ids 3 and 4 but their contents are exchanged.
    e = chain(5)
    swapped = [e[0], e[1], replace(e[3], id=3), replace(e[2], id=4), e[4]]
    report = verify_chain(swapped, *head(e))
    assert not report.ok
    assert report.entry_id == 3
    assert "link" in report.problem


def test_inserted_entry_detected():
    e = chain(5)
    forged = sealed(raw_entry(3, actor="intruder@example.com"), e[1].hash)
    renumbered = [replace(x, id=x.id + 1) for x in e[2:]]
    report = verify_chain([e[0], e[1], forged, *renumbered], 6, renumbered[-1].hash)
    assert not report.ok
    assert report.entry_id == 4
    assert "link" in report.problem


def test_duplicated_entry_detected():
    e = chain(5)
    report = verify_chain([e[0], e[1], e[1], *e[2:]], *head(e))
    assert not report.ok
    assert report.entry_id == 3
    assert report.problem == "entry 3 is missing"


# --- the head -------------------------------------------------------------------------
# Head-level problems name no entry (entry_id None): every entry in hand verifies.


def test_head_count_mismatch_newest_removed():
    full = chain(5)
    report = verify_chain(full[:-1], *head(full))
    assert not report.ok
    assert report.checked == 4
    assert report.problem == "the trail should hold 5 entries, found 4"
    assert report.entry_id is None


def test_head_count_mismatch_everything_removed():
    report = verify_chain([], *head(chain(5)))
    assert not report.ok
    assert report.problem == "the trail should hold 5 entries, found 0"


def test_head_count_mismatch_entry_appended_without_head():
    entries = chain(5)
    report = verify_chain(entries, 4, entries[3].hash)
    assert not report.ok
    assert "should hold 4 entries, found 5" in report.problem


def test_head_hash_mismatch():
    entries = chain(5)
    report = verify_chain(entries, 5, "f" * 64)
    assert not report.ok
    assert report.checked == 5
    assert report.problem == "the newest entries were replaced"
    assert report.entry_id is None


def test_newest_entry_replaced_by_a_well_chained_forgery():
    entries = chain(5)
    original_head = head(entries)
    entries[4] = sealed(raw_entry(5, after={"name": "forged"}), entries[3].hash)
    assert verify_chain(entries, None, None).ok  # the chain alone cannot tell
    report = verify_chain(entries, *original_head)
    assert not report.ok
    assert report.problem == "the newest entries were replaced"


def test_newest_removed_and_count_fixed_caught_by_head_hash():
    full = chain(5)
    report = verify_chain(full[:-1], 4, full[-1].hash)
    assert not report.ok
    assert report.problem == "the newest entries were replaced"
