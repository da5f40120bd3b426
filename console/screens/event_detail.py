"""The guide's "Detail" of an event: every field, as plain text, in a dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.context import ConsoleContext
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.views.events import event_detail
from core.views.rows import EventDetail

if TYPE_CHECKING:
    from textual.widget import Widget


def detail_lines(detail: EventDetail, tz: ZoneInfo) -> list[tuple[str, Text]]:
    """(label, value) for every field of the event, values shown literally."""
    e = detail.event
    local = e["at"].astimezone(tz)
    device = detail.device
    if detail.device_type:
        device = f"{device} ({detail.device_type})"
    return [
        ("Date & time", Text(f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"
                             f"  ({e['at']:%Y-%m-%d %H:%M:%S} UTC)")),
        ("Site", plain(detail.site)),
        ("Device", plain(device)),
        ("Block", plain(detail.block)),
        ("Flat", plain(detail.flat)),
        ("Event type", plain(e["kind"])),
        ("Result", plain(e["result"])),
        ("Credential", plain(e["credential"])),
        ("Name associated", plain(e["name"])),
        ("Pattern", plain(e["reason"])),
        ("Description", plain(e["description"])),
        ("Event N°", Text(str(e["id"]))),
    ]


class EventDetailScreen(ModalScreen[None]):
    """One event in full; Escape closes."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "close", "Close",
                                                             show=False),
                Binding("q", "close", "Close", show=False)]

    DEFAULT_CSS = """
    EventDetailScreen { align: center middle; background: $background 60%; }
    EventDetailScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    EventDetailScreen .detail-title { text-style: bold; margin-bottom: 1; }
    EventDetailScreen VerticalScroll { height: auto; max-height: 1fr; }
    EventDetailScreen .detail-line { height: auto; }
    EventDetailScreen .detail-label { width: 17; text-style: bold; }
    EventDetailScreen .detail-value { width: 1fr; }
    EventDetailScreen .detail-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, detail: EventDetail, tz: ZoneInfo) -> None:
        super().__init__()
        self.detail = detail
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Event detail"), classes="detail-title")
            with VerticalScroll():
                for label, value in detail_lines(self.detail, self.tz):
                    value.no_wrap = False
                    with Horizontal(classes="detail-line"):
                        yield Static(Text(label), classes="detail-label")
                        yield Static(value, classes="detail-value")
            yield Static("Escape to close", classes="detail-hint")
        yield KeyBar()  # this window's keys, not those of the screen under it

    def action_close(self) -> None:
        self.dismiss(None)


async def show_event_detail(node: Widget, ctx: ConsoleContext, event_id: int,
                            tz: ZoneInfo) -> None:
    """Read one event through core as the operator and open its Detail; a refusal (an
    event of a site they may not consult, or gone) is a notice, not a crash."""
    try:
        detail = await ctx.view(event_detail, event_id)
    except DoorkeeperError as err:
        node.notify(err.message, severity="error")
        return
    await node.app.push_screen(EventDetailScreen(detail, tz))
