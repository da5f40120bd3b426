"""The access decision engine: pure, in memory, answers in microseconds.

`AccessSnapshot` indexes what the store holds (passes, codes, telephones,
profiles, week types, holidays, providers and their tasks) by credential;
`decide()` answers an AccessRequest with a Decision carrying the reason in
the guide's words. Nothing here waits for anything.

Which relay a credential opens: a main-door code (and a provider's door code)
opens relay 1 of the device it is entered on, an AUX relay 1 code relay 2, an
AUX relay 2 code relay 3; a key-safe code opens a key safe's door. A fob,
radio transmitter or telephone opens the door it is presented at (relay 1 of
the device when the reader does not say).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from core.devices import AccessRequest, Credential
from core.model import (
    HOLIDAY,
    AccessPass,
    APassState,
    APassType,
    Device,
    DeviceType,
    Door,
    EventKind,
    EventResult,
    PanelDisplay,
    id_of,
)
from core.phones import search_forms
from core.provider_index import ProviderBook
from core.rules import validity_status
from core.site_index import Holder, SiteIndex

# Reasons, in the guide's words ("Pattern : APass unknown").
APASS_UNKNOWN = "APass unknown"
APASS_LOST = "APass lost"
APASS_IN_STOCK = "APass in stock"
OUTSIDE_WEEK_TYPE = "outside week type"
VALIDITY_EXPIRED = "validity expired"
NOT_VALID_YET = "not valid yet"
CODE_UNKNOWN = "code unknown"
TELEPHONE_UNKNOWN = "telephone unknown"
NUMBER_WITHHELD = "number withheld"  # the caller hid their number (or the network gave none)
NOT_ON_THIS_DOOR = "not authorised on this door"
NO_DOOR = "no door on this device"

MIDNIGHT = time(0, 0)
KIND_OF = {
    Credential.APASS: EventKind.OPEN_BY_PROXIMITY_FOB,
    Credential.RADIO: EventKind.OPEN_BY_RADIO_TRANSMITTER,
    Credential.CODE: EventKind.ACCESS_BY_CODE,
    Credential.TELEPHONE: EventKind.OPEN_BY_TELEPHONE,
}


@dataclass(frozen=True)
class Decision:
    """The answer at the door, and what the event log says about it."""

    granted: bool
    kind: EventKind
    reason: str = ""
    site_id: int | None = None
    door: Door | None = None
    block_id: int | None = None
    flat_id: int | None = None
    name: str = ""
    description: str = ""
    credential: str = ""  # the credential as recorded, when not as presented (E.164)

    @property
    def result(self) -> EventResult:
        return EventResult.OPENING if self.granted else EventResult.OPENING_DENIED


class AccessSnapshot(ProviderBook):
    """The in-memory index the gateway decides from: a SiteIndex per site, swapped
    whole on reload, plus the service providers (who span sites)."""

    def __init__(self) -> None:
        self.sites: dict[int, SiteIndex] = {}
        # merged views of every site's devices and doors, kept in step by set_site()
        self.devices: dict[int, Device] = {}
        self.doors: dict[int, Door] = {}
        self.device_doors: dict[int, dict[int, Door]] = {}
        self.door_site: dict[int, int] = {}
        super().__init__()

    # --- building --------------------------------------------------------------------
    def set_site(self, index: SiteIndex) -> None:
        """Swap in a site's new index (built anywhere, e.g. in a worker thread)."""
        site_id = id_of(index.site)
        self.drop_site(site_id)
        self.sites[site_id] = index
        self.devices.update(index.devices)
        self.doors.update(index.doors)
        self.device_doors.update(index.device_doors)
        self.door_site.update(dict.fromkeys(index.doors, site_id))
        self.index_site_tasks(site_id)  # task doors may have changed site data

    def drop_site(self, site_id: int) -> None:
        """Forget one site (before a reload, or when it is deleted)."""
        old = self.sites.pop(site_id, None)
        if old is None:
            return
        for device_id in old.devices:
            self.devices.pop(device_id, None)
            self.device_doors.pop(device_id, None)
        for door_id in old.doors:
            self.doors.pop(door_id, None)
            self.door_site.pop(door_id, None)

    def put_pass(self, ap: AccessPass) -> bool:
        """Update one APass in place (a move, the lost record, the stock); False if its
        site or flat is not loaded, so the caller reloads the site instead."""
        index = self.sites.get(ap.site_id)
        if index is None or (ap.flat_id is not None and ap.flat_id not in index.places):
            return False
        index.put_pass(ap)
        return True

    def in_week_type(self, week_type_id: int | None, site_id: int, at: datetime) -> bool:
        """True if `at` falls in one of the week type's windows (None = always)."""
        if week_type_id is None:
            return True
        data = self.sites[site_id]
        windows = data.week_types.get(week_type_id)
        if windows is None:
            return False
        local = at.astimezone(data.zone)
        day = HOLIDAY if local.date() in data.holidays else local.weekday()
        now = time(local.hour, local.minute)
        # an end of 00:00 means the end of the day
        return any(d == day and start <= now and (now <= end or end == MIDNIGHT)
                   for d, start, end in windows)

    def _door(self, request: AccessRequest, relay: int = 1) -> Door | None:
        if request.door_id is not None and request.credential is not Credential.CODE:
            return self.doors.get(request.door_id)
        return self.device_doors.get(request.device_id, {}).get(relay)

    def decide(self, request: AccessRequest) -> Decision:
        """Grant or deny one request, with the reason in the guide's words."""
        kind = KIND_OF[request.credential]
        device = self.devices.get(request.device_id)
        if device is None:
            return Decision(False, kind, NO_DOOR, description=f"Unknown device "
                            f"{request.device_id}")
        if request.credential is Credential.CODE:
            return self._decide_code(request, device, kind)
        door = self._door(request)
        if door is None:
            return Decision(False, kind, NO_DOOR, device.site_id)
        if request.credential is Credential.TELEPHONE:
            return self._decide_telephone(request, device, door, kind)
        provider_id = self.provider_by_number.get(request.value)
        if provider_id is not None:
            provider = self.providers[provider_id]
            as_provider = Holder(None, provider.name, provider_id=provider_id)
            if request.value == provider.radio_number:
                kind = EventKind.OPEN_BY_RADIO_TRANSMITTER
            by = "by_radio" if kind is EventKind.OPEN_BY_RADIO_TRANSMITTER else "by_apass"
            reason = self._provider_reason(provider_id, door, by, request.at)
            return self._pass_decision(not reason, kind, reason, device, door, request,
                                       as_provider)
        holder = self.sites[device.site_id].passes.get(request.value)
        if holder is None:
            return self._pass_decision(False, kind, APASS_UNKNOWN, device, door, request, None)
        if holder.state is APassState.LOST:
            return self._pass_decision(False, kind, APASS_LOST, device, door, request, holder)
        if holder.state is APassState.STOCK:
            return self._pass_decision(False, kind, APASS_IN_STOCK, device, door, request,
                                       holder)
        if door.id not in holder.door_ids:
            reason = NOT_ON_THIS_DOOR
        elif not self.in_week_type(holder.week_type_id, device.site_id, request.at):
            reason = OUTSIDE_WEEK_TYPE
        else:
            reason = ""
        return self._pass_decision(not reason, kind, reason, device, door, request, holder)

    def _provider_reason(self, provider_id: int, door: Door, by: str, at: datetime) -> str:
        provider = self.providers[provider_id]
        door_id = id_of(door)
        site_id = self.door_site[door_id]
        today = at.astimezone(self.sites[site_id].zone).date()
        status = validity_status(provider.valid_from, provider.valid_to, today).value
        if status == "expired":
            return VALIDITY_EXPIRED
        if status == "not started":
            return NOT_VALID_YET
        grant = self.provider_doors.get(provider_id, {}).get(door_id)
        if grant is None or not getattr(grant, by):
            return NOT_ON_THIS_DOOR
        if not self.in_week_type(grant.week_type_id, site_id, at):
            return OUTSIDE_WEEK_TYPE
        return ""

    def _pass_decision(self, granted: bool, kind: EventKind, reason: str, device: Device,
                       door: Door, request: AccessRequest, holder: Holder | None) -> Decision:
        who = "Service provider" if holder and holder.provider_id else "Resident"
        name = holder.name if holder else ""
        desc = (f"APass number : {request.value} ({who}) Name associated : {name}"
                + (f" Info : {holder.info}" if holder and holder.info else "")
                + (f" Pattern : {reason}" if reason else "") + f" {kind.value}")
        return Decision(granted, kind, reason, device.site_id, door,
                        holder.block_id if holder else None,
                        holder.flat_id if holder else None, name, desc)

    def _decide_code(self, request: AccessRequest, device: Device, kind: EventKind) -> Decision:
        site_id = device.site_id
        code = request.value
        desc = f"Code entered : {code}"
        data = self.sites.get(site_id)
        reason = CODE_UNKNOWN
        # a flat's codes
        for relay in (1, 2, 3):
            holder = data.codes.get((code, relay)) if data else None
            if holder is None:
                continue
            door = self.device_doors.get(request.device_id, {}).get(relay)
            if door is None or door.id not in holder.door_ids:
                reason = NOT_ON_THIS_DOOR
                continue
            if not self.in_week_type(holder.week_type_id, site_id, request.at):
                reason = OUTSIDE_WEEK_TYPE
                continue
            return Decision(True, kind, "", site_id, door, holder.block_id, holder.flat_id,
                            holder.name, f"{desc} Info : {holder.info}")
        # service providers' codes
        for provider_id, relay_of in self.provider_codes.get(code, []):
            if isinstance(relay_of, int):
                relay = relay_of
            elif device.type is DeviceType.KEY_SAFE:  # "key safe": a key safe's door
                relay = 1
            else:
                continue
            door = self.device_doors.get(request.device_id, {}).get(relay)
            if door is None:
                continue
            why = self._provider_reason(provider_id, door, "by_code", request.at)
            if not why:
                name = self.providers[provider_id].name
                return Decision(True, kind, "", site_id, door, None, None, name,
                                f"{desc} Service provider : {name}")
            reason = why
        door = self.device_doors.get(request.device_id, {}).get(1)
        return Decision(False, kind, reason, site_id, door, None, None, "",
                        f"{desc} Pattern : {reason}")

    def _decide_telephone(self, request: AccessRequest, device: Device, door: Door,
                          kind: EventKind) -> Decision:
        number = request.value
        site = self.sites.get(device.site_id)
        if not number:
            return Decision(False, kind, NUMBER_WITHHELD, device.site_id, door,
                            description=f"Tel number : withheld Pattern : {NUMBER_WITHHELD}")
        if not number.startswith("+") and site is not None:  # a national form (+CLIP type 129)
            number = search_forms(number, site.site.default_country) or number
        desc = f"Tel number : {number}"
        provider_id = self.provider_by_mobile.get(number)
        if provider_id is not None:
            provider = self.providers[provider_id]
            reason = self._provider_reason(provider_id, door, "by_telephone", request.at)
            return Decision(not reason, kind, reason, device.site_id, door, None, None,
                            provider.name, f"Service provider : {provider.name} {desc}"
                            + (f" Pattern : {reason}" if reason else ""), number)
        reason = TELEPHONE_UNKNOWN
        if site is not None and site.site.residents_dial_to_open:
            for holder in site.phones.get(number, []):
                if door.id not in holder.door_ids:
                    reason = NOT_ON_THIS_DOOR
                elif not self.in_week_type(holder.week_type_id, device.site_id, request.at):
                    reason = OUTSIDE_WEEK_TYPE
                else:
                    return Decision(True, kind, "", device.site_id, door, holder.block_id,
                                    holder.flat_id, holder.name,
                                    f"Resident : {holder.name} {desc} Info : {holder.info}",
                                    number)
        return Decision(False, kind, reason, device.site_id, door, description=f"{desc} "
                        f"Pattern : {reason}", credential=number)

    def display(self, device_id: int, call_code: str) -> tuple[PanelDisplay, Holder] | None:
        """The panel display a call code reaches from a device (its block's)."""
        device = self.devices.get(device_id)
        if device is None or device.block_id is None:
            return None
        return self.sites[device.site_id].displays.get((device.block_id, call_code.upper()))

    @property
    def credential_count(self) -> int:
        """How many credentials the snapshot answers for."""
        per_site = sum(len(s.passes) + len(s.codes) + len(s.phones) for s in self.sites.values())
        return (per_site + len(self.provider_by_number) + len(self.provider_by_mobile)
                + len(self.provider_codes))


def apass_credential(pass_type: APassType) -> Credential:
    """The credential a pass of this type presents (dual tech presents as a fob)."""
    return Credential.RADIO if pass_type is APassType.RADIO_TRANSMITTER else Credential.APASS
