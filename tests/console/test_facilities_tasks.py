"""The Facilities screen's tasks view: the guide's columns, ADD A TASK with its perimeter
(sites of mine, per device the ways it opens, a week type per site), the refusal of a
task without access in the guide's words, modify and delete."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static

from console.screens.facilities_perimeter import PerimeterGrid
from console.screens.facilities_task_form import TaskForm
from console.screens.facilities_tasks import TasksPane
from core.errors import PermissionDenied
from core.model import Block, Device, DeviceType, Door, Site, Task, TaskDoor
from core.rights import Profile
from core.services import blocks, devices, sites
from core.services.facilities import NO_ACCESS, save_task
from core.task_methods import Method
from tests.conftest import dump_database, make_operator, seeded
from tests.console.conftest import press, settled
from tests.console.facilities_book import Book, build_book
from tests.console.test_facilities_providers import cells, open_facilities

SIZE = (120, 40)


@pytest.fixture
async def book(request, store, admin, estate) -> Book:
    return await seeded(request, store, lambda: build_book(store, admin, estate))


async def open_tasks(app, pilot) -> TasksPane:
    await open_facilities(app, pilot)
    await press(pilot, "2")
    pane = app.screen.query_one(TasksPane)
    while not pane.loads:
        await settled(pilot)
    return pane


async def open_form(app, pilot, key: str) -> TaskForm:
    await press(pilot, key)
    form = app.screen
    assert isinstance(form, TaskForm)
    while not form.query_one(PerimeterGrid).devices:
        await settled(pilot)
    return form


async def test_tasks_show_the_guide_columns(console_ctx, make_app, book):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tasks(app, pilot)
        assert cells(pane.tasks) == [["Bins on weekday mornings", "Brightside Cleaning",
                                      "Smith John", "4711 (door code)", "4640800090 (APass)",
                                      "1 site 1 device"]]


async def test_add_a_task_refused_without_access_then_saved(console_ctx, make_app, book,
                                                            store, estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tasks(app, pilot)
        form = await open_form(app, pilot, "n")
        form.query_one("#f-name", Input).value = "Lift check"
        form.query_one("#f-company_id", Select).value = book.lifts.id
        while not form.query_one("#f-provider_id", Select)._options[1:]:
            await settled(pilot)
        form.query_one("#f-provider_id", Select).value = book.permanent.id
        await settled(pilot)
        before = dump_database(store.where)
        await press(pilot, "ctrl+s")
        assert app.screen is form
        assert NO_ACCESS in str(form.query_one(".form-error", Static).render())
        assert dump_database(store.where) == before
        # the panel offers what an IPGUARD 4G with one relay can do
        grid = form.query_one(PerimeterGrid)
        [panel] = grid.devices
        grid.focus()
        await press(pilot, "right", "right", "right", "space")  # the APass column
        assert grid.chosen == {panel.id: {Method.APASS}}
        assert "1 site 1 device" in str(form.query_one("#perimeter-count", Static).render())
        form.query_one("#f-week_type", Select).value = estate.week_type.id
        await settled(pilot)
        await press(pilot, "ctrl+s")
        assert app.screen is not form
        await settled(pilot)
        assert [r[0] for r in cells(pane.tasks)] == ["Bins on weekday mornings",
                                                    "Lift check"]
    async with store.reader() as uow:
        [task] = await uow.find(Task, name="Lift check")
    assert task.site_ids == [estate.site.id]
    assert task.week_type_ids == {estate.site.id: estate.week_type.id}
    assert task.doors == [TaskDoor(estate.door.id, by_apass=True)]


async def test_modify_keeps_the_ticks_and_delete_withdraws(console_ctx, make_app, book,
                                                           store):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tasks(app, pilot)
        form = await open_form(app, pilot, "e")
        grid = form.query_one(PerimeterGrid)
        assert grid.chosen == {grid.devices[0].id: {Method.DOOR_CODE, Method.APASS}}
        grid.focus()
        await press(pilot, "a")  # select all: every way the panel offers
        form.query_one("#f-name", Input).value = "Bins, all week"
        await press(pilot, "ctrl+s")
        assert app.screen is not form
        await settled(pilot)
        assert cells(pane.tasks)[0][0] == "Bins, all week"
        await press(pilot, "d", "y")
        await app.workers.wait_for_complete()
        assert pane.tasks.rows_held == []
    async with store.reader() as uow:
        assert await uow.find(Task) == []


async def test_a_task_on_a_site_the_operator_does_not_hold_is_refused(store, admin, estate,
                                                                      book):
    other = await sites.create_site(store.uow(), admin, Site(name="Harbour View"))
    block = await blocks.create_block(store.uow(), admin, Block(other.id, "Block A"))
    gate = await devices.create_device(store.uow(), admin, Device(
        other.id, "Gate keypad", DeviceType.CODE_KEYPAD, block_id=block.id),
        [Door(0, 1, "Gate")])
    async with store.reader() as uow:
        [door] = await uow.find(Door, device_id=gate.id)
    manager = await make_operator(store, admin, "manager@test.example", estate.site.id,
                                  Profile.MANAGEMENT)
    before = dump_database(store.where)
    with pytest.raises(PermissionDenied):
        await save_task(store.uow(), manager, Task(
            "Gate", book.cleaning.id, book.current.id, [other.id], {other.id: None},
            [TaskDoor(door.id, by_code=True)]))
    assert dump_database(store.where) == before
