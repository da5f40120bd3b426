"""The domain of the field guide as plain Python types.

Field names match the store's columns one for one, so the store can map rows
to these dataclasses without a hand-written converter per type. Objects refer
to each other by id; loading graphs is the store's business, not the model's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time


class StrEnum(enum.StrEnum):
    """An enum whose values are the words stored and shown."""


# --- estate -----------------------------------------------------------------


@dataclass
class Site:
    """A building or estate, with the quotas the guide shows in its header."""

    name: str
    default_country: str = "GB"
    timezone: str = "Europe/London"
    max_panels: int = 5
    max_flats: int = 100
    max_foreign_numbers: int = 10
    max_panel_names: int = 100
    residents_dial_to_open: bool = False
    notes: str = ""
    id: int | None = None


@dataclass
class Block:
    """Part of a site: holds flats, devices and passes."""

    site_id: int
    name: str
    default_access_profile_id: int | None = None
    notes: str = ""
    id: int | None = None


@dataclass
class Flat:
    """A unit: "Flat N°" (number), "Flat" (name), floor, keypad codes, notes."""

    block_id: int
    number: str
    name: str
    floor: int | None = None
    code_main_door: str | None = None
    code_aux_relay_1: str | None = None
    code_aux_relay_2: str | None = None
    notes: str = ""
    temporary_id: str = ""
    id: int | None = None


class TelephoneKind(StrEnum):
    TELEPHONE = "telephone"
    EMAIL = "email"


@dataclass
class Telephone:
    """A resident's telephone number (E.164) or email; at most 3 per flat."""

    flat_id: int
    kind: TelephoneKind
    value: str
    country: str = ""  # ISO region of a number, "" for an email
    foreign: bool = False  # counts against the site's foreign-number quota
    app_activated: bool = False  # "IPGUARD App activated"
    id: int | None = None


@dataclass
class CallStep:
    """One number of a panel display's call chain and how long it rings."""

    telephone_id: int
    ring_seconds: int


@dataclass
class PanelDisplay:
    """A resident's name on the intercom panels and whom a call rings."""

    flat_id: int
    display_name: str
    call_code: str
    access_profile_id: int | None = None
    call_chain: list[CallStep] = field(default_factory=list)
    auto_open_week_type_id: int | None = None  # None = "Never"
    hardwired: bool = False  # "Used for hardwired NPH or no telephone N°"
    name_at_top: bool = False
    voice_server: bool = False
    id: int | None = None


# --- access passes ------------------------------------------------------------


class APassType(StrEnum):
    PROXIMITY_FOB = "proximity fob"
    RADIO_TRANSMITTER = "radio transmitter"
    DUAL_TECH = "dual tech"


class APassColour(StrEnum):
    BLACK = "black"
    GREY = "grey"
    WHITE = "white"
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    PURPLE = "purple"


class APassState(StrEnum):
    ASSIGNED = "assigned"  # to a flat on the site
    STOCK = "stock"  # site stock: disabled, programming deleted
    LOST = "lost"  # lost record: disabled, programming kept


@dataclass
class AccessPass:
    """An APass: proximity fob, radio transmitter or both, with a unique 10-digit number."""

    site_id: int
    number: str
    type: APassType = APassType.PROXIMITY_FOB
    colour: APassColour = APassColour.BLACK
    state: APassState = APassState.STOCK
    block_id: int | None = None
    flat_id: int | None = None
    resident: str = ""
    access_profile_id: int | None = None
    notes: str = ""
    id: int | None = None

    @property
    def enabled(self) -> bool:
        """Only a pass assigned to a flat opens anything."""
        return self.state is APassState.ASSIGNED


# --- time -----------------------------------------------------------------------

HOLIDAY = 7  # the "day" of a week-type window that applies on holidays


@dataclass
class TimeWindow:
    """From `start` to `end` on `day` (0 Monday … 6 Sunday, 7 holidays)."""

    day: int
    start: time
    end: time


@dataclass
class WeekType:
    """Weekly time windows; on a holiday only the holiday windows apply."""

    site_id: int
    name: str
    windows: list[TimeWindow] = field(default_factory=list)
    id: int | None = None


@dataclass
class Holiday:
    """A day on which a site's week types use their holiday windows."""

    site_id: int
    day: date
    name: str
    id: int | None = None


@dataclass
class AccessProfile:
    """Which doors, under which week type ("Profil - Block C")."""

    site_id: int
    name: str
    week_type_id: int | None = None  # None = always
    door_ids: list[int] = field(default_factory=list)
    id: int | None = None


# --- devices --------------------------------------------------------------------


