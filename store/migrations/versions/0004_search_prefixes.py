"""search index: prefix indexes up to 8 characters (a marker and 7 digits)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 11:00:00

The index is derived data: it is dropped, created with the new prefix lengths and
filled again from the tables (SQLite only, as in 0002).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen as they are at this revision (store.search_index may change later).
COLUMNS = ("flat_name", "flat_number", "residents", "telephones", "apasses")
UNINDEXED = ("block_id", "details")


def _create(prefixes: str) -> str:
    return f"""
CREATE VIRTUAL TABLE flat_search USING fts5(
    {', '.join(COLUMNS)},
    {', '.join(f'{c} UNINDEXED' for c in UNINDEXED)},
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '{prefixes}',
    columnsize = 0
)
"""


CREATE = _create("1 2 3 4 5 6 7 8")


def _recreate(create: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS flat_search")
    op.execute(create)
    from store import search_index as index
    # A later revision that reshapes the index again refills it itself.
    if (index.COLUMNS, index.UNINDEXED) == (COLUMNS, UNINDEXED):
        index.rebuild_sync(index.SqlAlchemyCursor(bind))


def upgrade() -> None:
    """Recreate the search index with prefix indexes of 1 to 8 characters."""
    _recreate(CREATE)


def downgrade() -> None:
    """Back to 0002's prefix indexes of 1 to 6 characters."""
    _recreate(_create("1 2 3 4 5 6"))
