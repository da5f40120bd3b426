"""facilities book: a provider's mission and other telephone, who manages a company

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:30:00

Providers gain the guide's Mission and a second telephone (both empty for those
already stored); company_access lists the operators who manage a management
company (its creator, and those it was shared with); tasks are paged by name.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the provider columns, the company_access table and the tasks' name index."""
    with op.batch_alter_table('service_providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mission', sa.String(length=160), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('telephone', sa.String(length=20), nullable=False,
                                      server_default=''))
    op.create_table(
        'company_access',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('owner', sa.Boolean(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('added_by', sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['management_companies.id'],
                                name=op.f('fk_company_access_company_id_management_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'],
                                name=op.f('fk_company_access_operator_id_operators'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_company_access')),
        sa.UniqueConstraint('company_id', 'operator_id',
                            name=op.f('uq_company_access_company_id')),
    )
    with op.batch_alter_table('company_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_access_company_id'), ['company_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_company_access_operator_id'), ['operator_id'],
                              unique=False)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_name'), ['name'], unique=False)


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_name'))
    with op.batch_alter_table('company_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_access_operator_id'))
        batch_op.drop_index(batch_op.f('ix_company_access_company_id'))
    op.drop_table('company_access')
    with op.batch_alter_table('service_providers', schema=None) as batch_op:
        batch_op.drop_column('telephone')
        batch_op.drop_column('mission')
