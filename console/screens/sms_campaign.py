"""One SMS campaign's messages (enter on the Messages screen's campaign list): each flat
and number with its status (queued, sent, delivered, undelivered, failed) and, for a
failure, the provider's reason. Read through core as the operator; shown as plain text."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.context import ConsoleContext
from console.widgets.guard import guarded
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from core.phones import shown_phone
from core.services import sms
from core.sms import MessageStatus

FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)


class CampaignScreen(Screen[None]):
    """The messages of one campaign."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("r", "reread", "Refresh")]
    DEFAULT_CSS = """
    CampaignScreen #campaign-title { height: 2; padding: 0 1; background: $panel; }
    CampaignScreen #campaign-messages { height: 1fr; }
    """

    def __init__(self, ctx: ConsoleContext, campaign_id: int) -> None:
        super().__init__()
        self.ctx, self.campaign_id = ctx, campaign_id

    def compose(self) -> ComposeResult:
        yield Static("", id="campaign-title")
        table: DataTable[Text] = DataTable(id="campaign-messages", cursor_type="row",
                                           zebra_stripes=True)
        table.add_columns("Flat", "Number", "Status", "Reference", "Why")
        yield table
        yield KeyBar()

    async def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        await self.action_reread()

    @guarded
    async def action_reread(self) -> None:
        campaign, messages = await self.ctx.consult(sms.campaign_messages, self.campaign_id)
        self.query_one("#campaign-title", Static).update(plain(
            f"Campaign of {campaign.recipients} SMS by {campaign.created_by}: {campaign.text}"))
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for m in messages:
                style = "red" if m.status in FAILED else ""
                table.add_row(plain(m.flat), plain(shown_phone(m.number)), plain(m.status.value, style),
                              plain(m.provider_ref or ""), plain(m.error, style))

    def action_close(self) -> None:
        self.dismiss(None)
