"""Access profiles (key P, the "Access profiles" right): a site's profiles with their
week type, the doors they open, the blocks whose default they are and how many panel
displays and APasses name them; add or modify one (name, week type, the doors ticked
in a list), delete one no one uses (refused with the counts otherwise). A block's
default profile is set on the block (Blocks tab, modify block)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label, SelectionList, Static

from console.context import ConsoleContext
from console.screens.setup_list import SetupListScreen
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import AccessProfile, WeekType
from core.rights import Area
from core.services.schedules import delete_access_profile, save_access_profile
from core.views.schedules import profile_rows, site_doors, week_types
from core.views.setup_rows import DoorChoice, ProfileRow

#: no week type chosen (a Select holds no None): the profile opens at any time
ALWAYS = 0


class ProfileForm(FormScreen):
    """A profile's name and week type, and its doors ticked in a list."""

    def __init__(self, title: str, fields: list[Field], save: Any, doors: list[DoorChoice],
                 ticked: set[int]) -> None:
        super().__init__(title, fields, save)
        self.doors = doors
        self.ticked = ticked

    def compose_body(self) -> ComposeResult:
        yield from self.compose_fields()
        with Vertical(classes="field", id="field-door_ids"):
            yield Label("Doors it opens (space ticks)")
            yield SelectionList[int](*[(plain(d.label), d.id, d.id in self.ticked)
                                       for d in self.doors], id="f-door_ids")
            yield Static("", classes="field-error", id="e-door_ids")

    def values(self) -> dict[str, Any]:
        out = super().values()
        out["door_ids"] = list(self.query_one("#f-door_ids", SelectionList).selected)
        return out


def profile_form(ctx: ConsoleContext, site_id: int, row: ProfileRow | None,
                 wts: list[WeekType], doors: list[DoorChoice]) -> ProfileForm:
    """Add an access profile to the site, or modify one."""
    profile = row.profile if row else None
    options = [(plain("Always (no week type)"), ALWAYS)] + [(plain(w.name), w.id) for w in wts]
    fields = [
        Field("name", "Access profile name", profile.name if profile else ""),
        Field("week_type_id", "Week type", (profile.week_type_id if profile else None)
              or ALWAYS, kind="select", options=options, allow_blank=False),
    ]

    async def save(values: dict[str, Any]) -> AccessProfile:
        changed = AccessProfile(site_id=site_id, name=values["name"],
                                week_type_id=values["week_type_id"] or None,
                                door_ids=values["door_ids"],
                                id=profile.id if profile else None)
        return await ctx.change(save_access_profile, changed)

    title = f"Modify access profile {profile.name}" if profile else "Add an access profile"
    return ProfileForm(title, fields, save, doors, set(profile.door_ids) if profile else set())


class ProfilesScreen(SetupListScreen[ProfileRow]):
    """The site's access profiles and what uses them."""

    area = Area.ACCESS_PROFILES
    heading = "Access profiles"
    columns = ("Access profile", "Week type", "Doors", "Default of", "Displays", "APasses")
    DEFAULT_CSS = "ProfilesScreen #f-door_ids { height: auto; max-height: 10; }"

    def __init__(self, ctx: ConsoleContext, site_id: int) -> None:
        super().__init__(ctx, site_id)
        self.doors: list[DoorChoice] = []

    async def read(self) -> list[ProfileRow]:
        self.doors = await self.ctx.view(site_doors, self.site_id)
        return await self.ctx.view(profile_rows, self.site_id)

    def cells(self, row: ProfileRow) -> tuple[Text, ...]:
        names = {d.id: d.label for d in self.doors}
        doors = ", ".join(names.get(i, f"door {i}") for i in row.profile.door_ids)
        return (plain(row.profile.name), plain(row.week_type or "Always"),
                plain(doors or "—"), plain(", ".join(row.blocks) or "—"),
                plain(str(row.displays)), plain(str(row.passes)))

    def name_of(self, row: object) -> str:
        if isinstance(row, ProfileRow):
            return row.profile.name
        return super().name_of(row)

    async def edit(self, row: ProfileRow | None) -> None:
        # the week types are read only for an operator who may consult them
        wts = (await self.ctx.view(week_types, self.site_id)
               if self.ctx.can(self.site_id, Area.WEEK_TYPES) else [])
        if row is not None and row.profile.week_type_id not in {w.id for w in wts} | {None}:
            wts.append(WeekType(self.site_id, row.week_type, id=row.profile.week_type_id))
        self._form = profile_form(self.ctx, self.site_id, row, wts, self.doors)
        await super().edit(row)

    def form(self, row: ProfileRow | None) -> Screen:
        return self._form

    async def delete(self, row: ProfileRow) -> None:
        if row.id is None:
            raise DoorkeeperError("This access profile was never saved.")
        await self.ctx.change(delete_access_profile, row.id)
