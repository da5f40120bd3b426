"""What happened: device events, the alarms they raise, and the audit trail of changes.

Part of the domain model (re-exported by core.model, where the rest of it is):
field names match the store's columns one for one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# --- what happened --------------------------------------------------------------


class EventKind(enum.StrEnum):
    CALL_TO_RESIDENT = "Call to resident"
    ACCESS_BY_CODE = "Access by code"
    OPEN_BY_PROXIMITY_FOB = "Open by proximity fob"
    OPEN_BY_RADIO_TRANSMITTER = "Open by radio transmitter"
    ACCESS_BY_MOBILE = "Access by mobile"
    OPEN_BY_TELEPHONE = "Open by telephone"
    SMS_RECEIVED = "SMS received"  # by a site's GSM modem
    REMOTE_OPENING = "Remote opening"
    DOOR_FORCED = "Door forced"
    DOOR_HELD_OPEN = "Door held open"
    TAMPER = "Tamper"
    POWER_FAILURE = "Power failure"
    DEVICE_OFFLINE = "Device offline"
    DEVICE_ONLINE = "Device online"
    COMMUNICATION_QUALITY = "Communication quality"
    COMMUNICATION_RESTORED = "Communication restored"
    # a store reader the gateway cannot drive (bad settings, an address taken on its bus)
    READER_NOT_DRIVEN = "Reader not driven"
    READER_DRIVEN = "Reader driven"
    # the gateway's own faults: raised on every site it serves, so every console sees them
    STORE_FAULT = "Store fault"
    STORE_RECOVERED = "Store recovered"
    GATEWAY_TASK_FAILED = "Gateway task failed"
    EVENTS_SET_ASIDE = "Events set aside"  # lines of the spill journal that are no event
    PROCESS_STUCK = "Process stuck"  # serve's watchdog restarted a stuck worker or gateway
    # the gateway's clock (decisions depend on local time and week types)
    CLOCK_NOT_SYNCHRONISED = "Clock not synchronised"
    CLOCK_SYNCHRONISED = "Clock synchronised"
    CLOCK_JUMPED = "Clock jumped"  # a step of more than a minute: both times in the description
    SMS_ROUTE_FAULT = "SMS route fault"  # Twilio refused the account, the modem is absent...
    MODEM_NOT_DRIVEN = "Modem not driven"  # a store's GSM modem the gateway cannot drive
    MODEM_DRIVEN = "Modem driven"

    @property
    def is_alarm(self) -> bool:
        """Events that need a person."""
        return self in ALARM_KINDS


ALARM_KINDS = frozenset(
    {
        EventKind.DOOR_FORCED,
        EventKind.DOOR_HELD_OPEN,
        EventKind.TAMPER,
        EventKind.POWER_FAILURE,
        EventKind.DEVICE_OFFLINE,
        EventKind.COMMUNICATION_QUALITY,
        EventKind.READER_NOT_DRIVEN,
        EventKind.STORE_FAULT,
        EventKind.GATEWAY_TASK_FAILED,
        EventKind.EVENTS_SET_ASIDE,
        EventKind.PROCESS_STUCK,
        EventKind.CLOCK_NOT_SYNCHRONISED,
        EventKind.SMS_ROUTE_FAULT,
        EventKind.MODEM_NOT_DRIVEN,
    }
)
#: an event of the key's kind clears the device's open alarms of the value's kind
CLEARS = {
    EventKind.DEVICE_ONLINE: EventKind.DEVICE_OFFLINE,
    EventKind.COMMUNICATION_RESTORED: EventKind.COMMUNICATION_QUALITY,
    EventKind.READER_DRIVEN: EventKind.READER_NOT_DRIVEN,
    EventKind.MODEM_DRIVEN: EventKind.MODEM_NOT_DRIVEN,
}
#: the same for the gateway's own alarms, raised on every site with no device: an event
#: of the key's kind clears its site's open alarms of the value's kind
SITE_CLEARS = {
    EventKind.STORE_RECOVERED: EventKind.STORE_FAULT,
    EventKind.CLOCK_SYNCHRONISED: EventKind.CLOCK_NOT_SYNCHRONISED,
}


class EventResult(enum.StrEnum):
    OPENING = "Opening"
    OPENING_DENIED = "Opening DENIED"
    COMMUNICATION_NOT_COMPLETED = "Communication not completed"
    ALARM = "Alarm"
    INFORMATION = "Information"


# The longest text each field of an event may hold (the store's columns match).
EVENT_TEXT_LIMITS = {"credential": 32, "name": 120, "reason": 60, "description": 2000}


@dataclass
class Event:
    """What a device reported, with the guide's description fields."""

    at: datetime
    site_id: int
    kind: EventKind
    result: EventResult
    device_id: int | None = None
    block_id: int | None = None
    flat_id: int | None = None
    credential: str = ""  # APass number, telephone number or code entered
    name: str = ""  # "Name associated" / resident
    reason: str = ""  # "Pattern": why a denial happened
    description: str = ""
    id: int | None = None
    #: the gateway run that recorded it and its sequence number there (unique in the
    #: store: a replayed spill journal stores nothing twice); None for others' events
    origin: str | None = None
    seq: int | None = None


@dataclass
class Alarm:
    """An alarm event awaiting (or given) a person's acknowledgement."""

    event_id: int
    site_id: int
    kind: EventKind
    raised_at: datetime
    device_id: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    note: str = ""
    cleared_at: datetime | None = None
    id: int | None = None


@dataclass
class AuditEntry:
    """Who changed what, when, before and after; hash-chained to its predecessor."""

    at: datetime
    actor: str  # operator email, or "system"
    action: str  # e.g. "flat.update"
    entity: str
    entity_id: int | None
    site_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    source: str = ""  # where the actor was: "cli", an SSH address ...
    prev_hash: str = ""
    hash: str = ""
    id: int | None = None
