"""The Doorkeeper console app: one per operator session (a local terminal, or one SSH
session of `doorkeeper serve`). It shows the main screen of the operator's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import partial

from textual import events
from textual.actions import SkipAction
from textual.app import App, ScreenError, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, TextArea

from console import textual_compat
from console.context import ConsoleContext
from console.screens.main import TABS, MainScreen
from console.screens.no_rights import NoRightsScreen


class DoorkeeperApp(App):
    """The console of one operator. Give it a context, or a coroutine function that
    makes one in the app's own event loop (snapshot tests, SSH sessions)."""

    CSS_PATH = "console.tcss"
    TITLE = "Doorkeeper"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True),
                # every screen, dialogs included (a modal screen hides the app's ordinary
                # bindings); a text field keeps "?" typed into it (SkipAction)
                Binding("question_mark", "keys", "Keys", show=False, priority=True),
                # Escape closes the keys panel first, not the screen under it
                Binding("escape", "hide_keys", show=False, priority=True)]

    def __init__(self, ctx: ConsoleContext | None = None, *,
                 make_ctx: Callable[[], Awaitable[ConsoleContext]] | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        textual_compat.share_css_parses(self)
        self.ctx = ctx
        self.make_ctx = make_ctx

    async def on_mount(self) -> None:
        ctx = self.ctx
        if ctx is None:
            if self.make_ctx is None:
                raise RuntimeError("DoorkeeperApp needs a context or make_ctx")
            ctx = self.ctx = await self.make_ctx()
            self._owns_store = True
        founder = ctx.operator.active and ctx.operator.can_create_sites  # S: a first site
        if founder or any(ctx.can(site.id, tab.area) for site in ctx.sites for tab in TABS):
            await self.push_screen(MainScreen(ctx))
        else:  # nothing the main screen could show (it has no tab to open)
            await self.push_screen(NoRightsScreen(ctx))

    def on_resize(self, event: events.Resize) -> None:
        """The terminal's size as its driver says it when it starts (after the first
        screen is drawn, on a loaded machine) repeats the size that screen was laid out
        at: it would lay the screen out and draw it all again for nothing (in a burst of
        SSH logins, a third of a session's CPU in the seconds after its first frame:
        docs/ssh-sessions.md). Any other size is a resize."""
        try:
            laid_out = self.screen.outer_size
        except ScreenError:
            return
        if event.size == laid_out == self.size:
            event.prevent_default()

    async def on_unmount(self) -> None:
        if getattr(self, "_owns_store", False) and self.ctx is not None:
            await self.ctx.store.close()

    def action_keys(self) -> None:
        """The keys of the screen shown, in a panel beside it (again: hidden)."""
        if isinstance(self.focused, Input | TextArea):
            raise SkipAction  # the key goes on to the field, as the character typed
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape is the keys panel's only while it is open: otherwise the binding is not
        # there at all, and the screen's Escape (shown in its key bar) is the one
        if action == "hide_keys":
            return bool(self.screen.query("HelpPanel"))
        return super().check_action(action, parameters)

    def action_hide_keys(self) -> None:
        """Escape with the keys panel open closes the panel, not the screen under it."""
        self.action_hide_help_panel()
        self.refresh_bindings()

    @property
    def main(self) -> MainScreen:
        """The main screen (under any dialog)."""
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette reaches every action: the app's, and every key that applies here."""
        yield from super().get_system_commands(screen)
        seen = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            yield SystemCommand(binding.description, f"key: {key}",
                                partial(self._run_binding, active.node, binding.action))

    def _run_binding(self, node, action: str) -> None:
        self.call_later(node.run_action, action)
