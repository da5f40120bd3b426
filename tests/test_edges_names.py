"""Issue 13, items 1 and 2 at the layer that must refuse (core): look-alike names and
numbers typed in other scripts. Table-driven; the services run over a real SQLite store."""

from __future__ import annotations

import unicodedata

import pytest

from core import rules
from core.errors import Conflict, ValidationError
from core.model import Block, Device, DeviceType, ManagementCompany, WeekType
from core.names import name_key, same_name
from core.services import blocks, devices, facilities, flats, schedules

pytestmark = pytest.mark.both_engines

NFD_ZOE = unicodedata.normalize("NFD", "Zoë Block")


def refused(fn, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        fn(*args, **kwargs)
    return exc.value


# --- names: one written form, nothing invisible -----------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    (NFD_ZOE, "Zoë Block"),  # NFD becomes NFC
    ("Block\u00a0A", "Block A"),  # a no-break space is a space
    ("Block\u3000A", "Block A"),  # so is an ideographic space
    ("Block\u2001A", "Block A"),  # and an em quad (NFC makes it U+2003 first)
    ("  Zoë  ", "Zoë"),
    ("Ĳssel", "Ĳssel"),  # compatibility forms are kept: NFC, not NFKC
])
def test_names_are_stored_in_one_form(typed, stored):
    assert rules.text(typed, "name", label="Block name", required=True) == stored


@pytest.mark.parametrize(("typed", "named"), [
    ("Block A\u200b - MINI", "U+200B ZERO WIDTH SPACE"),
    ("Block A\u2060 - MINI", "U+2060 WORD JOINER"),
    ("\ufeffBlock A - MINI", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("Block A\u200d - MINI", "U+200D ZERO WIDTH JOINER"),
    ("Block A\u200c", "U+200C ZERO WIDTH NON-JOINER"),
    ("Block A\u00ad", "U+00AD SOFT HYPHEN"),
    ("Block A\u034f", "U+034F COMBINING GRAPHEME JOINER"),
    ("Block \u3164A", "U+3164 HANGUL FILLER"),
    ("Block A\ufe0f", "U+FE0F VARIATION SELECTOR-16"),
    ("Block A\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
    ("Block A\ud800", "U+D800 UNNAMED"),  # a lone surrogate (JSON can carry one)
])
def test_invisible_characters_are_refused_by_name(typed, named):
    err = refused(rules.text, typed, "name", label="Block name", required=True)
    assert err.field == "name"
    assert named in err.message and "invisible" in err.message


@pytest.mark.parametrize("typed", ["Block A\u2028B", "Block A\u2029B", "A\x1b[2JB", "A\tB"])
def test_line_breaks_and_controls_are_refused(typed):
    assert "control characters" in refused(rules.text, typed, "name", label="Name").message


@pytest.mark.parametrize("typed", [5, 2.5, ["a"], {"a": 1}, b"bytes"])
def test_a_name_must_be_text(typed):
    assert refused(rules.text, typed, "name", label="Name").message == "Name must be text."


@pytest.mark.parametrize(("a", "b", "same"), [
    (NFD_ZOE, "Zoë Block", True),
    ("Block A\u200b - MINI", "Block A - MINI", True),
    ("Block\u00a0A", "Block A", True),
    (" Block A ", "Block A", True),
    ("Block A", "block a", False),  # case is kept: "Block A" and "block a" differ
    ("Ｂlock A", "Block A", False),  # fullwidth letters look different on a terminal
])
def test_names_compare_after_normalisation(a, b, same):
    assert same_name(a, b) is same
    assert (name_key(a) == name_key(b)) is same


# --- numbers: ASCII digits only -------------------------------------------------------

@pytest.mark.parametrize(("typed", "value"), [
    ("12", 12), (" 12 ", 12), ("-5", -5), ("007", 7), (12, 12), ("0", 0),
])
def test_whole_numbers_accept_ascii_digits(typed, value):
    assert rules.whole_number(typed, "n", "N", -10, 100) == value


@pytest.mark.parametrize("typed", [
    "１２", "٣", "1_0", "1e1", "+5", "0x10", "1.0", "", " ", "- 5", "--5", "٣٣", "¹",
    True, False, 1.0, None, "9" * 30, 101, -11, "101",
])
def test_whole_numbers_refuse_everything_else(typed):
    err = refused(rules.whole_number, typed, "n", "N", -10, 100)
    assert err.field == "n" and err.message == "N must be a whole number from -10 to 100."


@pytest.mark.parametrize("typed", ["１２", "٣", "1_0", "²"])
def test_floor_takes_ascii_digits_only(typed):
    assert refused(rules.floor, typed).field == "floor"


# --- the services refuse what the forms refuse --------------------------------------------

async def test_look_alike_block_names_are_one_name(store, admin, estate):
    site = estate.site.id
    await blocks.create_block(store.uow(), admin, Block(site, "Block A - MINI"))
    await blocks.create_block(store.uow(), admin, Block(site, "Zoë Block"))
    with pytest.raises(ValidationError, match="invisible"):
        await blocks.create_block(store.uow(), admin, Block(site, "Block A\u200b - MINI"))
    with pytest.raises(Conflict, match="already has a block"):
        await blocks.create_block(store.uow(), admin, Block(site, NFD_ZOE))
    with pytest.raises(Conflict, match="already has a block"):
        await blocks.create_block(store.uow(), admin, Block(site, "Block\u00a0A - MINI"))


@pytest.mark.parametrize(("make", "again"), [
    (lambda st, a, e, n: devices.create_device(
        st.uow(), a, Device(e.site.id, n, DeviceType.READER)), "device"),
    (lambda st, a, e, n: schedules.save_week_type(st.uow(), a, WeekType(e.site.id, n, [])),
     "week type"),
    (lambda st, a, e, n: facilities.save_company(st.uow(), a, ManagementCompany(n)),
     "management company"),
])
async def test_every_unique_name_compares_after_normalisation(store, admin, estate, make,
                                                              again):
    await make(store, admin, estate, "Zoë Gate")
    with pytest.raises(Conflict) as exc:
        await make(store, admin, estate, unicodedata.normalize("NFD", "Zoë Gate"))
    assert again in exc.value.message


@pytest.mark.parametrize(("first", "quantity", "field"), [
    (-5, 3, "first_number"),
    (-1, 1, "first_number"),
    (True, 1, "first_number"),
    ("１２", 1, "first_number"),  # typed text is parsed by core: ASCII digits only
    ("1_0", 1, "first_number"),
    (10**10, 1, "first_number"),
    (9_999_999_999, 2, "quantity"),  # the last would need 11 digits
    (1, 0, "quantity"),
    (1, 2001, "quantity"),
    (1, True, "quantity"),
])
async def test_create_flats_refuses_what_the_form_refuses(store, admin, estate, first,
                                                          quantity, field):
    with pytest.raises(ValidationError) as exc:
        await flats.create_flats(store.uow(), admin, estate.block.id, first, quantity)
    assert exc.value.field == field
    async with store.reader() as uow:
        assert len(await uow.find(flats.Flat, block_id=estate.block.id)) == 3
