"""The Users screen (key u): an administrator adds a user with a Custom profile whose
rights are the switches they set, pastes a key, revokes a site; bad input stays in
the dialog and changes nothing; a concierge never sees the screen."""

from __future__ import annotations

from pathlib import Path

from textual.geometry import Region
from textual.widgets import Select, Static

from console.screens.main import MainScreen
from console.screens.user_forms import GrantForm, RightsMatrix
from console.screens.users import UsersScreen
from console.widgets.form import ConfirmScreen, FormScreen
from core.model import Operator, OperatorKey, SiteGrant
from core.rights import Action, Area, Profile, rights_for
from tests.conftest import dump_database, make_operator
from tests.console.conftest import context_for, settled
from tests.rights_cases import KEY

SIZE = (120, 40)


async def _open_users(app, pilot) -> UsersScreen:
    await settled(pilot)
    await pilot.press("u")
    await settled(pilot)
    assert isinstance(app.screen, UsersScreen)
    return app.screen


async def _switch(pilot, matrix: RightsMatrix, area: Area, action: Action) -> None:
    """Move the matrix's cursor to a cell with the arrows and press space."""
    matrix.focus()
    row, col = matrix.cursor
    want_row, want_col = list(Area).index(area), list(Action).index(action)
    await pilot.press(*["down"] * ((want_row - row) % len(Area)),
                      *["right"] * ((want_col - col) % len(Action)), "space")
    await settled(pilot)


async def test_administrator_adds_a_user_with_a_custom_profile(console_ctx, make_app, store,
                                                                estate):
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert "users" in {b.binding.action for b in app.screen.active_bindings.values()}
        users = await _open_users(app, pilot)
        await pilot.press("n")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, GrantForm)
        await pilot.press(*"desk@test.example", "tab", *"Desk One", "tab", *"desk")
        # a named profile shows its rights, and they cannot be switched
        profile = form.query_one("#f-profile", Select)
        profile.value = Profile.TECHNICAL_MAINTENANCE.value
        await settled(pilot)
        matrix = form.query_one(RightsMatrix)
        assert set(matrix.rights) == rights_for(Profile.TECHNICAL_MAINTENANCE)
        await _switch(pilot, matrix, Area.USERS, Action.MODIFY)
        assert set(matrix.rights) == rights_for(Profile.TECHNICAL_MAINTENANCE)
        profile.value = Profile.CUSTOM.value
        await settled(pilot)
        assert matrix.editable
        # Custom starts from what was shown: switch every Consult off, which
        # takes Modify with it, then switch on Flats Modify and Events Consult
        for area in Area:
            if matrix.value(area, Action.CONSULT):
                await _switch(pilot, matrix, area, Action.CONSULT)
        assert matrix.rights == []
        await _switch(pilot, matrix, Area.FLATS, Action.MODIFY)
        await _switch(pilot, matrix, Area.EVENTS, Action.CONSULT)
        assert matrix.value(Area.FLATS, Action.CONSULT)  # Modify brings Consult
        form.query_one("#f-valid_to").value = "31/12/2027"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is users
        async with store.reader() as uow:
            op = (await uow.find(Operator, email="desk@test.example"))[0]
            grant = await uow.grant(op.id, estate.site.id)
        assert (op.name, op.login) == ("Desk One", "desk")
        assert grant.profile == "Custom"
        assert grant.rights == {"flats:modify", "flats:consult", "events:consult"}
        assert str(grant.valid_to) == "2027-12-31"
        emails = [line.row.operator.email for line in users.lines]
        assert "desk@test.example" in emails


async def test_bad_input_shows_by_its_field_and_changes_nothing(console_ctx, make_app, store):
    app = make_app(console_ctx)
    before = dump_database(Path(store.where))
    async with app.run_test(size=SIZE) as pilot:
        await _open_users(app, pilot)
        await pilot.press("n")
        await settled(pilot)
        form = app.screen
        await pilot.press(*"not-an-email")
        form.query_one("#f-key").value = "ssh-ed25519 AAAA!!"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is form
        assert "damaged" in str(form.query_one("#e-key", Static).render())
        form.query_one("#f-key").value = ""
        form.query_one("#f-valid_from").value = "2027-02-30"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "not a date" in str(form.query_one("#e-valid_from", Static).render())
        form.query_one("#f-valid_from").value = ""
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "not an email address" in str(form.query_one("#e-email", Static).render())
    assert dump_database(Path(store.where)) == before


async def test_keys_and_revoking_a_site(console_ctx, make_app, store, estate, admin):
    colleague = await make_operator(store, admin, "colleague@test.example", estate.site.id,
                                    Profile.CONCIERGE)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        users = await _open_users(app, pilot)
        index = next(i for i, line in enumerate(users.lines)
                     if line.row.operator.email == "colleague@test.example")
        users.table.move_cursor(row=index)
        await settled(pilot)
        await pilot.press("k")
        await settled(pilot)
        assert isinstance(app.screen, FormScreen)
        app.screen.query_one("#f-key").value = KEY
        await pilot.press("ctrl+s")
        await settled(pilot)
        async with store.reader() as uow:
            keys = await uow.find(OperatorKey, operator_id=colleague.operator.id)
        assert [k.comment for k in keys] == ["colleague@desk"]
        assert users.current.row.keys  # the table shows it
        await pilot.press("x")
        await settled(pilot)
        await pilot.press("ctrl+s")
        await settled(pilot)
        async with store.reader() as uow:
            assert await uow.count(OperatorKey, operator_id=colleague.operator.id) == 0
        await pilot.press("r")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settled(pilot)
        async with store.reader() as uow:
            assert await uow.find(SiteGrant, operator_id=colleague.operator.id) == []


async def test_a_concierge_has_no_users_key(store, admin, estate, make_app):
    await make_operator(store, admin, "desk@test.example", estate.site.id, Profile.CONCIERGE)
    ctx = await context_for(store, "desk@test.example")
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.screen.check_action("users", ()) is False
        shown = {b.binding.action for b in app.screen.active_bindings.values()}
        assert "users" not in shown  # not in the footer nor the palette
        await pilot.press("u")
        await settled(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_a_manager_sees_users_but_may_not_add_them(store, admin, estate, make_app):
    await make_operator(store, admin, "boss@test.example", estate.site.id, Profile.MANAGEMENT)
    ctx = await context_for(store, "boss@test.example")
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        users = await _open_users(app, pilot)
        assert users.check_action("add_user", ()) is False
        assert users.check_action("revoke", ()) is False
        await pilot.press("n")
        await settled(pilot)
        assert app.screen is users


async def test_the_legend_shows_whole_at_80x24(console_ctx, make_app):
    """The legend under the list once had one line: at 80 columns it ended "Creator: may
    create", the word that says what a Creator may create cut off."""
    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_users(app, pilot)
        hint = screen.query_one("#users-hint", Static)
        drawn = " ".join(line.text.strip() for line in hint.render_lines(
            Region(0, 0, *hint.outer_size)))
        assert drawn.endswith("Creator: may create sites"), drawn
