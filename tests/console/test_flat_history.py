"""FLAT MANAGEMENT's History tab: the flat's events and the changes made to it, its
telephones and APasses, newest first and keyset paged, with the operator's rights."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.screens.event_detail import EventDetailScreen
from console.screens.flat_history import HistoryPane
from core.model import Event, EventKind, EventResult
from core.rights import Profile
from core.services import access_passes, flats, residents
from core.views.history import flat_history
from tests.conftest import NOW, make_operator
from tests.console.conftest import context_for, press, settled, until
from tests.console.test_flat_management import open_flat

SIZE = (120, 40)


@pytest.fixture
async def history(store, admin, estate) -> int:
    """Flat 1 of Block C: a telephone, an APass, its notes and keypad code changed, and
    three of its events (one of another flat beside them). Returns its id."""
    flat = estate.flats[0]
    await residents.add_telephone(store.uow(), admin, flat.id, "020 7946 0123")
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100007",
                                             flat_id=flat.id, resident="Michael Jolly")
    await flats.update_flat(store.uow(), admin, flat.id, notes="Dog", code_main_door="2580")
    writer = await store.event_writer()
    for minutes, flat_id, desc in ((0, flat.id, "at the same time"), (5, flat.id, "fob"),
                                   (9, estate.flats[1].id, "another flat"),
                                   (60, flat.id, "code")):
        writer.append(Event(NOW - timedelta(minutes=minutes), estate.site.id,
                            EventKind.ACCESS_BY_CODE, EventResult.OPENING,
                            device_id=estate.panel.id, block_id=estate.block.id,
                            flat_id=flat_id, description=desc))
    await writer.flush()
    return flat.id


def rows(pane: HistoryPane) -> list[list[str]]:
    table = pane.table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_history_tab_lists_events_and_changes_newest_first(console_ctx, make_app,
                                                                      store, estate, history):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_flat(pilot)
        await press(pilot, "5")
        pane = screen.query_one(HistoryPane)
        await until(pilot, lambda: pane.table.row_count, "the history read")
        shown = rows(pane)
        assert [r[1] for r in shown] == [
            "Access by code", "Flat modified", "APasses created", "Telephone added",
            "Access by code", "Access by code"]
        assert [r[3] for r in shown if r[1] == "Access by code"] == [
            "at the same time", "fob", "code"]
        assert shown[1][2] == "admin@test.example"
        assert "notes: '' → 'Dog'" in shown[1][3] and "2580" in shown[1][3]
        assert shown[2][3] == "1111100007" and shown[3][3].startswith("+44")
        # a change made meanwhile joins when the flat is read again
        await flats.update_flat(store.uow(), console_ctx.actor, history, notes="Cat")
        await screen.reload()
        await until(pilot, lambda: "'Dog' → 'Cat'" in rows(pane)[1][3], "the new change")
        # Enter on an event: its detail
        pane.table.move_cursor(row=0)
        await press(pilot, "enter")
        await settled(pilot)
        assert isinstance(app.screen, EventDetailScreen)


async def test_pages_join_without_gaps_or_repeats(console_ctx, history):
    whole = await console_ctx.view(flat_history, history, None, 100)
    paged, before = [], None
    while page := await console_ctx.view(flat_history, history, before, 2):
        paged += page
        before = page[-1].key
    assert [r.key for r in paged] == [r.key for r in whole]
    assert len(whole) == 6 and len({r.key for r in whole}) == 6


async def test_what_a_right_does_not_allow_is_left_out(store, admin, estate, history):
    await make_operator(store, admin, "flats@test.example", estate.site.id, Profile.CUSTOM,
                        custom=["flats:consult", "events:consult"])
    ctx = await context_for(store, "flats@test.example")
    lines = await ctx.view(flat_history, history)
    changes = [r.change for r in lines if r.change is not None]
    assert [c.action for c in changes] == ["flat.update"]  # no telephone, no APass
    assert "code_main_door" not in changes[0].after and changes[0].after["notes"] == "Dog"
    assert sum(r.event is not None for r in lines) == 3
    await make_operator(store, admin, "blind@test.example", estate.site.id, Profile.CUSTOM,
                        custom=["flats:consult"])
    blind = await context_for(store, "blind@test.example")
    assert all(r.event is None for r in await blind.view(flat_history, history))
