"""Past events for the demo estate: what 90 days of a lively estate leave in the log.

The mix follows the guide's event log: calls to residents (answered and
opened, answered and denied, not answered), fobs and radio transmitters
(known, unknown, lost, in stock, outside their week type), keypad codes right
and wrong, mobile and telephone openings by providers, and the alarms. Times
follow the day: busy mornings and evenings, quiet nights. The history ends at
the start of today (UTC), so the same seed on the same day gives the same log.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from console.demo.estate import DemoEstate
from core.model import (
    AccessPass,
    APassState,
    APassType,
    Device,
    Event,
    EventKind,
    EventResult,
    Flat,
    Telephone,
    TelephoneKind,
    id_of,
)
from core.phones import display_phone

# Share of each hour of the day in the traffic (0-23).
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 9, 12, 8, 6, 6, 7, 6, 5, 6, 8, 11, 12, 9, 7, 5, 3, 2]


def _end_of_history() -> datetime:
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def generate_history(estate: DemoEstate, count: int, days: int, seed: int,
                     end: datetime | None = None) -> list[Event]:
    """`count` events spread over the `days` before `end`, oldest first."""
    rnd = random.Random(seed * 7919 + 1)
    end = end or _end_of_history()
    start = end - timedelta(days=days)
    flats = {f.id: f for f in estate.flats}
    block_of = {b.id: b for b in estate.blocks}
    phones_by_flat: dict[int, list[Telephone]] = {}
    for t in estate.telephones:
        if t.kind is TelephoneKind.TELEPHONE:
            phones_by_flat.setdefault(t.flat_id, []).append(t)
    displays = [d for d in estate.displays if d.flat_id in phones_by_flat]
    assigned = [p for p in estate.passes if p.state is APassState.ASSIGNED]
    lost = [p for p in estate.passes if p.state is APassState.LOST]
    stock = [p for p in estate.passes if p.state is APassState.STOCK]
    coded = [f for f in estate.flats if f.code_main_door]
    site_devices: dict[int, list[Device]] = {}
    for d in estate.devices:
        site_devices.setdefault(d.site_id, []).append(d)
    block_site = {id_of(b): b.site_id for b in estate.blocks}
    block_devices: dict[int, list[Device]] = {}
    for d in estate.devices:
        if d.block_id is not None:
            block_devices.setdefault(d.block_id, []).append(d)
    shown = {t.value: display_phone(t.value, t.country) for t in estate.telephones
             if t.kind is TelephoneKind.TELEPHONE}
    dialling = [p for p in estate.providers if p.mobile]
    hours = list(range(24))
    cum_hours = list(itertools.accumulate(HOUR_WEIGHTS))

    def when() -> datetime:
        day = rnd.randrange(days)
        hour = rnd.choices(hours, cum_weights=cum_hours)[0]
        return start + timedelta(days=day, hours=hour, seconds=rnd.randrange(3600),
                                 microseconds=rnd.randrange(1_000_000))

    def where(flat: Flat | None, site_id: int | None = None) -> tuple[int, Device]:
        if flat is not None:
            return block_site[flat.block_id], rnd.choice(block_devices[flat.block_id])
        if site_id is None:
            raise ValueError("an event happens at a flat or on a site")
        return site_id, rnd.choice(site_devices[site_id])

    def info(flat: Flat) -> str:
        block = block_of[flat.block_id]
        return f"{block.name}/{flat.name}"

    def call() -> Event:
        d = rnd.choice(displays)
        flat = flats[d.flat_id]
        phone = rnd.choice(phones_by_flat[d.flat_id])
        result = rnd.choices([EventResult.OPENING, EventResult.OPENING_DENIED,
                              EventResult.COMMUNICATION_NOT_COMPLETED], [70, 10, 20])[0]
        site_id, dev = where(flat)
        return Event(when(), site_id, EventKind.CALL_TO_RESIDENT, result, dev.id,
                     flat.block_id, flat.id, phone.value, d.display_name, "",
                     f"Resident : {d.display_name} Tel number : {shown[phone.value]} "
                     f"Info : {info(flat)}")

    def apass() -> Event:
        roll = rnd.random()
        if roll < 0.9:
            ap: AccessPass | None = rnd.choice(assigned)
            reason = "" if rnd.random() < 0.97 else "outside week type"
        elif roll < 0.94:
            ap, reason = rnd.choice(lost), "APass lost"
        elif roll < 0.96:
            ap, reason = rnd.choice(stock), "APass in stock"
        else:
            ap, reason = None, "APass unknown"
        radio = ap is not None and ap.type is APassType.RADIO_TRANSMITTER
        kind = EventKind.OPEN_BY_RADIO_TRANSMITTER if radio else EventKind.OPEN_BY_PROXIMITY_FOB
        result = EventResult.OPENING_DENIED if reason else EventResult.OPENING
        flat = flats.get(ap.flat_id) if ap and ap.flat_id else None
        site_id, dev = where(flat, ap.site_id if ap else id_of(rnd.choice(estate.sites)))
        number = ap.number if ap else str(rnd.randrange(10**9, 10**10))
        name = flat.name if flat else ""
        desc = (f"APass number : {number} (Resident) Name associated : {ap.resident if ap else ''}"
                f" ({name})" + (f" Pattern : {reason}" if reason else "") + f" {kind.value}")
        return Event(when(), site_id, kind, result, dev.id, flat.block_id if flat else None,
                     flat.id if flat else None, number, ap.resident if ap else "", reason, desc)

    def code() -> Event:
        if rnd.random() < 0.85 and coded:
            flat = rnd.choice(coded)
            entered, result, reason = flat.code_main_door or "", EventResult.OPENING, ""
        else:
            flat, entered = None, str(rnd.randrange(1000, 99999))
            result, reason = EventResult.OPENING_DENIED, "code unknown"
        site_id, dev = where(flat, None if flat else id_of(rnd.choice(estate.sites)))
        return Event(when(), site_id, EventKind.ACCESS_BY_CODE, result, dev.id,
                     flat.block_id if flat else None, flat.id if flat else None, entered,
                     flat.name if flat else "", reason,
                     f"Code entered : {entered}" + (f" Pattern : {reason}" if reason else ""))

    def provider() -> Event:
        p = rnd.choice(dialling)
        site = rnd.choice(estate.sites)
        _, dev = where(None, id_of(site))
        kind = rnd.choice([EventKind.ACCESS_BY_MOBILE, EventKind.OPEN_BY_TELEPHONE])
        return Event(when(), id_of(site), kind, EventResult.OPENING, dev.id, dev.block_id, None,
                     p.mobile, p.name, "", f"Service provider : {p.name} Tel number : "
                     f"{display_phone(p.mobile, 'GB')}")

    def alarm() -> Event:
        site = rnd.choice(estate.sites)
        _, dev = where(None, id_of(site))
        kind = rnd.choices([EventKind.DOOR_FORCED, EventKind.DOOR_HELD_OPEN, EventKind.TAMPER,
                            EventKind.POWER_FAILURE, EventKind.DEVICE_OFFLINE,
                            EventKind.DEVICE_ONLINE], [15, 40, 5, 3, 18, 19])[0]
        result = EventResult.INFORMATION if kind is EventKind.DEVICE_ONLINE else EventResult.ALARM
        return Event(when(), id_of(site), kind, result, dev.id, dev.block_id, None, "", dev.name,
                     "", f"{kind.value} : {dev.name}")

    makers = [call, apass, code, provider, alarm]
    cum = list(itertools.accumulate([30, 48, 14, 3, 5]))
    events = [rnd.choices(makers, cum_weights=cum)[0]() for _ in range(count)]
    events.sort(key=lambda e: e.at)
    return events
