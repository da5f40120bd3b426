"""search index: flat_search, an FTS5 table of flats, residents, telephones, APasses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00

SQLite only (FTS5); other dialects get no index and store.search refuses them.
The index is filled from the tables here, so an existing store is searchable at once;
from then on the unit of work keeps it current (see store/search_index.py).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen as they are at this revision (store.search_index may change later).
COLUMNS = ("flat_name", "flat_number", "residents", "telephones", "apasses")
UNINDEXED = ("block_id", "details")
CREATE = f"""
CREATE VIRTUAL TABLE flat_search USING fts5(
    {', '.join(COLUMNS)},
    {', '.join(f'{c} UNINDEXED' for c in UNINDEXED)},
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4 5 6',
    columnsize = 0
)
"""


def upgrade() -> None:
    """Create the search index and fill it from the tables."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute(CREATE)
    from store import search_index as index
    # Filled only while the store's code makes this very table: a later revision that
    # reshapes the index (0004) recreates and refills it itself.
    if index.CREATE.strip() == CREATE.strip():
        index.rebuild_sync(index.SqlAlchemyCursor(bind))


def downgrade() -> None:
    """Drop the search index."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE flat_search")
