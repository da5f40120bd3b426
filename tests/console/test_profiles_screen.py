"""Access profiles (key P): a profile added with its week type and a door ticked; the
block's default profile cannot be deleted and the refusal gives the count; a concierge
consults and changes nothing."""

from __future__ import annotations

from textual.widgets import Input, Select, SelectionList, Static

from console.screens.profiles import ProfileForm, ProfilesScreen
from core.model import AccessProfile
from core.rights import Profile
from tests.conftest import dump_database, make_operator
from tests.console.conftest import context_for, press
from tests.console.setup_helpers import on_screen, open_form, save, settle

SIZE = (120, 40)


async def test_a_profile_in_use_is_kept_and_one_is_added_with_its_week_type_and_door(
        console_ctx, make_app, store, estate):
    app = make_app(console_ctx)
    async with on_screen(app, "P", ProfilesScreen, SIZE) as (pilot, screen):
        assert [r.profile.name for r in screen.rows] == ["Profil - Block C"]
        assert screen.rows[0].blocks == ("Block C",)
        # the block's default profile: not deleted, the count given
        before = dump_database(store.where)
        await press(pilot, "d")
        await settle(pilot)
        await press(pilot, "y")
        await settle(pilot)
        assert "is used by 1 block" in str(screen.query_one("#setup-status", Static).render())
        assert dump_database(store.where) == before
        form = await open_form(pilot, "n", ProfileForm)
        form.query_one("#f-name", Input).value = "Night"
        form.query_one("#f-week_type_id", Select).value = estate.week_type.id
        form.query_one("#f-door_ids", SelectionList).select(estate.door.id)
        await save(pilot)
        assert app.screen is screen
        assert [r.profile.name for r in screen.rows] == ["Night", "Profil - Block C"]
    async with store.reader() as uow:
        night = (await uow.find(AccessProfile, name="Night"))[0]
    assert night.week_type_id == estate.week_type.id and night.door_ids == [estate.door.id]


async def test_a_concierge_consults_profiles_only(store, admin, estate, make_app):
    await make_operator(store, admin, "desk@test.example", estate.site.id, Profile.CONCIERGE)
    app = make_app(await context_for(store, "desk@test.example"))
    async with on_screen(app, "P", ProfilesScreen, SIZE) as (_, screen):
        assert screen.check_action("add", ()) is False
        assert screen.check_action("delete", ()) is False
