"""The demo estate: three sites like the guide's, deterministic for a seed.

Sites, blocks, devices, week types, profiles, operators and facilities go
through the same services an operator uses. The thousands of flats' residents,
displays and passes are validated with the same rules and written in one unit
of work each (a service call per telephone would take minutes), with one audit
entry saying what the builder wrote.

Telephone numbers come from Ofcom's ranges reserved for drama (020 7946 0xxx
and friends), ARCEP's for France and the North American 555-01xx, so no real
person is ever dialled. libphonenumber refuses Ofcom's drama mobiles (07700
900xxx), so the residents an SMS can reach are the North American ones (a
number the plan does not tell from a mobile), among the foreign numbers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import TypedDict

from faker import Faker

from core import rules
from core.model import (
    HOLIDAY,
    AccessPass,
    AccessProfile,
    APassColour,
    APassState,
    APassType,
    Block,
    CallStep,
    Device,
    DeviceType,
    Door,
    Flat,
    ManagementCompany,
    Operator,
    PanelDisplay,
    ServiceProvider,
    Site,
    Task,
    TaskDoor,
    Telephone,
    TelephoneKind,
    TimeWindow,
    WeekType,
    id_of,
)
from core.phones import parse_phone
from core.rights import Area, Profile
from core.services import (
    access_passes,
    blocks,
    devices,
    facilities,
    flats,
    operators,
    schedules,
    sites,
)
from core.services.base import Actor, record
from core.task_methods import DeviceDoors, door_flags
from store.database import Store

DOMAIN = "doorkeeper.example"
# Ofcom drama ranges: 1,000 numbers each, all valid to libphonenumber.
UK_RANGES = ["2079460", "1134960", "1144960", "1164960", "1174960", "1184960", "1214960",
             "1314960", "1414960", "1514960", "1614960", "1914980"]
FR_RANGES = ["199001", "199002"]  # +33 1 99 00 xx xx: ARCEP fiction numbers
NANP_AREAS = ["202", "212", "312", "415", "617", "613"]  # +1 AAA 555 01xx: fiction

# (site, quotas, [(block, flats)], gsm access point)
class Quotas(TypedDict):
    """A site's quotas, as Site takes them."""

    max_panels: int
    max_flats: int
    max_foreign_numbers: int
    max_panel_names: int


ESTATE: list[tuple[str, Quotas, list[tuple[str, int]]]] = [
    ("Byron Court", dict(max_panels=5, max_flats=2200, max_foreign_numbers=40,
                         max_panel_names=2200),
     [("Block A - MINI", 40), ("Block B - MINI PLUS hands free", 60),
      ("Block C - TOUCH", 1998), ("Block D - MINI PLUS", 30)]),
    ("Demo Cases", dict(max_panels=4, max_flats=300, max_foreign_numbers=10,
                        max_panel_names=300),
     [("Block E - Riverside", 120), ("Block F - Garden", 80)]),
    ("Harbour View", dict(max_panels=4, max_flats=400, max_foreign_numbers=10,
                          max_panel_names=400),
     [("North Tower", 150), ("South Tower", 120), ("Car Park", 0)]),
]
BANK_HOLIDAYS = [(date(2026, 12, 25), "Christmas Day"), (date(2026, 12, 28), "Boxing Day"),
                 (date(2027, 1, 1), "New Year's Day"), (date(2026, 8, 31), "Summer bank holiday"),
                 (date(2027, 3, 26), "Good Friday"), (date(2027, 3, 29), "Easter Monday")]
OPERATORS = [("manager", Profile.MANAGEMENT, "Morgan Hale"),
             ("concierge", Profile.CONCIERGE, "Priya Natarajan"),
             ("engineer", Profile.TECHNICAL_MAINTENANCE, "Tom Brennan"),
             ("auditor", Profile.CUSTOM, "Alex Reid")]
NOTES = ["Key with concierge", "Deliveries to back door", "Owner abroad until spring",
         "Visiting carer weekdays"]
PASS_TYPES = [APassType.PROXIMITY_FOB] * 6 + [APassType.RADIO_TRANSMITTER, APassType.DUAL_TECH]
AUDITOR_RIGHTS = [f"{Area.EVENTS.value}:consult", f"{Area.EXPORT.value}:modify",
                  f"{Area.BLOCKS.value}:consult", f"{Area.FLATS.value}:consult"]


@dataclass
class DemoEstate:
    """What the builder made, for the event history and the simulator."""

    admin: Operator
    sites: list[Site] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    doors: list[Door] = field(default_factory=list)
    flats: list[Flat] = field(default_factory=list)
    telephones: list[Telephone] = field(default_factory=list)
    displays: list[PanelDisplay] = field(default_factory=list)
    passes: list[AccessPass] = field(default_factory=list)
    providers: list[ServiceProvider] = field(default_factory=list)
    operators: list[Operator] = field(default_factory=list)
    week_types: dict[int, dict[str, int]] = field(default_factory=dict)  # site -> name -> id
    foreign_used: dict[int, int] = field(default_factory=dict)  # site -> foreign numbers


def _windows(days: range, start: str, end: str, holidays: bool = False) -> list[TimeWindow]:
    ws = [TimeWindow(d, time.fromisoformat(start), time.fromisoformat(end)) for d in days]
    if holidays:
        ws.append(TimeWindow(HOLIDAY, time.fromisoformat(start), time.fromisoformat(end)))
    return ws


class _Numbers:
    """Unique fictional telephone numbers, drawn in a seeded order."""

    def __init__(self, rnd: random.Random) -> None:
        self.uk = [f"0{r}{n:03d}" for r in UK_RANGES for n in range(1000)]
        rnd.shuffle(self.uk)
        self.fr = [f"+33{r}{n:03d}" for r in FR_RANGES for n in range(1000)]
        rnd.shuffle(self.fr)
        self.nanp = [f"+1{a}55501{n:02d}" for a in NANP_AREAS for n in range(100)]
        rnd.shuffle(self.nanp)

    def take(self, foreign: bool, first: bool = False) -> str:
        """A UK number, or a foreign one: a resident's first is North American (it takes
        an SMS), the others French."""
        if foreign and first:
            return self.nanp.pop()
        return (self.fr if foreign else self.uk).pop()


async def build_estate(store: Store, seed: int = 1, admin_email: str = f"admin@{DOMAIN}",
                       step: Callable[[str], None] | None = None) -> DemoEstate:
    """Build the whole demo estate into an empty store; `step` is told each site begun."""
    rnd = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    admin = await operators.bootstrap_admin(store.uow(), admin_email, source="demo")
    actor = Actor(admin, source="demo")
    estate = DemoEstate(admin=admin)
    numbers = _Numbers(rnd)
    next_pass = 1111100000

    for number, (site_name, quotas, block_specs) in enumerate(ESTATE, start=1):
        if step is not None:
            step(f"site {number} of {len(ESTATE)}: {site_name}")
        site = await sites.create_site(store.uow(), actor, Site(name=site_name, **quotas))
        estate.sites.append(site)
        always = await schedules.save_week_type(store.uow(), actor, WeekType(
            id_of(site), "Always", _windows(range(7), "00:00", "23:59", holidays=True)))
        office = await schedules.save_week_type(store.uow(), actor, WeekType(
            id_of(site), "Office hours", _windows(range(5), "08:00", "18:00")))
        contractors = await schedules.save_week_type(store.uow(), actor, WeekType(
            id_of(site), "Contractors", _windows(range(5), "07:00", "19:00")
            + _windows(range(5, 6), "08:00", "13:00")))
        for day, name in BANK_HOLIDAYS:
            await schedules.add_holiday(store.uow(), actor, id_of(site), day, name)
        site_doors: list[Door] = []
        for b_index, (block_name, n_flats) in enumerate(block_specs):
            block = await blocks.create_block(store.uow(), actor, Block(id_of(site), block_name))
            estate.blocks.append(block)
            block_doors = await _devices(store, actor, estate, site, block, b_index)
            site_doors += block_doors
            profile = await schedules.save_access_profile(store.uow(), actor, AccessProfile(
                id_of(site), f"Profil - {block_name}", id_of(always), [id_of(d) for d in block_doors]))
            block = await blocks.update_block(store.uow(), actor, id_of(block),
                                              default_access_profile_id=id_of(profile))
            if n_flats:
                digits = 4 if n_flats > 999 else 3
                made = await flats.create_flats(store.uow(), actor, id_of(block), 1, n_flats,
                                                digits=digits)
                next_pass = await _residents(store, actor, estate, site, block, made, rnd,
                                             fake, numbers, next_pass, id_of(office))
        await schedules.save_access_profile(store.uow(), actor, AccessProfile(
            id_of(site), "Profil - Staff office hours", id_of(office), [id_of(d) for d in site_doors]))
        # Site stock: passes not yet handed out.
        stock = await access_passes.create_access_passes(
            store.uow(), actor, id_of(site), str(next_pass), 150, colour=APassColour.GREY,
            notes="Delivered in stock")
        estate.passes += stock
        next_pass += 1000
        estate.week_types[id_of(site)] = {w.name: id_of(w) for w in (always, office, contractors)}

    await _facilities(store, actor, estate, rnd)
    await _operators(store, actor, estate)
    return estate


async def _devices(store: Store, actor: Actor, estate: DemoEstate, site: Site, block: Block,
                   b_index: int) -> list[Door]:
    """A panel, a control unit with a reader, and per block one extra device type."""
    short = block.name.split(" - ")[0]
    specs: list[tuple[DeviceType, str, list[Door], str | None]] = []
    if block.name != "Car Park":
        panel_type = DeviceType.PANEL_3G if site.name == "Demo Cases" and b_index else \
            DeviceType.IPGUARD_4G
        specs.append((panel_type, f"Panel {short}", [Door(0, 1, f"{short} main entrance")],
                      None))
    specs.append((DeviceType.CONTROL_UNIT, f"Centrale {short}",
                  [Door(0, 1, f"{short} back door"), Door(0, 2, f"{short} bin store")], None))
    specs.append((DeviceType.READER, f"MK2 Reader {short}", [], "control"))
    extra = [DeviceType.CODE_KEYPAD, DeviceType.RADIO_RECEIVER, DeviceType.KEY_SAFE,
             DeviceType.CODE_KEYPAD][b_index % 4]
    if block.name == "Car Park":
        extra = DeviceType.RADIO_RECEIVER
    extra_doors = {DeviceType.CODE_KEYPAD: [Door(0, 1, f"{short} side gate")],
                   DeviceType.RADIO_RECEIVER: [Door(0, 1, f"{short} car park gate", 10, 60)],
                   DeviceType.KEY_SAFE: [Door(0, 1, f"{short} key safe", 3, 120)]}[extra]
    label = {DeviceType.CODE_KEYPAD: "Keypad", DeviceType.RADIO_RECEIVER: "Radio receiver",
             DeviceType.KEY_SAFE: "IPKEYSAFE"}[extra]
    specs.append((extra, f"{label} {short}", extra_doors, None))
    if b_index == 0:
        specs.append((DeviceType.GSM_MODEM, f"DATA modem {site.name}", [], None))
    doors: list[Door] = []
    control_id = None
    for i, (dtype, name, dev_doors, parent) in enumerate(specs):
        gsm_ap = b_index == 0 and (dtype is DeviceType.GSM_MODEM if site.name == "Harbour View"
                                   else i == 0 and dtype.is_panel)
        device = await devices.create_device(store.uow(), actor, Device(
            id_of(site), name, dtype, block_id=id_of(block),
            parent_id=control_id if parent else None, gsm_access_point=gsm_ap,
            address=f"osdp:{len(estate.devices) % 126 + 1}"), dev_doors)
        estate.devices.append(device)
        if dtype is DeviceType.CONTROL_UNIT:
            control_id = id_of(device)
        async with store.reader() as uow:
            made = await uow.find(Door, device_id=id_of(device))
        doors += made
        estate.doors += made
    return doors


