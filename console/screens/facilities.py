"""The Facilities screen (key F, or the palette): the guide's "Management / Facilities &
Tasks", for operators with the Facilities right on a site. Two views, as in the guide:
"My service providers & management cos" and "Access rights for my sites" (tasks).
Reads go through core's read services as the operator; changes through core services,
which check the rights again. The tasks view is built and read the first time it is
shown: most operators open the screen for the providers, and building both views made
the first frame wait for the hidden one."""

from __future__ import annotations

from textual import on
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
    FacilitiesScreen LogTable:focus { background-tint: $foreground 5%; }
    FacilitiesScreen LogTable:focus > .striptable--header { background-tint: $foreground 5%; }
    """

    def __init__(self, ctx: ConsoleContext, found: FacilitiesHit | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._tasks: TasksPane | None = None  # built when first shown
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
            yield TabPane("Access rights for my sites", id="tab-tasks")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#companies").focus()

    async def tasks_pane(self) -> TasksPane:
        """The tasks view, built the first time it is asked for: its first page is read,
        then it is mounted in one frame."""
        if self._tasks is None:
            pane = self._tasks = TasksPane(self.ctx, id="tasks-pane")
            await pane.read_ahead()
            with self.app.batch_update():
                await self.query_one("#tab-tasks", TabPane).mount(pane)
        return self._tasks

    @on(TabbedContent.TabActivated)
    async def _shown(self, event: TabbedContent.TabActivated) -> None:
        """The tasks tab chosen with the mouse or the tabs' keys."""
        if event.pane.id == "tab-tasks":
            await self.tasks_pane()

    def action_view(self, index: int) -> None:
        """Show one of the two views (1 providers, 2 tasks). Done in the screen's own
        queue, so that whatever waits for the screen to be idle (a test's key press)
        finds the view shown, even when it was built and read first."""
        self.call_later(self._view, index)

    async def _view(self, index: int) -> None:
        tabs = self.query_one("#facilities-tabs", TabbedContent)
        if index == 0:
            tabs.active = PANES[0]
            self.query_one("#companies").focus()
            return
        pane = await self.tasks_pane()  # read while the providers still show
        with self.app.batch_update():
            tabs.active = PANES[1]
            pane.tasks.focus()

    def action_close(self) -> None:
        self.dismiss(None)
