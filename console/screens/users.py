"""The Users screen (key `u`): the guide's user tab. Operators I may see, one line per
site with its profile and validity (expired red, not started orange, current grey);
add a user, change a profile or give another site, revoke a site, add or remove a
public key, set a password. Changes go through core services (via the context), which
check the rights again."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.context import ConsoleContext
from console.screens.user_forms import (
    add_user_form,
    grant_form,
    key_form,
    password_form,
    remove_key_form,
)
from console.widgets.form import ConfirmScreen
from console.widgets.guard import guarded
from console.widgets.key_bar import KeyBar
from console.widgets.paged_table import RowTable
from console.widgets.plain import plain, validity
from core.errors import DoorkeeperError
from core.rights import Action, Area
from core.services.operators import revoke_site
from core.views.operators import operator_rows
from core.views.rows import GrantRow, OperatorRow

# the guide's "Sites  Profile  Validity" first, so they fit 80 columns
COLUMNS = ("User / Email", "Site", "Profile", "Validity", "Keys", "Status", "Login")
HINT = "Validity: red expired · orange not started · grey current. Creator: may create sites"


@dataclass(frozen=True)
class Line:
    """One line of the table: an operator and one of their sites (or none)."""

    row: OperatorRow
    grant: GrantRow | None


class UsersScreen(Screen[None]):
    """Operators and their profile by site."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("n", "add_user", "Add a user"),
        Binding("p", "profile", "Change profile"),
        Binding("g", "give_site", "Give a site"),
        Binding("r", "revoke", "Revoke site"),
        Binding("k", "add_key", "Add key"),
        Binding("x", "remove_key", "Remove key"),
        Binding("w", "password", "Password"),
    ]

    DEFAULT_CSS = """
    UsersScreen #users-title { height: 1; padding: 0 1; background: $panel; }
    UsersScreen #users-hint { height: auto; padding: 0 1; color: $text-muted; }
    UsersScreen DataTable { height: 1fr; }
    """

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.lines: list[Line] = []

    # --- what I may do ------------------------------------------------------------------
    @property
    def creator(self) -> bool:
        return self.ctx.operator.active and self.ctx.operator.can_create_sites

    def _sites(self, action: Action) -> list[int]:
        return [s.id for s in self.ctx.sites if self.ctx.can(s.id, Area.USERS, action)]

    def site_options(self) -> list[tuple[Text, int]]:
        """Sites where I may change users, for the dialogs' Site selects."""
        mine = set(self._sites(Action.MODIFY))
        return [(plain(s.name), s.id) for s in self.ctx.sites if s.id in mine]

    def _may_manage(self, line: Line | None) -> bool:
        """Whether the line's operator is me, or one whose every site I may change."""
        if line is None:
            return False
        op = line.row.operator
        if op.id == self.ctx.operator.id:
            return True
        if self.creator:
            return True
        mine = set(self._sites(Action.MODIFY))
        return bool(mine) and not op.can_create_sites and all(
            g.site_id in mine for g in line.row.grants)

    # --- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text("Users", style="bold"), id="users-title")
        table: DataTable[Text | str] = RowTable(id="users-table", cursor_type="row",
                                                 zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static(HINT, id="users-hint")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#users-table", DataTable)

    async def on_mount(self) -> None:
        await self.reload()
        self.table.focus()

    async def reload(self) -> None:
        """Read the operators again, keeping the cursor on the same line."""
        current = self.current
        keep = (current.row.id, current.grant.site_id if current.grant else None) \
            if current else None
        rows = await self.ctx.view(operator_rows)
        self.lines = [Line(r, g) for r in rows for g in (r.grants or [None])]
        table = self.table
        table.clear()
        cursor = 0
        for index, line in enumerate(self.lines):
            table.add_row(*self._cells(line, first=index == 0
                                       or self.lines[index - 1].row is not line.row))
            if keep == (line.row.id, line.grant.site_id if line.grant else None):
                cursor = index
        if self.lines:
            table.move_cursor(row=cursor, animate=False)
        count = len(rows)
        self.query_one("#users-title", Static).update(Text(
            f"Users · {count} operator{'s' if count != 1 else ''}", style="bold"))
        self.refresh_bindings()

    def _today(self, grant: GrantRow):
        return self.ctx.actor.now().astimezone(ZoneInfo(grant.timezone)).date()

    def _cells(self, line: Line, first: bool) -> tuple[Text, ...]:
        op = line.row.operator
        who = plain(op.email if first else "", "bold" if first else "")
        login = plain(op.login or "" if first else "")
        keys = plain(str(len(line.row.keys)) if first else "")
        status = "Disabled" if not op.active else "Creator" if op.can_create_sites \
            else "Active"
        status_text = plain(status if first else "", "" if op.active else "red")
        g = line.grant
        if g is None:
            return (who, plain("—"), plain("None"), plain("Not defined"), keys, status_text,
                    login)
        return (who, plain(g.site), plain(g.profile),
                validity(g.valid_from, g.valid_to, self._today(g)), keys, status_text, login)

    @property
    def current(self) -> Line | None:
        table = self.table
        if not self.lines or not 0 <= table.cursor_row < len(self.lines):
            return None
        return self.lines[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what I may not do; grey out what does not apply to the line."""
        modify = bool(self._sites(Action.MODIFY))
        line = self.current
        if action == "add_user":
            return modify
        if action in ("profile", "revoke"):
            if not modify:
                return False
            ok = (line is not None and line.grant is not None
                  and line.grant.site_id in self._sites(Action.MODIFY))
            return True if ok else None
        if action == "give_site":
            if not modify:
                return False
            return True if line is not None and self._may_manage(line) else None
        if action in ("add_key", "remove_key"):
            if not self._may_manage(line):
                return None
            return True if action == "add_key" or line.row.keys else None
        if action == "password":
            if line is None:
                return None
            mine = line.row.operator.id == self.ctx.operator.id
            return True if mine or self.creator else None
        return True

    # --- acting -------------------------------------------------------------------------
    async def _after(self, result: object) -> None:
        if result:
            await self.reload()

    async def action_add_user(self) -> None:
        """MANAGE USER: a new operator and their profile on one of my sites."""
        await self.app.push_screen(add_user_form(self.ctx, self.site_options()), self._after)

    async def action_profile(self) -> None:
        """CHANGE PROFILE on the site of the line (profile, rights, validity)."""
        line = self.current
        if line is None or line.grant is None:
            return
        await self.app.push_screen(grant_form(self.ctx, line.row.operator,
                                              self.site_options(), line.grant), self._after)

    async def action_give_site(self) -> None:
        """A profile for the line's operator on another of my sites."""
        line = self.current
        if line is None:
            return
        have = {g.site_id for g in line.row.grants}
        options = [o for o in self.site_options() if o[1] not in have]
        if not options:
            self.notify("This user already has a profile on each of your sites.")
            return
        await self.app.push_screen(grant_form(self.ctx, line.row.operator, options, None),
                                   self._after)

    @work(exclusive=True, group="users")

    @guarded
    async def action_revoke(self) -> None:
        """Take the line's site away from its operator, once confirmed."""
        line = self.current
        if line is None or line.grant is None:
            return
        question = f"Revoke {line.row.operator.email}'s access to {line.grant.site}?"
        if not await self.app.push_screen_wait(ConfirmScreen(question, yes="Revoke")):
            return
        try:
            await self.ctx.change(revoke_site, line.row.id, line.grant.site_id)
        except DoorkeeperError as err:  # say it; nothing changed
            self.notify(str(err), severity="error")
            return
        if line.row.id == self.ctx.operator.id:
            await self.ctx.refresh_rights()
        await self.reload()

    async def action_add_key(self) -> None:
        """Paste a public key line for the line's operator."""
        if (line := self.current) is not None:
            await self.app.push_screen(key_form(self.ctx, line.row.operator), self._after)

    async def action_remove_key(self) -> None:
        """Remove one of the line's operator's keys."""
        if (line := self.current) is not None and line.row.keys:
            await self.app.push_screen(remove_key_form(self.ctx, line.row.operator,
                                                       line.row.keys), self._after)

    async def action_password(self) -> None:
        """Set the line's operator's password (mine, or anyone's for a site creator)."""
        if (line := self.current) is not None:
            await self.app.push_screen(password_form(self.ctx, line.row.operator),
                                       self._after)

    def action_close(self) -> None:
        self.dismiss(None)
