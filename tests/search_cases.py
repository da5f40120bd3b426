"""What the search tests share: the small estate with people in it (the `people` fixture,
`add_people`), `found` (the Flat N°s a search finds), and migration 0004, the search index's
older shape."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.model import Block, CallStep, Flat, PanelDisplay, Site
from core.services import access_passes, blocks, flats, residents, sites
from store import search as search_module
from store.database import Store
from store.search import search
from tests.conftest import SmallEstate

MIGRATION = Path(search_module.__file__).parent / "migrations/versions/0004_search_prefixes.py"


@dataclass
class Residents:
    """The small estate with people in it, and a second site."""

    site: Site
    other: Site
    flat: dict[str, int]  # flat number ("001" ...; "H01" for the other site) -> id
    phone_id: int  # the number called by "Smith, John"


@pytest.fixture(name="people")
async def people_fixture(store: Store, admin, estate: SmallEstate) -> Residents:
    """The small estate with people in it (see add_people)."""
    return await add_people(store, admin, estate)


async def add_people(store: Store, admin, estate: SmallEstate) -> Residents:
    """Flat 001: Smith, John on +44 7546 288399. Flat 002: Smithson, and APass
    1111100008 of Zoë O'Brien. Flat 003: APass 1111100009, lost. Harbour View: John
    Harbour, Flat H01, on +44 7911 123456."""
    f1, f2, f3 = (f.id for f in estate.flats)
    phone = await residents.add_telephone(store.uow(), admin, f1, "07546 288399")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        f1, "Smith, John", "1", call_chain=[CallStep(phone.id, 20)]))
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        f2, "Smithson", "2", hardwired=True))
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100008",
                                             flat_id=f2, resident="Zoë O'Brien")
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100009",
                                             flat_id=f3, resident="Ann Lee")
    await access_passes.send_to_lost(store.uow(), admin, "1111100009")
    other = await sites.create_site(store.uow(), admin, Site(name="Harbour View"))
    block = await blocks.create_block(store.uow(), admin, Block(other.id, "Tower"))
    h01 = await flats.create_flat(store.uow(), admin, Flat(block.id, "H01", "Penthouse"))
    far = await residents.add_telephone(store.uow(), admin, h01.id, "+44 7911 123456")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        h01.id, "John Harbour", "9", call_chain=[CallStep(far.id, 20)]))
    return Residents(estate.site, other, {"001": f1, "002": f2, "003": f3, "H01": h01.id},
                     phone.id)


async def found(store: Store, people: Residents, text_: str, by: str = "any",
                both: bool = False) -> list[str]:
    sites_ = [people.site.id, people.other.id] if both else [people.site.id]
    return [h.flat_number for h in await search(store, text_, by, sites_)]


async def display_id(store: Store, name: str) -> int:
    async with store.reader() as uow:
        return (await uow.find(PanelDisplay, display_name=name))[0].id


def migration_0004():
    spec = importlib.util.spec_from_file_location("m0004", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration
