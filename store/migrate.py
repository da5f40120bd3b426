"""Alembic, driven from code: migrations are applied whenever a store opens."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at store/migrations, bound to a connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Create or upgrade the schema to the newest revision."""

    def _upgrade(conn: Connection) -> None:
        command.upgrade(alembic_config(conn), "head")

    async with engine.connect() as conn:
        conn = await conn.execution_options(write=True)
        async with conn.begin():
            await conn.run_sync(_upgrade)