class DeviceType(StrEnum):
    IPGUARD_4G = "IPGUARD 4G"
    PANEL_3G = "3G panel"
    CONTROL_UNIT = "control unit"
    READER = "reader"
    RADIO_RECEIVER = "radio receiver"
    CODE_KEYPAD = "code keypad"
    KEY_SAFE = "IPKEYSAFE"
    GSM_MODEM = "GSM modem"

    @property
    def is_panel(self) -> bool:
        """Panels count against the site's panel quota."""
        return self in (DeviceType.IPGUARD_4G, DeviceType.PANEL_3G)


@dataclass
class Device:
    """A piece of equipment on a site; a GSM access point links the site."""

    site_id: int
    name: str
    type: DeviceType
    block_id: int | None = None
    parent_id: int | None = None  # a reader wired to a control unit
    gsm_access_point: bool = False
    address: str = ""  # the driver's address for it (OSDP address, port ...)
    notes: str = ""
    id: int | None = None


@dataclass
class Door:
    """A relay output of a device that opens a door, gate or key safe."""

    device_id: int
    relay: int
    name: str
    open_seconds: int = 5
    held_open_seconds: int = 30
    id: int | None = None


# --- people who use the console ---------------------------------------------------


@dataclass
class Operator:
    """A console user. Rights come per site through SiteGrant."""

    email: str
    name: str = ""
    login: str | None = None
    language: str = "en"
    password_hash: str | None = None
    can_create_sites: bool = False  # the guide's "Create a site" profile
    active: bool = True
    id: int | None = None


@dataclass
class SiteGrant:
    """An operator's profile and rights on one site, with validity dates."""

    operator_id: int
    site_id: int
    profile: str
    rights: frozenset[str]  # "area:action" strings, see core.rights
    valid_from: date | None = None  # None with valid_to None = permanent
    valid_to: date | None = None
    id: int | None = None


# --- facilities -------------------------------------------------------------------


@dataclass
class ManagementCompany:
    """A contractor firm in charge of a service on one or more sites."""

    name: str
    person_in_charge: str = ""
    telephone: str = ""
    email: str = ""
    id: int | None = None


@dataclass
class ServiceProvider:
    """A management company's employee with credentials and validity."""

    company_id: int
    name: str
    valid_from: date | None = None  # both None = permanent task
    valid_to: date | None = None
    email: str = ""
    mobile: str = ""  # E.164; mandatory for dial to open
    apass_number: str | None = None
    apass_dual_tech: bool = False
    radio_number: str | None = None
    radio_dual_tech: bool = False
    code_door: str | None = None
    code_relay_1: str | None = None
    code_relay_2: str | None = None
    code_key_safe: str | None = None
    id: int | None = None


class ValidityStatus(StrEnum):
    EXPIRED = "expired"  # shown red
    NOT_STARTED = "not started"  # shown orange
    CURRENT = "current"  # shown grey


@dataclass
class TaskDoor:
    """How a task lets its provider through one door."""

    door_id: int
    by_code: bool = False
    by_apass: bool = False
    by_radio: bool = False
    by_mobile: bool = False
    by_telephone: bool = False


@dataclass
class Task:
    """Access rights given to a service provider on one or more sites."""

    name: str
    company_id: int
    provider_id: int
    site_ids: list[int] = field(default_factory=list)
    week_type_ids: dict[int, int | None] = field(default_factory=dict)  # site -> week type
    doors: list[TaskDoor] = field(default_factory=list)
    id: int | None = None


# --- what happened --------------------------------------------------------------


class EventKind(StrEnum):
    CALL_TO_RESIDENT = "Call to resident"
    ACCESS_BY_CODE = "Access by code"
    OPEN_BY_PROXIMITY_FOB = "Open by proximity fob"
    OPEN_BY_RADIO_TRANSMITTER = "Open by radio transmitter"
    ACCESS_BY_MOBILE = "Access by mobile"
    OPEN_BY_TELEPHONE = "Open by telephone"
    REMOTE_OPENING = "Remote opening"
    DOOR_FORCED = "Door forced"
    DOOR_HELD_OPEN = "Door held open"
    TAMPER = "Tamper"
    POWER_FAILURE = "Power failure"
    DEVICE_OFFLINE = "Device offline"
    DEVICE_ONLINE = "Device online"

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
    }
)


class EventResult(StrEnum):
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
    before: dict | None
    after: dict | None
    source: str = ""  # where the actor was: "cli", an SSH address ...
    prev_hash: str = ""
    hash: str = ""
    id: int | None = None


@dataclass
class OperatorKey:
    """One SSH public key an operator logs in with (type, base64 and comment)."""

    operator_id: int
    key: str  # "type base64" as core.keys stores it, without the comment
    fingerprint: str  # OpenSSH's "SHA256:…"
    comment: str = ""
    added_at: datetime | None = None
    id: int | None = None
