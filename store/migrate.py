"""Alembic, driven from code: migrations are applied whenever a store opens.

Alembic (and the SQLAlchemy dialects it loads) costs about a second of CPU to import,
paid by every CLI command and every process that opens a store. A store already at
`HEAD` (the common case) is recognised by one query and Alembic is not imported;
`tests/test_migrations.py` checks that `HEAD` is Alembic's own head revision.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: the newest revision under store/migrations/versions (update it with each new one)
HEAD = "0012"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at store/migrations, bound to a connection."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> list[str]:
    """Every revision this release's migrations know, oldest first (from the file names,
    `NNNN_what.py`, without importing Alembic)."""
    return sorted(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The store's schema revision; None when it has none yet (or it cannot be read:
    Alembic then names the trouble)."""
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except Exception:  # noqa: BLE001 - no table yet, or a fault Alembic will name
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


async def is_at_head(engine: AsyncEngine) -> bool:
    """Whether the store's schema is already at `HEAD` (False when unsure: Alembic decides)."""
    return await current_revision(engine) == HEAD


def pending_revisions(found: str | None) -> list[str]:
    """The revisions an upgrade from `found` (None: a new store) applies, oldest first."""
    known = known_revisions()
    return known[known.index(found) + 1:] if found in known else known


async def upgrade_to_head(engine: AsyncEngine,
                          applied: Callable[[str], None] | None = None) -> None:
    """Create or upgrade the schema to the newest revision; `applied` hears each revision
    ("0004 what it does") as it is applied."""
    if await is_at_head(engine):
        return
    from alembic import command

    def _upgrade(conn: Connection) -> None:
        cfg = alembic_config(conn)
        if applied is not None:
            def on_version_apply(*, step: Any, **_: Any) -> None:
                doc = getattr(step.up_revision, "doc", "") or ""  # the revision's message
                applied(f"{step.up_revision_id} {doc.splitlines()[0] if doc else ''}".strip())

            cfg.attributes["on_version_apply"] = on_version_apply
        command.upgrade(cfg, "head")

    async with engine.connect() as conn:
        conn = await conn.execution_options(write=True)
        async with conn.begin():
            await conn.run_sync(_upgrade)
