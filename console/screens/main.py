"""The main screen: a site → block tree, the site header, and the guide's tabs
Blocks / Devices / Displays / Access Passes / Events, with the alarm count always in
view. Everything it changes goes through core services (via the context); everything
live comes from the gateway's bus, drained a few times a second.

Only the tab shown first is composed with the screen; each other tab is composed into
its pane the first time it is shown (`built`): a console's first frame then styles and
lays out one tab, not five (docs/ssh-sessions.md, the open floor). A tab not built yet
still learns the selection and takes its live batches as a hidden tab does (it reads
the store when first shown)."""

from __future__ import annotations

import asyncio
import random
import time
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static, TabbedContent, TabPane, Tree

from console.context import ConsoleContext
from console.live import LiveBatch
from console.screens.main_keys import OtherScreens
from console.tabs.access_passes import AccessPassesTab
from console.tabs.base import SiteTab
from console.tabs.blocks import BlocksTab
from console.tabs.devices import DevicesTab
from console.tabs.displays import DisplaysTab
from console.tabs.events import EventsTab
from console.widgets.chrome import AlarmBadge, SiteHeaderBar, SiteTree
from console.widgets.guard import guarded
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from core.rights import Action, Area
from core.views.blocks import block_rows, site_header
from core.views.events import live_alarms, open_alarm_count
from core.views.rows import BlockRow

if TYPE_CHECKING:
    from console.screens.overview import OverviewScreen

TABS: tuple[type[SiteTab], ...] = (BlocksTab, DevicesTab, DisplaysTab, AccessPassesTab,
                                   EventsTab)
#: live batches are drained this often: a few repaints a second at most
LIVE_INTERVAL = 0.25
#: below this width the tree starts hidden (toggle with t)
NARROW = 100
GATEWAY_AWAY = ("⚠ Gateway lost: live events, device states and door commands are paused; "
                "reconnecting…")
GATEWAY_BACK = "Gateway back: the event log is reloaded from the store."


