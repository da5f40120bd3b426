"""One site's part of the access snapshot, built in one go from the store's objects.

`build_site_index` is pure and touches no shared state, so the gateway can
build a site's new index off the event loop and swap it in at once: the
decision path never sees half a reload and never waits for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo

from core.model import (
    AccessPass,
    AccessProfile,
    APassState,
    APassType,
    Block,
    Device,
    Door,
    Flat,
    Holiday,
    PanelDisplay,
    Site,
    Telephone,
    TelephoneKind,
    WeekType,
    id_of,
)

CODE_RELAYS = {"code_main_door": 1, "code_aux_relay_1": 2, "code_aux_relay_2": 3}
Windows = list[tuple[int, time, time]]


@dataclass(frozen=True)
class Holder:
    """Who a credential belongs to: a flat's residents or a service provider."""

    site_id: int | None  # None for a provider (their tasks say where)
    name: str
    flat_id: int | None = None
    block_id: int | None = None
    info: str = ""  # "Block B/Flat 010"
    door_ids: frozenset[int] = frozenset()  # residents: their profile's doors
    week_type_id: int | None = None
    state: APassState = APassState.ASSIGNED
    provider_id: int | None = None
    radio: bool = False  # a radio transmitter rather than a fob


@dataclass
class SiteIndex:
    """Everything about one site the engine needs, indexed by credential."""

    site: Site
    zone: ZoneInfo
    holidays: set[date] = field(default_factory=set)
    week_types: dict[int, Windows] = field(default_factory=dict)
    profiles: dict[int, tuple[frozenset[int], int | None]] = field(default_factory=dict)
    places: dict[int, tuple[str, str]] = field(default_factory=dict)  # flat -> name, info
    devices: dict[int, Device] = field(default_factory=dict)
    doors: dict[int, Door] = field(default_factory=dict)
    device_doors: dict[int, dict[int, Door]] = field(default_factory=dict)  # relay -> door
    passes: dict[str, Holder] = field(default_factory=dict)
    phones: dict[str, list[Holder]] = field(default_factory=dict)
    codes: dict[tuple[str, int], Holder] = field(default_factory=dict)  # (code, relay)
    displays: dict[tuple[int, str], tuple[PanelDisplay, Holder]] = field(default_factory=dict)
    display_numbers: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def put_pass(self, ap: AccessPass) -> None:
        """Index one APass (replacing what its number had)."""
        flat_name, info = self.places.get(ap.flat_id, ("", "")) if ap.flat_id else ("", "")
        doors_of, wt = self.profile(ap.access_profile_id)
        self.passes[ap.number] = Holder(
            self.site.id, ap.resident or flat_name, ap.flat_id, ap.block_id, info, doors_of, wt,
            ap.state, radio=ap.type is APassType.RADIO_TRANSMITTER)


    def profile(self, profile_id: int | None) -> tuple[frozenset[int], int | None]:
        """An access profile's doors and week type (none for no profile)."""
        if profile_id is None:
            return frozenset(), None
        return self.profiles.get(profile_id, (frozenset(), None))


def build_site_index(site: Site, blocks: Iterable[Block], flats: Iterable[Flat],
                     passes: Iterable[AccessPass], telephones: Iterable[Telephone],
                     displays: Iterable[PanelDisplay], profiles: Iterable[AccessProfile],
                     week_types: Iterable[WeekType], holidays: Iterable[Holiday],
                     devices: Iterable[Device], doors: Iterable[Door]) -> SiteIndex:
    """A site's whole index from its objects."""
    index = SiteIndex(site, ZoneInfo(site.timezone), {h.day for h in holidays})
    index.week_types = {id_of(wt): [(w.day, w.start, w.end) for w in wt.windows]
                        for wt in week_types}
    index.profiles = {id_of(p): (frozenset(p.door_ids), p.week_type_id) for p in profiles}
    block_by_id = {id_of(b): b for b in blocks}
    device_list = list(devices)
    for device in device_list:
        index.devices[id_of(device)] = device
        index.device_doors[id_of(device)] = {}
    for door in doors:
        index.doors[id_of(door)] = door
        index.device_doors[door.device_id][door.relay] = door
    for device in device_list:
        # a reader wired to a control unit opens the control unit's relays
        parent = device.parent_id
        if not index.device_doors[id_of(device)] and parent in index.device_doors:
            index.device_doors[id_of(device)] = index.device_doors[parent]
    flat_by_id = {id_of(f): f for f in flats}
    index.places = {flat_id: (f.name, f"{block_by_id[f.block_id].name}/{f.name}")
                    for flat_id, f in flat_by_id.items()}
    display_list = list(displays)
    with_display = {d.flat_id for d in display_list}
    residents: dict[int, Holder] = {}
    for flat_id, flat in flat_by_id.items():
        block = block_by_id[flat.block_id]
        doors_of, wt = index.profile(block.default_access_profile_id)
        holder = Holder(site.id, flat.name, flat_id, block.id, index.places[flat_id][1],
                        doors_of, wt)
        residents[flat_id] = holder
        # "Code is only active if the flat has a registered panel display"
        if flat_id in with_display:
            for attr, relay in CODE_RELAYS.items():
                code = getattr(flat, attr)
                if code:
                    index.codes[(code, relay)] = holder
    for ap in passes:
        index.put_pass(ap)
    phone_list = list(telephones)
    for phone in phone_list:
        if phone.kind is TelephoneKind.TELEPHONE and phone.flat_id in residents:
            index.phones.setdefault(phone.value, []).append(residents[phone.flat_id])
    numbers = {id_of(t): t.value for t in phone_list}
    for display in display_list:
        resident = residents.get(display.flat_id)
        if resident is not None:
            block_id = flat_by_id[display.flat_id].block_id
            index.displays[(block_id, display.call_code)] = (display, resident)
            index.display_numbers[id_of(display)] = tuple(
                numbers[s.telephone_id] for s in display.call_chain if s.telephone_id in numbers)
    return index
