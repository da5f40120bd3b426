"""search index on PostgreSQL: flat_search, a tsvector per flat (GIN-indexed)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 21:30:00

PostgreSQL only (SQLite has its FTS5 index since 0002). The table is derived data: it is
created and filled from the tables here, so an existing store is searchable at once;
from then on the unit of work keeps it current (store/postgres_search.py).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the index table and fill it (store.postgres_search.rebuild_sync)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from store import postgres_search

    postgres_search.rebuild_sync(bind)


def downgrade() -> None:
    """Drop the index table."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS flat_search")
