"""The Alarms screen: open alarms of my sites newest first, acknowledging with a note
(audited, the badge drops), new alarms while it is open, and who may acknowledge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from textual.widgets import Label

from console.screens.alarms import AlarmsScreen
from console.screens.event_detail import EventDetailScreen
from console.widgets.chrome import AlarmBadge
from console.widgets.form import FormScreen
from console.widgets.key_bar import KeyBar
from core.model import Event, EventKind, EventResult, Operator, Site, id_of
from core.rights import Profile
from core.services import operators, sites
from store import tables as t
from tests.conftest import NOW, dump_database, make_operator
from tests.console.conftest import context_for, settled, until

SIZE = (120, 40)


async def raise_alarm(store, estate, kind: EventKind, minutes_ago: int = 0) -> Event:
    writer = await store.event_writer()
    event = Event(NOW - timedelta(minutes=minutes_ago), estate.site.id, kind, EventResult.ALARM,
                  device_id=estate.panel.id)
    writer.append(event)
    await writer.flush()
    return event


def rows(screen: AlarmsScreen) -> list[list[str]]:
    table = screen.table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_alarms(pilot) -> AlarmsScreen:
    await settled(pilot)
    await pilot.press("a")
    await settled(pilot)
    assert isinstance(pilot.app.screen, AlarmsScreen)
    return pilot.app.screen


async def alarm_rows(store) -> list[dict]:
    async with store.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(
            select(t.alarms).order_by(t.alarms.c.id))]


async def test_lists_open_alarms_newest_first(console_ctx, make_app, store, estate):
    await raise_alarm(store, estate, EventKind.TAMPER, 30)
    await raise_alarm(store, estate, EventKind.DOOR_FORCED, 5)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alarms(pilot)
        assert [str(c.label) for c in screen.table.ordered_columns][:4] == [
            "Raised", "Site", "Device", "Alarm"]
        assert [r[:4] for r in rows(screen)] == [
            ["2026-11-27 09:55:00", "Demo Cases", "PP4G : IP MiniPro", "Door forced"],
            ["2026-11-27 09:30:00", "Demo Cases", "PP4G : IP MiniPro", "Tamper"]]
        assert "2 open" in str(screen.query_one("#alarms-title").render())
        await pilot.press("d")  # the event behind the alarm
        await settled(pilot)
        assert isinstance(app.screen, EventDetailScreen)
        # its own keys at the bottom, not those of the list under it
        keys = str(app.screen.query_one(KeyBar).render())
        assert "esc Close" in keys and "Acknowledge" not in keys, keys
        await pilot.press("escape", "escape")
        await settled(pilot)
        assert app.screen is app.main


async def test_acknowledging_with_a_note_is_stored_audited_and_drops_the_badge(
        console_ctx, make_app, store, estate):
    await raise_alarm(store, estate, EventKind.DOOR_HELD_OPEN, 10)
    await raise_alarm(store, estate, EventKind.POWER_FAILURE, 20)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert "Alarms 2" in str(app.main.query_one(AlarmBadge).render())
        screen = await open_alarms(pilot)
        await pilot.press("k")
        await settled(pilot)
        assert isinstance(app.screen, FormScreen)
        # the note's limit is said, as every Notes field says it
        assert "Note (max 160 characters)" in [str(label.render())
                                                for label in app.screen.query(Label)]
        await pilot.press(*"Door closed by caretaker", "enter")
        await settled(pilot)
        assert app.screen is screen
        held, power = await alarm_rows(store)
        assert held["acknowledged_at"] is not None and held["acknowledged_by"] == (
            console_ctx.operator.id)
        assert held["note"] == "Door closed by caretaker"
        assert power["acknowledged_at"] is None
        async with store.engine.connect() as conn:
            audit = (await conn.execute(select(t.audit_entries.c.action, t.audit_entries.c.entity_id)
                                        .order_by(t.audit_entries.c.id.desc()))).first()
        assert tuple(audit) == ("alarm.acknowledge", held["id"])
        assert [r[3] for r in rows(screen)] == ["Power failure"]
        await pilot.press("enter")  # Enter acknowledges too
        await settled(pilot)
        await pilot.press("enter")  # an empty note is allowed
        await settled(pilot)
        assert rows(screen) == []
        await pilot.press("escape")
        await settled(pilot)
        assert "Alarms 0" in str(app.main.query_one(AlarmBadge).render())


async def test_a_note_over_160_characters_is_refused_by_its_field(console_ctx, make_app, store,
                                                                 estate):
    await raise_alarm(store, estate, EventKind.TAMPER)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_alarms(pilot)
        await pilot.press("k")
        await settled(pilot)
        form = app.screen
        form.query_one("#f-note").max_length = 0  # as if pasted past the field's limit
        form.query_one("#f-note").value = "x" * 161
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is form
        assert "160" in str(form.query_one("#e-note").render())
        assert (await alarm_rows(store))[0]["acknowledged_at"] is None


async def test_acknowledged_ones_on_request_with_who_and_note(console_ctx, make_app, store,
                                                              estate):
    await raise_alarm(store, estate, EventKind.TAMPER, 10)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alarms(pilot)
        await pilot.press("k")
        await settled(pilot)
        await pilot.press(*"Cover refitted", "enter")
        await settled(pilot)
        assert rows(screen) == []
        await pilot.press("h")
        await settled(pilot)
        (row,) = rows(screen)
        assert row[3] == "Tamper" and row[5:] == ["2026-11-27 10:00:00", "admin@test.example",
                                                  "Cover refitted"]
        assert not screen.check_action("acknowledge", ())  # done already: greyed out
        await pilot.press("k")
        await settled(pilot)
        assert app.screen is screen


async def test_a_new_alarm_appears_while_the_screen_is_open(console_ctx, make_app, store,
                                                             estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alarms(pilot)
        assert rows(screen) == []
        await raise_alarm(store, estate, EventKind.DEVICE_OFFLINE)
        await until(pilot, lambda: rows(screen), "the new alarm listed")
        assert [r[3] for r in rows(screen)] == ["Device offline"]


async def test_without_events_modify_the_key_is_hidden_and_nothing_changes(
        store, admin, estate, make_app):
    await make_operator(store, admin, "viewer@test.example", estate.site.id, Profile.CUSTOM,
                        custom=["events:consult", "blocks:consult"])
    await raise_alarm(store, estate, EventKind.TAMPER)
    ctx = await context_for(store, "viewer@test.example")
    before = dump_database(store.where)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alarms(pilot)
        assert [r[3] for r in rows(screen)] == ["Tamper"]
        assert "k" not in screen.active_bindings
        await pilot.press("k")
        await settled(pilot)
        await pilot.press("enter")
        await settled(pilot)
        assert app.screen is screen
    assert dump_database(store.where) == before


async def test_alarms_of_sites_without_events_rights_are_not_listed(store, admin, estate,
                                                                   make_app):
    other = await sites.create_site(store.uow(), admin, Site(
        name="Other Court", max_panels=1, max_flats=5, max_foreign_numbers=0,
        max_panel_names=1))
    await make_operator(store, admin, "blocks@test.example", estate.site.id, Profile.CUSTOM,
                        custom=["blocks:consult"])
    await operators.grant_site(store.uow(), admin, (await _operator_id(store)), other.id,
                               Profile.CUSTOM, custom=["events:consult"])
    await raise_alarm(store, estate, EventKind.TAMPER)
    app = make_app(await context_for(store, "blocks@test.example"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alarms(pilot)
        assert rows(screen) == []
        await pilot.press("escape")
        await settled(pilot)
        assert "Alarms 0" in str(app.main.query_one(AlarmBadge).render())


async def _operator_id(store, email: str = "blocks@test.example") -> int:
    async with store.reader() as uow:
        [op] = await uow.find(Operator, email=email)
    return id_of(op)


@pytest.mark.parametrize("rights, hidden", [
    (["blocks:consult", "flats:consult"], "a"),  # no Events anywhere: no alarms, no count
    (["events:consult"], "slash"),  # no Flats anywhere: the search could find nothing
])
async def test_keys_of_screens_that_could_show_nothing_are_not_offered(
        store, admin, estate, make_app, rights, hidden):
    """A Custom operator is not offered the alarms (and their badge, "Alarms 0" while a
    door is forced) without Events on some site, nor the search without Flats: each
    opened an empty screen."""
    await make_operator(store, admin, "custom@test.example", estate.site.id, Profile.CUSTOM,
                        custom=rights)
    await raise_alarm(store, estate, EventKind.DOOR_FORCED)
    app = make_app(await context_for(store, "custom@test.example"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        main = app.main
        assert main.query_one(AlarmBadge).display is (hidden != "a")
        shown = {k.key for k in main.query_one(KeyBar).shown}
        assert hidden not in shown and {"a", "slash"} - {hidden} <= shown, shown
        await pilot.press(hidden)
        await settled(pilot)
        assert app.screen is main
