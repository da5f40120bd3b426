"""The guide's rules, enforced through the services against a real store."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import Conflict, QuotaExceeded, ValidationError
from core.model import (
    AccessPass,
    APassState,
    CallStep,
    Device,
    DeviceType,
    Door,
    Flat,
    ManagementCompany,
    PanelDisplay,
    ServiceProvider,
    Telephone,
    TelephoneKind,
)
from core.services import (
    access_passes,
    devices,
    facilities,
    flats,
    residents,
)
from tests.conftest import dump_store

pytestmark = pytest.mark.both_engines

# --- telephones ------------------------------------------------------------------


@pytest.mark.parametrize(("written", "stored"), [
    ("0044 7546 277360", "+447546277360"),
    ("07546277360", "+447546277360"),
    ("+44 7546 277360", "+447546277360"),
    ("00447546288399", "+447546288399"),
])
async def test_telephone_forms_of_the_guide_are_stored_as_e164(store, admin, estate, written,
                                                              stored):
    phone = await residents.add_telephone(store.uow(), admin, estate.flats[0].id, written)
    assert phone.value == stored and phone.country == "GB" and not phone.foreign


async def test_a_flat_has_at_most_three_telephones_or_emails(store, admin, estate):
    flat = estate.flats[0].id
    for number in ("02079460001", "02079460002"):
        await residents.add_telephone(store.uow(), admin, flat, number)
    await residents.add_telephone(store.uow(), admin, flat, "a@b.example", TelephoneKind.EMAIL)
    with pytest.raises(ValidationError, match="maximum of 3"):
        await residents.add_telephone(store.uow(), admin, flat, "02079460003")


async def test_foreign_numbers_count_against_the_site_quota(store, admin, estate):
    # The estate's quota of foreign numbers is 1.
    phone = await residents.add_telephone(store.uow(), admin, estate.flats[0].id,
                                          "+33 1 99 00 12 34")
    assert phone.foreign and phone.country == "FR"
    with pytest.raises(QuotaExceeded, match="Foreign"):
        await residents.add_telephone(store.uow(), admin, estate.flats[1].id, "+33199001235")
    # a national number still fits
    await residents.add_telephone(store.uow(), admin, estate.flats[1].id, "02079460004")


async def test_changing_a_foreign_number_to_another_foreign_one_fits_the_quota(store, admin,
                                                                              estate):
    phone = await residents.add_telephone(store.uow(), admin, estate.flats[0].id,
                                          "+33199001234")
    changed = await residents.update_telephone(store.uow(), admin, phone.id,
                                               value="+33199001299")
    assert changed.value == "+33199001299"


@pytest.mark.parametrize("bad", ["", "12", "not a number", "0207946", "+999 123"])
async def test_bad_telephone_numbers_are_refused(store, admin, estate, bad):
    with pytest.raises(ValidationError) as err:
        await residents.add_telephone(store.uow(), admin, estate.flats[0].id, bad)
    assert err.value.field == "value"


async def test_the_same_number_twice_in_a_flat_is_refused(store, admin, estate):
    await residents.add_telephone(store.uow(), admin, estate.flats[0].id, "02079460001")
    with pytest.raises(Conflict):
        await residents.add_telephone(store.uow(), admin, estate.flats[0].id, "+442079460001")


async def test_deleting_a_telephone_a_display_calls_is_refused_and_says_so(store, admin, estate):
    flat = estate.flats[0].id
    phone = await residents.add_telephone(store.uow(), admin, flat, "02079460001")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        flat, "Flat 1", "A1", call_chain=[CallStep(phone.id, 20)]))
    before = await dump_store(store)
    with pytest.raises(Conflict, match="still called by panel display 'Flat 1'"):
        await residents.delete_telephone(store.uow(), admin, phone.id)
    assert await dump_store(store) == before


async def test_a_telephone_no_display_calls_can_be_deleted(store, admin, estate):
    phone = await residents.add_telephone(store.uow(), admin, estate.flats[0].id, "02079460001")
    await residents.delete_telephone(store.uow(), admin, phone.id)
    async with store.reader() as uow:
        assert await uow.get(Telephone, phone.id) is None


# --- panel displays ---------------------------------------------------------------


async def _phones(store, admin, flat_id, n):
    return [await residents.add_telephone(store.uow(), admin, flat_id, f"02079460{flat_id % 100:02d}{i}")
            for i in range(n)]


async def test_a_display_calls_up_to_three_of_its_flats_numbers(store, admin, estate):
    flat = estate.flats[0].id
    phones = await _phones(store, admin, flat, 3)
    display = await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        flat, "Sully Garfield", "a22", call_chain=[CallStep(p.id, 20) for p in phones]))
    assert display.call_code == "A22"
    assert display.access_profile_id == estate.profile.id  # the block's default profile
    async with store.reader() as uow:
        again = await uow.get(PanelDisplay, display.id)
    assert [s.telephone_id for s in again.call_chain] == [p.id for p in phones]


@pytest.mark.parametrize(("chain", "field"), [
    ("other flat", "call_chain.1"),
    ("same twice", "call_chain.2"),
    ("ring 4 s", "call_chain.1.ring_seconds"),
    ("ring 121 s", "call_chain.1.ring_seconds"),
    ("empty", "call_chain"),
])
async def test_bad_call_chains_are_refused(store, admin, estate, chain, field):
    flat, other = estate.flats[0].id, estate.flats[1].id
    mine = (await _phones(store, admin, flat, 1))[0]
    theirs = (await _phones(store, admin, other, 1))[0]
    steps = {
        "other flat": [CallStep(theirs.id, 20)],
        "same twice": [CallStep(mine.id, 20), CallStep(mine.id, 20)],
        "ring 4 s": [CallStep(mine.id, 4)],
        "ring 121 s": [CallStep(mine.id, 121)],
        "empty": [],
    }[chain]
    with pytest.raises(ValidationError) as err:
        await residents.add_panel_display(store.uow(), admin, PanelDisplay(
            flat, "Flat 1", "1", call_chain=steps))
    assert err.value.field == field


async def test_hardwired_display_needs_no_number(store, admin, estate):
    d = await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        estate.flats[0].id, "Flat 1", "1", hardwired=True))
    assert d.call_chain == []


async def test_names_on_panels_quota_and_the_remaining_count(store, admin, estate):
    # quota 3 names; the guide shows "You can still program N names"
    for i, flat in enumerate(estate.flats):
        await residents.add_panel_display(store.uow(), admin, PanelDisplay(
            flat.id, f"Flat {i}", str(i + 1), hardwired=True))
    async with store.reader() as uow:
        assert estate.site.max_panel_names - (await uow.site_usage(estate.site.id))[
            "panel_names"] == 0
    with pytest.raises(QuotaExceeded, match="names on panels"):
        await residents.add_panel_display(store.uow(), admin, PanelDisplay(
            estate.flats[0].id, "Second name", "9", hardwired=True))


async def test_call_codes_are_unique_in_a_block(store, admin, estate):
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        estate.flats[0].id, "Flat 1", "A1", hardwired=True))
    with pytest.raises(Conflict, match="Call code A1"):
        await residents.add_panel_display(store.uow(), admin, PanelDisplay(
            estate.flats[1].id, "Flat 2", "a1", hardwired=True))


# --- flats -------------------------------------------------------------------------


async def test_flat_quota_is_enforced_for_batches_all_or_nothing(store, admin, estate):
    # 3 of 5 flats used: 3 more do not fit, and none is created
    with pytest.raises(QuotaExceeded, match="3 / 5"):
        await flats.create_flats(store.uow(), admin, estate.block.id, 10, 3)
    made = await flats.create_flats(store.uow(), admin, estate.block.id, 10, 2)
    assert [f.number for f in made] == ["010", "011"]
    with pytest.raises(QuotaExceeded):
        await flats.create_flat(store.uow(), admin, Flat(estate.block.id, "099", "Appt. 099"))


@pytest.mark.parametrize(("changes", "field"), [
    ({"code_main_door": "12a4"}, "code_main_door"),
    ({"code_aux_relay_1": "123"}, "code_aux_relay_1"),
    ({"code_aux_relay_2": "123456789"}, "code_aux_relay_2"),
    ({"notes": "x" * 161}, "notes"),
    ({"name": ""}, "name"),
    ({"floor": "ground"}, "floor"),
    ({"number": "0 1"}, "number"),
])
async def test_bad_flat_fields_are_refused_with_the_field_named(store, admin, estate, changes,
                                                               field):
    with pytest.raises(ValidationError) as err:
        await flats.update_flat(store.uow(), admin, estate.flats[0].id, **changes)
    assert err.value.field == field


async def test_flat_fields_of_the_guide_are_kept(store, admin, estate):
    flat = await flats.update_flat(store.uow(), admin, estate.flats[0].id, floor=2,
                                   code_main_door="1234", code_aux_relay_1="6973",
                                   notes="x" * 160)
    async with store.reader() as uow:
        again = await uow.get(Flat, flat.id)
    assert (again.floor, again.code_main_door, again.code_aux_relay_1, len(again.notes)) == \
        (2, "1234", "6973", 160)
    assert len(again.temporary_id) == 9


async def test_a_keypad_code_opens_for_one_flat_only(store, admin, estate):
    await flats.update_flat(store.uow(), admin, estate.flats[0].id, code_main_door="1234")
    with pytest.raises(Conflict, match="already used by Appt. 001"):
        await flats.update_flat(store.uow(), admin, estate.flats[1].id, code_main_door="1234")


async def test_a_flat_with_passes_cannot_be_deleted(store, admin, estate):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             flat_id=estate.flats[0].id)
    with pytest.raises(Conflict, match="APass"):
        await flats.delete_flat(store.uow(), admin, estate.flats[0].id)


# --- access passes ------------------------------------------------------------------


async def test_batch_creation_is_consecutive_and_assigned(store, admin, estate):
    made = await access_passes.create_access_passes(
        store.uow(), admin, estate.site.id, "0082101960", 3, flat_id=estate.flats[0].id,
        resident="Sully Garfield")
    assert [p.number for p in made] == ["0082101960", "0082101961", "0082101962"]
    assert {(p.state, p.access_profile_id, p.resident) for p in made} == {
        (APassState.ASSIGNED, estate.profile.id, "Sully Garfield")}


async def test_batch_is_all_or_nothing_when_any_number_is_taken(store, admin, estate):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100005")
    before = await dump_store(store)
    with pytest.raises(Conflict, match="1111100005"):
        await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                                 "1111100000", 10)
    assert await dump_store(store) == before


async def test_a_providers_number_is_taken_for_apasses(store, admin, estate):
    company = await facilities.save_company(store.uow(), admin, ManagementCompany("IP Door"))
    await facilities.save_provider(store.uow(), admin, ServiceProvider(
        company.id, "Solomon", apass_number="1364589620"))
    with pytest.raises(Conflict):
        await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                                 "1364589620")


@pytest.mark.parametrize("first", ["123456789", "12345678901", "12345abcde", ""])
async def test_apass_numbers_are_exactly_ten_digits(store, admin, estate, first):
    with pytest.raises(ValidationError):
        await access_passes.create_access_passes(store.uow(), admin, estate.site.id, first)


async def test_stock_deletes_programming_lost_keeps_it_and_found_is_reassigned(store, admin,
                                                                               estate):
    flat = estate.flats[0].id
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100010",
                                             2, flat_id=flat, resident="Jolly, Michael")
    lost = await access_passes.send_to_lost(store.uow(), admin, "1111100010",
                                            notes="Lost in the park")
    assert (lost.state, lost.flat_id, lost.resident, lost.access_profile_id) == (
        APassState.LOST, flat, "Jolly, Michael", estate.profile.id)
    assert not lost.enabled
    stock = await access_passes.send_to_stock(store.uow(), admin, "1111100011")
    assert (stock.state, stock.flat_id, stock.resident, stock.access_profile_id) == (
        APassState.STOCK, None, "", None)
    found = await access_passes.assign_to_flat(store.uow(), admin, "1111100010",
                                               estate.flats[1].id, resident="Jolly, Michael")
    assert found.state is APassState.ASSIGNED and found.flat_id == estate.flats[1].id
    async with store.reader() as uow:
        states = {p.number: p.state for p in await uow.find(AccessPass)}
    assert states == {"1111100010": APassState.ASSIGNED, "1111100011": APassState.STOCK}


async def test_stock_batch_goes_to_the_site_stock(store, admin, estate):
    made = await access_passes.create_access_passes(store.uow(), admin, estate.site.id,
                                                    "2000000000", 5)
    assert {p.state for p in made} == {APassState.STOCK}


# --- devices -------------------------------------------------------------------------


async def test_panel_quota(store, admin, estate):
    await devices.create_device(store.uow(), admin, Device(estate.site.id, "Panel 2",
                                                           DeviceType.PANEL_3G))
    with pytest.raises(QuotaExceeded, match="panels"):
        await devices.create_device(store.uow(), admin, Device(estate.site.id, "Panel 3",
                                                               DeviceType.IPGUARD_4G))
    # other devices are not panels
    await devices.create_device(store.uow(), admin, Device(estate.site.id, "Keypad",
                                                           DeviceType.CODE_KEYPAD))


async def test_a_device_with_a_relay_twice_is_not_half_created(store, admin, estate):
    before = await dump_store(store)
    with pytest.raises(Conflict, match="Relay 1"):
        await devices.create_device(store.uow(), admin, Device(
            estate.site.id, "Centrale", DeviceType.CONTROL_UNIT),
            [Door(0, 1, "Back door"), Door(0, 1, "Bin store")])
    assert await dump_store(store) == before


# --- service providers -----------------------------------------------------------


async def _company(store, admin):
    return await facilities.save_company(store.uow(), admin, ManagementCompany("IP Door Entry"))


async def test_provider_validity_defaults_to_three_years(store, admin, estate):
    company = await _company(store, admin)
    p = await facilities.save_provider(store.uow(), admin, ServiceProvider(company.id, "Sol"))
    assert (p.valid_from, p.valid_to) == (date(2026, 11, 27), date(2029, 11, 27))


@pytest.mark.parametrize(("valid_from", "valid_to", "permanent", "ok"), [
    (date(2026, 1, 1), date(2031, 1, 1), False, True),  # exactly 5 years
    (date(2026, 1, 1), date(2031, 1, 2), False, False),  # a day over
    (date(2026, 1, 2), date(2026, 1, 1), False, False),  # To before From
    (None, None, True, True),  # permanent task
])
async def test_provider_validity_limits(store, admin, estate, valid_from, valid_to, permanent,
                                        ok):
    company = await _company(store, admin)
    provider = ServiceProvider(company.id, "Sol", valid_from, valid_to)
    if ok:
        p = await facilities.save_provider(store.uow(), admin, provider, permanent=permanent)
        assert (p.valid_from, p.valid_to) == (valid_from, valid_to)
    else:
        with pytest.raises(ValidationError) as err:
            await facilities.save_provider(store.uow(), admin, provider, permanent=permanent)
        assert err.value.field == "valid_to"


async def test_provider_numbers_and_codes_are_checked(store, admin, estate):
    company = await _company(store, admin)
    with pytest.raises(ValidationError):  # the guide's own example is 9 digits
        await facilities.save_provider(store.uow(), admin, ServiceProvider(
            company.id, "Sol", apass_number="136458962"))
    with pytest.raises(ValidationError):
        await facilities.save_provider(store.uow(), admin, ServiceProvider(
            company.id, "Sol", code_door="12"))
    p = await facilities.save_provider(store.uow(), admin, ServiceProvider(
        company.id, "Sol", mobile="0044 8000 156496".replace("8000 156496", "20 7946 0998"),
        apass_number="1364589620", radio_number="3695843697", code_door="1234"))
    assert p.mobile == "+442079460998"
    # saving again keeps its own numbers without a clash
    again = await facilities.save_provider(store.uow(), admin, p)
    assert again.apass_number == "1364589620"
