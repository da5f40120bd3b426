"""The Facilities screen's first view, "My service providers & management cos": the
management companies (whole: they are few) over the service providers (paged from the
store, filtered by the guide's FILTER box). Keys act on the list that has the focus."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from console.context import ConsoleContext
from console.screens.facilities_cells import validity_cell
from console.screens.facilities_forms import company_form, provider_form
from console.screens.setup_list import FILTER_BINDINGS, LIST_BINDINGS, ListActions
from console.widgets.columns import Col
from console.widgets.form import Field, FormScreen
from console.widgets.log_table import LogTable
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import id_of
from core.phones import display_phone
from core.rights import Action, Area
from core.services.facilities import delete_company, delete_provider
from core.views.facilities import company_rows, provider_page, provider_row
from core.views.facilities_rows import CompanyRow, ProviderFilter, ProviderRow

#: narrow, the least needed columns give way (console/widgets/columns.py)
COMPANY_COLUMNS = ("Management co.", Col("Person in charge", 2), Col("Telephone N°", 1),
                   Col("Email", 4), Col("Providers", 3), Col("Tasks", 3),
                   Col("Managed by me", 5))
# Validity second, so the colour and its word show at 80 columns
PROVIDER_COLUMNS = ("Service Provider", "Validity", Col("Telephone", 1), Col("Email", 3),
                    Col("Mission", 2, 16), Col("Management co.", 4))
HINT = "Validity: red Expired · orange Not started · grey Current"


def describe(flt: ProviderFilter, companies: dict[int, str]) -> str:
    """The filter in force, in a few words."""
    parts = []
    if flt.company_id is not None:
        parts.append(f"company {companies.get(flt.company_id, flt.company_id)}")
    for name, label in (("provider", "name"), ("code", "code"), ("telephone", "telephone"),
                        ("apass", "APass")):
        if getattr(flt, name).strip():
            parts.append(f"{label} {getattr(flt, name).strip()}")
    if flt.empty_dates:
        parts.append("empty dates")
    return ", ".join(parts) if parts else "none"


def filter_form(flt: ProviderFilter, companies: list[tuple[Text, int]]) -> FormScreen:
    """The guide's FILTER box: by company, provider, empty dates, code, telephone, APass."""

    async def save(values: dict[str, Any]) -> ProviderFilter:
        return ProviderFilter(
            values["company_id"], values["provider"] or "", bool(values["empty_dates"]),
            values["code"] or "", values["telephone"] or "", values["apass"] or "")

    return FormScreen("Filter the service providers", [
        Field("company_id", "Management co.", flt.company_id, kind="select",
              options=companies),
        Field("provider", "Service Provider", flt.provider, max_length=60),
        Field("empty_dates", "Empty dates for access rights (permanent)", flt.empty_dates,
              kind="switch"),
        Field("code", "Keycode", flt.code, max_length=8),
        Field("telephone", "Telephone", flt.telephone, max_length=20),
        Field("apass", "Access Pass", flt.apass, max_length=10),
    ], save, save_label="Filter")


