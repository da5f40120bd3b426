"""events: indexes for the Block and Flat N° filters; on PostgreSQL, partitioned by month

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 21:00:00

Both engines: ix_events_block_at (block_id, at) and ix_events_flat_at (flat_id, at), the
Events tab's Block and Flat N° filters and Flat management's History tab.

PostgreSQL only: the event log becomes a table partitioned by month on `at` (declarative
partitioning, UTC month boundaries): one partition per month that holds events, a
default partition for anything outside them, and the same indexes on every partition.
Its primary key becomes (id, at), as PostgreSQL requires of a partitioned table; ids stay
unique (the event writer gives them, one batch at a time). The rows are copied over in
this transaction. Partitions for the months ahead, and the retention setting
(`[store] event_retention_months`), are store/postgres.py's at every start.
"""
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the events' indexes as 0001 made them, and the two new ones (frozen here)
INDEXES = {
    "ix_events_site_at": "site_id, at",
    "ix_events_at": "at",
    "ix_events_device_at": "device_id, at",
    "ix_events_kind_at": "kind, at",
    "ix_events_result_at": "result, at",
    "ix_events_credential": "credential",
    "ix_events_block_at": "block_id, at",
    "ix_events_flat_at": "flat_id, at",
}
NEW = ("ix_events_block_at", "ix_events_flat_at")


def _next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def upgrade() -> None:
    """The two indexes; on PostgreSQL, the partitioned table with its rows."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table('events', schema=None) as batch_op:
            for name in NEW:
                batch_op.create_index(name, [c.strip() for c in INDEXES[name].split(",")],
                                      unique=False)
        return
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY NONE")
    op.execute("ALTER TABLE events RENAME TO events_unpartitioned")
    op.execute("ALTER TABLE events_unpartitioned RENAME CONSTRAINT pk_events "
               "TO pk_events_unpartitioned")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("CREATE TABLE events (LIKE events_unpartitioned INCLUDING DEFAULTS, "
               "CONSTRAINT pk_events PRIMARY KEY (id, at)) PARTITION BY RANGE (at)")
    op.execute("CREATE TABLE events_default PARTITION OF events DEFAULT")
    months = [r[0] for r in bind.execute(sa.text(
        "SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date "
        "FROM events_unpartitioned ORDER BY 1"))]
    for month in months:
        op.execute(f"CREATE TABLE events_y{month.year:04d}m{month.month:02d} PARTITION OF "
                   f"events FOR VALUES FROM ('{month.isoformat()} 00:00:00+00') "
                   f"TO ('{_next(month).isoformat()} 00:00:00+00')")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON events ({columns})")
    op.execute("INSERT INTO events SELECT * FROM events_unpartitioned")
    op.execute("DROP TABLE events_unpartitioned")
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY events.id")


def downgrade() -> None:
    """Back to one table (PostgreSQL) and without the two indexes."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table('events', schema=None) as batch_op:
            for name in NEW:
                batch_op.drop_index(name)
        return
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY NONE")
    op.execute("ALTER TABLE events RENAME TO events_partitioned")
    op.execute("ALTER TABLE events_partitioned RENAME CONSTRAINT pk_events "
               "TO pk_events_partitioned")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("CREATE TABLE events (LIKE events_partitioned INCLUDING DEFAULTS, "
               "CONSTRAINT pk_events PRIMARY KEY (id))")
    for name, columns in INDEXES.items():
        if name not in NEW:
            op.execute(f"CREATE INDEX {name} ON events ({columns})")
    op.execute("INSERT INTO events SELECT * FROM events_partitioned")
    op.execute("DROP TABLE events_partitioned")
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY events.id")
