"""Read models of the Access Passes and Displays tabs: keyset pages never repeat or
skip a row, whatever the page size, state, block or number prefix."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.model import AccessPass, APassState, Block, PanelDisplay
from core.services import access_passes, blocks, flats, residents, sites
from store.display_queries import display_page, site_panels
from store.pass_queries import flat_by_number, pass_counts, pass_page

pytestmark = pytest.mark.both_engines


@dataclass
class Estate2:
    site_id: int
    block_c: int
    block_d: int
    flats: list


@pytest.fixture
async def two_blocks(store, admin, estate) -> Estate2:
    """The small estate plus "Block D" with two flats, passes in every state."""
    await sites.update_site(store.uow(), admin, estate.site.id, max_panel_names=40)
    block_d = await blocks.create_block(store.uow(), admin, Block(estate.site.id, "Block D"))
    made = [*estate.flats, *await flats.create_flats(store.uow(), admin, block_d.id, 1, 2)]
    site = estate.site.id
    await access_passes.create_access_passes(store.uow(), admin, site, "1000000000", 23,
                                             flat_id=made[0].id)
    await access_passes.create_access_passes(store.uow(), admin, site, "1000000100", 17,
                                             flat_id=made[3].id)
    await access_passes.create_access_passes(store.uow(), admin, site, "0999999970", 19)
    for number in ("1000000003", "1000000101", "0999999975", "1000000022"):
        await access_passes.send_to_lost(store.uow(), admin, number)
    return Estate2(site, estate.block.id, block_d.id, made)


async def all_pages(fetch, key, limit: int) -> list:
    rows, after = [], None
    while True:
        page = await fetch(after, limit)
        assert len(page) <= limit
        rows.extend(page)
        if len(page) < limit:
            return rows
        after = key(page[-1])


LIMITS = (1, 4, 7, 100)
PASS_CASES = [  # state, block, number prefix
    (APassState.ASSIGNED, None, ""),
    (APassState.ASSIGNED, "C", ""),
    (APassState.ASSIGNED, "D", ""),
    (APassState.STOCK, None, ""),
    (APassState.LOST, None, ""),
    (APassState.ASSIGNED, None, "100000001"),
    (APassState.ASSIGNED, None, "1000000"),
    (APassState.STOCK, None, "09"),
    (APassState.STOCK, None, "5"),
]


async def test_pass_pages_never_repeat_or_skip(store, two_blocks):
    """Every case at every page size (one estate: building it is the slow part)."""
    async with store.reader() as uow:
        everything = await uow.find(AccessPass, site_id=two_blocks.site_id)
    for state, block, prefix in PASS_CASES:
        block_id = {"C": two_blocks.block_c, "D": two_blocks.block_d, None: None}[block]
        expected = sorted(p.number for p in everything if p.state is state
                          and (block_id is None or p.block_id == block_id)
                          and p.number.startswith(prefix))
        for limit in LIMITS:

            async def fetch(after, n, state=state, block_id=block_id, prefix=prefix):
                return await pass_page(store, two_blocks.site_id, state, block_id=block_id,
                                       prefix=prefix, after=after, limit=n)

            rows = await all_pages(fetch, lambda r: r.number, limit)
            case = (state, block, prefix, limit)
            assert [r.number for r in rows] == expected, case
            assert all(r.state == state.value for r in rows), case
    assert len(everything) > 4 * 7  # the cases span several pages


async def test_pass_rows_carry_the_guide_columns_and_counts(store, two_blocks):
    (row,) = await pass_page(store, two_blocks.site_id, APassState.LOST, prefix="1000000101")
    assert (row.block, row.flat_number, row.access_profile) == ("Block D", "001", "")
    (row,) = await pass_page(store, two_blocks.site_id, APassState.ASSIGNED, limit=1)
    assert (row.block, row.flat_number, row.access_profile) == (
        "Block C", "001", "Profil - Block C")
    assert await pass_counts(store, two_blocks.site_id) == {
        APassState.ASSIGNED: 37, APassState.STOCK: 18, APassState.LOST: 4}
    by_block = await pass_counts(store, two_blocks.site_id, two_blocks.block_d)
    assert by_block[APassState.ASSIGNED] == 16


FLAT_NUMBERS = [("001", "001"), ("1", "001"), ("0001", "001"), (" 3 ", "003"), ("4", None),
                ("", None), ("x", None)]


async def test_flat_by_number_accepts_the_number_without_its_zeros(store, estate):
    for typed, found in FLAT_NUMBERS:
        flat = await flat_by_number(store, estate.block.id, typed)
        assert (flat.number if flat else None) == found, typed


async def test_display_pages_never_repeat_or_skip_with_equal_names(store, admin, two_blocks):
    names = ["Ann", "Bob", "Ann", "Ann", "Cy", "Bob"]
    made = []
    for i, flat in enumerate(two_blocks.flats):
        for j, name in enumerate(names[i % 3: i % 3 + 3]):
            made.append(await residents.add_panel_display(store.uow(), admin, PanelDisplay(
                flat.id, name, f"{i}{j}", hardwired=True)))
    block_names = {f.id: ("Block C" if f.block_id == two_blocks.block_c else "Block D")
                   for f in two_blocks.flats}
    expected = sorted((block_names[d.flat_id], d.display_name, d.id) for d in made)
    for block_id, wanted in ((None, expected),
                             (two_blocks.block_d, [k for k in expected if k[0] == "Block D"])):
        for limit in (1, 3, 5, 100):

            async def fetch(after, n, block_id=block_id):
                return await display_page(store, two_blocks.site_id, block_id=block_id,
                                          after=after, limit=n)

            rows = await all_pages(fetch, lambda r: r.key, limit)
            assert [r.key for r in rows] == wanted, (block_id, limit)


async def test_site_panels_are_the_panel_devices_only(store, estate):
    panels = await site_panels(store, estate.site.id)
    assert [(p.name, p.block) for p in panels] == [("PP4G : IP MiniPro", "Block C")]