class MainScreen(OtherScreens):
    """The console of one operator."""

    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("a", "alarms", "Alarms"),
        Binding("O", "overview", "Overview", show=False),
        Binding("u", "users", "Users"),
        Binding("F", "facilities", "Facilities"),
        Binding("M", "messages", "Messages", show=False),  # the palette and `?` list it
        Binding("S", "sites", "Sites", show=False),
        Binding("A", "audit", "Audit", show=False),
        Binding("w", "setup('week_types')", "Week types"),
        Binding("P", "setup('profiles')", "Profiles"),
        Binding("t", "toggle_tree", "Tree"),
        Binding("question_mark", "app.keys", "Keys"),
        Binding("escape", "leave_field", "Leave field", show=False),
        Binding("1", "tab(0)", "Blocks", show=False),
        Binding("2", "tab(1)", "Devices", show=False),
        Binding("3", "tab(2)", "Displays", show=False),
        Binding("4", "tab(3)", "Passes", show=False),
        Binding("5", "tab(4)", "Events", show=False),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.site_id: int | None = ctx.sites[0].id if ctx.sites else None
        self.block_id: int | None = None
        self.alarm_count = 0
        self.gateway_away = False
        self._drained_at = 0.0
        self.tabs: dict[str, SiteTab] = {}
        self._building = asyncio.Lock()
        #: the live overview, while it is open (it takes the live batches when shown)
        self.overview: OverviewScreen | None = None

    # --- layout ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static("Doorkeeper", id="brand")
            yield Static(plain(self.ctx.operator.email), id="who")
            badge = AlarmBadge(id="alarm-badge")
            badge.display = self.ctx.can(None, Area.EVENTS)  # no count of what one may not see
            yield badge
        yield Static(GATEWAY_AWAY, id="gateway-banner")
        with Horizontal(id="body"):
            yield SiteTree(id="tree")
            with Vertical(id="main"):
                yield SiteHeaderBar(id="site-header")
                first = self._first_pane()
                with TabbedContent(id="tabs"):
                    for cls in TABS:
                        pane_id = f"pane-{cls.__name__.lower()}"
                        tab = self.tabs[pane_id] = cls(self.ctx,
                                                        id=f"tab-{cls.__name__.lower()}")
                        with TabPane(cls.title, id=pane_id):
                            if pane_id == first:
                                yield tab
        yield KeyBar()

    async def on_mount(self) -> None:
        if self.size.width < NARROW:
            self.query_one(SiteTree).display = False
        # focused now, not through the app's queue (busy until this screen is mounted):
        # the first frame is drawn focused, not restyled and drawn again just after
        self.set_focus(self.tabs[self._first_pane()].focus_target)
        await self._first_read()
        if self.query_one(TabbedContent).active in self.tabs:  # "" when no tab shows
            self._focus_tab()
        # the live feed once the first frame is drawn, not a fixed time after the mount
        # (a loaded machine may take longer to draw it): what came meanwhile waits in
        # the buffer and is the first batch
        self.call_after_refresh(self._start_drains)

    def _start_drains(self) -> None:
        """Each session drains at its own phase: sessions that opened together (a worker
        restarted, a desk logging in at 8:00) would otherwise repaint in step, and the
        worker's other sessions would wait for the whole burst."""
        self.set_timer(random.uniform(0.01, LIVE_INTERVAL),  # never 0 (overview._due)
                       lambda: self.set_interval(LIVE_INTERVAL, self.drain_live))

    def _first_pane(self) -> str:
        """The pane select shows first: the first tab allowed on the first site."""
        allowed = [c for c in TABS if self.site_id is not None and self.ctx.can(self.site_id, c.area)]
        return f"pane-{(allowed or TABS)[0].__name__.lower()}"

    async def built(self, pane_id: str) -> SiteTab:
        """The tab of a pane, composed into it when first shown."""
        tab = self.tabs[pane_id]
        async with self._building:  # a second caller waits for the first's mount
            if tab.parent is None:
                await self.query_one(f"#{pane_id}", TabPane).mount(tab)
        return tab

    def _focus_tab(self) -> None:
        """The focus to the tab shown, once it is built."""
        tab = self.tabs.get(self.query_one(TabbedContent).active)
        if tab is not None and tab.is_mounted:
            # now, not through the app's queue (Widget.focus): a key typed just after
            # the one that showed the tab ("2" then "o", read from the terminal at once,
            # both queued already) goes to the tab, not to the one it hid
            self.set_focus(tab.focus_target)

    @guarded
    async def _first_read(self) -> None:
        """The tree, the alarm count and the first site (a store that cannot answer is
        said; the live feed and the keys work on)."""
        tree = self.query_one(SiteTree)
        for site in self.ctx.sites:
            tree.add_site(site.id, site.name, await self._blocks(site.id))
        await self.refresh_alarm_count()
        if self.site_id is not None:
            await self.select(self.site_id, None)

    # --- selection ------------------------------------------------------------------
    @property
    def active_tab(self) -> SiteTab:
        return self.tabs[self.query_one(TabbedContent).active]

    @guarded
    async def select(self, site_id: int, block_id: int | None) -> None:
        """Show a site (and block): rights, then every tab learns of it while the header
        is read (both are in the first frame)."""
        self.site_id, self.block_id = site_id, block_id
        tabbed = self.query_one(TabbedContent)
        for pane_id, tab in self.tabs.items():
            if self.ctx.can(site_id, tab.area, Action.CONSULT):
                tabbed.show_tab(pane_id)
            else:
                tabbed.hide_tab(pane_id)
        visible = [p for p, t in self.tabs.items() if self.ctx.can(site_id, t.area)]
        if visible and tabbed.active not in visible:
            tabbed.active = visible[0]

        async def tabs() -> None:
            for tab in self.tabs.values():
                await tab.select(site_id, block_id)
            if visible:
                await (await self.built(tabbed.active)).show()

        header, _ = await asyncio.gather(self.ctx.view(site_header, site_id), tabs())
        self.query_one(SiteHeaderBar).show_header(header, self._block_name(site_id, block_id))

    def _block_name(self, site_id: int, block_id: int | None) -> str | None:
        """The block's name as the tree shows it."""
        if block_id is None:
            return None
        for site in self.query_one(SiteTree).root.children:
            for node in site.children:
                if node.data == (site_id, block_id):
                    return str(node.label)
        return None

    @on(Tree.NodeSelected, "#tree")
    async def _tree_selected(self, event: Tree.NodeSelected) -> None:
        if event.node.data is not None:
            await self.select(*event.node.data)
            self._focus_tab()

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id != "tabs" or event.pane.id != event.tabbed_content.active:
            return  # another pane was activated since (select chose the first allowed)
        for pane_id, tab in self.tabs.items():
            if pane_id != event.pane.id:
                tab.hide()
        await (await self.built(event.pane.id)).show()

    async def on_screen_resume(self) -> None:
        """Back from a dialog or another screen: the tab shown, if a change came while it
        was covered (no redraw under a modal), reads it now, not at the next change (the
        stock count after a flat's Add APasses lagged until then)."""
        active = self.query_one(TabbedContent).active
        tab = self.tabs.get(active)
        if tab is not None and tab.shown and tab.stale and tab.site_id is not None \
                and tab.can():
            await tab.refresh_tab()

    # --- live -----------------------------------------------------------------------
    @guarded
    async def drain_live(self) -> None:
        """Take what the gateway sent since the last drain and show it once."""
        if self.ctx.live is None:
            return
        now = time.monotonic()
        if now - self._drained_at < self.ctx.live.drain_interval - LIVE_INTERVAL / 2:
            return  # a busy process: every other tick
        self._drained_at = now
        batch: LiveBatch = self.ctx.live.drain()
        if batch.gateway_lost is not None:
            self.show_gateway(lost=batch.gateway_lost)
        if batch.alarms or batch.acknowledged or batch.changed:
            new = live_alarms(self.ctx.viewer, batch.alarms)
            await self.refresh_alarm_count(connected=batch.connected)
            if new:
                self.app.bell()
                self.query_one(AlarmBadge).flash()
                # the gateway publishes an alarm before its writer has stored it: count
                # again once the group commit has surely landed
                self.set_timer(0.5, partial(self.refresh_alarm_count, later=0.5))
        if not batch:
            return
        if batch.changed:
            await self._reread_chrome()
        screen_is_main = self.app.screen is self  # no redraw under a modal
        for tab in self.tabs.values():
            if tab.shown and screen_is_main:
                await tab.live(batch)
            else:
                tab.live_hidden(batch)
        if self.overview is not None and self.app.screen is self.overview:
            await self.overview.live(batch)

    def show_gateway(self, lost: bool) -> None:
        """The gateway went away (a banner, the bell, an error notice, the badge says
        offline) or came back (all cleared; the tabs reload from the store)."""
        self.gateway_away = lost
        self.query_one("#gateway-banner").display = lost
        self.query_one(AlarmBadge).set_count(self.alarm_count, connected=not lost)
        if lost:
            self.app.bell()
            self.query_one(AlarmBadge).flash()
            self.notify(GATEWAY_AWAY, title="Gateway lost", severity="error", timeout=10,
                        markup=False)
        else:
            self.notify(GATEWAY_BACK, title="Gateway back", markup=False)

    async def _blocks(self, site_id: int) -> list[BlockRow]:
        """A site's blocks for the tree (none where the operator may not consult them),
        read once for the sessions of this process that see the same."""
        if not self.ctx.can(site_id, Area.BLOCKS):
            return []
        return await self.ctx.view_shared(block_rows, site_id)

    @guarded
    async def _reread_chrome(self) -> None:
        """The tree's blocks and the site header, after a change made anywhere."""
        tree = self.query_one(SiteTree)
        for site in self.ctx.sites:
            tree.set_blocks(site.id, await self._blocks(site.id))
        if self.site_id is not None:
            self.query_one(SiteHeaderBar).show_header(
                await self.ctx.view_shared(site_header, self.site_id),
                self._block_name(self.site_id, self.block_id))

    @guarded
    async def refresh_alarm_count(self, connected: bool = True, later: float = 0.0) -> None:
        """Count my sites' open alarms (one query shared by the sessions of a process)."""
        self.alarm_count = await self.ctx.view_shared(open_alarm_count, later=later)
        self.query_one(AlarmBadge).set_count(self.alarm_count,
                                             connected and not self.gateway_away)

    # --- actions --------------------------------------------------------------------
    async def action_tab(self, index: int) -> None:
        pane_id = list(self.tabs)[index]
        tabbed = self.query_one(TabbedContent)
        if self.site_id is not None and self.ctx.can(self.site_id, self.tabs[pane_id].area):
            tabbed.active = pane_id
            # built, read and focused before the next key is handled: keys read from the
            # terminal at once ("2" then "o") are all queued already, and the second
            # would find the list empty, or the focus still on the tab just hidden
            await (await self.built(pane_id)).show()
            self._focus_tab()

    def action_toggle_tree(self) -> None:
        tree = self.query_one(SiteTree)
        tree.display = not tree.display
        tree.focus() if tree.display else self._focus_tab()

    def action_leave_field(self) -> None:
        """Escape in a tab's field (a filter): back to the tab's list, whose keys work."""
        if isinstance(self.focused, Input) and self.tabs:
            self._focus_tab()

    async def action_alarms(self) -> None:
        from console.screens.alarms import AlarmsScreen
        await self.app.push_screen(AlarmsScreen(self.ctx), callback=self._after_alarms)

    async def action_sites(self) -> None:
        from console.screens.sites import SitesScreen
        await self.app.push_screen(SitesScreen(self.ctx), callback=self._after_sites)

    @guarded
    async def _after_sites(self, _result: object) -> None:
        """Sites created (or renamed) join the tree; the header shows the quotas saved."""
        tree = self.query_one(SiteTree)
        for node in list(tree.root.children):
            node.remove()
        for site in self.ctx.sites:
            tree.add_site(site.id, site.name, await self._blocks(site.id))
        if self.site_id is None and self.ctx.sites:
            self.site_id = self.ctx.sites[0].id
        if self.site_id is not None:
            await self.select(self.site_id, self.block_id)

    async def _after_alarms(self, _result: object) -> None:
        await self.refresh_alarm_count()

    async def open_flat(self, site_id: int, block_id: int, flat_id: int) -> None:
        """Go to a flat's block and open its Flat management (from search)."""
        await self.select(site_id, block_id)
        await self.action_tab(0)
        await self.tabs["pane-blockstab"].open_flat(flat_id)
