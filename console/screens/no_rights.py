"""What an operator sees whose rights give none of the main screen's tabs on any site
(a custom profile with, say, only the Users right): a plain message instead of an empty
main screen, and the way out."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static

from console.context import ConsoleContext
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain


def message(ctx: ConsoleContext) -> Text:
    """Who is logged in, and that their rights show nothing here."""
    text = Text("No rights to consult\n\n", style="bold")
    text.append_text(plain(ctx.operator.email, "bold"))
    text.append(" has no rights on the blocks, devices, displays, access passes or "
                "events of any site. Ask an administrator to grant a profile on a site.")
    return text


class NoRightsScreen(Screen[None]):
    """A plain message for an operator with no tab on any site."""

    BINDINGS = [Binding("q", "app.quit", "Quit"), Binding("escape", "app.quit", "Quit",
                                                          show=False)]
    DEFAULT_CSS = """
    NoRightsScreen #no-rights { width: 60; height: auto; padding: 1 2; border: round $warning; }
    """

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(message(self.ctx), id="no-rights")
        yield KeyBar()
