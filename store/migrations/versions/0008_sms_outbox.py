"""SMS to residents: credits per site, campaigns, and the outbox of messages

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:00:00

A campaign and each of its messages are rows before anything is sent; the gateway's
sender works through the messages (docs/sms.md). New tables only: nothing stored
before changes.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        'sms_credits',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('balance', sa.Integer(), nullable=False),
        sa.CheckConstraint('balance >= 0', name=op.f('ck_sms_credits_balance_not_negative')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name=op.f('fk_sms_credits_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_credits')),
        sa.UniqueConstraint('site_id', name=op.f('uq_sms_credits_site_id')),
    )
    op.create_table(
        'sms_campaigns',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=254), nullable=False),
        sa.Column('text', sa.String(length=400), nullable=False),
        sa.Column('encoding', sa.String(length=8), nullable=False),
        sa.Column('route', sa.String(length=12), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name=op.f('fk_sms_campaigns_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_campaigns')),
    )
    op.create_index(op.f('ix_sms_campaigns_site_id'), 'sms_campaigns', ['site_id'])
    op.create_table(
        'sms_messages',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('flat', sa.String(length=120), nullable=False),
        sa.Column('flat_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('provider_ref', sa.String(length=64), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['sms_campaigns.id'], ondelete='CASCADE',
                                name=op.f('fk_sms_messages_campaign_id_sms_campaigns')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_messages')),
    )
    op.create_index(op.f('ix_sms_messages_campaign_id'), 'sms_messages', ['campaign_id'])
    op.create_index('ix_sms_messages_outbox', 'sms_messages',
                    ['status', 'provider_ref', 'next_try_at'])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index('ix_sms_messages_outbox', table_name='sms_messages')
    op.drop_index(op.f('ix_sms_messages_campaign_id'), table_name='sms_messages')
    op.drop_table('sms_messages')
    op.drop_index(op.f('ix_sms_campaigns_site_id'), table_name='sms_campaigns')
    op.drop_table('sms_campaigns')
    op.drop_table('sms_credits')
