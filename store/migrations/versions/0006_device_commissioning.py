"""device commissioning: an OSDP reader's bus, card format and Secure Channel key; a
modem's telephone number; a panel's display capacity; a site's address

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:30:00

Devices already stored keep working as before: every new column is empty (a reader on
no bus is driven only if the config names it).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ('bus', sa.String(length=120), ''),
    ('card_format', sa.String(length=12), ''),
    ('scbk', sa.String(length=32), ''),
    ('sc_install', sa.Boolean(), '0'),
    ('telephone', sa.String(length=20), ''),
    ('display_capacity', sa.Integer(), '0'),
)


def upgrade() -> None:
    """Add the commissioning columns to devices, and the site's address."""
    with op.batch_alter_table('devices', schema=None) as batch_op:
        for name, type_, default in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=160), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('address')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        for name, _, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
