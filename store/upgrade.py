"""Upgrades on start: a backup first, the old store back if a migration fails, no downgrades.

Every process that opens a store brings its schema up to this release's (store/migrate).
On a SQLite store that already has a schema, that happens only after a verified backup
(`backups/before-upgrade-r<from>-to-r<to>-<time>.db` beside the store); a migration that
fails puts that backup back, so the store is exactly as it was, and the start is refused
with one line. A store whose revision this release does not know was made by a newer
one: it is refused with both revisions, never touched.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import StoreError
from store import migrate
from store.backup import restore, take_backup

log = logging.getLogger(__name__)


class UpgradeSteps(Protocol):
    """Hears an upgrade's steps as they are done (a command line's progress bar)."""

    def begin(self, steps: int, found: str | None, head: str) -> None:
        """An upgrade of `steps` steps (the backup, then each revision) begins."""

    def step(self, name: str) -> None:
        """One step is done."""

    def end(self) -> None:
        """The upgrade is over (done, or failed and rolled back)."""


def release_version() -> str:
    """This Doorkeeper's version, as installed (the checkout's when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("doorkeeper")
    except PackageNotFoundError:
        return "unknown"


def refuse_newer(found: str, where: str) -> StoreError:
    """The refusal of a store made by a newer release."""
    return StoreError(
        f"The store {where} has schema revision {found}, from a newer version than this "
        f"Doorkeeper {release_version()} (schema {migrate.HEAD}): run the newer release, or "
        "restore a backup made by this one.")


async def upgrade(engine: AsyncEngine, db: Path | None, where: str,
                  steps: UpgradeSteps | None = None) -> Path | None:
    """Bring the store's schema to this release's; the pre-upgrade backup, if one was made.

    Args:
        engine: the store's engine (disposed of when a failed upgrade is rolled back).
        db: the SQLite file, or None for a server database (its own backups apply).
        where: the store's name, for messages.
        steps: told of each step (the backup, each revision), when one runs.

    Raises:
        StoreError: a newer store (both revisions named), a store that cannot be backed
            up before its upgrade, or an upgrade that failed and was rolled back.
    """
    head = migrate.HEAD
    found = await migrate.current_revision(engine)
    if found == head:
        return None
    if found is not None and found not in migrate.known_revisions():
        raise refuse_newer(found, where)
    backed_up = db is not None and found is not None
    if steps is not None:
        steps.begin(len(migrate.pending_revisions(found)) + backed_up, found, head)
    try:
        return await _upgrade(engine, db, where, found, head, steps)
    finally:
        if steps is not None:
            steps.end()


async def _upgrade(engine: AsyncEngine, db: Path | None, where: str, found: str | None,
                   head: str, steps: UpgradeSteps | None) -> Path | None:
    saved: Path | None = None
    if db is not None and found is not None:
        moment = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        to = db.parent / "backups" / f"before-upgrade-r{found}-to-r{head}-{moment}.db"
        try:
            saved = (await asyncio.to_thread(take_backup, db, to)).path
        except StoreError as err:
            raise StoreError(f"The store {where} was not upgraded from schema {found} to "
                             f"{head}: the backup before it failed ({err.message})") from err
        log.warning("upgrading the store %s from schema %s to %s; backup first: %s",
                    where, found, head, saved)
        if steps is not None:
            steps.step("the backup before the upgrade")
    try:
        await migrate.upgrade_to_head(engine, steps.step if steps is not None else None)
    except Exception as err:
        if saved is None or db is None:
            raise
        await engine.dispose()
        await asyncio.to_thread(_put_back, saved, db)
        why = f"{type(err).__name__}: {err}".splitlines()[0][:200]
        raise StoreError(f"The upgrade of the store {where} from schema {found} to {head} "
                         f"failed ({why}); the store was put back from {saved} as it was, "
                         "and Doorkeeper does not start on it.") from err
    return saved


def _put_back(saved: Path, db: Path) -> None:
    """Restore the pre-upgrade backup; the half-upgraded file is not kept."""
    _, kept = restore(saved, db)
    if kept is not None:
        kept.unlink(missing_ok=True)
        Path(f"{kept}-wal").unlink(missing_ok=True)
