"""SERVICE PROVIDER ACCESS (the guide's 12.5, "Provider Access"): who manages a
management company; add a user by email to share it with them, delete a line to
withdraw it. Both operators see the company and this list; every change is audited."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static

from console.context import ConsoleContext
from console.widgets.form import ConfirmScreen, Field, FormScreen
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import CompanyAccess
from core.services.facilities_sharing import share_company, withdraw_share
from core.views.facilities import company_shares
from core.views.facilities_rows import CompanyRow, ShareRow

COLUMNS = ("Name & First Name", "User / Email", "Status")


def add_user_form(ctx: ConsoleContext, company: CompanyRow) -> FormScreen:
    """NEW USER: the email (or login) of the operator to share the company with."""

    async def save(values: dict[str, Any]) -> CompanyAccess:
        return await ctx.change(share_company, company.id, values["email"] or "")

    return FormScreen(f"Share {company.name} with", [
        Field("email", "Email *", placeholder="name@example.com", max_length=254)],
        save, save_label="Add")


class SharingScreen(ModalScreen[bool]):
    """The operators who manage one company; dismissed with True if it changed."""

    BINDINGS = [Binding("escape", "close", "Close"),
                Binding("n", "add", "Add a user"),
                Binding("d", "withdraw", "Delete")]

    def __init__(self, ctx: ConsoleContext, company: CompanyRow) -> None:
        super().__init__(classes="form-screen")
        self.ctx = ctx
        self.company = company
        self.shares: list[ShareRow] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(f"Service provider access · {self.company.name}", "bold"),
                         classes="dialog-title")
            table: DataTable[Text] = DataTable(id="shares", cursor_type="row")
            table.add_columns(*COLUMNS)
            yield table
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add a user", variant="primary", id="add")
                yield Button("Close", id="close")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#shares", DataTable)

    async def on_mount(self) -> None:
        await self.reload()
        self.table.focus()

    async def reload(self) -> None:
        self.shares = await self.ctx.view(company_shares, self.company.id)
        table = self.table
        table.clear()
        for s in self.shares:
            when = f" on {s.added_at.date()}" if s.added_at else ""
            status = "Creator" if s.owner else f"Shared by {s.added_by}{when}"
            table.add_row(plain(s.name), plain(s.email), plain(status))
        if not self.shares:
            table.add_row(plain("No login"), plain(""), plain(""))
        self.refresh_bindings()

    @property
    def current(self) -> ShareRow | None:
        row = self.table.cursor_row
        return self.shares[row] if 0 <= row < len(self.shares) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "withdraw":
            current = self.current
            return True if current is not None and not current.owner else None
        return True

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @on(Button.Pressed, "#add")
    async def action_add(self) -> None:
        """Share the company with one more operator."""
        await self.app.push_screen(add_user_form(self.ctx, self.company), self._after)

    async def _after(self, result: object) -> None:
        if result:
            self.changed = True
            await self.reload()

    @work(exclusive=True, group="sharing")
    async def action_withdraw(self) -> None:
        """Withdraw the share on the line (the creator's line stays)."""
        current = self.current
        if current is None or current.owner:
            return
        question = f"Withdraw {self.company.name} from {current.email}?"
        if not await self.app.push_screen_wait(ConfirmScreen(question, yes="Withdraw")):
            return
        try:
            await self.ctx.change(withdraw_share, current.id)
        except DoorkeeperError as err:
            self.notify(str(err), severity="error")
            return
        self.changed = True
        await self.reload()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(self.changed)
