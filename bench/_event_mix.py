"""Realistic events for the append benchmarks: the demo history's mix, and its rows.

`make_events` gives N events over 90 days in the demo history's mix (calls, fobs and
radio transmitters, keypad codes, provider openings, alarms); `raw_rows` gives the rows
the store holds for them, for a baseline that writes them without the store. Used by
bench_event_append.py, bench_pg_events.py and bench_scale.py. Not a benchmark itself.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from core.model import ALARM_KINDS, Event, EventKind, EventResult

# (id, name, default_country, timezone, max_panels, max_flats, max_foreign_numbers,
#  max_panel_names, residents_dial_to_open, notes): the alarms table needs real sites.
SITES = [
    (1, "Byron Court", "GB", "Europe/London", 5, 2200, 40, 2200, 0, ""),
    (2, "Demo Cases", "GB", "Europe/London", 4, 300, 10, 300, 0, ""),
    (3, "Harbour View", "GB", "Europe/London", 4, 400, 10, 400, 0, ""),
]
SITE_SQL = ("INSERT INTO sites (id, name, default_country, timezone, max_panels, max_flats, "
            "max_foreign_numbers, max_panel_names, residents_dial_to_open, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
# (site, block name, flats): the demo estate's shape.
BLOCKS = [(1, "Block A - MINI", 40), (1, "Block B - MINI PLUS hands free", 60),
          (1, "Block C - TOUCH", 1998), (1, "Block D - MINI PLUS", 30),
          (2, "Block E - Riverside", 120), (2, "Block F - Garden", 80),
          (3, "North Tower", 150), (3, "South Tower", 120)]
FIRST = ["Oliver", "Amelia", "Jemma", "Marian", "Jeffrey", "Priya", "Tom", "Aisha", "Noah",
         "Chloé", "Mohammed", "Grace", "Lucas", "Sofia", "Harry", "Isla", "Yusuf", "Freya",
         "Kwame", "Zofia", "Declan", "Mei", "Rhys", "Élodie"]
LAST = ["Hill", "Woods", "Long", "Natarajan", "Brennan", "Okafor", "Smith", "Dubois", "Khan",
        "O'Connor", "Nowak", "Williams", "Taylor", "Evans", "Martin", "Chen", "Patel", "Reid",
        "Fernández", "Jones", "Murphy", "Hughes"]
PROVIDERS = ["CleanCo - Dana Price", "LiftCare - Sam Oduya", "Green Gardens - Ivo Petrov",
             "Royal Mail - Postal round 7", "FireSafe - Kate Lund"]


def make_events(count: int, seed: int = 1) -> list[Event]:
    """`count` events over 90 days, oldest first, in the demo history's mix."""
    rnd = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    devices: dict[int, list[int]] = {}  # block id -> device ids
    site_devices: dict[int, list[int]] = {}
    flats: list[tuple[int, int, int, str]] = []  # flat id, block id, site id, name
    next_device, next_flat = 1, 1
    for block_id, (site_id, _name, n) in enumerate(BLOCKS, start=1):
        devices[block_id] = list(range(next_device, next_device + 3))
        site_devices.setdefault(site_id, []).extend(devices[block_id])
        next_device += 3
        for k in range(n):
            flats.append((next_flat, block_id, site_id, f"Appt. {k + 1:04d}"))
            next_flat += 1
    block_name = {i: b[1] for i, b in enumerate(BLOCKS, start=1)}
    people = [f"{rnd.choice(FIRST)} {rnd.choice(LAST)}" for _ in range(3000)]
    resident = {f[0]: people[i % len(people)] for i, f in enumerate(flats)}
    passes = [(f"{1111100000 + k:010d}", rnd.choice(flats)) for k in range(4500)]
    lost, stock = passes[:140], passes[140:590]
    assigned = passes[590:]

    def phone() -> tuple[str, str]:
        n = rnd.randrange(1000)
        return f"+44114496{n:04d}", f"0114 496 {n:04d}"

    def call(flat: tuple) -> tuple:
        fid, bid, sid, fname = flat
        number, shown = phone()
        result = rnd.choices([EventResult.OPENING, EventResult.OPENING_DENIED,
                              EventResult.COMMUNICATION_NOT_COMPLETED], [70, 10, 20])[0]
        who = resident[fid]
        return (sid, EventKind.CALL_TO_RESIDENT, result, rnd.choice(devices[bid]), bid, fid,
                number, who, "",
                f"Resident : {who} Tel number : {shown} GB Info : {block_name[bid]}/{fname}")

    def apass(_flat: tuple) -> tuple:
        roll = rnd.random()
        if roll < 0.9:
            number, flat = rnd.choice(assigned)
            reason = "" if rnd.random() < 0.97 else "outside week type"
        elif roll < 0.94:
            (number, flat), reason = rnd.choice(lost), "APass lost"
        elif roll < 0.96:
            (number, flat), reason = rnd.choice(stock), "APass in stock"
        else:
            number, flat, reason = str(rnd.randrange(10**9, 10**10)), None, "APass unknown"
        radio = rnd.random() < 0.25
        kind = EventKind.OPEN_BY_RADIO_TRANSMITTER if radio else EventKind.OPEN_BY_PROXIMITY_FOB
        result = EventResult.OPENING_DENIED if reason else EventResult.OPENING
        if flat is None:
            sid = rnd.randint(1, 3)
            return (sid, kind, result, rnd.choice(site_devices[sid]), None, None, number, "",
                    reason, f"APass number : {number} (Resident) Name associated :  () "
                            f"Pattern : {reason} {kind.value}")
        fid, bid, sid, fname = flat
        who = resident[fid]
        desc = (f"APass number : {number} (Resident) Name associated : {who} ({fname})"
                + (f" Pattern : {reason}" if reason else "") + f" {kind.value}")
        return sid, kind, result, rnd.choice(devices[bid]), bid, fid, number, who, reason, desc

    def code(flat: tuple) -> tuple:
        fid, bid, sid, fname = flat
        if rnd.random() < 0.85:
            entered = f"{fid * 37 % 10000:04d}"
            return (sid, EventKind.ACCESS_BY_CODE, EventResult.OPENING,
                    rnd.choice(devices[bid]), bid, fid, entered, fname, "",
                    f"Code entered : {entered}")
        entered = str(rnd.randrange(1000, 99999))
        return (sid, EventKind.ACCESS_BY_CODE, EventResult.OPENING_DENIED,
                rnd.choice(site_devices[sid]), None, None, entered, "", "code unknown",
                f"Code entered : {entered} Pattern : code unknown")

    def provider(flat: tuple) -> tuple:
        sid = flat[2]
        who = rnd.choice(PROVIDERS)
        n = rnd.randrange(1000)
        kind = rnd.choice([EventKind.ACCESS_BY_MOBILE, EventKind.OPEN_BY_TELEPHONE])
        return (sid, kind, EventResult.OPENING, rnd.choice(site_devices[sid]), None, None,
                f"+447700900{n:03d}", who, "",
                f"Service provider : {who} Tel number : 07700 900{n:03d}")

    def alarm(flat: tuple) -> tuple:
        _, bid, sid, _ = flat
        kind = rnd.choices([EventKind.DOOR_FORCED, EventKind.DOOR_HELD_OPEN, EventKind.TAMPER,
                            EventKind.POWER_FAILURE, EventKind.DEVICE_OFFLINE,
                            EventKind.DEVICE_ONLINE], [15, 40, 5, 3, 18, 19])[0]
        result = EventResult.INFORMATION if kind is EventKind.DEVICE_ONLINE else EventResult.ALARM
        dev = rnd.choice(devices[bid])
        dev_name = f"{block_name[bid]} panel {dev}"
        return (sid, kind, result, dev, bid, None, "", dev_name, "", f"{kind.value} : {dev_name}")

    makers = [call, apass, code, provider, alarm]
    weights = [30, 48, 14, 3, 5]
    span = 90 * 86400
    raw = []
    for _ in range(count):
        at = start + timedelta(seconds=rnd.random() * span)
        raw.append((at, rnd.choices(makers, weights)[0](rnd.choice(flats))))
    raw.sort(key=lambda r: r[0])
    return [Event(at, *fields) for at, fields in raw]


def stored_at(at: datetime) -> str:
    """How the store writes a timestamp: naive UTC, SQLAlchemy's SQLite format."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def raw_rows(events: list[Event]) -> tuple[list[tuple], list[tuple]]:
    """The events' rows and their alarm rows as the store holds them, ids from 1."""
    rows, alarms = [], []
    for i, e in enumerate(events, start=1):
        at = stored_at(e.at)
        rows.append((i, at, e.site_id, e.kind.value, e.result.value, e.device_id, e.block_id,
                     e.flat_id, e.credential, e.name, e.reason, e.description))
        if e.kind in ALARM_KINDS:
            alarms.append((i, e.site_id, e.kind.value, at, e.device_id, ""))
    return rows, alarms
