"""Holes a review found, each shown closed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time

import pytest

from core import access
from core.devices import AccessRequest, Credential, Status, StatusReport
from core.errors import Conflict, PermissionDenied, ValidationError
from core.model import (
    AccessProfile,
    CallStep,
    Device,
    DeviceType,
    Event,
    EventKind,
    EventResult,
    ManagementCompany,
    PanelDisplay,
    ServiceProvider,
    Site,
    Task,
    TaskDoor,
    TelephoneKind,
    TimeWindow,
    WeekType,
)
from core.rights import Profile
from core.runtime import Runtime
from core.services import (
    access_passes,
    blocks,
    devices,
    facilities,
    flats,
    operators,
    residents,
    schedules,
    sites,
)
from store.snapshot import load_snapshot
from tests.conftest import dump_database, make_operator


@pytest.mark.parametrize("field", ["id", "block_id"])
async def test_an_update_cannot_retarget_another_row(store, admin, estate, field):
    other = await sites.create_site(store.uow(), admin, Site(name="Other"))
    block = await blocks.create_block(store.uow(), admin, blocks.Block(other.id, "B"))
    target = (await flats.create_flats(store.uow(), admin, block.id, 1, 1))[0]
    before = dump_database(store.where)
    value = target.id if field == "id" else block.id
    with pytest.raises(ValidationError, match="cannot be changed"):
        await flats.update_flat(store.uow(), admin, estate.flats[0].id, **{field: value},
                                name="HIJACKED")
    assert dump_database(store.where) == before


async def test_a_providers_credentials_need_the_right_on_their_tasks_sites(store, admin,
                                                                          estate, provider):
    other = await sites.create_site(store.uow(), admin, Site(name="Other"))
    dev = await devices.create_device(store.uow(), admin, Device(
        other.id, "Gate", DeviceType.CODE_KEYPAD), [devices.Door(0, 1, "Gate")])
    async with store.reader() as uow:
        door = (await uow.find(devices.Door, device_id=dev.id))[0]
    await facilities.save_task(store.uow(), admin, Task("Gate", provider.company_id, provider.id,
                                                         [other.id], {}, [TaskDoor(door.id,
                                                                                   by_code=True)]))
    manager = await make_operator(store, admin, "m@test.example", estate.site.id,
                                  Profile.MANAGEMENT)
    provider = (await _get(store, ServiceProvider, provider.id))
    provider.code_door = "9999"
    with pytest.raises(PermissionDenied, match="Other"):
        await facilities.save_provider(store.uow(), manager, provider)


async def _get(store, cls, id):
    async with store.reader() as uow:
        return await uow.get(cls, id)


async def test_a_window_ending_at_midnight_opens_until_midnight(store, admin, estate):
    evening = await schedules.save_week_type(store.uow(), admin, WeekType(
        estate.site.id, "Evenings", [TimeWindow(d, time(18), time(0)) for d in range(7)]))
    profile = await schedules.save_access_profile(store.uow(), admin, AccessProfile(
        estate.site.id, "Evening", evening.id, [estate.door.id]))
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "5555500000",
                                             flat_id=estate.flats[0].id,
                                             access_profile_id=profile.id)
    snap = await load_snapshot(store)

    def at(h, m):
        return snap.decide(AccessRequest(estate.panel.id, estate.door.id, Credential.APASS,
                                         "5555500000", datetime(2026, 11, 27, h, m, tzinfo=UTC)))
    assert at(20, 0).granted and at(23, 59).granted
    assert at(17, 59).reason == access.OUTSIDE_WEEK_TYPE


async def test_a_called_number_cannot_become_an_email(store, admin, estate):
    phone = await residents.add_telephone(store.uow(), admin, estate.flats[0].id, "02079460001")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        estate.flats[0].id, "Flat 1", "1", call_chain=[CallStep(phone.id, 20)]))
    with pytest.raises(Conflict, match="called by a panel display"):
        await residents.update_telephone(store.uow(), admin, phone.id,
                                         kind=TelephoneKind.EMAIL, value="a@b.example")


async def test_one_code_one_holder_across_flats_and_providers(store, admin, estate):
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, code_main_door="1234")
    company = await facilities.save_company(store.uow(), admin, ManagementCompany("Lifts"))
    with pytest.raises(Conflict, match="1234"):
        await facilities.save_provider(store.uow(), admin, ServiceProvider(
            company.id, "Sam", code_door="1234"))
    await facilities.save_provider(store.uow(), admin, ServiceProvider(
        company.id, "Sam", code_door="4321"))
    with pytest.raises(Conflict, match="provider Sam"):
        await flats.update_flat(store.uow(), admin, estate.flats[1].id, code_main_door="4321")


async def test_deleting_a_device_a_task_uses_names_the_task(store, admin, estate, provider):
    await facilities.save_task(store.uow(), admin, Task("Lift check", provider.company_id,
                                                         provider.id,
                                                         [estate.site.id], {},
                                                         [TaskDoor(estate.door.id,
                                                                   by_code=True)]))
    await schedules.save_access_profile(store.uow(), admin, AccessProfile(
        estate.site.id, estate.profile.name, None, [], id=estate.profile.id))
    with pytest.raises(Conflict, match="task 'Lift check'"):
        await devices.delete_device(store.uow(), admin, estate.panel.id)


async def test_a_users_manager_cannot_strip_those_who_hold_more(store, admin, estate):
    custom = await make_operator(store, admin, "hr@test.example", estate.site.id,
                                 Profile.CUSTOM, custom=["users:modify"])
    boss = await make_operator(store, admin, "boss@test.example", estate.site.id,
                               Profile.ADMINISTRATION)
    with pytest.raises(PermissionDenied, match="holds more rights"):
        await operators.revoke_site(store.uow(), custom, boss.operator.id, estate.site.id)
    with pytest.raises(PermissionDenied):
        await operators.revoke_site(store.uow(), custom, admin.operator.id, estate.site.id)


async def test_an_online_report_clears_only_earlier_offline_alarms(store, estate):
    writer = await store.event_writer()
    t0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    for minute, kind in ((0, EventKind.DEVICE_OFFLINE), (1, EventKind.DEVICE_ONLINE),
                         (2, EventKind.DEVICE_OFFLINE)):
        writer.append(Event(t0.replace(minute=minute), estate.site.id, kind,
                            EventResult.ALARM, estate.panel.id))
    await writer.flush()
    with sqlite3.connect(store.where) as con:
        rows = con.execute("SELECT raised_at, cleared_at IS NOT NULL FROM alarms ORDER BY id"
                           ).fetchall()
    assert [cleared for _, cleared in rows] == [1, 0]


async def test_after_a_restart_an_open_offline_alarm_clears_on_the_first_report(store,
                                                                               estate):
    published = []

    class Sink:
        def append(self, event):
            published.append(event)

    runtime = Runtime(await load_snapshot(store), Sink(), lambda msg: None)
    runtime.mark_offline([estate.panel.id])
    runtime.report(StatusReport(estate.panel.id, Status.TAMPER,
                                datetime(2026, 11, 27, 9, 0, tzinfo=UTC)))
    assert [e.kind for e in published] == [EventKind.DEVICE_ONLINE, EventKind.TAMPER]


async def test_a_naive_time_from_a_driver_is_taken_as_utc(store, estate):
    recorded = []

    class Sink:
        def append(self, event):
            recorded.append(event)

    runtime = Runtime(await load_snapshot(store), Sink(), lambda msg: None)
    runtime.report(AccessRequest(estate.panel.id, estate.door.id, Credential.APASS,
                                 "1234567890", datetime(2026, 11, 27, 9, 0)))
    assert recorded[0].at.tzinfo is UTC


def test_an_interrupted_demo_build_is_named_not_reused(cli, tmp_path):
    path = tmp_path / "half.db"
    out = cli("init", "--admin", "a@example.org", "--db", str(path))
    assert out.returncode == 0
    con = sqlite3.connect(path)
    con.execute("INSERT INTO sites (name, default_country, timezone, max_panels, max_flats, "
                "max_foreign_numbers, max_panel_names, residents_dial_to_open, notes) "
                "VALUES ('Half', 'GB', 'Europe/London', 1, 1, 1, 1, 0, '')")
    con.commit()
    con.close()
    out = cli("demo", "--no-ui", "--db", str(path))
    assert out.returncode == 2 and "not a finished demo" in out.stderr


def test_a_store_from_a_newer_version_gets_one_line(cli, tmp_path):
    path = tmp_path / "new.db"
    assert cli("init", "--admin", "a@example.org", "--db", str(path)).returncode == 0
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    out = cli("audit", "verify", "--db", str(path))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "newer version" in out.stderr and "Traceback" not in out.stderr



async def test_changing_a_sites_country_re_marks_foreign_numbers(store, admin, estate):
    from core.errors import QuotaExceeded
    from core.model import Telephone

    uk = await residents.add_telephone(store.uow(), admin, estate.flats[0].id, "07546277360")
    fr = await residents.add_telephone(store.uow(), admin, estate.flats[1].id, "+33199001234")
    # quota 1 foreign number: in France the French number is at home, the UK one foreign
    await sites.update_site(store.uow(), admin, estate.site.id, default_country="FR")
    async with store.reader() as uow:
        assert (await uow.get(Telephone, uk.id)).foreign
        assert not (await uow.get(Telephone, fr.id)).foreign
    await residents.add_telephone(store.uow(), admin, estate.flats[2].id, "+33199001235")
    with pytest.raises(QuotaExceeded):
        await residents.add_telephone(store.uow(), admin, estate.flats[2].id, "+442079460001")
    # back in the UK the two French numbers would be foreign with a quota of 1: refused
    before = dump_database(store.where)
    with pytest.raises(QuotaExceeded, match="2 are in use"):
        await sites.update_site(store.uow(), admin, estate.site.id, default_country="GB")
    assert dump_database(store.where) == before
