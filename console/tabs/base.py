"""What every tab of the selected site shares: it loads only when shown, and a live
batch that arrives while it is hidden only marks it stale (hidden tabs never redraw)."""

from __future__ import annotations

from typing import ClassVar, Self

from textual.containers import Vertical
from textual.widget import Widget

from console.context import ConsoleContext
from console.live import LiveBatch
from console.widgets.guard import DROPPED, attempt
from console.widgets.message_line import MessageLine
from core.rights import Action, Area


class SiteTab(Vertical):
    """A tab of the selected site (and block, when the tree selects one)."""

    #: the right needed to see this tab at all
    area: ClassVar[Area]
    title: ClassVar[str]

    def __init__(self, ctx: ConsoleContext, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.site_id: int | None = None
        self.block_id: int | None = None
        self.stale = True
        self.shown = False

    @property
    def focus_target(self) -> Widget:
        """The widget the tab's focus goes to (its list; subclasses)."""
        return self

    def focus(self, scroll_visible: bool = True) -> Self:
        target = self.focus_target
        if target is self:
            return super().focus(scroll_visible)
        target.focus(scroll_visible)
        return self

    def can(self, action: Action = Action.CONSULT, area: Area | None = None) -> bool:
        """Whether the operator holds this right on the selected site."""
        return self.ctx.can(self.site_id, area or self.area, action)

    async def select(self, site_id: int, block_id: int | None) -> None:
        """The tree's selection changed: reload now if shown, else when shown."""
        self.site_id, self.block_id = site_id, block_id
        self.stale = True
        if self.shown:
            await self.refresh_tab()

    async def show(self) -> None:
        """The tab became visible."""
        self.shown = True
        # a tab the operator may not consult on this site reads nothing (Textual
        # activates the first tab even while it is hidden)
        if self.stale and self.site_id is not None and self.can():
            await self.refresh_tab()

    def hide(self) -> None:
        """Another tab is shown: what this one said no longer concerns what is shown."""
        self.shown = False
        for line in self.query(MessageLine):
            line.clear()

    async def refresh_tab(self) -> None:
        """Reload; a store that cannot answer is said, and the tab reloads when next
        shown or changed (console.widgets.guard)."""
        self.stale = False
        if await attempt(self, self.reload()) is DROPPED:
            self.stale = True

    async def reload(self) -> None:
        """Read what the tab shows from the store (subclasses)."""

    async def live(self, batch: LiveBatch) -> None:
        """A coalesced batch of live messages while shown. By default a change made
        elsewhere reloads the tab, keeping the cursor where it is."""
        if batch.changed:
            await self.refresh_tab()

    def live_hidden(self, batch: LiveBatch) -> None:
        """A batch while hidden: remember to reload when shown."""
        if batch.changed:
            self.stale = True
