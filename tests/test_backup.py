"""Backups of a live store, restores that keep the store until the backup is proven good,
and upgrades that back up first and put the store back when a migration fails.

Real SQLite files, a real gateway recording events; the failing migration is a real
Alembic revision file added to a copy of the migrations folder.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from core.config import Config, DriverConfig
from core.errors import StoreError
from core.services import access_passes
from store import migrate
from store.backup import restore, take_backup, verify
from store.database import Store
from tests.test_gateway import short_socket

#: this release's schema revision, and the one an injected migration adds after it
HEAD = migrate.HEAD
NEXT = f"{int(HEAD) + 1:04d}"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dump(path: Path) -> list[str]:
    """The database's whole content and schema, as SQL."""
    with sqlite3.connect(path) as con:
        return list(con.iterdump())


def event_ids(path: Path) -> list[int]:
    with sqlite3.connect(path) as con:
        return [i for i, in con.execute("SELECT id FROM events ORDER BY id")]


def set_revision(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num = ?", (revision,))


async def test_a_backup_under_500_events_a_second_holds_every_event_up_to_its_moment(
        store, admin, estate, tmp_path):
    from console.headless.gateway import Gateway, GatewayOptions

    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             1, flat_id=estate.flats[0].id)
    config = Config()
    config.bus.path = short_socket()
    config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
    gateway = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gateway.start()
    sim = gateway.drivers[0]
    db = Path(store.where)

    async def cards(seconds: float) -> int:  # 500 presentations a second, paced by the clock
        began, n = time.monotonic(), 0
        while (elapsed := time.monotonic() - began) < seconds:
            while n < 500 * elapsed:
                sim.present("1111100000", estate.panel.id)
                n += 1
            await asyncio.sleep(0.005)
        return n

    try:
        load = asyncio.create_task(cards(1.5))
        await asyncio.sleep(0.5)
        before = max(event_ids(db))  # committed before the backup began
        report = await asyncio.to_thread(take_backup, db, tmp_path / "b" / "copy.db")
        sent = await load
        await gateway.writer.flush()
    finally:
        await gateway.stop()
    # 750 on a quiet machine (1.5 s at 500 a second); fewer when other work starves the loop
    assert sent >= 100
    # restored into a new folder: integrity, the audit chain, and every event up to its moment
    new = tmp_path / "elsewhere" / "doorkeeper.db"
    new.parent.mkdir()
    revision, kept = await asyncio.to_thread(restore, report.path, new)
    assert (revision, kept) == (migrate.HEAD, None)
    assert verify(new)[0] == migrate.HEAD
    copied, live = event_ids(new), event_ids(db)
    assert copied[-1] >= before
    assert copied == [i for i in live if i <= copied[-1]]  # a snapshot: no gap, nothing torn
    assert len(live) > len(copied)  # the gateway kept recording during and after it


def test_backup_and_restore_from_the_command_line(cli, store, tmp_path):
    db = store.where
    made = cli("backup", "--db", db, "--keep", "2")
    assert made.returncode == 0, made.stderr
    assert "integrity ok, audit trail intact" in made.stdout
    folder = Path(db).parent / "backups"
    assert len(list(folder.glob(f"doorkeeper-*-r{HEAD}.db"))) == 1
    for n in range(2):  # older copies beyond --keep are removed
        (folder / f"doorkeeper-2000010{n}T000000Z-r{HEAD}.db").write_bytes(b"old")
    cli("backup", "--db", db, "--keep", "2")
    assert len(list(folder.glob("doorkeeper-*.db"))) == 2
    newest = sorted(folder.glob("doorkeeper-*.db"))[-1]
    back = cli("restore", "--db", db, str(newest))
    assert back.returncode == 0, back.stderr
    assert "The store it replaced is kept at" in back.stdout
    assert len(list(Path(db).parent.glob("doorkeeper.db.before-restore-*"))) == 1
    # a new machine: restored straight into the store's path, no 'init' before it
    new = tmp_path / "new" / "doorkeeper.db"
    refused = cli("restore", "--db", str(new), str(newest))
    assert refused.returncode != 0 and "No folder" in refused.stderr and not new.parent.exists()
    new.parent.mkdir()
    fresh = cli("restore", "--db", str(new), str(newest))
    assert fresh.returncode == 0, fresh.stderr
    assert "kept at" not in fresh.stdout
    with sqlite3.connect(new) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)


