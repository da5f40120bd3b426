"""The domain of the field guide as plain Python types.

Field names match the store's columns one for one, so the store can map rows
to these dataclasses without a hand-written converter per type. Objects refer
to each other by id; loading graphs is the store's business, not the model's.

This module holds the estate (sites, blocks, flats, telephones, panel
displays), access passes, week types and devices; the people (operators,
contractors, tasks) are in core.model_people and what happened (events,
alarms, audit) in core.model_events. Every name is importable from here.
"""

from __future__ import annotations

import enum
from dataclasses import Field, dataclass, field
from datetime import date, time
from typing import Any, ClassVar, Protocol

from core.model_events import (
    ALARM_KINDS,
    CLEARS,
    EVENT_TEXT_LIMITS,
    SITE_CLEARS,
    Alarm,
    AuditEntry,
    Event,
    EventKind,
    EventResult,
)
from core.model_people import (
    CompanyAccess,
    ManagementCompany,
    Operator,
    OperatorKey,
    ServiceProvider,
    SiteGrant,
    Task,
    TaskDoor,
    ValidityStatus,
)

__all__ = [
    # estate
    "StrEnum", "Site", "Block", "Flat", "TelephoneKind", "Telephone", "CallStep", "PanelDisplay",
    # access passes
    "APassType", "APassColour", "APassState", "AccessPass",
    # time
    "HOLIDAY", "TimeWindow", "WeekType", "Holiday", "AccessProfile",
    # devices
    "DeviceType", "Device", "Door",
    # people (core.model_people)
    "Operator", "SiteGrant", "OperatorKey", "ManagementCompany", "ServiceProvider",
    "CompanyAccess", "ValidityStatus", "TaskDoor", "Task",
    # what happened (core.model_events)
    "EventKind", "ALARM_KINDS", "CLEARS", "SITE_CLEARS", "EventResult", "EVENT_TEXT_LIMITS", "Event", "Alarm",
    "AuditEntry",
    # ids
    "Stored", "id_of",
]


class StrEnum(enum.StrEnum):
    """An enum whose values are the words stored and shown."""


class Stored(Protocol):
    """Any of the model's objects: a dataclass whose id is None until the store adds it."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    id: int | None


def id_of(obj: Stored) -> int:
    """The id of an object read from (or added to) the store; ValueError for a new one."""
    if obj.id is None:
        raise ValueError(f"this {type(obj).__name__} has no id: it was never stored")
    return obj.id


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
    address: str = ""  # the building's postal address
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
    address: str = ""  # the driver's address for it (OSDP address, modem port ...)
    notes: str = ""
    bus: str = ""  # an OSDP reader's RS-485 bus: the serial port ("" = not on a bus)
    card_format: str = ""  # an OSDP reader's card format (wiegand26, wiegand34, raw)
    scbk: str = ""  # an OSDP reader's Secure Channel key, hex; never shown once set
    sc_install: bool = False  # the reader is still on its install key: send it `scbk`
    telephone: str = ""  # a GSM modem's own number (E.164)
    display_capacity: int = 0  # a panel's names on its display (0 = not a panel)
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
