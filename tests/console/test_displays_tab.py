"""The Displays tab: the names on the site's panels with call chains and auto-opening,
grouped by the block a panel serves, the names quota, Enter to the flat; hostile names
show literally. (Rights hiding the tab: test_access_passes_tab.py.)"""

from __future__ import annotations

from textual.widgets import Select, Static

from console.tabs.displays import DisplaysTab
from core.model import Block, CallStep, Device, DeviceType, Door, PanelDisplay
from core.services import blocks, devices, flats, residents, sites
from tests.console.conftest import settled, show_tab

PANE = "pane-displaystab"
HOSTILE = "[@click=app.quit]x[/] [b]bold[/b]"


def tab_of(app) -> DisplaysTab:
    return app.main.tabs[PANE]


def shown(app) -> list[tuple[str, ...]]:
    table = tab_of(app).table
    return [tuple(c.plain for c in table.all_cells(i)) for i in range(table.row_count)]


async def add_display(store, admin, flat_id: int, name: str, code: str, phones=(), **kw):
    chain = []
    for number, ring in phones:
        phone = await residents.add_telephone(store.uow(), admin, flat_id, number)
        chain.append(CallStep(phone.id, ring))
    return await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        flat_id, name, code, call_chain=chain, hardwired=not chain, **kw))


async def open_tab(pilot) -> DisplaysTab:
    await show_tab(pilot, "3")
    return tab_of(pilot.app)


async def test_lists_names_with_call_chains_auto_opening_and_the_quota(
        console_ctx, make_app, store, admin, estate):
    flat1, flat2, _ = estate.flats
    await add_display(store, admin, flat1.id, "Jolly, Michael", "101",
                      [("020 7946 0123", 20), ("07546 277360", 35)],
                      auto_open_week_type_id=estate.week_type.id)
    await add_display(store, admin, flat2.id, "Flat 2", "2")
    await add_display(store, admin, flat2.id, HOSTILE, "22")
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        hostile = tab_of(app).table.all_cells(2)[0]  # "[" sorts after capitals
        assert hostile.plain == HOSTILE and hostile.style == "bold" and not hostile.spans
        await pilot.click("#dp-table", offset=(5, 3))
        await settled(pilot)
        assert app.is_running
        assert shown(app)[:2] == [
            ("Flat 2", "2", "002", "Hardwired / no telephone N°", "Never", "Block C",
             "Profil - Block C"),
            ("Jolly, Michael", "101", "001", "02079460123 GB (20 s) → 07546277360 GB (35 s)",
             "Always", "Block C", "Profil - Block C"),
        ]
        quota = str(app.screen.query_one("#dp-quota", Static).render())
        assert quota == "Names programmed 3 / 3"


async def test_enter_opens_the_flat_of_the_name(console_ctx, make_app, store, admin, estate):
    await add_display(store, admin, estate.flats[0].id, "A", "1")
    await add_display(store, admin, estate.flats[2].id, "B", "3")
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        opened = []

        async def open_flat(site_id, block_id, flat_id):
            opened.append((site_id, block_id, flat_id))

        app.main.open_flat = open_flat
        await open_tab(pilot)
        await pilot.press("down", "enter")
        await settled(pilot)
        assert opened == [(estate.site.id, estate.block.id, estate.flats[2].id)]


async def test_panels_group_the_names_by_the_block_they_serve(console_ctx, make_app, store,
                                                              admin, estate):
    await sites.update_site(store.uow(), admin, estate.site.id, max_flats=10)
    north = await blocks.create_block(store.uow(), admin, Block(estate.site.id, "North"))
    (flat,) = await flats.create_flats(store.uow(), admin, north.id, 1, 1)
    await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "Panel North", DeviceType.PANEL_3G, block_id=north.id),
        [Door(0, 1, "North door")])
    await add_display(store, admin, estate.flats[0].id, "Cee", "1")
    await add_display(store, admin, flat.id, "Enn", "1")
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        tab = await open_tab(pilot)
        assert [r[0] for r in shown(app)] == ["Cee", "Enn"]  # all panels, block by block
        await pilot.press("p")  # the first block's panels
        await settled(pilot)
        assert [r[0] for r in shown(app)] == ["Cee"]
        select = tab.query_one("#dp-panel", Select)
        assert select.value == estate.block.id
        assert str(select.query_one("SelectCurrent #label", Static).render()) == (
            "PP4G : IP MiniPro · Block C")
        await pilot.press("p")
        await settled(pilot)
        assert [r[0] for r in shown(app)] == ["Enn"]
        await pilot.press("p")  # back to every panel
        await settled(pilot)
        assert len(shown(app)) == 2
