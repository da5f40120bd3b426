"""natural order: service providers and tasks gain their name's sort key

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:30:00

The Facilities lists page by (sort_key, id) so that "Task 2" comes before "Task 10"
(core/natural_order.py). The key of every provider and task already stored is filled
in here; the store writes it with each save from then on (store/mapping.py).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.natural_order import sort_key

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('service_providers', 'tasks')


def upgrade() -> None:
    """Add the column and its index to both tables, and fill it in."""
    conn = op.get_bind()
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('sort_key', sa.String(length=200), nullable=False,
                                          server_default=''))
        table = sa.table(name, sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('sort_key', sa.String))
        keys = [{'_id': id_, '_key': sort_key(value)}
                for id_, value in conn.execute(sa.select(table.c.id, table.c.name))]
        if keys:
            conn.execute(table.update().where(table.c.id == sa.bindparam('_id'))
                         .values(sort_key=sa.bindparam('_key')), keys)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{name}_sort_key'), ['sort_key'],
                                  unique=False)


def downgrade() -> None:
    """Drop what upgrade added."""
    for name in reversed(TABLES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{name}_sort_key'))
            batch_op.drop_column('sort_key')
