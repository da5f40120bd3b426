"""The schema, in SQLAlchemy Core. Column names equal core.model field names.

Portable SQL only: anything SQLite-specific lives in store/sqlite.py.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from core.model import EVENT_TEXT_LIMITS

# the SMS tables are in their own module, re-exported so that `tables.sms_messages` works
from store.sms_tables import sms_campaigns as sms_campaigns
from store.sms_tables import sms_credits as sms_credits
from store.sms_tables import sms_messages as sms_messages
from store.table_types import NAMING as NAMING
from store.table_types import UtcDateTime as UtcDateTime
from store.table_types import _fk, _id
from store.table_types import metadata as metadata

sites = Table(
    "sites", metadata, _id(),
    Column("name", String(60), nullable=False, unique=True),
    Column("default_country", String(2), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("max_panels", Integer, nullable=False),
    Column("max_flats", Integer, nullable=False),
    Column("max_foreign_numbers", Integer, nullable=False),
    Column("max_panel_names", Integer, nullable=False),
    Column("residents_dial_to_open", Boolean, nullable=False),
    Column("notes", String(160), nullable=False),
    Column("address", String(160), nullable=False, server_default=""),
)

blocks = Table(
    "blocks", metadata, _id(),
    _fk("site_id", "sites.id"),
    Column("name", String(60), nullable=False),
    _fk("default_access_profile_id", "access_profiles.id", nullable=True),
    Column("notes", String(160), nullable=False),
    UniqueConstraint("site_id", "name"),
)

flats = Table(
    "flats", metadata, _id(),
    _fk("block_id", "blocks.id"),
    Column("number", String(10), nullable=False),
    Column("name", String(60), nullable=False, index=True),
    Column("floor", Integer),
    Column("code_main_door", String(8), index=True),
    Column("code_aux_relay_1", String(8), index=True),
    Column("code_aux_relay_2", String(8), index=True),
    Column("notes", String(160), nullable=False),
    Column("temporary_id", String(16), nullable=False),
    UniqueConstraint("block_id", "number"),
)

telephones = Table(
    "telephones", metadata, _id(),
    _fk("flat_id", "flats.id"),
    Column("kind", String(16), nullable=False),
    Column("value", String(254), nullable=False, index=True),
    Column("country", String(2), nullable=False),
    Column("foreign", Boolean, nullable=False),
    Column("app_activated", Boolean, nullable=False),
    UniqueConstraint("flat_id", "value"),
)

panel_displays = Table(
    "panel_displays", metadata, _id(),
    _fk("flat_id", "flats.id"),
    Column("display_name", String(60), nullable=False, index=True),
    Column("call_code", String(6), nullable=False),
    _fk("access_profile_id", "access_profiles.id", nullable=True),
    _fk("auto_open_week_type_id", "week_types.id", nullable=True),
    Column("hardwired", Boolean, nullable=False),
    Column("name_at_top", Boolean, nullable=False),
    Column("voice_server", Boolean, nullable=False),
)

# The call chain: a foreign key per step, so a called number cannot vanish.
panel_display_calls = Table(
    "panel_display_calls", metadata,
    Column("panel_display_id", Integer, ForeignKey("panel_displays.id", ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer, primary_key=True),
    _fk("telephone_id", "telephones.id"),
    Column("ring_seconds", Integer, nullable=False),
    CheckConstraint("position BETWEEN 1 AND 3", name="position"),
)

access_passes = Table(
    "access_passes", metadata, _id(),
    _fk("site_id", "sites.id"),
    Column("number", String(10), nullable=False, unique=True),
    Column("type", String(20), nullable=False),
    Column("colour", String(10), nullable=False),
    Column("state", String(10), nullable=False, index=True),
    _fk("block_id", "blocks.id", nullable=True),
    _fk("flat_id", "flats.id", nullable=True),
    Column("resident", String(60), nullable=False),
    _fk("access_profile_id", "access_profiles.id", nullable=True),
    Column("notes", String(160), nullable=False),
    CheckConstraint("length(number) = 10", name="number_digits"),
)

week_types = Table(
    "week_types", metadata, _id(),
    _fk("site_id", "sites.id"),
    Column("name", String(60), nullable=False),
    Column("windows", JSON, nullable=False),
    UniqueConstraint("site_id", "name"),
)

holidays = Table(
    "holidays", metadata, _id(),
    _fk("site_id", "sites.id"),
    Column("day", Date, nullable=False),
    Column("name", String(60), nullable=False),
    UniqueConstraint("site_id", "day"),
)

access_profiles = Table(
    "access_profiles", metadata, _id(),
    _fk("site_id", "sites.id"),
    Column("name", String(60), nullable=False),
    _fk("week_type_id", "week_types.id", nullable=True),
    UniqueConstraint("site_id", "name"),
)

access_profile_doors = Table(
    "access_profile_doors", metadata,
    Column("access_profile_id", Integer, ForeignKey("access_profiles.id", ondelete="CASCADE"),
           primary_key=True),
    Column("door_id", Integer, ForeignKey("doors.id", ondelete="RESTRICT"), primary_key=True,
           index=True),
)

devices = Table(
    "devices", metadata, _id(),
    _fk("site_id", "sites.id"),
    Column("name", String(60), nullable=False),
    Column("type", String(20), nullable=False, index=True),
    _fk("block_id", "blocks.id", nullable=True),
    _fk("parent_id", "devices.id", nullable=True),
    Column("gsm_access_point", Boolean, nullable=False),
    Column("address", String(60), nullable=False),
    Column("notes", String(160), nullable=False),
    Column("bus", String(120), nullable=False, server_default=""),
    Column("card_format", String(12), nullable=False, server_default=""),
    Column("scbk", String(32), nullable=False, server_default=""),
    Column("sc_install", Boolean, nullable=False, server_default="0"),
    Column("telephone", String(20), nullable=False, server_default=""),
    Column("display_capacity", Integer, nullable=False, server_default="0"),
    UniqueConstraint("site_id", "name"),
)

doors = Table(
    "doors", metadata, _id(),
    _fk("device_id", "devices.id"),
    Column("relay", Integer, nullable=False),
    Column("name", String(60), nullable=False),
    Column("open_seconds", Integer, nullable=False),
    Column("held_open_seconds", Integer, nullable=False),
    UniqueConstraint("device_id", "relay"),
)

operators = Table(
    "operators", metadata, _id(),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(60), nullable=False),
    Column("login", String(32), unique=True),
    Column("language", String(8), nullable=False),
    Column("password_hash", String(200)),
    Column("can_create_sites", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
)

site_grants = Table(
    "site_grants", metadata, _id(),
    _fk("operator_id", "operators.id", ondelete="CASCADE"),
    _fk("site_id", "sites.id"),
    Column("profile", String(32), nullable=False),
    Column("rights", JSON, nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    UniqueConstraint("operator_id", "site_id"),
)

management_companies = Table(
    "management_companies", metadata, _id(),
    Column("name", String(60), nullable=False, unique=True),
    Column("person_in_charge", String(60), nullable=False),
    Column("telephone", String(60), nullable=False),
    Column("email", String(254), nullable=False),
)

service_providers = Table(
    "service_providers", metadata, _id(),
    _fk("company_id", "management_companies.id"),
    Column("name", String(60), nullable=False, index=True),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("email", String(254), nullable=False),
    Column("mobile", String(20), nullable=False, index=True),
    Column("apass_number", String(10), unique=True),
    Column("apass_dual_tech", Boolean, nullable=False),
    Column("radio_number", String(10), unique=True),
    Column("radio_dual_tech", Boolean, nullable=False),
    Column("code_door", String(8)),
    Column("code_relay_1", String(8)),
    Column("code_relay_2", String(8)),
    Column("code_key_safe", String(8)),
    Column("mission", String(160), nullable=False, server_default=""),
    Column("telephone", String(20), nullable=False, server_default=""),
    # the name's natural sort key (core.natural_order), written by store.mapping
    Column("sort_key", String(200), nullable=False, server_default="", index=True),
)

# Who manages a management company: its creator, and those it was shared with.
company_access = Table(
    "company_access", metadata, _id(),
    _fk("company_id", "management_companies.id", ondelete="CASCADE"),
    _fk("operator_id", "operators.id", ondelete="CASCADE"),
    Column("owner", Boolean, nullable=False),
    Column("added_at", UtcDateTime),
    Column("added_by", String(254), nullable=False),
    UniqueConstraint("company_id", "operator_id"),
)

tasks = Table(
    "tasks", metadata, _id(),
    Column("name", String(60), nullable=False, index=True),
    _fk("company_id", "management_companies.id"),
    _fk("provider_id", "service_providers.id"),
    Column("sort_key", String(200), nullable=False, server_default="", index=True),
)

task_sites = Table(
    "task_sites", metadata,
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id"), primary_key=True, index=True),
    _fk("week_type_id", "week_types.id", nullable=True),
)

task_doors = Table(
    "task_doors", metadata,
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("door_id", Integer, ForeignKey("doors.id"), primary_key=True, index=True),
    Column("by_code", Boolean, nullable=False),
    Column("by_apass", Boolean, nullable=False),
    Column("by_radio", Boolean, nullable=False),
    Column("by_mobile", Boolean, nullable=False),
    Column("by_telephone", Boolean, nullable=False),
)

# The event log: append-only, no foreign keys (a device may be deleted later,
# its history stays), indexed for the Events tab's filters. On PostgreSQL it is
# partitioned by month, its primary key (id, at) (migration 0009, store/postgres.py).
events = Table(
    "events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("site_id", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("result", String(32), nullable=False),
    Column("device_id", Integer),
    Column("block_id", Integer),
    Column("flat_id", Integer),
    Column("credential", String(EVENT_TEXT_LIMITS["credential"]), nullable=False),
    Column("name", String(EVENT_TEXT_LIMITS["name"]), nullable=False),
    Column("reason", String(EVENT_TEXT_LIMITS["reason"]), nullable=False),
    Column("description", Text, nullable=False),
    # the gateway run that recorded it and its number there: a replayed spill journal
    # stores nothing twice (0010; with `at`, as PostgreSQL's partitions require)
    Column("origin", String(40)),
    Column("seq", BigInteger),
    Index("ux_events_origin_seq", "origin", "seq", "at", unique=True),
    Index("ix_events_site_at", "site_id", "at"),
    Index("ix_events_at", "at"),
    Index("ix_events_device_at", "device_id", "at"),
    Index("ix_events_kind_at", "kind", "at"),
    Index("ix_events_result_at", "result", "at"),
    Index("ix_events_credential", "credential"),
    Index("ix_events_block_at", "block_id", "at"),  # the Events tab's Block filter (0009)
    Index("ix_events_flat_at", "flat_id", "at"),  # its Flat N° filter, a flat's History
)

# Alarms come from the event log, so like it they point at sites and devices
# without foreign keys: a device's report is never refused for its ids.
alarms = Table(
    "alarms", metadata, _id(),
    Column("event_id", Integer, nullable=False, index=True),
    Column("site_id", Integer, nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("device_id", Integer),
    Column("acknowledged_at", UtcDateTime),
    _fk("acknowledged_by", "operators.id", nullable=True),
    Column("note", String(160), nullable=False),
    Column("cleared_at", UtcDateTime),
)

audit_entries = Table(
    "audit_entries", metadata, _id(),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(254), nullable=False, index=True),
    Column("action", String(40), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", Integer),
    Column("site_id", Integer, index=True),
    Column("before", JSON),
    Column("after", JSON),
    Column("source", String(120), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_entity", "entity", "entity_id"),
)

# One row: how many audit entries there are and the newest hash, so removing
# the newest entries is detected too.
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

# An operator's SSH public keys (issue 5): one row per key, a key at most once per
# operator (by its fingerprint).
operator_keys = Table(
    "operator_keys", metadata, _id(),
    _fk("operator_id", "operators.id", ondelete="CASCADE"),
    Column("key", Text, nullable=False),
    Column("fingerprint", String(60), nullable=False),
    Column("comment", String(100), nullable=False),
    Column("added_at", UtcDateTime),
    UniqueConstraint("operator_id", "fingerprint"),
)
