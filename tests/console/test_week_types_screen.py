"""Week types (key w) and holidays (h): a week type typed day by day with its grid drawn
as it is typed, overlapping or inverted slots refused by their day's field with nothing
saved; holidays added, deleted, and imported from a pasted list (a bad line named,
nothing imported); an operator who may only consult sees no change keys."""

from __future__ import annotations

from datetime import date, time

from textual.widgets import Input, Static, TextArea

from console.screens.holidays import HolidaysScreen, ImportForm
from console.screens.week_grid import WeekGrid, grid_text
from console.screens.week_types import WeekTypeForm, WeekTypesScreen, summary
from console.widgets.form import ConfirmScreen, FormScreen
from core.model import HOLIDAY, Holiday, TimeWindow, WeekType
from core.rights import Profile
from tests.conftest import dump_database, make_operator
from tests.console.conftest import context_for, press
from tests.console.setup_helpers import on_screen, open_form, open_screen, save, settle

SIZE = (100, 40)


def _bindings(screen) -> set[str]:
    return {b.binding.action for b in screen.active_bindings.values()
            if screen.check_action(b.binding.action, ()) is not False}


def test_the_grid_draws_a_bar_per_day():
    office = [TimeWindow(d, time(8), time(18)) for d in range(5)]
    lines = grid_text(office + [TimeWindow(HOLIDAY, time(9, 15), time(12))]).plain.split("\n")
    assert lines[0].split() == ["0", "6", "12", "18", "24"]
    mon = lines[1]
    assert mon.startswith("Mon ") and mon.endswith("08:00-18:00")
    bar = mon[4:4 + 48]
    assert bar == "·" * 16 + "█" * 20 + "·" * 12  # half hours 16..35 = 08:00..18:00
    assert lines[7].startswith("Sun ") and "█" not in lines[7] and lines[7].endswith("—")
    hol = lines[8][4:4 + 48]
    assert hol[18] == "▐" and hol[19:24] == "█" * 5 and hol[24] == "·"


def test_the_summary_runs_alike_days_together():
    wt = WeekType(1, "Office", [TimeWindow(d, time(8), time(18)) for d in range(5)])
    assert summary(wt) == "Mon–Fri 08:00-18:00 · Sat–Sun — · Hol —"


