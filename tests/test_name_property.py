"""Issue 13's property: for any text given to any name field of any service, either a
named refusal, or a stored value that is NFC, free of control and invisible format
characters, and equal (after normalisation) to what the console then shows.

Each field is changed through its service on a real store; the stored value is read back
from the store, and "what the console shows" is `console.widgets.plain.plain`, what every
table and dialog draws names with."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.widgets.plain import plain
from core.errors import Conflict, ValidationError
from core.model import (
    AccessPass,
    AccessProfile,
    Block,
    Device,
    Door,
    Flat,
    ManagementCompany,
    Operator,
    PanelDisplay,
    Site,
    WeekType,
)
from core.names import invisible_chars, is_invisible, name_key
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
from core.text import has_control_chars


async def _site(st_, a, e, n):
    return Site, (await sites.update_site(st_.uow(), a, e.site.id, name=n)).id, "name"


async def _block(st_, a, e, n):
    return Block, (await blocks.update_block(st_.uow(), a, e.block.id, name=n)).id, "name"


async def _flat(st_, a, e, n):
    return Flat, (await flats.update_flat(st_.uow(), a, e.flats[0].id, name=n)).id, "name"


async def _device(st_, a, e, n):
    return Device, (await devices.update_device(st_.uow(), a, e.panel.id, name=n)).id, "name"


async def _door(st_, a, e, n):
    return Door, (await devices.save_door(st_.uow(), a, replace(e.door, name=n))).id, "name"


async def _week_type(st_, a, e, n):
    wt = await schedules.save_week_type(st_.uow(), a, replace(e.week_type, name=n))
    return WeekType, wt.id, "name"


async def _profile(st_, a, e, n):
    p = await schedules.save_access_profile(st_.uow(), a, replace(e.profile, name=n))
    return AccessProfile, p.id, "name"


async def _company(st_, a, e, n):
    c = await facilities.save_company(st_.uow(), a, ManagementCompany(name=n))
    return ManagementCompany, c.id, "name"


async def _company_person(st_, a, e, n):
    c = await facilities.save_company(st_.uow(), a, ManagementCompany(
        name=f"Firm {len(n)} {abs(hash(n))}", person_in_charge=n))
    return ManagementCompany, c.id, "person_in_charge"


async def _operator(st_, a, e, n):
    op = await operators.add_operator(st_.uow(), a, Operator(
        email=f"p{abs(hash(n))}@test.example", name=n))
    return Operator, op.id, "name"


async def _display(st_, a, e, n):
    async with st_.reader() as uow:
        found = await uow.find(PanelDisplay, flat_id=e.flats[1].id)
    if found:
        d = await residents.update_panel_display(st_.uow(), a, found[0].id, display_name=n)
    else:
        d = await residents.add_panel_display(st_.uow(), a, PanelDisplay(
            flat_id=e.flats[1].id, display_name=n, call_code="A1", hardwired=True))
    return PanelDisplay, d.id, "display_name"


async def _resident(st_, a, e, n):
    async with st_.reader() as uow:
        found = await uow.find(AccessPass, number="1111100000")
    if not found:
        await access_passes.create_access_passes(st_.uow(), a, e.site.id, "1111100000", 1,
                                                 flat_id=e.flats[2].id)
    ap = await access_passes.update_access_pass(st_.uow(), a, "1111100000", resident=n)
    return AccessPass, ap.id, "resident"


FIELDS = [_site, _block, _flat, _device, _door, _week_type, _profile, _company,
          _company_person, _operator, _display, _resident]

# any text, with the characters of the look-alikes and escapes drawn often
NAMES = st.one_of(
    st.text(max_size=70),
    st.text(st.sampled_from(list("Zoe\u0308ë \u00a0\u200b\u2060\ufeff\u200d\x1b[2J\t\u3000"
                                 "\u2028AB-")), max_size=20),
)


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.__name__.strip("_"))
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(name=NAMES)
async def test_any_name_is_refused_by_name_or_stored_in_one_clean_form(store, admin, estate,
                                                                        field, name):
    try:
        cls, obj_id, attr = await field(store, admin, estate, name)
    except (ValidationError, Conflict) as err:
        assert err.message and err.field in {None, "name", "display_name", "resident",
                                             "person_in_charge", "email", "call_code"}
        return
    async with store.reader() as uow:
        stored = getattr(await uow.get(cls, obj_id), attr)
    assert unicodedata.is_normalized("NFC", stored)
    assert not has_control_chars(stored)
    assert invisible_chars(stored) == []
    assert plain(stored).plain == stored  # the console shows exactly what is stored
    assert stored == name_key(name)  # ... which is what was typed, normalised


def test_no_ascii_character_is_invisible_so_ascii_text_skips_the_check():
    """`invisible_chars` returns at once for ASCII text: that is right only while this holds."""
    assert [c for c in range(128) if is_invisible(chr(c))] == []
    assert invisible_chars("a\u200bb") == ["U+200B ZERO WIDTH SPACE"]
