"""The rights table of tests/test_rights_services.py: one row per service call, with the
rights it needs (or a marker for the site-creator-only and own-account calls), an optional
setup done by the administrator, and the call itself. A new service function gets its row
here (tests/test_rights_table.py checks that)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

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
from core.rights import Profile
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
from core.services.sms import Selection
from tests.conftest import fixed_clock
from tests.rights_cases import KEY, OWN_ACCOUNT, PASSWORD, SITE_CREATOR, Case, needs

#: every module of services the table covers (tests/test_rights_table.py)
SERVICE_MODULES = [access_passes, blocks, devices, facilities, flats, operations, operator_keys,
                   operators, residents, schedules, sites, sms]


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
