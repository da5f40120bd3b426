"""The rows the read services return: the guide's tables and windows.

A field an operator may not consult is None (a column or a tab to leave out),
never an empty value that could be mistaken for "nothing there".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.model import (
    AccessPass,
    AccessProfile,
    Block,
    DeviceType,
    Door,
    Flat,
    Operator,
    OperatorKey,
    PanelDisplay,
    Site,
    Telephone,
    WeekType,
)


@dataclass(frozen=True)
class BlockRow:
    """A row of the Blocks table: "Flat(s) Device(s) APass(es)"."""

    id: int
    name: str
    flats: int
    devices: int | None
    passes: int | None
    notes: str


@dataclass(frozen=True)
class SiteHeader:
    """The guide's header: "Qty of panels 2 / 5, flats 11 / 100, foreign numbers 0 / 10"."""

    site_id: int
    name: str
    usage: dict[str, int]
    quotas: dict[str, int]


@dataclass(frozen=True)
class FlatRow:
    """A row of a block's flats, in the guide's columns."""

    id: int
    number: str
    name: str
    passes: list[str] | None = field(default_factory=list)
    display: str | None = ""
    call_code: str | None = ""
    telephones: list[str] | None = field(default_factory=list)
    keypad_code: str | None = ""
    notes: str = ""


@dataclass(frozen=True)
class FlatDetail:
    """A flat, its block and site, and what the four tabs of Flat management list
    (None: a tab the operator may not consult)."""

    site: Site
    block: Block
    flat: Flat
    telephones: list[Telephone] | None
    displays: list[PanelDisplay] | None
    passes: list[AccessPass] | None  # assigned to the flat, and its lost ones
    profiles: list[AccessProfile]  # the site's
    week_types: list[WeekType]  # the site's
    names_used: int  # panel display names programmed on the site

    @property
    def names_left(self) -> int:
        """The guide's "You can still program N name(s)"."""
        return max(0, self.site.max_panel_names - self.names_used)


@dataclass(frozen=True)
class FlatSheetRow:
    """A flat with what the flats export writes: its telephones and emails (in the order
    they were added) and its assigned APasses (in number order)."""

    flat: Flat
    telephones: list[str]
    passes: list[str]


@dataclass(frozen=True)
class FlatRef:
    """A flat found by its Flat N°."""

    id: int
    block_id: int
    number: str
    name: str


@dataclass(frozen=True)
class PassRow:
    """A row of the Access Passes tab, in the guide's columns."""

    id: int
    number: str
    type: str
    colour: str
    state: str
    block_id: int | None
    block: str
    flat_id: int | None
    flat_number: str
    flat_name: str
    resident: str
    access_profile_id: int | None
    access_profile: str
    notes: str


@dataclass(frozen=True)
class PassChoices:
    """The options of the APass dialogs on one site: (label, id) pairs."""

    blocks: list[tuple[str, int]]
    access_profiles: list[tuple[str, int]]
    site_id: int | None = None  # the site they are of


@dataclass(frozen=True)
class CallLink:
    """One number of a call chain and how long it rings before the next."""

    value: str
    country: str
    ring_seconds: int


@dataclass(frozen=True)
class DisplayRow:
    """A name on the panels, in the Displays tab's columns."""

    id: int
    display_name: str
    call_code: str
    flat_id: int
    flat_number: str
    flat_name: str
    block_id: int
    block: str
    access_profile: str
    auto_open: str | None  # the week type's name; None = "Never"
    hardwired: bool
    call_chain: tuple[CallLink, ...] = ()

    @property
    def key(self) -> tuple[str, str, int]:
        """Its place in the list: block, display name, id."""
        return (self.block, self.display_name, self.id)


@dataclass(frozen=True)
class PanelRow:
    """A panel of a site and the block whose names it shows."""

    id: int
    name: str
    type: str
    block_id: int | None
    block: str


@dataclass(frozen=True)
class DeviceRow:
    """One device with what the Devices tab and its detail show."""

    id: int
    site_id: int
    name: str
    type: DeviceType
    block_id: int | None
    block: str  # "" when the device belongs to the site, not a block
    parent_id: int | None
    parent: str  # the control unit it is wired to, "" if none
    gsm_access_point: bool
    address: str
    notes: str
    doors: tuple[Door, ...] = ()  # its own relays
    inherited: tuple[Door, ...] = ()  # a reader with no relay opens its control unit's
    wired: tuple[str, ...] = field(default=())  # devices wired to this one
    bus: str = ""  # an OSDP reader's bus, a modem's port
    card_format: str = ""
    secure: bool = False  # a Secure Channel key is set (the key itself is never read out)
    sc_install: bool = False
    telephone: str = ""  # a modem's number
    display_capacity: int = 0  # a panel's

    @property
    def opens(self) -> tuple[Door, ...]:
        """The doors a remote opening from this device can pulse."""
        return self.doors or self.inherited


@dataclass(frozen=True)
class DeviceChoice:
    """A device of a site, as the Device filter lists it."""

    id: int
    name: str
    type: str


@dataclass(frozen=True)
class EventFilter:
    """The guide's filters: GSM access point (site), period, device type, device,
    event type, result, and a search on telephone number, APass number or name; and
    the block and the flat an event names (exact, by id)."""

    site_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    device_type: DeviceType | None = None
    device_id: int | None = None
    kind: str | None = None
    result: str | None = None
    search: str = ""
    block_id: int | None = None
    flat_id: int | None = None


@dataclass(frozen=True)
class EventDetail:
    """Every field of one event, with the names of what it refers to."""

    event: dict[str, Any]
    site: str
    device: str
    device_type: str
    block: str
    flat: str


@dataclass(frozen=True)
class AlarmRow:
    """A row of the Alarms screen: Raised, Site, Device, Alarm, and its acknowledgement."""

    id: int
    event_id: int
    site_id: int
    site: str
    device: str
    kind: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str
    note: str
    cleared_at: datetime | None

    @property
    def key(self) -> tuple[datetime, int]:
        """Its place in the list, newest first."""
        return (self.raised_at, self.id)


@dataclass(frozen=True)
class GrantRow:
    """One line of PROFILE BY SITE."""

    grant_id: int
    site_id: int
    site: str
    timezone: str
    profile: str
    rights: frozenset[str]
    valid_from: date | None
    valid_to: date | None


@dataclass
class OperatorRow:
    """An operator, their profile on each site shown, and their keys."""

    operator: Operator
    grants: list[GrantRow] = field(default_factory=list)
    keys: list[OperatorKey] = field(default_factory=list)

    @property
    def id(self) -> int:
        assert self.operator.id is not None, "a stored operator has an id"
        return self.operator.id


@dataclass(frozen=True)
class AlarmCounts:
    """Open (unacknowledged) alarms by kind, and devices offline, by site."""

    open_by_kind: dict[int, dict[str, int]] = field(default_factory=dict)
    offline: dict[int, int] = field(default_factory=dict)
