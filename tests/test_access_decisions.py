"""Every credential kind and every reason, decided from a snapshot loaded from a real store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

import pytest

from core import access
from core.devices import AccessRequest, Credential
from core.model import (
    AccessProfile,
    CallStep,
    Device,
    DeviceType,
    Door,
    EventKind,
    ManagementCompany,
    PanelDisplay,
    ServiceProvider,
    Task,
    TaskDoor,
    TimeWindow,
    WeekType,
)
from core.services import access_passes, devices, facilities, flats, residents, schedules, sites
from store.snapshot import load_snapshot
from tests.conftest import seeded

pytestmark = pytest.mark.both_engines

# Friday 27 November 2026, 10:00 in London (UTC in winter); and a Sunday night.
WEEKDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SUNDAY_NIGHT = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
CHRISTMAS_NOON = datetime(2026, 12, 25, 12, 0, tzinfo=UTC)


@dataclass
class World:
    snapshot: access.AccessSnapshot
    panel: Device
    keypad: Device
    key_safe: Device
    receiver: Device
    main: Door
    aux: Door
    side_gate: Door


@pytest.fixture
async def world(request, store, admin, estate) -> World:
    """The small estate plus: codes, a display, passes in every state, providers (built
    once per test process, then copied: tests/conftest.py's `seeded`)."""
    return await seeded(request, store, lambda: build_world(store, admin, estate))


async def build_world(store, admin, estate) -> World:
    site, block = estate.site, estate.block
    flat1, flat2, flat3 = estate.flats
    await sites.update_site(store.uow(), admin, site.id, residents_dial_to_open=True,
                            max_panel_names=10, max_foreign_numbers=5)
    await devices.save_door(store.uow(), admin, Door(estate.panel.id, 2, "Bin store"))
    keypad = await devices.create_device(store.uow(), admin, Device(
        site.id, "Side keypad", DeviceType.CODE_KEYPAD, block_id=block.id),
        [Door(0, 1, "Side gate")])
    key_safe = await devices.create_device(store.uow(), admin, Device(
        site.id, "Key safe", DeviceType.KEY_SAFE, block_id=block.id), [Door(0, 1, "Keys")])
    receiver = await devices.create_device(store.uow(), admin, Device(
        site.id, "Car park receiver", DeviceType.RADIO_RECEIVER, block_id=block.id),
        [Door(0, 1, "Car park")])
    async with store.reader() as uow:
        aux = (await uow.find(Door, device_id=estate.panel.id, relay=2))[0]
        side_gate = (await uow.find(Door, device_id=keypad.id))[0]
        keys = (await uow.find(Door, device_id=key_safe.id))[0]
        car_park = (await uow.find(Door, device_id=receiver.id))[0]
    # the block's profile opens the main entrance and the bin store, always
    await schedules.save_access_profile(store.uow(), admin, AccessProfile(
        site.id, estate.profile.name, estate.week_type.id, [estate.door.id, aux.id],
        id=estate.profile.id))
    office = await schedules.save_week_type(store.uow(), admin, WeekType(
        site.id, "Office hours", [TimeWindow(d, time(8), time(18)) for d in range(5)]))
    office_profile = await schedules.save_access_profile(store.uow(), admin, AccessProfile(
        site.id, "Office only", office.id, [estate.door.id]))
    await schedules.add_holiday(store.uow(), admin, site.id, date(2026, 12, 25), "Christmas")
    # flat 1: codes and a display (codes only count with a display); flat 2: a code, no display
    await flats.update_flat(store.uow(), admin, flat1.id, code_main_door="1234",
                            code_aux_relay_1="6973")
    await flats.update_flat(store.uow(), admin, flat2.id, code_main_door="5555")
    phone = await residents.add_telephone(store.uow(), admin, flat1.id, "07546277360")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        flat1.id, "Sully Garfield", "A1", call_chain=[CallStep(phone.id, 20)]))
    # passes: assigned, radio, lost, stock, office-hours only
    await access_passes.create_access_passes(store.uow(), admin, site.id, "1111100000", 2,
                                             flat_id=flat1.id, resident="Sully Garfield")
    await access_passes.send_to_lost(store.uow(), admin, "1111100001")
    await access_passes.create_access_passes(store.uow(), admin, site.id, "2222200000",
                                             type="radio transmitter", flat_id=flat3.id)
    await access_passes.create_access_passes(store.uow(), admin, site.id, "3333300000")
    await access_passes.create_access_passes(store.uow(), admin, site.id, "4444400000",
                                             flat_id=flat2.id, access_profile_id=office_profile.id)
    # providers: current (office-hours task), expired, not started
    company = await facilities.save_company(store.uow(), admin, ManagementCompany("IP Door"))
    current = await facilities.save_provider(store.uow(), admin, ServiceProvider(
        company.id, "Solomon", date(2026, 1, 1), date(2026, 12, 31), mobile="+442079460998",
        apass_number="1364589620", radio_number="3695843697", code_door="2468",
        code_key_safe="8642"))
    expired = await facilities.save_provider(store.uow(), admin, ServiceProvider(
        company.id, "Lee (left)", date(2023, 1, 1), date(2025, 1, 1),
        apass_number="0758008974", code_door="1357"))
    future = await facilities.save_provider(store.uow(), admin, ServiceProvider(
        company.id, "New starter", date(2027, 1, 1), date(2027, 6, 1),
        apass_number="0758008975"))
    all_ways = dict(by_code=True, by_apass=True, by_telephone=True)  # what a panel offers
    await facilities.save_task(store.uow(), admin, Task(
        "Maintenance", company.id, current.id, [site.id], {site.id: office.id},
        [TaskDoor(estate.door.id, **all_ways), TaskDoor(keys.id, by_code=True),
         TaskDoor(car_park.id, by_radio=True)]))
    for p in (expired, future):
        await facilities.save_task(store.uow(), admin, Task(
            f"Task of {p.name}", company.id, p.id, [site.id], {site.id: None},
            [TaskDoor(estate.door.id, by_code=True, by_apass=True)]))
    snapshot = await load_snapshot(store)
    async with store.reader() as uow:
        panel = await uow.get(Device, estate.panel.id)
    return World(snapshot, panel, keypad, key_safe, receiver, estate.door, aux, side_gate)


