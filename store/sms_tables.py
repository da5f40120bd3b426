"""SMS to residents (migration 0008): credits per site, campaigns, the outbox."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table, UniqueConstraint

from store.table_types import UtcDateTime, _fk, _id, metadata

sms_credits = Table(
    "sms_credits", metadata, _id(),
    _fk("site_id", "sites.id", ondelete="CASCADE", index=False),
    Column("balance", Integer, nullable=False),
    UniqueConstraint("site_id"),
    CheckConstraint("balance >= 0", name="balance_not_negative"),
)
sms_campaigns = Table(
    "sms_campaigns", metadata, _id(),
    _fk("site_id", "sites.id", ondelete="CASCADE"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("text", String(400), nullable=False),
    Column("encoding", String(8), nullable=False),
    Column("route", String(12), nullable=False),
    Column("recipients", Integer, nullable=False),
)
sms_messages = Table(
    "sms_messages", metadata, _id(),
    _fk("campaign_id", "sms_campaigns.id", ondelete="CASCADE"),
    Column("site_id", Integer, nullable=False),
    Column("number", String(20), nullable=False),
    Column("flat", String(120), nullable=False),
    Column("flat_id", Integer),
    Column("status", String(12), nullable=False),
    Column("provider_ref", String(64)),
    Column("attempts", Integer, nullable=False),
    Column("attempt_at", UtcDateTime),
    Column("next_try_at", UtcDateTime),
    Column("error", String(200), nullable=False),
    Column("updated_at", UtcDateTime),
    # the sender's pick: messages still to hand to the route, and those whose delivery
    # status is still to be polled
    Index("ix_sms_messages_outbox", "status", "provider_ref", "next_try_at"),
)
