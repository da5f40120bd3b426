"""Every change is audited with who, when, what, before and after; tampering is detected."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess

import pytest

from core.services import flats
from tests.conftest import NOW


def rows(path, sql):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


async def test_a_change_records_who_when_what_before_and_after(store, admin, estate):
    flat = estate.flats[0]
    await flats.update_flat(store.uow(), admin, flat.id, notes="Key with concierge")
    (actor, action, entity_id, site_id, before, after, source, at), = rows(
        store.where, "SELECT actor, action, entity_id, site_id, before, after, source, at "
        "FROM audit_entries ORDER BY id DESC LIMIT 1")
    assert (actor, action, entity_id, site_id, source) == (
        "admin@test.example", "flat.update", flat.id, estate.site.id, "test")
    assert json.loads(before)["notes"] == "" and json.loads(after)["notes"] == \
        "Key with concierge"
    assert at.startswith(NOW.strftime("%Y-%m-%d %H:%M"))


async def verify_cli(cli, path) -> subprocess.CompletedProcess:
    """`doorkeeper audit verify` (in a thread: the command runs its own event loop)."""
    return await asyncio.to_thread(cli, "audit", "verify", "--db", str(path))


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_entries SET actor = 'someone@else.example' WHERE id = 3",
    "UPDATE audit_entries SET after = json_set(after, '$.name', 'X') WHERE id = 4",
    "DELETE FROM audit_entries WHERE id = 2",
    "DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM audit_entries)",
    "INSERT INTO audit_entries (id, at, actor, action, entity, source, prev_hash, hash) "
    "VALUES (999, '2026-01-01 00:00:00', 'x', 'flat.delete', 'flat', '', '', '')",
])
async def test_an_edited_removed_or_forged_entry_is_detected(cli, store, admin, estate, tamper):
    path = store.where
    assert (await store.verify_audit()).ok
    ok = await verify_cli(cli, path)
    assert ok.returncode == 0 and "intact" in ok.stdout
    con = sqlite3.connect(path)
    con.execute(tamper)
    con.commit()
    con.close()
    report = await store.verify_audit()
    assert not report.ok
    bad = await verify_cli(cli, path)
    assert bad.returncode == 1
    assert "TAMPERED" in bad.stderr and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr
