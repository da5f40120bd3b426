"""The main screen's keys that open another screen (search, the overview, users,
facilities, the audit trail, messages, the set-up screens), and who may press them:
an operator without the right never sees the key (`check_action`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from console.context import ConsoleContext
from console.screens.setup import setup_allowed, setup_screen
from core.rights import Action, Area

if TYPE_CHECKING:
    from console.screens.overview import OverviewScreen


class OtherScreens(Screen):
    """The main screen's openers of other screens (console.screens.main)."""

    ctx: ConsoleContext
    site_id: int | None
    overview: OverviewScreen | None

    async def action_search(self) -> None:
        from console.screens.search import SearchScreen
        await self.app.push_screen(SearchScreen(self.ctx, self.site_id))

    async def action_overview(self) -> None:
        from console.screens.overview import OverviewScreen
        self.overview = OverviewScreen(self.ctx)
        await self.app.push_screen(self.overview, callback=self._after_overview)

    def _after_overview(self, _result: object) -> None:
        self.overview = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Users and Facilities only for operators who may consult them somewhere; the
        set-up screens only with their right on the site shown; the overview and the
        alarms with Events somewhere; the search (of flats, their residents and passes)
        with Flats somewhere."""
        if action in ("overview", "alarms"):
            return self.ctx.can(None, Area.EVENTS, Action.CONSULT)
        if action == "search":
            return self.ctx.can(None, Area.FLATS, Action.CONSULT)
        if action == "facilities":
            return self.ctx.can(None, Area.FACILITIES, Action.CONSULT)
        if action == "audit":
            from console.screens.audit import may_open
            return may_open(self.ctx)
        if action == "messages":
            return self.site_id is not None and self.ctx.can(self.site_id, Area.SMS)
        if action == "sites":
            return self.ctx.operator.active and self.ctx.operator.can_create_sites
        if action == "setup":
            return setup_allowed(self.ctx, self.site_id, str(parameters[0]))
        return action != "users" or self.ctx.can(None, Area.USERS, Action.CONSULT)

    async def action_setup(self, which: str) -> None:
        if self.site_id is not None and setup_allowed(self.ctx, self.site_id, which):
            await self.app.push_screen(setup_screen(self.ctx, self.site_id, which))

    async def action_users(self) -> None:
        from console.screens.users import UsersScreen
        await self.app.push_screen(UsersScreen(self.ctx))

    async def action_facilities(self) -> None:
        from console.screens.facilities import FacilitiesScreen
        await self.app.push_screen(FacilitiesScreen(self.ctx))

    async def action_audit(self) -> None:
        from console.screens.audit import AuditScreen
        await self.app.push_screen(AuditScreen(self.ctx, self.site_id))

    async def action_messages(self) -> None:
        """The guide's Messages & Communication: SMS to the site's residents."""
        from console.screens.messages import MessagesScreen
        if self.site_id is not None and self.ctx.can(self.site_id, Area.SMS):
            await self.app.push_screen(MessagesScreen(self.ctx, self.site_id))
