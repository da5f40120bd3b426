"""The Messages screen (key M, or the palette): the guide's "Messages & Communication".

New SMS: the site's blocks (all or one), flats (all, or picked by Flat N°: "1-5, 8"),
and who in each flat (all numbers or the primary one). The recipient list shows each
flat and number; duplicates (red: sent once) and numbers that are not mobiles
(skipped, with why) are marked, and the line under it says "43 SMS will be sent;
1000 SMS currently available". The message box refuses a 161st character; its live
counter says GSM-7 or UCS-2 (70 characters, and which character forced it). ctrl+s
asks to confirm, then the campaign goes into the outbox through core's service
(which checks the right, the text and the balance again); the gateway sends it.
Below, the site's campaigns with their messages counted by status, refreshed every
second while any is under way; enter on one lists its messages with their statuses and
the provider's reasons. Administrators add credits (`+`).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select, Static

from console.context import ConsoleContext
from console.widgets.form import ConfirmScreen, Field, FormScreen
from console.widgets.guard import attempt, guarded
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from console.widgets.text_input import TextInput
from core import sms as rules
from core.errors import DoorkeeperError
from core.model_sms import SmsCampaign
from core.phones import shown_phone
from core.rights import Action, Area
from core.services import sms
from core.services.sms import CampaignRow, Selection
from core.sms import Mark, MessageStatus, RecipientList

ALL = 0  # the block Select's "All blocks"
LINES_SHOWN = 500  # recipient lines drawn; the count below is of all of them
CAMPAIGNS_SHOWN = 10
MARKS = {Mark.SEND: "", Mark.DUPLICATE: "duplicate: sent once"}
#: a number (or an email) longer than this is cut with "…", so the list's three columns
#: fit 100 columns with the guide's longest block names
NUMBER_WIDTH = 24


def mark_text(mark: Mark, reason: str) -> str:
    """What the list says of a line: nothing (sent), a duplicate, or why it is skipped, in
    a few words (the summary under the list counts them)."""
    if mark in MARKS:
        return MARKS[mark]
    if "email" in reason:
        return "✗ an email"
    return "✗ not a mobile" if "not a mobile" in reason else f"✗ {reason}"


def number_text(number: str) -> str:
    shown = shown_phone(number)
    return shown if len(shown) <= NUMBER_WIDTH else shown[:NUMBER_WIDTH - 1] + "…"


class MessagesScreen(Screen[None]):
    """New SMS and the campaigns of one site."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "send", "Send"),
        Binding("plus", "add_credits", "Add credits"),
    ]
    DEFAULT_CSS = """
    MessagesScreen #messages-title { height: 1; padding: 0 1; background: $panel; }
    MessagesScreen #sms-choice { height: 3; }
    MessagesScreen #sms-block { width: 1fr; }
    MessagesScreen #sms-flats { width: 1fr; }
    MessagesScreen #sms-who { width: 1fr; }
    MessagesScreen #sms-recipients { height: 1fr; }
    MessagesScreen #sms-summary { height: 1; padding: 0 1; }
    MessagesScreen #sms-summary.short { color: $error; }
    MessagesScreen #sms-counter { height: 1; padding: 0 1; color: $text-muted; }
    MessagesScreen #sms-counter.over { color: $error; }
    MessagesScreen #sms-campaigns { height: 7; }
    """

    def __init__(self, ctx: ConsoleContext, site_id: int) -> None:
        super().__init__()
        self.ctx, self.site_id = ctx, site_id
        self.listed: RecipientList | None = None
        self.balance = 0
        self.may_send = ctx.can(site_id, Area.SMS, Action.MODIFY)
        self.campaigns: list[CampaignRow] = []

    def compose(self) -> ComposeResult:
        site = self.ctx.site(self.site_id).name
        mode = "" if self.may_send else " · read only"
        yield Static(plain(f"Messages & Communication · {site}{mode}"), id="messages-title")
        with Horizontal(id="sms-choice"):
            yield Select([(plain("All blocks"), ALL)], value=ALL, allow_blank=False,
                         id="sms-block")
            yield TextInput(placeholder="Flats: all, or 1-5, 8", max_length=200,
                            id="sms-flats")
            yield Select([(plain("All numbers"), False), (plain("Primary number only"), True)],
                         value=False, allow_blank=False, id="sms-who")
        table: DataTable[Text] = DataTable(id="sms-recipients", cursor_type="row",
                                           zebra_stripes=True)
        table.add_columns("Flat", "Number", "")
        yield table
        yield Static("", id="sms-summary")
        yield TextInput(placeholder=f"Message (max {rules.SMS_MAX} characters)",
                        max_length=rules.SMS_MAX, id="sms-text", disabled=not self.may_send)
        yield Static(rules.counter(""), id="sms-counter")
        campaigns: DataTable[Text] = DataTable(id="sms-campaigns", cursor_type="row")
        campaigns.add_columns("Sent", "By", "SMS", "Status", "Message")
        yield campaigns
        yield KeyBar()

    async def on_mount(self) -> None:
        self.query_one("#sms-text" if self.may_send else "#sms-recipients").focus()
        await self.read_blocks()
        await self.read_recipients()
        await self.read_campaigns()
        self.set_interval(1.0, self._live)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return self.may_send
        if action == "add_credits":
            return self.may_send and self.ctx.can(self.site_id, Area.USERS, Action.MODIFY)
        return True

    # --- the recipient list ----------------------------------------------------------------
    @guarded
    async def read_blocks(self) -> None:
        blocks = await self.ctx.consult(sms.site_blocks, self.site_id)
        choice = self.query_one("#sms-block", Select)
        with choice.prevent(Select.Changed):
            choice.set_options([(plain("All blocks"), ALL)]
                               + [(plain(b.name), b.id or 0) for b in blocks])
            choice.value = ALL

    def selection(self) -> Selection:
        block = self.query_one("#sms-block", Select).value
        return Selection(self.site_id, (block,) if isinstance(block, int) and block != ALL
                         else (),
                         primary_only=bool(self.query_one("#sms-who", Select).value),
                         flat_numbers=self.query_one("#sms-flats", Input).value)

    @on(Select.Changed)
    @on(Input.Changed, "#sms-flats")
    def _choice_changed(self) -> None:
        self.run_worker(self.read_recipients,  # type: ignore[arg-type]
                        group="recipients", exclusive=True)

    @guarded
    async def read_recipients(self) -> None:
        """The recipient list of the choice, and the balance."""
        summary = self.query_one("#sms-summary", Static)
        try:
            listed, self.balance = await self.ctx.consult(sms.recipient_list, self.selection())
        except DoorkeeperError as err:
            if err.field != "flats":
                raise
            self.listed = None
            self.query_one("#sms-recipients", DataTable).clear()
            summary.update(plain(err.message))
            summary.add_class("short")
            return
        self.listed = listed
        table = self.query_one("#sms-recipients", DataTable)
        with self.app.batch_update():
            table.clear()
            for line in listed.lines[:LINES_SHOWN]:
                style = {Mark.DUPLICATE: "red", Mark.SKIPPED: "dim"}.get(line.mark, "")
                table.add_row(plain(line.flat, style), plain(number_text(line.number), style),
                              plain(mark_text(line.mark, line.reason), style))
        self.show_summary()

    def show_summary(self) -> None:
        """"43 SMS will be sent; 1000 SMS currently available" (red when it is short)."""
        listed = self.listed
        if listed is None:
            return
        text = f"{listed.count} SMS will be sent; {self.balance} SMS currently available"
        extra = [f"{listed.duplicates} duplicate" + ("s" if listed.duplicates > 1 else "")
                 if listed.duplicates else "",
                 f"{listed.skipped} skipped" if listed.skipped else ""]
        text += "".join(f" · {e}" for e in extra if e)
        short = listed.count > self.balance
        if short:
            text += " · not enough credits"
        summary = self.query_one("#sms-summary", Static)
        summary.update(plain(text))
        summary.set_class(short, "short")

    # --- the message -----------------------------------------------------------------------
    @on(Input.Changed, "#sms-text")
    def _text_changed(self, event: Input.Changed) -> None:
        counter = self.query_one("#sms-counter", Static)
        text = event.value
        over = rules.length(text) > rules.limit(text)
        counter.update(plain(rules.counter(text) + (" · too long" if over else "")))
        counter.set_class(over, "over")

    @on(Input.Submitted, "#sms-text")
    async def _submitted(self) -> None:
        await self.action_send()

    async def action_send(self) -> None:
        """Confirm, then queue the campaign (core checks the right, text and balance)."""
        if not self.may_send or self.listed is None:
            return
        text = self.query_one("#sms-text", Input).value
        try:
            rules.check_text(text)
            if not self.listed.count:
                raise DoorkeeperError("No mobile number among the chosen flats: nothing to "
                                      "send.")
            if self.listed.count > self.balance:
                raise DoorkeeperError(f"{self.listed.count} SMS would be sent; only "
                                      f"{self.balance} SMS currently available. Nothing "
                                      "was sent.")
        except DoorkeeperError as err:
            self.app.notify(err.message, severity="error", markup=False)
            return
        question = (f"Send this SMS to {self.listed.count} numbers of "
                    f"{self.ctx.site(self.site_id).name}?")
        self.app.push_screen(ConfirmScreen(question, "Send"), callback=self._confirmed)

    async def _confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        text = self.query_one("#sms-text", Input).value
        campaign = await attempt(self, self.ctx.change(sms.send_sms, self.selection(), text))
        if not isinstance(campaign, SmsCampaign):
            return
        self.query_one("#sms-text", Input).value = ""
        self.app.notify(f"{campaign.recipients} SMS queued; the gateway sends them.",
                        markup=False)
        await self.read_recipients()
        await self.read_campaigns()

    # --- credits ---------------------------------------------------------------------------
    def action_add_credits(self) -> None:
        async def save(values: dict) -> int:
            amount = values["amount"].strip()
            if not amount.isdigit():
                raise DoorkeeperError("Credits to add must be a whole number.", field="amount")
            return await self.ctx.change(sms.add_credits, self.site_id, int(amount))

        form = FormScreen(f"Add SMS credits to {self.ctx.site(self.site_id).name}",
                          [Field("amount", "SMS credits to add", "")], save,
                          save_label="Add credits")
        self.app.push_screen(form, callback=self._credits_added)

    async def _credits_added(self, balance: int | None) -> None:
        if balance:
            await self.read_recipients()

    # --- campaigns -------------------------------------------------------------------------
    @guarded
    async def read_campaigns(self) -> None:
        """The site's latest campaigns with their messages counted by status."""
        self.campaigns = await self.ctx.consult(sms.campaigns, self.site_id, CAMPAIGNS_SHOWN)
        table = self.query_one("#sms-campaigns", DataTable)
        zone = ZoneInfo(self.ctx.site(self.site_id).timezone)  # the site's own time
        with self.app.batch_update():
            table.clear()
            for row in self.campaigns:
                c = row.campaign
                when = c.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                table.add_row(plain(when), plain(c.created_by), plain(str(c.recipients)),
                              _status(row), plain(c.text))

    @on(DataTable.RowSelected, "#sms-campaigns")
    def _campaign_chosen(self, event: DataTable.RowSelected) -> None:
        """enter on a campaign: its messages, each with its status."""
        from console.screens.sms_campaign import CampaignScreen

        if 0 <= event.cursor_row < len(self.campaigns):
            campaign_id = self.campaigns[event.cursor_row].campaign.id
            if campaign_id is not None:
                self.app.push_screen(CampaignScreen(self.ctx, campaign_id))

    async def _live(self) -> None:
        """Every second, while a campaign shown is under way and this screen is on top."""
        if self.app.screen is not self:
            return
        if any(row.counts.get(MessageStatus.QUEUED) or row.counts.get(MessageStatus.SENT)
               for row in self.campaigns):
            self.run_worker(self.read_campaigns,  # type: ignore[arg-type]
                            group="campaigns", exclusive=True)

    def action_close(self) -> None:
        self.dismiss(None)


def _status(row: CampaignRow) -> Text:
    """"2 queued · 40 delivered · 1 failed", failures in red."""
    text = Text()
    for status in MessageStatus:
        n = row.counts.get(status, 0)
        if n:
            if text:
                text.append(" · ")
            text.append(f"{n} {status.value}",
                        "red" if status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
                        else "")
    return text or Text("none")


