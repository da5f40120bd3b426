"""operator keys: the SSH public keys operators log in with

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00

One row per key ("type base64", its SHA256 fingerprint, the comment); a key at most
once per operator. Removing an operator removes their keys.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the operator_keys table."""
    op.create_table(
        'operator_keys',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('fingerprint', sa.String(length=60), nullable=False),
        sa.Column('comment', sa.String(length=100), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'],
                                name=op.f('fk_operator_keys_operator_id_operators'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_keys')),
        sa.UniqueConstraint('operator_id', 'fingerprint',
                            name=op.f('uq_operator_keys_operator_id')),
    )
    with op.batch_alter_table('operator_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_keys_operator_id'), ['operator_id'],
                              unique=False)


def downgrade() -> None:
    """Drop the operator_keys table."""
    with op.batch_alter_table('operator_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_keys_operator_id'))
    op.drop_table('operator_keys')
