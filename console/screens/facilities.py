"""The Facilities screen (key F, or the palette): the guide's "Management / Facilities &
Tasks", for operators with the Facilities right on a site. Two views, as in the guide:
"My service providers & management cos" and "Access rights for my sites" (tasks).
Reads go through core's read services as the operator; changes through core services,
which check the rights again."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static, TabbedContent, TabPane

from console.context import ConsoleContext
from console.screens.facilities_providers import ProvidersPane
from console.screens.facilities_tasks import TasksPane
from console.widgets.key_bar import KeyBar
from core.rights import Action, Area
from core.views.facilities_rows import PROVIDER, FacilitiesHit, ProviderFilter

PANES = ("tab-providers", "tab-tasks")


class FacilitiesScreen(Screen[None]):
    """Management companies, their service providers, and tasks on my sites."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("1", "view(0)", "Providers", show=False),
        Binding("2", "view(1)", "Tasks", show=False),
    ]
    DEFAULT_CSS = """
    FacilitiesScreen #facilities-title { height: 1; padding: 0 1; background: $panel; }
    FacilitiesScreen TabbedContent { height: 1fr; }
    FacilitiesScreen TabPane { padding: 0; height: 1fr; }
    """

    def __init__(self, ctx: ConsoleContext, found: FacilitiesHit | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        #: a provider or company the search found: the providers list opens filtered to it
        self.flt = ProviderFilter()
        if found is not None:
            self.flt = ProviderFilter(found.company_id, found.name if found.kind == PROVIDER
                                      else "")

    def compose(self) -> ComposeResult:
        mode = "" if self.ctx.can(None, Area.FACILITIES, Action.MODIFY) else " · read only"
        yield Static(f"Management / Facilities & Tasks{mode}", id="facilities-title")
        with TabbedContent(id="facilities-tabs"):
            with TabPane("My service providers & management cos", id="tab-providers"):
                yield ProvidersPane(self.ctx, self.flt, id="providers-pane")
            with TabPane("Access rights for my sites", id="tab-tasks"):
                yield TasksPane(self.ctx, id="tasks-pane")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#companies").focus()

    def action_view(self, index: int) -> None:
        """Show one of the two views (1 providers, 2 tasks) and focus its list."""
        self.query_one("#facilities-tabs", TabbedContent).active = PANES[index]
        self.query_one("#companies" if index == 0 else "#tasks").focus()

    def action_close(self) -> None:
        self.dismiss(None)
