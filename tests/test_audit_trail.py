"""Every change is audited with who, when, what, before and after; tampering is detected."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from core.services import flats
from tests.conftest import NOW, sql, store_args

pytestmark = pytest.mark.both_engines


async def test_a_change_records_who_when_what_before_and_after(store, admin, estate):
    flat = estate.flats[0]
    await flats.update_flat(store.uow(), admin, flat.id, notes="Key with concierge")
    (actor, action, entity_id, site_id, before, after, source, at), = await sql(
        store, "SELECT actor, action, entity_id, site_id, before, after, source, at "
        "FROM audit_entries ORDER BY id DESC LIMIT 1")
    assert (actor, action, entity_id, site_id, source) == (
        "admin@test.example", "flat.update", flat.id, estate.site.id, "test")
    before, after = (json.loads(x) if isinstance(x, str) else x for x in (before, after))
    assert before["notes"] == "" and after["notes"] == "Key with concierge"
    assert str(at).startswith(NOW.strftime("%Y-%m-%d %H:%M"))


async def verify_cli(cli, args: list[str]) -> subprocess.CompletedProcess:
    """`doorkeeper audit verify` (in a thread: the command runs its own event loop)."""
    return await asyncio.to_thread(cli, "audit", "verify", *args)


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_entries SET actor = 'someone@else.example' WHERE id = 3",
    {"sqlite": "UPDATE audit_entries SET after = json_set(after, '$.name', 'X') WHERE id = 4",
     "postgresql": "UPDATE audit_entries SET after = jsonb_set(after::jsonb, '{name}', "
                   "'\"X\"')::json WHERE id = 4"},
    "DELETE FROM audit_entries WHERE id = 2",
    "DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM audit_entries)",
    "INSERT INTO audit_entries (id, at, actor, action, entity, source, prev_hash, hash) "
    "VALUES (999, '2026-01-01 00:00:00', 'x', 'flat.delete', 'flat', '', '', '')",
])
async def test_an_edited_removed_or_forged_entry_is_detected(cli, store, admin, estate, tamper,
                                                            tmp_path):
    args = store_args(store, tmp_path)
    assert (await store.verify_audit()).ok
    ok = await verify_cli(cli, args)
    assert ok.returncode == 0 and "intact" in ok.stdout
    await sql(store, tamper[store.engine.dialect.name] if isinstance(tamper, dict) else tamper)
    report = await store.verify_audit()
    assert not report.ok
    bad = await verify_cli(cli, args)
    assert bad.returncode == 1
    assert "TAMPERED" in bad.stderr and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr
