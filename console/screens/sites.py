"""Sites (key S, the guide's "Create a site" right): the operator's sites with their
quotas as used / allowed; create a site or modify one (name, address, country, time
zone, quotas). Core refuses a quota lowered below what is used, with the counts, by the
quota's own field; a country change re-marks which numbers are foreign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.screen import Screen

from console.context import ConsoleContext
from console.screens.setup_list import SetupListScreen
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.model import Site
from core.rules import NOTES_MAX
from core.services.sites import QUOTAS, create_site, update_site
from core.views.blocks import site_header
from core.views.rows import SiteHeader
from core.views.viewer import load_viewer

#: the quotas' columns, in the site header's order
QUOTA_COLUMNS = {"max_panels": "Panels", "max_flats": "Flats",
                 "max_foreign_numbers": "Foreign N°", "max_panel_names": "Names"}


def site_form(ctx: ConsoleContext, site: Site | None) -> FormScreen:
    """Create a site, or modify one."""
    s = site or Site(name="")
    fields = [
        Field("name", "Site name", s.name),
        Field("address", "Address", s.address),
        Field("default_country", "Country (ISO code: its numbering plan; other countries' "
              "numbers are foreign)", s.default_country, max_length=2),
        Field("timezone", "Time zone", s.timezone, placeholder="Europe/London"),
        *[Field(attr, f"{label} (quota)", str(getattr(s, attr)))
          for attr, (_, label) in QUOTAS.items()],
        Field("notes", f"Notes (max {NOTES_MAX} characters)", s.notes),
    ]

    async def save(values: dict[str, Any]) -> Site:
        if site is None:
            made = await ctx.change(create_site, Site(**values))
        else:
            made = await ctx.change(update_site, site.id, **values)
        await refresh_viewer(ctx)  # a new site (or its new name) is one of the operator's
        return made

    title = f"Modify site {site.name}" if site else "Create a site"
    return FormScreen(title, fields, save)


async def refresh_viewer(ctx: ConsoleContext) -> None:
    """Read the operator's sites and grants again (a site created is administered by its
    creator)."""
    actor = ctx.actor
    async with ctx.store.reader() as uow:
        ctx.viewer = await load_viewer(uow, ctx.operator.email, actor.source, actor.clock)


@dataclass(frozen=True)
class SiteLine:
    """A site and its usage, as listed."""

    site: Site
    header: SiteHeader

    @property
    def id(self) -> int | None:
        return self.site.id


class SitesScreen(SetupListScreen[SiteLine]):
    """The operator's sites and their quotas."""

    heading = "Sites"
    columns = ("Site", "Address", "Country", "Time zone", *QUOTA_COLUMNS.values())

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__(ctx, 0)

    def _title(self) -> Text:
        text = Text("Sites", style="bold")
        if not self.may_modify:
            text.append("  (consult only)", style="dim")
        return text

    @property
    def may_modify(self) -> bool:
        return self.ctx.operator.active and self.ctx.operator.can_create_sites

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return False if action == "delete" else super().check_action(action, parameters)

    async def read(self) -> list[SiteLine]:
        return [SiteLine(site, await self.ctx.view(site_header, site.id))
                for site in self.ctx.sites if site.id is not None]

    def cells(self, row: SiteLine) -> tuple[Text, ...]:
        site, header = row.site, row.header
        used = [f"{header.usage[key]} / {getattr(site, attr)}"
                for attr, (key, _) in QUOTAS.items()]
        return (plain(site.name), plain(site.address or "—"), plain(site.default_country),
                plain(site.timezone), *map(plain, used))

    def form(self, row: SiteLine | None) -> Screen:
        return site_form(self.ctx, row.site if row else None)

    def name_of(self, row: object) -> str:
        return row.name if isinstance(row, Site) else super().name_of(row)
