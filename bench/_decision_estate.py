"""The decision benchmark's estate and requests: a site of N credentials, and a plan of
access requests in a fixed mix, each with the answer it must get.

The site, blocks, panels, profiles and flats go through core.services; the passes and
keypad codes in one unit of work. Used by bench_decisions.py and bench_backup.py. Not
a benchmark itself.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as clock

from core import rules
from core.access import apass_credential
from core.devices import AccessRequest, Credential
from core.model import (
    AccessPass,
    AccessProfile,
    APassColour,
    APassState,
    APassType,
    Block,
    Device,
    DeviceType,
    Door,
    Flat,
    PanelDisplay,
    Site,
    TimeWindow,
    WeekType,
)
from core.services import blocks, devices, flats, operators, schedules, sites
from core.services.base import Actor, record
from store.database import Store

FLATS_PER_BLOCK = 2000  # create_flats' limit per call
PASSES_PER_FLAT = 2.5
LOST_SHARE, STOCK_SHARE = 0.03, 0.02
CODE_SHARE = 0.25  # flats with a main-door code (and the display that activates it)
FIRST_PASS = 1_000_000_000
PASS_TYPES = [APassType.PROXIMITY_FOB, APassType.RADIO_TRANSMITTER, APassType.DUAL_TECH]
PASS_WEIGHTS = [85, 10, 5]
NAMES = ["Oliver Hill", "Amelia Woods", "Priya Natarajan", "Tom Brennan", "Aisha Khan",
         "Chloé Dubois", "Kwame Okafor", "Zofia Nowak", "Declan Murphy", "Mei Chen"]
# (what is presented, share %): the request mix
MIX = [("known pass at its door", 85), ("known pass, another block's door", 2),
       ("lost pass", 3), ("pass in stock", 2), ("unknown pass", 3),
       ("right keypad code", 4), ("wrong keypad code", 1)]


# --- the estate --------------------------------------------------------------------------


@dataclass
class Estate:
    """What was built, as the request mix needs it."""

    panels: list[int] = field(default_factory=list)  # device id per block
    doors: list[int] = field(default_factory=list)  # main door id per block
    assigned: list[tuple[str, Credential, int]] = field(default_factory=list)  # number, how, block
    lost: list[tuple[str, Credential, int]] = field(default_factory=list)
    stock: list[str] = field(default_factory=list)
    codes: list[tuple[str, int]] = field(default_factory=list)  # code, block
    flats: int = 0


async def build_estate(store: Store, credentials: int, rnd: random.Random) -> Estate:
    """The site, blocks, panels, profiles and flats through the services; the bulk in one unit."""
    n_lost = max(1, round(credentials * LOST_SHARE))
    n_stock = max(1, round(credentials * STOCK_SHARE))
    n_assigned = max(1, credentials - n_lost - n_stock)
    n_flats = math.ceil(n_assigned / PASSES_PER_FLAT)
    if n_flats > rules.QUOTA_MAX:
        raise SystemExit(f"--credentials {credentials:,} needs {n_flats:,} flats; a site "
                         f"holds at most {rules.QUOTA_MAX:,}")
    n_blocks = math.ceil(n_flats / FLATS_PER_BLOCK)
    admin = await operators.bootstrap_admin(store.uow(), "admin@bench.example", source="bench")
    actor = Actor(admin, source="bench")
    site = await sites.create_site(store.uow(), actor, Site(
        name="Bench Towers", max_panels=n_blocks, max_flats=n_flats, max_foreign_numbers=10,
        max_panel_names=n_flats))
    always = await schedules.save_week_type(store.uow(), actor, WeekType(
        site.id, "Always", [TimeWindow(d, clock(0, 0), clock(23, 59)) for d in range(8)]))
    estate = Estate(flats=n_flats)
    made: list[tuple[Flat, int, int]] = []  # flat, block index, profile id
    for b in range(n_blocks):
        name = f"Block {b + 1:02d}"
        block = await blocks.create_block(store.uow(), actor, Block(site.id, name))
        panel = await devices.create_device(store.uow(), actor, Device(
            site.id, f"Panel {name}", DeviceType.IPGUARD_4G, block_id=block.id,
            address=f"osdp:{b + 1}"), [Door(0, 1, f"{name} main entrance")])
        async with store.reader() as uow:
            door = (await uow.find(Door, device_id=panel.id))[0]
        profile = await schedules.save_access_profile(store.uow(), actor, AccessProfile(
            site.id, f"Profil - {name}", always.id, [door.id]))
        await blocks.update_block(store.uow(), actor, block.id,
                                  default_access_profile_id=profile.id)
        estate.panels.append(panel.id)
        estate.doors.append(door.id)
        count = min(FLATS_PER_BLOCK, n_flats - b * FLATS_PER_BLOCK)
        for flat in await flats.create_flats(store.uow(), actor, block.id, 1, count, digits=4):
            made.append((flat, b, profile.id))

    # keypad codes: unique on the site, active through a (hardwired) panel display
    with_code = rnd.sample(made, round(len(made) * CODE_SHARE))
    displays = []
    for (flat, b, profile_id), code in zip(
            with_code, rnd.sample(range(100_000, 1_000_000), len(with_code)), strict=True):
        flat.code_main_door = rules.keypad_code(str(code), "code_main_door")
        displays.append(PanelDisplay(flat.id, f"Flat {int(flat.number)}",
                                     rules.call_code(flat.number), profile_id, hardwired=True))
        estate.codes.append((flat.code_main_door, b))
    passes = []
    kinds = rnd.choices(PASS_TYPES, PASS_WEIGHTS, k=n_assigned + n_lost + n_stock)
    for i in range(n_assigned + n_lost + n_stock):
        number = rules.apass_number(FIRST_PASS + i)
        if i >= n_assigned + n_lost:
            passes.append(AccessPass(site.id, number, kinds[i], APassColour.GREY,
                                     APassState.STOCK, notes="Delivered in stock"))
            estate.stock.append(number)
            continue
        flat, b, profile_id = made[i % len(made)] if i < n_assigned else rnd.choice(made)
        state = APassState.ASSIGNED if i < n_assigned else APassState.LOST
        passes.append(AccessPass(site.id, number, kinds[i], rnd.choice(list(APassColour)),
                                 state, flat.block_id, flat.id, rnd.choice(NAMES), profile_id))
        (estate.assigned if state is APassState.ASSIGNED else estate.lost).append(
            (number, apass_credential(kinds[i]), b))
    async with store.uow() as uow:
        await uow.update_all([f for f, _, _ in with_code])
        await uow.add_all(displays)
        await uow.add_all(passes)
        await record(uow, actor, "bench.credentials", site_id=site.id,
                     obj={"access_passes": len(passes), "keypad_codes": len(displays)})
        await uow.commit()
    return estate


# --- the requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One request to inject, and the answer it must get."""

    what: str
    device_id: int
    door_id: int | None
    credential: Credential
    value: str
    grant: bool

    def request(self, at: datetime) -> AccessRequest:
        return AccessRequest(self.device_id, self.door_id, self.credential, self.value, at)


def plan_requests(estate: Estate, count: int, rnd: random.Random) -> list[Planned]:
    """`count` requests in the MIX, in a random order."""
    blocks_n = len(estate.doors)
    used_codes = {c for c, _ in estate.codes}
    weights = [w if what != "known pass, another block's door" or blocks_n > 1 else 0
               for what, w in MIX]
    if not estate.codes:
        weights[5] = 0
    plan = []
    for what in rnd.choices([m[0] for m in MIX], weights, k=count):
        if what == "known pass at its door":
            number, how, b = rnd.choice(estate.assigned)
            plan.append(Planned(what, estate.panels[b], estate.doors[b], how, number, True))
        elif what == "known pass, another block's door":
            number, how, b = rnd.choice(estate.assigned)
            other = rnd.choice([x for x in range(blocks_n) if x != b])
            plan.append(Planned(what, estate.panels[other], estate.doors[other], how, number,
                                False))
        elif what == "lost pass":
            number, how, b = rnd.choice(estate.lost)
            plan.append(Planned(what, estate.panels[b], estate.doors[b], how, number, False))
        elif what == "pass in stock":
            b = rnd.randrange(blocks_n)
            plan.append(Planned(what, estate.panels[b], estate.doors[b], Credential.APASS,
                                rnd.choice(estate.stock), False))
        elif what == "unknown pass":
            b = rnd.randrange(blocks_n)
            plan.append(Planned(what, estate.panels[b], estate.doors[b], Credential.APASS,
                                str(rnd.randrange(9 * 10**9, 10**10)), False))
        elif what == "right keypad code":
            code, b = rnd.choice(estate.codes)
            plan.append(Planned(what, estate.panels[b], None, Credential.CODE, code, True))
        else:
            code = str(rnd.randrange(100_000, 1_000_000))
            while code in used_codes:
                code = str(rnd.randrange(100_000, 1_000_000))
            b = rnd.randrange(blocks_n)
            plan.append(Planned(what, estate.panels[b], None, Credential.CODE, code, False))
    return plan
