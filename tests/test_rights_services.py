"""Every service × every profile: the services enforce core.rights' matrix.

One table row per service call: the rights it needs (or a marker for the
site-creator-only and own-account calls), an optional setup done by the
administrator, and the call itself. Each row is run as an operator of every
profile (Administration, Management, Concierge, Technical maintenance, a Custom
set of rights), as a site creator with a Concierge profile, and as four
operators who must be refused whatever their profile says: grant expired, grant
not yet started, no grant on the site, deactivated. The expected outcome is
computed from core.rights; a refusal must raise PermissionDenied and leave every
row of the database untouched.

Speed: building the fixture estate costs about half a second and every commit
tens of milliseconds, and there are several hundred tests. So the estate
(conftest's `estate` fixture, built through the services) and the operators are
built once and saved as a base database file; each case's setup runs once, as
the administrator, on its own copy of the base; and each test runs its call on
a fresh copy of its case's file.
"""

from __future__ import annotations

import copy
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from core.errors import PermissionDenied
from core.model import (
    AccessProfile,
    Alarm,
    APassColour,
    Block,
    Device,
    DeviceType,
    Door,
    Event,
    EventKind,
    EventResult,
    Flat,
    ManagementCompany,
    Operator,
    PanelDisplay,
    ServiceProvider,
    Site,
    Task,
    TaskDoor,
    TimeWindow,
    WeekType,
)
from core.rights import ALL_RIGHTS, PROFILE_RIGHTS, Profile, rights_for
from core.services import (
    access_passes,
    blocks,
    devices,
    facilities,
    flats,
    operations,
    operator_keys,
    operators,
    residents,
    schedules,
    sites,
    sms,
)
from core.services.base import Actor
from core.services.sms import Selection
from store.database import Store
from tests.conftest import SmallEstate, dump_database, fixed_clock

TODAY = fixed_clock().date()  # 2026-11-27
SITE_CREATOR = "site creator"  # marker: the guide's separate "Create a site" profile
OWN_ACCOUNT = "own account"  # marker: any active operator, on their own account
PASSWORD = "correct horse battery"
KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICI85aXj6D0v7Y9/ttvXDan2SK+6bwNaHvQNn/ooH+ee "
       "colleague@desk")

# The Custom profile: allows flats, residents and week types; refuses keypad codes
# (it may only consult them), so a flat change is allowed but a code change is not.
CUSTOM_RIGHTS = ["flats:modify", "residents_displays:modify", "week_types:modify",
                 "keypad_code:consult"]


def db_path(store: Store) -> Path:
    return Path(store.where)


# --- who acts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """One operator under test: a profile on the estate's site, or a reason to refuse."""

    key: str
    profile: Profile | None  # None: no grant on the site at all
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool = True
    can_create_sites: bool = False

    @property
    def rights(self) -> frozenset[str]:
        if self.profile is None:
            return frozenset()
        return rights_for(self.profile, CUSTOM_RIGHTS if self.profile is Profile.CUSTOM
                          else None)

    @property
    def grant_current(self) -> bool:
        return (self.profile is not None
                and (self.valid_from is None or self.valid_from <= TODAY)
                and (self.valid_to is None or self.valid_to >= TODAY))

    @property
    def email(self) -> str:
        return f"{self.key.lower().replace(' ', '.')}@test.example"


ADMIN = Profile.ADMINISTRATION
BY_PROFILE = [Who(p.value, p) for p in Profile]
# Operators refused whatever their profile: the strongest profile, to prove it.
REFUSED = [
    Who("expired", ADMIN, valid_from=date(2026, 1, 1), valid_to=date(2026, 11, 26)),
    Who("not yet started", ADMIN, valid_from=date(2026, 11, 28), valid_to=date(2027, 11, 28)),
    Who("no grant", None),
    # even a site creator is refused once deactivated
    Who("deactivated", ADMIN, active=False, can_create_sites=True),
]
CREATOR = Who("site creator", Profile.CONCIERGE, can_create_sites=True)
EVERYONE = [*BY_PROFILE, CREATOR, *REFUSED]


# --- the table --------------------------------------------------------------------

