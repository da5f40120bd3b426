"""search on PostgreSQL: tagged tokens in a btree (flat_search_token), no more tsvector

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 15:30:00

PostgreSQL only (SQLite keeps its FTS5 index). 0010's `flat_search` held a weighted
tsvector per flat behind a GIN index, 4 to 10 times slower than FTS5 on short prefixes
(docs/scale.md). Both tables are derived data: they are recreated and filled from the
tables here (store.postgres_search.rebuild_sync), `flat_search` with the flat's tagged
tokens in `doc` in place of the tsvector, `flat_search_token` with one row per (site,
tagged token, flat), so a typed prefix is a range scan of its btree.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: 0010's shape, for downgrade: the same columns and a weighted tsvector of the same tokens
OLD = ("CREATE TABLE flat_search_old (rowid bigint PRIMARY KEY, flat_id integer NOT NULL, "
       "site_id integer NOT NULL, block_id integer NOT NULL, flat_name text NOT NULL, "
       "flat_number text NOT NULL, residents text NOT NULL, details text NOT NULL, "
       "doc tsvector NOT NULL)")
WEIGHTS = {"a": "A", "b": "B", "c": "C", "t": "D", "p": "D"}
WORDS = {"t": "tel", "p": "pas"}


def upgrade() -> None:
    """Recreate and fill both tables."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from store import postgres_search

    postgres_search.rebuild_sync(bind)


def downgrade() -> None:
    """Back to 0010's table: each tagged token becomes a lexeme with its column's weight
    (telephones and APasses with 0010's `tel` and `pas` words)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS flat_search_token")
    op.execute(OLD)
    lexemes = " || ".join(
        f"setweight(to_tsvector('simple', coalesce((SELECT string_agg("
        f"'{WORDS.get(tag, '')}' || substr(t, 2), ' ') FROM unnest(string_to_array("
        f"trim(doc), ' ')) t WHERE left(t, 1) = '{tag}'), '')), '{weight}')"
        for tag, weight in WEIGHTS.items())
    op.execute("INSERT INTO flat_search_old SELECT rowid, flat_id, site_id, block_id, "
               f"flat_name, flat_number, residents, details, {lexemes} FROM flat_search")
    op.execute("DROP TABLE flat_search")
    op.execute("ALTER TABLE flat_search_old RENAME TO flat_search")
    op.execute("ALTER INDEX flat_search_old_pkey RENAME TO flat_search_pkey")
    op.execute("CREATE INDEX ix_flat_search_doc ON flat_search USING gin (doc)")
    op.execute("CREATE INDEX ix_flat_search_flat_id ON flat_search (flat_id)")