async def _residents(store: Store, actor: Actor, estate: DemoEstate, site: Site, block: Block,
                     block_flats: list[Flat], rnd: random.Random, fake: Faker, numbers: _Numbers,
                     next_pass: int, office_id: int) -> int:
    """Telephones, displays, keypad codes and passes for a block's flats, in one unit."""
    used_codes = {f.code_main_door for f in estate.flats if f.code_main_door}
    foreign_left = site.max_foreign_numbers - estate.foreign_used.get(id_of(site), 0)
    residents = []  # (flat, first, surname, phones)
    for flat in block_flats:
        flat.temporary_id = rules.temporary_id(rnd.getrandbits(36))  # seeded, not secrets
        flat.floor = rules.floor(int(flat.number) // (20 if len(block_flats) > 999 else 8))
        if rnd.random() < 0.3:
            code = str(rnd.randrange(100000, 999999))  # providers use 4 digits
            while code in used_codes:
                code = str(rnd.randrange(100000, 999999))
            used_codes.add(code)
            flat.code_main_door = rules.keypad_code(code, "code_main_door")
        if rnd.random() < 0.05:
            flat.notes = rules.notes(rnd.choice(NOTES))
        if rnd.random() > 0.86:
            continue  # an empty flat
        first, surname = fake.first_name(), fake.last_name()
        phones = []
        for i in range(rnd.choice([1, 1, 1, 2, 2, 3])):
            foreign = foreign_left > 0 and rnd.random() < 0.02
            parsed = parse_phone(numbers.take(foreign, i == 0), site.default_country)
            foreign_left -= foreign
            phones.append(Telephone(id_of(flat), TelephoneKind.TELEPHONE, parsed.e164, parsed.region,
                                    parsed.is_foreign(site.default_country), app_activated=i == 0))
        # an email only where the flat has room for it (the draw is made either way, so
        # the rest of a seed's estate is what it was)
        if rnd.random() < 0.15 and len(phones) < rules.MAX_TELEPHONES_PER_FLAT:
            phones.append(Telephone(id_of(flat), TelephoneKind.EMAIL, rules.email(
                f"{first}.{surname}{id_of(flat)}@mail.{DOMAIN}".replace(" ", ""))))
        residents.append((flat, first, surname, phones))
    estate.foreign_used[id_of(site)] = site.max_foreign_numbers - foreign_left
    estate.flats += block_flats
    phones = [p for *_, ps in residents for p in ps]
    displays, passes = [], []
    async with store.uow() as uow:
        await uow.update_all(block_flats)
        await uow.add_all(phones)  # sets the ids the call chains need
        for flat, first, surname, flat_phones in residents:
            flat_no = str(int(flat.number))
            name = rnd.choice([f"Flat {flat_no}", f"{surname}, {first}", f"{first} {surname}"])
            chain = [CallStep(id_of(p), rules.TRANSFER_SECONDS_DEFAULT) for p in flat_phones
                     if p.kind is TelephoneKind.TELEPHONE][: rules.MAX_CALL_CHAIN]
            displays.append(PanelDisplay(
                id_of(flat), rules.text(name, "display_name", label="Display name"),
                rules.call_code(flat_no if len(flat_no) < 4 else "C" + flat_no[-4:]),
                block.default_access_profile_id, chain,
                auto_open_week_type_id=office_id if rnd.random() < 0.02 else None))
            for _ in range(rnd.choice([1, 1, 2, 2, 3])):
                state = APassState.LOST if rnd.random() < 0.03 else APassState.ASSIGNED
                passes.append(AccessPass(
                    id_of(site), rules.apass_number(next_pass), rnd.choice(PASS_TYPES),
                    rnd.choice(list(APassColour)), state, id_of(block), id_of(flat),
                    rules.text(f"{first} {surname}", "resident", label="Resident"),
                    block.default_access_profile_id,
                    "Reported lost at the desk" if state is APassState.LOST else ""))
                next_pass += 1
        await uow.add_all(displays)
        await uow.add_all(passes)
        await record(uow, actor, "demo.residents", site_id=id_of(site), entity_id=id_of(block),
                     obj={"block": block.name, "telephones": len(phones),
                          "displays": len(displays), "access_passes": len(passes)})
        usage = await uow.site_usage(id_of(site))
        for attr, (key, label) in sites.QUOTAS.items():
            assert usage[key] <= getattr(site, attr), f"demo overfills {label}"
        await uow.commit()
    estate.telephones += phones
    estate.displays += displays
    estate.passes += passes
    return next_pass + 7  # leave a gap between blocks, as real deliveries do


async def _facilities(store: Store, actor: Actor, estate: DemoEstate, rnd: random.Random) -> None:
    """A management company, its providers, and tasks on the sites."""
    company = await facilities.save_company(store.uow(), actor, ManagementCompany(
        "IP Door Entry Ltd", "Solomon", "08000156496", f"support@{DOMAIN}"))
    cleaners = await facilities.save_company(store.uow(), actor, ManagementCompany(
        "Byron's Facilities", "Dana Okafor", "02079460999", f"office@facilities.{DOMAIN}"))
    solomon = await facilities.save_provider(store.uow(), actor, ServiceProvider(
        id_of(company), "Solomon - Access Till Christmas", date(2026, 9, 1), date(2026, 12, 24),
        email=f"solomon@{DOMAIN}", mobile="+442079460998", apass_number="1364589620",
        radio_number="3695843697", code_door="1234", code_relay_1="6973"))
    dana = await facilities.save_provider(store.uow(), actor, ServiceProvider(
        id_of(cleaners), "Dana Okafor", email=f"dana@facilities.{DOMAIN}",
        mobile="+441134960998", apass_number="4640800090", code_door="5058"),
        permanent=True)
    expired = await facilities.save_provider(store.uow(), actor, ServiceProvider(
        id_of(cleaners), "Lee Winters (left)", date(2023, 1, 9), date(2025, 1, 8),
        apass_number="0758008974", code_door="2244"))
    estate.providers += [solomon, dana, expired]
    relays: dict[int, dict[int, int]] = {}
    for d in estate.doors:
        relays.setdefault(d.device_id, {})[d.relay] = id_of(d)
    device_doors = {id_of(x): DeviceDoors(id_of(x), x.type, relays.get(id_of(x), {}))
                    for x in estate.devices}
    for provider, comp, name, site_slice in (
            (solomon, company, "Access over Christmas for Solomon", estate.sites[:2]),
            (dana, cleaners, "Cleaning rota", estate.sites),
            (expired, cleaners, "Window cleaning 2024", estate.sites[2:])):
        site_ids = [id_of(s) for s in site_slice]
        doors = [d for d in estate.doors
                 if next(x for x in estate.devices if x.id == d.device_id).site_id in site_ids]
        task_doors = []
        for d in doors:
            wanted = dict(by_code=True, by_apass=True, by_radio=bool(provider.radio_number),
                          by_telephone=bool(provider.mobile) and rnd.random() < 0.5)
            offered = door_flags(device_doors[d.device_id], d.relay)  # as the form offers
            ways = {flag: on for flag, on in wanted.items() if on and flag in offered}
            if ways:
                task_doors.append(TaskDoor(id_of(d), **ways))
        await facilities.save_task(store.uow(), actor, Task(
            name, id_of(comp), id_of(provider), site_ids,
            {id_of(s): estate.week_types[id_of(s)]["Contractors"] for s in site_slice},
            task_doors))


async def _operators(store: Store, actor: Actor, estate: DemoEstate) -> None:
    """One operator of each profile, on every site."""
    for login, profile, name in OPERATORS:
        op = await operators.add_operator(store.uow(), actor, Operator(
            f"{login}@{DOMAIN}", name, login=login))
        for site in estate.sites:
            await operators.grant_site(
                store.uow(), actor, id_of(op), id_of(site), profile,
                custom=AUDITOR_RIGHTS if profile is Profile.CUSTOM else None)
        estate.operators.append(op)