Setup = Callable[[Store, Actor, SmallEstate], Awaitable[Any]]
Call = Callable[[Store, Actor, SmallEstate, Any], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    name: str
    needs: frozenset[str] | str  # rights, or SITE_CREATOR / OWN_ACCOUNT
    call: Call  # (store, actor, estate, what setup returned)
    setup: Setup | None = None  # run by the administrator before the call
    bug: str | None = None  # known bug: the service lets through what it should refuse

    def allows(self, who: Who) -> bool:
        """Whether core.rights says `who` may make this call."""
        if not who.active:
            return False
        if self.needs == SITE_CREATOR:
            return who.can_create_sites
        if self.needs == OWN_ACCOUNT:
            return True
        return who.grant_current and self.needs <= who.rights


def needs(*rights: str) -> frozenset[str]:
    assert rights and set(rights) <= ALL_RIGHTS, rights
    return frozenset(rights)


async def _telephone(s, admin, e):
    return await residents.add_telephone(s.uow(), admin, e.flats[1].id, "07546277360")


async def _sms_credit(s, admin, e):
    await _telephone(s, admin, e)
    return await sms.add_credits(s.uow(), admin, e.site.id, 10)


async def _display(s, admin, e):
    return await residents.add_panel_display(s.uow(), admin, PanelDisplay(
        e.flats[1].id, "SMITH", "B2", hardwired=True))


async def _stock_pass(s, admin, e):
    return (await access_passes.create_access_passes(s.uow(), admin, e.site.id,
                                                     "0000000201"))[0]


async def _assigned_pass(s, admin, e):
    return (await access_passes.create_access_passes(
        s.uow(), admin, e.site.id, "0000000301", flat_id=e.flats[0].id,
        resident="A. Resident"))[0]


async def _week_type(s, admin, e):
    return await schedules.save_week_type(s.uow(), admin, WeekType(
        e.site.id, "Spare week", [TimeWindow(0, time(8), time(18))]))


async def _access_profile(s, admin, e):
    return await schedules.save_access_profile(s.uow(), admin, AccessProfile(
        e.site.id, "Spare profile", e.week_type.id, [e.door.id]))


async def _company(s, admin, e):
    return await facilities.save_company(s.uow(), admin, ManagementCompany("Acme Lifts"))


async def _provider(s, admin, e):
    company = await _company(s, admin, e)
    return await facilities.save_provider(s.uow(), admin, ServiceProvider(
        company.id, "Smith John", mobile="07546277399"))


def _task(e, provider, name="Lift service", **changes):
    return Task(name, provider.company_id, provider.id, [e.site.id], {e.site.id: None},
                [TaskDoor(e.door.id, by_code=True)], **changes)


async def _saved_task(s, admin, e):
    provider = await _provider(s, admin, e)
    return await facilities.save_task(s.uow(), admin, _task(e, provider))


async def _colleague(s, admin, e):
    return await operators.add_operator(s.uow(), admin, Operator(email="colleague@test.example"))


async def _colleague_on_site(s, admin, e):
    op = await _colleague(s, admin, e)
    await operators.grant_site(s.uow(), admin, op.id, e.site.id, Profile.CONCIERGE)
    return op


async def _colleague_with_key(s, admin, e):
    op = await _colleague_on_site(s, admin, e)
    return await operator_keys.add_key(s.uow(), admin, op.id, KEY)


async def _alarm(s, admin, e):
    writer = await s.event_writer()
    writer.append(Event(fixed_clock(), e.site.id, EventKind.TAMPER, EventResult.ALARM,
                        e.panel.id))
    await writer.flush()
    async with s.reader() as uow:
        return (await uow.find(Alarm))[0]


BLOCKS = needs("blocks:modify")
FLATS = needs("flats:modify")
CODES = needs("flats:modify", "keypad_code:modify")
RESIDENTS = needs("residents_displays:modify")
CREATE_APASSES = needs("create_apasses:modify")
APASSES = needs("apass_management:modify")
WEEK_TYPES = needs("week_types:modify")
PROFILES = needs("access_profiles:modify")
DEVICES = needs("devices:modify")
FACILITIES = needs("facilities:modify")
USERS = needs("users:modify")
SEE_DEVICES = needs("devices:consult")
EVENTS = needs("events:modify")
SMS = needs("sms:modify")
SMS_CREDITS = needs("sms:modify", "users:modify")  # administrators

CASES = [
    # sites
    Case("sites.create_site", SITE_CREATOR,
         lambda s, a, e, p: sites.create_site(s.uow(), a, Site(name="Second Site"))),
    Case("sites.update_site", SITE_CREATOR,
         lambda s, a, e, p: sites.update_site(s.uow(), a, e.site.id, name="Demo Renamed")),
    # blocks
    Case("blocks.create_block", BLOCKS,
         lambda s, a, e, p: blocks.create_block(s.uow(), a, Block(e.site.id, "Block D"))),
    Case("blocks.update_block", BLOCKS,
         lambda s, a, e, p: blocks.update_block(s.uow(), a, e.block.id, name="Block C2")),
    Case("blocks.delete_block", BLOCKS,
         lambda s, a, e, p: blocks.delete_block(s.uow(), a, p.id),
         setup=lambda s, admin, e: blocks.create_block(s.uow(), admin,
                                                       Block(e.site.id, "Spare block"))),
    # flats
    Case("flats.create_flat", FLATS,
         lambda s, a, e, p: flats.create_flat(s.uow(), a, Flat(e.block.id, "010", "Appt. 010"))),
    Case("flats.create_flat with keypad code", CODES,
         lambda s, a, e, p: flats.create_flat(s.uow(), a, Flat(
             e.block.id, "011", "Appt. 011", code_main_door="2468"))),
    Case("flats.create_flats", FLATS,
         lambda s, a, e, p: flats.create_flats(s.uow(), a, e.block.id, 20, 2)),
    Case("flats.update_flat", FLATS,
         lambda s, a, e, p: flats.update_flat(s.uow(), a, e.flats[0].id, name="Flat One",
                                              floor=1)),
    Case("flats.update_flat with keypad code", CODES,
         lambda s, a, e, p: flats.update_flat(s.uow(), a, e.flats[0].id,
                                              code_main_door="4711")),
    Case("flats.delete_flat", FLATS,
         lambda s, a, e, p: flats.delete_flat(s.uow(), a, e.flats[2].id)),
    # residents & displays
    Case("residents.add_telephone", RESIDENTS,
         lambda s, a, e, p: residents.add_telephone(s.uow(), a, e.flats[0].id, "07546277360")),
    Case("residents.update_telephone", RESIDENTS,
         lambda s, a, e, p: residents.update_telephone(s.uow(), a, p.id, value="07546277361"),
         setup=_telephone),
    Case("residents.delete_telephone", RESIDENTS,
         lambda s, a, e, p: residents.delete_telephone(s.uow(), a, p.id),
         setup=_telephone),
    Case("residents.add_panel_display", RESIDENTS,
         lambda s, a, e, p: residents.add_panel_display(s.uow(), a, PanelDisplay(
             e.flats[0].id, "JONES", "A1", hardwired=True))),
    Case("residents.update_panel_display", RESIDENTS,
         lambda s, a, e, p: residents.update_panel_display(s.uow(), a, p.id,
                                                           display_name="SMITH J."),
         setup=_display),
    Case("residents.delete_panel_display", RESIDENTS,
         lambda s, a, e, p: residents.delete_panel_display(s.uow(), a, p.id),
         setup=_display),
    # APasses
    Case("access_passes.create_access_passes", CREATE_APASSES,
         lambda s, a, e, p: access_passes.create_access_passes(s.uow(), a, e.site.id,
                                                               "0000000101", 2)),
    Case("access_passes.assign_to_flat", APASSES,
         lambda s, a, e, p: access_passes.assign_to_flat(s.uow(), a, p.number, e.flats[0].id,
                                                         resident="B. Resident"),
         setup=_stock_pass),
    Case("access_passes.send_to_stock", APASSES,
         lambda s, a, e, p: access_passes.send_to_stock(s.uow(), a, p.number),
         setup=_assigned_pass),
    Case("access_passes.send_to_lost", APASSES,
         lambda s, a, e, p: access_passes.send_to_lost(s.uow(), a, p.number),
         setup=_assigned_pass),
    Case("access_passes.update_access_pass", APASSES,
         lambda s, a, e, p: access_passes.update_access_pass(s.uow(), a, p.number,
                                                             colour=APassColour.RED),
         setup=_stock_pass),
    # week types, holidays, access profiles
    Case("schedules.save_week_type (create)", WEEK_TYPES,
         lambda s, a, e, p: schedules.save_week_type(s.uow(), a, WeekType(
             e.site.id, "Office hours", [TimeWindow(0, time(8), time(18))]))),
    Case("schedules.save_week_type (replace)", WEEK_TYPES,
         lambda s, a, e, p: schedules.save_week_type(s.uow(), a, replace(
             p, windows=[TimeWindow(1, time(9), time(17))])),
         setup=_week_type),
    Case("schedules.delete_week_type", WEEK_TYPES,
         lambda s, a, e, p: schedules.delete_week_type(s.uow(), a, p.id),
         setup=_week_type),
    Case("schedules.add_holiday", WEEK_TYPES,
         lambda s, a, e, p: schedules.add_holiday(s.uow(), a, e.site.id, date(2026, 12, 25),
                                                  "Christmas Day")),
    Case("schedules.import_holidays", WEEK_TYPES,
         lambda s, a, e, p: schedules.import_holidays(s.uow(), a, e.site.id,
                                                      "2027-01-01 New Year's Day")),
    Case("schedules.delete_holiday", WEEK_TYPES,
         lambda s, a, e, p: schedules.delete_holiday(s.uow(), a, p.id),
         setup=lambda s, admin, e: schedules.add_holiday(s.uow(), admin, e.site.id,
                                                         date(2026, 12, 26), "Boxing Day")),
    Case("schedules.save_access_profile (create)", PROFILES,
         lambda s, a, e, p: schedules.save_access_profile(s.uow(), a, AccessProfile(
             e.site.id, "Profil - Staff", e.week_type.id, [e.door.id]))),
    Case("schedules.save_access_profile (replace)", PROFILES,
         lambda s, a, e, p: schedules.save_access_profile(s.uow(), a, replace(
             p, week_type_id=None)),
         setup=_access_profile),
    Case("schedules.delete_access_profile", PROFILES,
         lambda s, a, e, p: schedules.delete_access_profile(s.uow(), a, p.id),
         setup=_access_profile),
    # devices and doors
    Case("devices.create_device", DEVICES,
         lambda s, a, e, p: devices.create_device(s.uow(), a, Device(
             e.site.id, "Reader - side gate", DeviceType.READER, block_id=e.block.id),
             [Door(0, 1, "Side gate")])),
    Case("devices.update_device", DEVICES,
         lambda s, a, e, p: devices.update_device(s.uow(), a, e.panel.id, name="Main panel")),
    Case("devices.save_door (create)", DEVICES,
         lambda s, a, e, p: devices.save_door(s.uow(), a, Door(e.panel.id, 2, "Back gate"))),
    Case("devices.save_door (change)", DEVICES,
         lambda s, a, e, p: devices.save_door(s.uow(), a, replace(e.door, open_seconds=8))),
    Case("devices.delete_device", DEVICES,
         lambda s, a, e, p: devices.delete_device(s.uow(), a, p.id),
         setup=lambda s, admin, e: devices.create_device(s.uow(), admin, Device(
             e.site.id, "Spare reader", DeviceType.READER))),
    # facilities
    Case("facilities.save_company", FACILITIES,
         lambda s, a, e, p: facilities.save_company(s.uow(), a,
                                                    ManagementCompany("Bright Cleaning"))),
    Case("facilities.save_provider", FACILITIES,
         lambda s, a, e, p: facilities.save_provider(s.uow(), a, ServiceProvider(
             p.id, "Doe Jane", apass_number="0000000901")),
         setup=_company),
    Case("facilities.save_task (create)", FACILITIES,
         lambda s, a, e, p: facilities.save_task(s.uow(), a, _task(e, p)),
         setup=_provider),
    Case("facilities.save_task (replace)", FACILITIES,
         lambda s, a, e, p: facilities.save_task(s.uow(), a, replace(p, name="Lift repair")),
         setup=_saved_task),
    Case("facilities.delete_task", FACILITIES,
         lambda s, a, e, p: facilities.delete_task(s.uow(), a, p.id),
         setup=_saved_task),
    Case("facilities.delete_provider", FACILITIES,
         lambda s, a, e, p: facilities.delete_provider(s.uow(), a, p.id),
         setup=_provider),
    Case("facilities.delete_company", FACILITIES,
         lambda s, a, e, p: facilities.delete_company(s.uow(), a, p.id),
         setup=_company),
    # operators
    Case("operators.add_operator", USERS,
         lambda s, a, e, p: operators.add_operator(s.uow(), a, Operator(
             email="new.operator@test.example"))),
    Case("operators.add_operator (site creator)", SITE_CREATOR,
         lambda s, a, e, p: operators.add_operator(s.uow(), a, Operator(
             email="new.creator@test.example", can_create_sites=True))),
    Case("operators.grant_site", USERS,
         lambda s, a, e, p: operators.grant_site(s.uow(), a, p.id, e.site.id,
                                                 Profile.CONCIERGE),
         setup=_colleague),
    Case("operators.revoke_site", USERS,
         lambda s, a, e, p: operators.revoke_site(s.uow(), a, p.id, e.site.id),
         setup=_colleague_on_site),
    Case("operators.set_password (another operator)", SITE_CREATOR,
         lambda s, a, e, p: operators.set_password(s.uow(), a, p.id, PASSWORD),
         setup=_colleague),
    Case("operators.set_password (own)", OWN_ACCOUNT,
         lambda s, a, e, p: operators.set_password(s.uow(), a, a.operator.id, PASSWORD)),
    Case("operators.set_active (deactivate)", SITE_CREATOR,
         lambda s, a, e, p: operators.set_active(s.uow(), a, p.id, False),
         setup=_colleague),
    # operators' SSH keys
    Case("operator_keys.add_key (another operator)", USERS,
         lambda s, a, e, p: operator_keys.add_key(s.uow(), a, p.id, KEY),
         setup=_colleague_on_site),
    Case("operator_keys.add_key (own)", OWN_ACCOUNT,
         lambda s, a, e, p: operator_keys.add_key(s.uow(), a, a.operator.id, KEY)),
    Case("operator_keys.remove_key (another operator)", USERS,
         lambda s, a, e, p: operator_keys.remove_key(s.uow(), a, p.id),
         setup=_colleague_with_key),
    # operations at the desk
    Case("operations.open_door", SEE_DEVICES,
         lambda s, a, e, p: operations.open_door(s.uow(), a, e.door.id, 5)),
    Case("operations.restart_reader", DEVICES,
         lambda s, a, e, p: operations.restart_reader(s.uow(), a, p.id),
         setup=lambda s, admin, e: devices.create_device(s.uow(), admin, Device(
             e.site.id, "Reader - lobby", DeviceType.READER, bus="/dev/ttyUSB0",
             address="3"))),
    Case("operations.acknowledge_alarm", EVENTS,
         lambda s, a, e, p: operations.acknowledge_alarm(s.uow(), a, p.id, "Checked"),
         setup=_alarm),
    # SMS to residents (the guide's Messages & Communication; its reads: tests/sms)
    Case("sms.send_sms", SMS,
         lambda s, a, e, p: sms.send_sms(s.uow(), a, Selection(e.site.id), "Lift repaired"),
         setup=_sms_credit),
    Case("sms.add_credits", SMS_CREDITS,
         lambda s, a, e, p: sms.add_credits(s.uow(), a, e.site.id, 100)),
]


def test_table_covers_every_service_function():
    """A new service function must get its row here."""
    import inspect

    modules = [access_passes, blocks, devices, facilities, flats, operations, operator_keys,
               operators, residents, schedules, sites, sms]
    public = {
        f"{m.__name__.rsplit('.', 1)[-1]}.{name}"
        for m in modules
        for name, fn in vars(m).items()
        if inspect.iscoroutinefunction(fn) and not name.startswith("_")
        and fn.__module__ == m.__name__
    }
    # not services: helpers used inside other services' units of work, and setup
    internal = {"sites.check_quota", "operators.set_grant", "operators.bootstrap_admin",
                "operator_keys.require_key_rights"}
    # the SMS area's reads: every profile in tests/sms/test_sms_rights.py
    internal |= {"sms.recipient_list", "sms.balance", "sms.campaigns", "sms.campaign_messages",
                 "sms.site_blocks"}
    covered = {c.name.split(" ", 1)[0] for c in CASES}
    assert public - internal - covered == set()
    assert covered <= public
    assert len({c.name for c in CASES}) == len(CASES)
    # the table's Custom profile really splits it: some rows allowed, some refused
    custom = next(w for w in BY_PROFILE if w.profile is Profile.CUSTOM)
    outcomes = {c.allows(custom) for c in CASES if c.needs not in (SITE_CREATOR, OWN_ACCOUNT)}
    assert outcomes == {True, False}
    assert set(PROFILE_RIGHTS) | {Profile.CUSTOM} == {w.profile for w in BY_PROFILE}


# --- the database each test starts from -------------------------------------------


@dataclass
class Base:
    """The estate with its operators, saved once; what the tests copy."""

    path: Path
    admin: Operator
    estate: SmallEstate
    operators: dict[str, Operator]
    case_templates: dict[str, tuple[Path, Any]]  # case name -> database after its setup


_BASE = pytest.StashKey[Base]()


@pytest.fixture
async def _estate_with_operators(store, admin, estate) -> dict[str, Operator]:
    """conftest's small estate plus one operator per Who, all made by the administrator."""
    made = {}
    for who in EVERYONE:
        op = await operators.add_operator(store.uow(), admin, Operator(
            email=who.email, can_create_sites=who.can_create_sites))
        if who.profile is not None:
            await operators.grant_site(
                store.uow(), admin, op.id, estate.site.id, who.profile,
                custom=CUSTOM_RIGHTS if who.profile is Profile.CUSTOM else None,
                valid_from=who.valid_from, valid_to=who.valid_to)
        if not who.active:
            async with store.uow() as uow:
                op.active = False
                await uow.update(op)
                await uow.commit()
        made[who.key] = op
    return made


@pytest.fixture
def base(request, tmp_path_factory) -> Base:
    """Build the estate and its operators once (in the first test), then reuse a copy."""
    if _BASE not in request.config.stash:
        ops = request.getfixturevalue("_estate_with_operators")
        store = request.getfixturevalue("store")
        path = tmp_path_factory.mktemp("rights-base") / "doorkeeper.db"
        src, dst = sqlite3.connect(db_path(store)), sqlite3.connect(path)
        try:
            src.backup(dst)  # a consistent copy, WAL included
        finally:
            src.close()
            dst.close()
        request.config.stash[_BASE] = Base(path, request.getfixturevalue("admin").operator,
                                           request.getfixturevalue("estate"), ops, {})
    return request.config.stash[_BASE]


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


async def _case_template(base: Base, case: Case, admin: Actor,
                         tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The base plus what the case's setup made (done once per case, by the admin)."""
    if case.name not in base.case_templates:
        path = base.path
        prepared = None
        if case.setup is not None:
            path = _copy(base.path, tmp_path_factory.mktemp("rights-case") / "doorkeeper.db")
            store = await Store.open(path=path, migrate=False)
            try:
                prepared = await case.setup(store, admin, base.estate)
            finally:
                await store.close()
        base.case_templates[case.name] = (path, prepared)
    return base.case_templates[case.name]


# --- the tests ----------------------------------------------------------------------


def _params():
    for case in CASES:
        for who in EVERYONE:
            allowed = case.allows(who)
            marks = ()
            if case.bug and not allowed:
                marks = pytest.mark.xfail(strict=True, raises=AssertionError, reason=case.bug)
            yield pytest.param(case, who, allowed, marks=marks, id=f"{case.name}-{who.key}")


def _last_audit_actor(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT actor FROM audit_entries ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize(("case", "who", "allowed"), list(_params()))
async def test_service_enforces_rights(base: Base, tmp_path, tmp_path_factory, case: Case,
                                       who: Who, allowed: bool):
    admin = Actor(replace(base.admin), source="test", clock=fixed_clock)
    template, prepared = await _case_template(base, case, admin, tmp_path_factory)
    # not doorkeeper.db: the first test built the base in its own store, still open there
    path = _copy(template, tmp_path / "case.db")
    actor = Actor(replace(base.operators[who.key]), source="test", clock=fixed_clock)
    assert actor.operator.active is who.active
    estate, prepared = copy.deepcopy((base.estate, prepared))
    store = await Store.open(path=path, migrate=False)  # the base was migrated when built
    try:
        before = dump_database(path)
        if allowed:
            await case.call(store, actor, estate, prepared)
            assert dump_database(path) != before, "an allowed call changed nothing"
            assert _last_audit_actor(path) == who.email
        else:
            try:
                await case.call(store, actor, estate, prepared)
            except PermissionDenied as err:
                assert who.email in err.message
            else:
                raise AssertionError(f"{who.key} was allowed {case.name}")
            assert dump_database(path) == before, "a refused call changed the database"
    finally:
        await store.close()