@pytest.mark.parametrize("spoil, says", [
    ("damage", "damaged"),
    ("newer", "schema revision 0099, newer than this Doorkeeper knows"),
    ("not a store", "not a"),
])
def test_restore_refuses_a_bad_backup_and_keeps_the_store(cli, store, tmp_path, spoil, says):
    db = Path(store.where)
    bad = take_backup(db, tmp_path / "bad.db").path
    if spoil == "damage":  # a page in the middle overwritten
        data = bytearray(bad.read_bytes())
        data[8192:12288] = b"\xff" * 4096
        bad.write_bytes(bytes(data))
    elif spoil == "newer":
        set_revision(bad, "0099")
    else:
        bad.write_bytes(b"SQLite format 3\0" + b"\0" * 1000)
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = digest(db)
    refused = cli("restore", "--db", str(db), str(bad))
    assert refused.returncode == 2
    assert says in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert digest(db) == before
    assert not list(db.parent.glob("*.before-restore-*"))
    assert not list(db.parent.glob("*.restoring"))


def test_a_backup_that_fails_on_a_full_disk_leaves_no_file_behind(store, tmp_path,
                                                                monkeypatch):
    """SQLite keeps a rollback journal beside the copy while it writes it; when the disk
    fills, the copy and its journal both go."""
    from store import backup

    def fills_the_disk(db: Path, to: Path, shown: Path | None = None) -> None:
        to.write_bytes(b"SQLite format 3\0")
        Path(f"{to}-journal").write_bytes(b"\0" * 512)
        raise StoreError(f"The backup of {db} failed: database or disk is full.")

    monkeypatch.setattr(backup, "copy_online", fills_the_disk)
    folder = tmp_path / "backups"
    with pytest.raises(StoreError, match="disk is full"):
        take_backup(Path(store.where), folder=folder)
    assert list(folder.iterdir()) == []
    with pytest.raises(StoreError, match="disk is full"):
        take_backup(Path(store.where), tmp_path / "b.db")
    assert not list(tmp_path.glob("b.db*"))


async def test_restore_is_refused_while_a_gateway_runs(store, tmp_path, capfd):
    from console.headless.gateway import Gateway, GatewayOptions
    from tests.cli_inprocess import run_cli

    config = Config()
    config.bus.path = short_socket()
    gateway = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gateway.start()
    try:
        copy = take_backup(Path(store.where), tmp_path / "copy.db").path
        refused = await asyncio.to_thread(run_cli, capfd, "restore", "--db", store.where,
                                          "--bus", config.bus.path, str(copy))
    finally:
        await gateway.stop()
    assert refused.returncode == 2
    assert "A gateway is running" in refused.stderr


# --- upgrades -------------------------------------------------------------------------

# the injected failure commits its first half before it fails (as a migration that
# rebuilds a table in steps can), so the store must come back from the backup
BROKEN = '''
import sqlalchemy as sa
from alembic import op

revision = "{next}"
down_revision = "{head}"


def upgrade() -> None:
    op.add_column("sites", sa.Column("half_way", sa.Integer()))
    op.execute("UPDATE sites SET half_way = 1")
    {fail}


def downgrade() -> None:
    pass
'''


HALF_WAY = '''op.execute("COMMIT")  # the first half is stored for good
    op.execute("BEGIN")
    raise RuntimeError("injected failure")'''


@pytest.fixture
def next_migration(tmp_path, monkeypatch):
    """A copy of the migrations with a revision after this release's head (failing
    half-way when asked)."""
    def make(fail: bool) -> None:
        folder = tmp_path / "migrations"
        shutil.copytree(migrate.MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
        (folder / "versions" / f"{NEXT}_next.py").write_text(BROKEN.format(
            fail=HALF_WAY if fail else "pass", next=NEXT, head=HEAD))
        monkeypatch.setattr(migrate, "MIGRATIONS", folder)
        monkeypatch.setattr(migrate, "HEAD", NEXT)
    return make


def test_a_failed_migration_puts_the_store_back_and_refuses_to_start(
        cli, store, next_migration):
    db = Path(store.where)
    before = dump(db)
    next_migration(fail=True)
    started = cli("gateway", "--db", str(db))
    assert started.returncode == 2
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1, started.stderr
    assert f"from schema {HEAD} to {NEXT} failed (RuntimeError: injected failure)" in lines[0]
    assert "put back" in lines[0]
    assert dump(db) == before  # every table, row and index as it was
    assert not list(db.parent.glob("*.before-restore-*"))


async def test_an_upgrade_is_preceded_by_a_verified_backup(store, next_migration):
    db = Path(store.where)
    await store.close()
    next_migration(fail=False)
    upgraded = await Store.open(path=db)
    await upgraded.close()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(NEXT,)]
    saved = list((db.parent / "backups").glob(f"before-upgrade-r{HEAD}-to-r{NEXT}-*.db"))
    assert len(saved) == 1 and verify(saved[0])[0] == HEAD


def test_a_newer_store_is_refused_with_both_versions(cli, store):
    set_revision(Path(store.where), "0099")
    refused = cli("gateway", "--db", store.where)
    assert refused.returncode == 2
    assert "schema revision 0099, from a newer version than this Doorkeeper" in refused.stderr
    assert f"(schema {HEAD})" in refused.stderr
    with pytest.raises(StoreError, match="0099"):
        verify(Path(store.where))