async def test_a_week_type_is_typed_on_the_grid_saved_and_kept_while_in_use(
        console_ctx, make_app, store, estate):
    app = make_app(console_ctx)
    async with on_screen(app, "w", WeekTypesScreen, SIZE) as (pilot, screen):
        assert [w.name for w in screen.rows] == ["Always"]
        assert "█" in str(screen.query_one("#week-grid", WeekGrid).render())
        # "Always" is used by the block's profile: not deleted
        await press(pilot, "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        await settle(pilot)
        assert "still used by an access profile" in str(
            screen.query_one("#setup-status", Static).render())
        assert [w.name for w in screen.rows] == ["Always"]
        form = await open_form(pilot, "n", WeekTypeForm)
        form.query_one("#f-name", Input).value = "Office"
        for day in range(5):
            form.query_one(f"#f-day{day}", Input).value = "08:00-18:00"
        await settle(pilot)
        assert form.query_one("#form-grid", WeekGrid).windows == [
            TimeWindow(d, time(8), time(18)) for d in range(5)]
        await save(pilot)
        assert app.screen is screen
        assert [w.name for w in screen.rows] == ["Always", "Office"]
        assert screen.current.name == "Office"
        assert "saved" in str(screen.query_one("#setup-status", Static).render())
    async with store.reader() as uow:
        office = (await uow.find(WeekType, name="Office"))[0]
    assert office.windows == [TimeWindow(d, time(8), time(18)) for d in range(5)]


BAD_SLOTS = [  # (day, typed, what its field says)
    (0, "08:00-12:00, 11:00-13:00", "Monday: 08:00-12:00 and 11:00-13:00 overlap."),
    (2, "18:00-08:00", "Wednesday: 18:00-08:00 ends before it starts."),
    (7, "8h-12h", "Holidays: write each slot as 08:00-18:00"),
    (4, "25:00-26:00", "Friday: 25:00 is not a time of day."),
]


async def test_a_bad_slot_is_refused_by_its_day_and_nothing_saved(console_ctx, make_app, store,
                                                                  estate):
    """Each row of BAD_SLOTS typed alone into the same dialog (one app for the table)."""
    before = dump_database(store.where)
    app = make_app(console_ctx)
    async with on_screen(app, "w", WeekTypesScreen, SIZE) as (pilot, _):
        form = await open_form(pilot, "n", WeekTypeForm)
        form.query_one("#f-name", Input).value = "Bad"
        for day, typed, says in BAD_SLOTS:
            form.query_one(f"#f-day{day}", Input).value = typed
            await save(pilot)
            assert app.screen is form, typed
            assert says in str(form.query_one(f"#e-day{day}", Static).render()), typed
            form.query_one(f"#f-day{day}", Input).value = ""
    assert dump_database(store.where) == before


async def test_holidays_are_added_imported_and_deleted(console_ctx, make_app, store, estate):
    app = make_app(console_ctx)
    async with on_screen(app, "w", WeekTypesScreen, SIZE) as (pilot, _):
        screen = await open_screen(pilot, "h", HolidaysScreen)
        form = await open_form(pilot, "n", FormScreen)
        form.query_one("#f-day", Input).value = "2026-12-25"
        form.query_one("#f-name", Input).value = "Christmas Day"
        await save(pilot)
        assert [(h.day, h.name) for h in screen.rows] == [(date(2026, 12, 25), "Christmas Day")]
        # a list with a bad line: the line is named, nothing is imported
        form = await open_form(pilot, "i", ImportForm)
        form.query_one("#f-lines", TextArea).text = (
            "date,name\n2027-01-01,New Year's Day\n2027-13-01 Nope\n\n2027-04-02\tGood Friday")
        await save(pilot)
        assert app.screen is form
        assert "line 3" in str(form.query_one("#e-lines", Static).render())
        assert len(screen.rows) == 1
        form.query_one("#f-lines", TextArea).text = (
            "date,name\n2027-01-01,New Year's Day\n2027-04-02\tGood Friday")
        await save(pilot)
        assert app.screen is screen
        assert [h.name for h in screen.rows] == ["Christmas Day", "New Year's Day",
                                                 "Good Friday"]
        assert "2 holidays imported" in str(screen.query_one("#setup-status", Static).render())
        # a list naming a day already declared: nothing of it is imported
        form = await open_form(pilot, "i", ImportForm)
        form.query_one("#f-lines", TextArea).text = "2027-01-02 Second\n2027-01-01 New Year again"
        await save(pilot)
        assert "already holidays: 2027-01-01" in str(form.query_one("#e-lines", Static).render())
        await press(pilot, "escape")
        await settle(pilot)
        assert len(screen.rows) == 3
        await press(pilot, "d")
        await settle(pilot)
        await press(pilot, "y")
        await settle(pilot)
        assert [h.name for h in screen.rows] == ["New Year's Day", "Good Friday"]
    async with store.reader() as uow:
        assert len(await uow.find(Holiday, site_id=estate.site.id)) == 2


async def test_a_concierge_consults_week_types_and_changes_nothing(store, admin, estate,
                                                                  make_app):
    await make_operator(store, admin, "desk@test.example", estate.site.id, Profile.CONCIERGE)
    app = make_app(await context_for(store, "desk@test.example"))
    async with on_screen(app, "w", WeekTypesScreen, SIZE) as (pilot, screen):
        assert not {"add", "modify", "delete"} & _bindings(screen)
        assert "consult only" in str(screen.query_one(".setup-title", Static).render())
        await press(pilot, "n")
        assert app.screen is screen
        holidays = await open_screen(pilot, "h", HolidaysScreen)
        assert not {"add", "delete", "import"} & _bindings(holidays)