class ProvidersPane(ListActions[Any], Vertical):
    """Companies over providers, with the guide's actions on each."""

    BINDINGS = [*LIST_BINDINGS, Binding("s", "share", "Provider access"), *FILTER_BINDINGS]
    DEFAULT_CSS = """
    ProvidersPane .fac-title { height: 1; padding: 0 1; background: $panel; }
    ProvidersPane .fac-hint { height: 1; padding: 0 1; color: $text-muted; }
    ProvidersPane #companies { height: auto; max-height: 7; }
    ProvidersPane #providers { height: 1fr; }
    """

    def __init__(self, ctx: ConsoleContext, flt: ProviderFilter | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.loads = 0  # reloads done (tests wait for the first)
        self.companies: list[CompanyRow] = []
        self.flt = flt or ProviderFilter()

    # --- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("Management companies", id="companies-title", classes="fac-title")
        yield LogTable(COMPANY_COLUMNS, fetch=self._companies_page, cells=self._company_cells,
                       key=lambda c: c.id, id="companies")
        yield Static("Service providers", id="providers-title", classes="fac-title")
        yield LogTable(PROVIDER_COLUMNS, fetch=self._fetch, cells=self._cells,
                       key=lambda r: r.key, id="providers")
        yield Static(HINT, classes="fac-hint")

    @property
    def company_table(self) -> LogTable[CompanyRow]:
        return self.query_one("#companies", LogTable)

    @property
    def providers(self) -> LogTable[ProviderRow]:
        return self.query_one("#providers", LogTable)

    async def on_mount(self) -> None:
        await self.reload()

    async def reload(self) -> None:
        """Read the companies and the first page of providers again (side by side)."""
        await asyncio.gather(self.reload_companies(), self.providers.load(keep_cursor=True))
        self._providers_loaded()
        self.loads += 1

    async def reload_companies(self) -> None:
        await self.company_table.load(keep_cursor=True)
        self.query_one("#companies-title", Static).update(
            Text(f"Management companies · {len(self.companies)}", style="bold"))

    async def _companies_page(self, after: object, limit: int) -> list[CompanyRow]:
        """Every company the operator may see, at once (they are few)."""
        if after is not None:
            return []
        self.companies = await self.ctx.view(company_rows)
        return self.companies

    def _company_cells(self, c: CompanyRow) -> list[Text]:
        return [plain(c.name, "bold"), plain(c.person_in_charge), plain(c.telephone),
                plain(c.email), plain(str(c.providers)), plain(str(c.tasks)),
                plain("yes" if c.managed else "no")]

    async def reload_providers(self) -> None:
        await self.providers.load(keep_cursor=True)
        self._providers_loaded()

    def _providers_loaded(self) -> None:
        """Say the filter in force; the keys follow the rows."""
        names = {c.id: c.name for c in self.companies}
        self.query_one("#providers-title", Static).update(Text(
            f"Service providers · filter: {describe(self.flt, names)}", style="bold"))
        self.screen.refresh_bindings()

    async def _fetch(self, after: tuple[str, int] | None, limit: int) -> list[ProviderRow]:
        return await self.ctx.view(provider_page, self.flt, after, limit)

    def _cells(self, row: ProviderRow) -> list[Text]:
        p = row.provider
        phone = display_phone(p.mobile, "") if p.mobile else ""
        return [plain(p.name), validity_cell(p, self.ctx.actor.today()), plain(phone),
                plain(p.email), plain(p.mission), plain(row.company)]

    # --- what applies -------------------------------------------------------------------
    @property
    def on_companies(self) -> bool:
        return self.company_table.has_focus

    @property
    def company(self) -> CompanyRow | None:
        row = self.company_table.cursor_row
        return self.companies[row] if 0 <= row < len(self.companies) else None

    def company_options(self, managed_only: bool = True) -> list[tuple[Text, int]]:
        return [(plain(c.name), c.id) for c in self.companies if c.managed or not managed_only]

    @property
    def may_modify(self) -> bool:
        return self.ctx.can(None, Area.FACILITIES, Action.MODIFY)

    @property
    def current(self) -> CompanyRow | ProviderRow | None:
        """The company under the cursor (one I manage) or the provider."""
        if self.on_companies:
            company = self.company
            return company if company is not None and company.managed else None
        return self.providers.current

    def can_add(self) -> bool:
        return self.on_companies or bool(self.company_options())

    def filtered(self) -> bool:
        return self.flt != ProviderFilter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Sharing: a company I manage, for those who may change."""
        if action == "share":
            if not self.may_modify or not self.on_companies:
                return False
            return True if self.current is not None else None
        return super().check_action(action, parameters)

    @on(LogTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.screen.refresh_bindings()

    def on_descendant_focus(self) -> None:
        self.screen.refresh_bindings()

    @on(LogTable.RowSelected)
    async def _selected(self) -> None:
        if self.check_action("modify", ()):
            await self.action_modify()

    # --- acting -------------------------------------------------------------------------
    async def open_form(self, row: CompanyRow | ProviderRow | None) -> Screen[Any] | None:
        """A company's form (companies list) or a provider's (read again: another session
        may have changed it)."""
        if isinstance(row, CompanyRow) or (row is None and self.on_companies):
            return company_form(self.ctx, row)
        if row is None:
            return provider_form(self.ctx, self.company_options(), None)
        try:
            fresh = await self.ctx.view(provider_row, row.provider.id)
        except DoorkeeperError as err:
            self.say(err.message, error=True)
            return None
        options = self.company_options() or [(plain(fresh.company), fresh.provider.company_id)]
        return provider_form(self.ctx, options, fresh.provider)

    async def saved(self, row: Any) -> None:
        await self.reload()

    def delete_question(self, row: CompanyRow | ProviderRow) -> str:
        if isinstance(row, CompanyRow):
            return f"Delete the management company {row.name}?"
        return f"Delete the service provider {row.provider.name}?"

    async def delete(self, row: CompanyRow | ProviderRow) -> None:
        """A company with none of its providers or tasks left, or a provider."""
        if isinstance(row, CompanyRow):
            await self.ctx.change(delete_company, row.id)
        else:
            await self.ctx.change(delete_provider, id_of(row.provider))

    async def deleted(self, row: CompanyRow | ProviderRow) -> None:
        await self.reload()

    async def action_share(self) -> None:
        """The guide's Provider Access: who manages the company, share it, withdraw."""
        from console.screens.facilities_sharing import SharingScreen
        if self.company is not None:
            await self.app.push_screen(SharingScreen(self.ctx, self.company), self._shared)

    async def _shared(self, result: object) -> None:
        if result:
            await self.reload()

    async def action_filter(self) -> None:
        """The guide's FILTER box for the providers list."""
        await self.app.push_screen(filter_form(self.flt, self.company_options(False)),
                                   self._filtered)

    async def _filtered(self, flt: object) -> None:
        if isinstance(flt, ProviderFilter):
            self.flt = flt
            await self.reload_providers()
            self.providers.focus()

    async def action_clear_filter(self) -> None:
        self.flt = ProviderFilter()
        await self.reload_providers()