# (name, credential, value, device, at, granted, reason, door relay opened or None)
CASES = [
    ("fob of a resident", Credential.APASS, "1111100000", "panel", WEEKDAY, True, "", 1),
    ("fob at the door of a reader", Credential.APASS, "1111100000", "aux", WEEKDAY, True, "", 2),
    ("radio transmitter", Credential.RADIO, "2222200000", "panel", WEEKDAY, True, "", 1),
    ("fob never seen", Credential.APASS, "9999999999", "panel", WEEKDAY, False,
     access.APASS_UNKNOWN, None),
    ("lost fob", Credential.APASS, "1111100001", "panel", WEEKDAY, False, access.APASS_LOST,
     None),
    ("fob in stock", Credential.APASS, "3333300000", "panel", WEEKDAY, False,
     access.APASS_IN_STOCK, None),
    ("office fob at office hours", Credential.APASS, "4444400000", "panel", WEEKDAY, True, "",
     1),
    ("office fob on Sunday night", Credential.APASS, "4444400000", "panel", SUNDAY_NIGHT, False,
     access.OUTSIDE_WEEK_TYPE, None),
    ("office fob on a holiday weekday", Credential.APASS, "4444400000", "panel",
     CHRISTMAS_NOON, False, access.OUTSIDE_WEEK_TYPE, None),
    ("resident fob at a door not in the profile", Credential.APASS, "1111100000", "keypad",
     WEEKDAY, False, access.NOT_ON_THIS_DOOR, None),
    ("main door code", Credential.CODE, "1234", "panel", WEEKDAY, True, "", 1),
    ("AUX relay 1 code opens relay 2", Credential.CODE, "6973", "panel", WEEKDAY, True, "", 2),
    ("code of a flat without a display", Credential.CODE, "5555", "panel", WEEKDAY, False,
     access.CODE_UNKNOWN, None),
    ("wrong code", Credential.CODE, "0000", "panel", WEEKDAY, False, access.CODE_UNKNOWN, None),
    ("provider's door code at hours", Credential.CODE, "2468", "panel", WEEKDAY, True, "", 1),
    ("provider's door code at night", Credential.CODE, "2468", "panel", SUNDAY_NIGHT, False,
     access.OUTSIDE_WEEK_TYPE, None),
    ("provider's key safe code", Credential.CODE, "8642", "key_safe", WEEKDAY, True, "", 1),
    ("expired provider's code", Credential.CODE, "1357", "panel", WEEKDAY, False,
     access.VALIDITY_EXPIRED, None),
    ("provider's fob", Credential.APASS, "1364589620", "panel", WEEKDAY, True, "", 1),
    ("provider's radio transmitter", Credential.RADIO, "3695843697", "receiver", WEEKDAY,
     True, "", 1),
    ("provider's fob at a door outside the task", Credential.APASS, "1364589620", "keypad",
     WEEKDAY, False, access.NOT_ON_THIS_DOOR, None),
    ("expired provider's fob", Credential.APASS, "0758008974", "panel", WEEKDAY, False,
     access.VALIDITY_EXPIRED, None),
    ("provider not started yet", Credential.APASS, "0758008975", "panel", WEEKDAY, False,
     access.NOT_VALID_YET, None),
    ("provider dials to open", Credential.TELEPHONE, "+442079460998", "panel", WEEKDAY, True,
     "", 1),
    ("resident dials to open (site allows it)", Credential.TELEPHONE, "+447546277360",
     "panel", WEEKDAY, True, "", 1),
    ("unknown caller", Credential.TELEPHONE, "+442079460000", "panel", WEEKDAY, False,
     access.TELEPHONE_UNKNOWN, None),
]


