"""search index on PostgreSQL: flat_search, a tsvector per flat (GIN-indexed)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 21:30:00

PostgreSQL only (SQLite has its FTS5 index since 0002). The table is derived data.
Superseded by 0012 (a btree of tagged tokens in place of the tsvector), which recreates
and fills it: this revision creates nothing, so a store migrating from before it fills
the index once, at 0012 (store/postgres_search.py).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing: 0012 creates and fills the index."""


def downgrade() -> None:
    """Drop the index tables."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS flat_search_token")
        op.execute("DROP TABLE IF EXISTS flat_search")
