"""events: the gateway that recorded each one and its sequence number, unique

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 22:00:00

A gateway gives every event it records its own id (`origin`, one per run of its event
writer) and a sequence number (`seq`); the pair is unique in the store (with `at`, which
PostgreSQL requires of a unique index on a table partitioned by it: a replayed event has
the same time). A spill journal replayed after a crash between the store's commit and
the journal's clearing therefore stores nothing twice (store/event_insert.py inserts
with ON CONFLICT DO NOTHING). Events stored before have neither: NULLs never conflict.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Two nullable columns and their unique index (on every partition)."""
    op.add_column('events', sa.Column('origin', sa.String(length=40), nullable=True))
    op.add_column('events', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.create_index('ux_events_origin_seq', 'events', ['origin', 'seq', 'at'], unique=True)


def downgrade() -> None:
    """Without them."""
    op.drop_index('ux_events_origin_seq', table_name='events')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('seq')
        batch_op.drop_column('origin')