def _device(world: World, where: str) -> tuple[int, int | None]:
    return {"panel": (world.panel.id, world.main.id), "aux": (world.panel.id, world.aux.id),
            "keypad": (world.keypad.id, world.side_gate.id),
            "key_safe": (world.key_safe.id, None), "receiver": (world.receiver.id, None)}[where]


@pytest.mark.parametrize(("name", "credential", "value", "where", "at", "granted", "reason",
                          "relay"), CASES, ids=[c[0] for c in CASES])
async def test_decision(world, name, credential, value, where, at, granted, reason, relay):
    device_id, door_id = _device(world, where)
    decision = world.snapshot.decide(AccessRequest(device_id, door_id, credential, value, at))
    assert (decision.granted, decision.reason) == (granted, reason)
    assert decision.result.value == ("Opening" if granted else "Opening DENIED")
    if relay is not None:
        assert decision.door.relay == relay
        assert decision.door.device_id == device_id
    assert decision.kind is access.KIND_OF[credential] or (
        credential is Credential.APASS and decision.kind is EventKind.OPEN_BY_RADIO_TRANSMITTER)


async def test_descriptions_carry_the_guides_fields(world):
    fob = world.snapshot.decide(AccessRequest(world.panel.id, world.main.id, Credential.APASS,
                                              "1111100001", WEEKDAY))
    assert fob.description.startswith("APass number : 1111100001 (Resident) Name associated "
                                      ": Sully Garfield")
    assert "Pattern : APass lost" in fob.description
    code = world.snapshot.decide(AccessRequest(world.panel.id, None, Credential.CODE, "1234",
                                               WEEKDAY))
    assert code.description == "Code entered : 1234 Info : Block C/Appt. 001"
    assert code.flat_id is not None and code.name == "Appt. 001"


async def test_residents_cannot_dial_to_open_where_the_site_does_not_allow_it(store, admin,
                                                                              world):
    world.snapshot.sites[world.panel.site_id].site.residents_dial_to_open = False
    d = world.snapshot.decide(AccessRequest(world.panel.id, world.main.id,
                                            Credential.TELEPHONE, "+447546277360", WEEKDAY))
    assert (d.granted, d.reason) == (False, access.TELEPHONE_UNKNOWN)


async def test_unknown_device_is_refused_not_crashed(world):
    d = world.snapshot.decide(AccessRequest(99999, None, Credential.APASS, "1111100000",
                                            WEEKDAY))
    assert not d.granted and d.reason == access.NO_DOOR


async def test_changes_are_applied_from_the_audit_trail(store, admin, estate, world):
    """Lost, then found and given to another flat: each change honoured after apply_changes."""
    from store.snapshot import apply_changes, changes_since, last_change_id

    def present():
        return world.snapshot.decide(AccessRequest(world.panel.id, world.main.id,
                                                   Credential.APASS, "1111100000", WEEKDAY))

    seen = await last_change_id(store)
    await access_passes.send_to_lost(store.uow(), admin, "1111100000")
    assert present().granted  # not yet applied
    changes = await changes_since(store, seen)
    assert [c.action for c in changes] == ["access_pass.lost"]
    reloaded = await apply_changes(store, world.snapshot, changes)
    assert reloaded == set()  # one pass updated in place, no site reload
    assert present().reason == access.APASS_LOST
    seen = changes[-1].id
    await access_passes.assign_to_flat(store.uow(), admin, "1111100000", estate.flats[2].id,
                                       resident="Found Again")
    await apply_changes(store, world.snapshot, await changes_since(store, seen))
    again = present()
    assert again.granted and again.flat_id == estate.flats[2].id and again.name == "Found Again"


def _provider_part(snapshot: access.AccessSnapshot) -> tuple:
    """The providers' indexes, to compare an updated snapshot with a fresh load."""
    codes = {c: sorted(v, key=str) for c, v in snapshot.provider_codes.items()}
    return (snapshot.providers, snapshot.provider_by_number, snapshot.provider_by_mobile,
            codes, snapshot.provider_doors)


async def test_facilities_changes_reload_only_the_task_or_provider(
        store, admin, world, monkeypatch):
    """A task change flips a decision, a deleted provider's credentials are refused, and
    the snapshot matches a fresh load, without reloading every provider and task."""
    import store.snapshot as feed

    async def whole_reload(*_):
        raise AssertionError("every provider and task reloaded for a change with an id")

    monkeypatch.setattr(feed, "reload_facilities", whole_reload)  # only to prove it unused

    def code(value: str, at=SUNDAY_NIGHT):
        return world.snapshot.decide(AccessRequest(world.panel.id, None, Credential.CODE,
                                                   value, at))

    async def apply(change) -> None:
        seen = await feed.last_change_id(store)
        await change
        await feed.apply_changes(store, world.snapshot, await feed.changes_since(store, seen))

    async with store.reader() as uow:
        tasks = {t.name: t for t in await uow.find(Task)}
        providers = {p.name: p for p in await uow.find(ServiceProvider)}
    assert code("2468").reason == access.OUTSIDE_WEEK_TYPE  # office hours only
    maintenance = tasks["Maintenance"]
    maintenance.week_type_ids = {maintenance.site_ids[0]: None}
    await apply(facilities.save_task(store.uow(), admin, maintenance))
    assert code("2468").granted  # the one task changed: now always
    solomon = providers["Solomon"]
    solomon.code_door = "2469"
    await apply(facilities.save_provider(store.uow(), admin, solomon))
    assert code("2468").reason == access.CODE_UNKNOWN and code("2469").granted
    await apply(facilities.delete_task(store.uow(), admin, tasks["Task of Lee (left)"].id))
    await apply(facilities.delete_provider(store.uow(), admin, providers["Lee (left)"].id))
    assert code("1357", WEEKDAY).reason == access.CODE_UNKNOWN
    fob = world.snapshot.decide(AccessRequest(world.panel.id, world.main.id,
                                              Credential.APASS, "0758008974", WEEKDAY))
    assert fob.reason == access.APASS_UNKNOWN
    monkeypatch.undo()
    assert _provider_part(world.snapshot) == _provider_part(await load_snapshot(store))


async def test_the_bulk_read_of_the_facilities_book_is_what_the_unit_of_work_reads(
        store, world):
    """The gateway's start reads every provider and task in bulk (store.snapshot): the
    same objects as the generic unit of work's, task doors in any order."""
    from store.snapshot import read_facilities

    def doors_sorted(tasks: list[Task]) -> list[Task]:
        return [replace(t, doors=sorted(t.doors, key=lambda d: d.door_id)) for t in tasks]

    async with store.reader() as uow:
        providers, tasks = await uow.find(ServiceProvider), await uow.find(Task)
    bulk_providers, bulk_tasks = await read_facilities(store)
    assert tasks and bulk_providers == providers
    assert doors_sorted(bulk_tasks) == doors_sorted(tasks)


def test_a_site_reload_reindexes_only_the_providers_whose_doors_came_went_or_moved():
    """Re-indexing every provider with a task on a reloaded site held the gateway's loop
    half a second on a 20,000-task book; a reload that changes no door re-indexes none."""
    from core.provider_index import ProviderBook

    book = ProviderBook()
    book.door_site = {1: 10, 2: 10, 3: 20}
    for site_id in (10, 20):
        book.index_site_tasks(site_id)
    amy, bob = ServiceProvider(1, "Amy", None, None, id=1), ServiceProvider(1, "Bob", None,
                                                                            None, id=2)
    book.load_facilities([amy, bob], [
        Task("A", 1, 1, [10], {10: 5}, [TaskDoor(1, by_code=True)], id=1),
        Task("B", 1, 2, [10, 20], {10: 6, 20: None}, [TaskDoor(3, by_apass=True)], id=2)])
    before = dict(book.provider_doors)
    book.index_site_tasks(10)  # a flat or a week type changed: the same doors
    assert all(book.provider_doors[p] is grants for p, grants in before.items())
    book.door_site[3] = 10  # door 3 moved to site 10: Bob's grant takes its week type
    book.index_site_tasks(10)
    assert book.provider_doors[1] is before[1]
    assert book.provider_doors[2][3].week_type_id == 6 and before[2][3].week_type_id is None
