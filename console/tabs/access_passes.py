"""The Access Passes tab: the guide's dropdown "APasses assigned / in stock / lost",
each a list paged by the 10-digit number, a find box on the number, and the APass
management actions (create, move, stock, lost, reassign a found pass, modify)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static

from console.screens.pass_forms import (
    assign_screen,
    create_passes_screen,
    edit_screen,
    lost_question,
    stock_question,
)
from console.tabs.base import SiteTab
from console.widgets.columns import Col
from console.widgets.form import ConfirmScreen
from console.widgets.guard import attempt
from console.widgets.paged_table import PagedTable
from console.widgets.plain import cut, plain
from console.widgets.text_input import TextInput
from core.errors import DoorkeeperError
from core.model import APassState
from core.rights import Action, Area
from core.services.access_passes import send_to_lost, send_to_stock
from core.views.list_exports import passes_export
from core.views.passes import pass_choices, pass_counts, pass_page
from core.views.rows import PassChoices, PassRow
from core.vocabulary import colour_name, pass_type_name

VIEWS: tuple[tuple[str, APassState], ...] = (
    ("APasses assigned", APassState.ASSIGNED),
    ("APasses in stock", APassState.STOCK),
    ("APasses lost", APassState.LOST),
)
#: narrow, the notes go first, then the profile, colour and type (Enter shows them all)
COLUMNS = (Col("APass number"), Col("Type", 4), Col("Colour", 3), Col("Block", 1),
           Col("Flat N°"), Col("Resident", 2), Col("Access profile", 5), Col("Notes", 6))
#: which actions apply to a pass in each state
ACTION_STATES: dict[str, set[APassState]] = {
    "move": {APassState.ASSIGNED},
    "reassign": {APassState.STOCK, APassState.LOST},
    "stock": {APassState.ASSIGNED, APassState.LOST},
    "lost": {APassState.ASSIGNED, APassState.STOCK},
    "edit": set(APassState),
}


def pass_cells(row: PassRow) -> tuple[Text, ...]:
    """A pass in the tab's columns, every value shown literally."""
    return (plain(row.number, "bold"), plain(pass_type_name(row.type)),
            plain(colour_name(row.colour)), cut(row.block, 20), plain(row.flat_number),
            plain(row.resident), cut(row.access_profile, 24), cut(row.notes, 40))


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


class AccessPassesTab(SiteTab):
    """The guide's Access Passes tab."""

    area = Area.APASS_MANAGEMENT
    title = "Access Passes"

    DEFAULT_CSS = """
    AccessPassesTab #ap-bar { height: 3; }
    AccessPassesTab #ap-view { width: 26; }
    AccessPassesTab #ap-find { width: 22; }
    AccessPassesTab #ap-count { width: 1fr; padding: 1 1 0 1; color: $text-muted; }
    AccessPassesTab #ap-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("v", "next_view", "View", tooltip="APasses assigned / in stock / lost"),
        Binding("f", "find", "Find", tooltip="Find an APass by its number"),
        Binding("c", "create", "New APasses", tooltip="Create APasses"),
        Binding("m", "move", "Move", tooltip="Move the APass to another flat"),
        Binding("r", "reassign", "Reassign", tooltip="Reassign a found APass to a flat"),
        Binding("s", "stock", "Stock", tooltip="Send the APass to the site stock"),
        Binding("l", "lost", "Lost", tooltip="Send the APass to the lost record"),
        Binding("e", "edit", "Modify", tooltip="Modify the APass"),
        Binding("x", "export", "Export", tooltip="This list to XLSX, CSV or PDF"),
    ]

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.view = APassState.ASSIGNED
        self.prefix = ""
        self.choices = PassChoices([], [])
        self.counts: dict[APassState, int] = {}
        self._loaded_for: tuple | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="ap-bar"):
            yield Select([(label, state.value) for label, state in VIEWS], allow_blank=False,
                         value=self.view.value, id="ap-view")
            yield TextInput(placeholder="Find N° (f)", max_length=10, id="ap-find")
            yield Static("", id="ap-count")
        yield PagedTable(COLUMNS, fetch=self._fetch, cells=pass_cells,
                         key=lambda r: r.number, id="ap-table")

    @property
    def table(self) -> PagedTable[PassRow]:
        return self.query_one("#ap-table", PagedTable)

    @property
    def focus_target(self) -> Widget:
        """Focus goes to the list."""
        return self.table

    # --- loading --------------------------------------------------------------------
    async def _fetch(self, after: str | None, limit: int) -> list[PassRow]:
        if self.site_id is None or (self.prefix and not _digits(self.prefix)):
            return []
        block = self.block_id if self.view is APassState.ASSIGNED else None
        return await self.ctx.view(pass_page, self.site_id, self.view, block_id=block,
                                   prefix=self.prefix, after=after, limit=limit)

    async def reload(self) -> None:
        """Counts, dialog choices and the list (the cursor stays on a refresh)."""
        self.choices = await self.ctx.view(pass_choices, self.site_id)
        self.counts = await self.ctx.view(pass_counts, self.site_id, self.block_id)
        await self._load_list()

    async def _load_list(self) -> None:
        wanted = (self.site_id, self.block_id, self.view, self.prefix)
        await self.table.load(keep_cursor=wanted == self._loaded_for)
        self._loaded_for = wanted
        self._show_status()
        self.refresh_bindings()

    def _show_status(self) -> None:
        counts = self.counts
        text = Text(f"{counts.get(APassState.ASSIGNED, 0):,} assigned",
                    style="bold" if self.view is APassState.ASSIGNED else "")
        if self.block_id is not None:
            block = next((n for n, i in self.choices.blocks if i == self.block_id), "")
            text.append(" in ")
            text.append(plain(block))
        text.append(f" · {counts.get(APassState.STOCK, 0):,} in stock · "
                    f"{counts.get(APassState.LOST, 0):,} lost")
        if self.prefix and not _digits(self.prefix):
            text = Text("APass numbers are digits only.", style="red")
        elif self.prefix and self.table.row_count == 0:
            label = next(name for name, state in VIEWS if state is self.view)
            text = Text(f"No {label} start with {self.prefix}.", style="dark_orange")
        self.query_one("#ap-count", Static).update(text)

    # --- view and find --------------------------------------------------------------
    @on(Select.Changed, "#ap-view")
    async def _view_changed(self, event: Select.Changed) -> None:
        state = APassState(event.value)
        if state is not self.view:
            self.view = state
            if self.site_id is not None:
                await self._load_list()

    def action_next_view(self) -> None:
        """Cycle assigned → stock → lost."""
        states = [s for _, s in VIEWS]
        following = states[(states.index(self.view) + 1) % len(states)]
        self.query_one("#ap-view", Select).value = following.value

    def action_find(self) -> None:
        self.query_one("#ap-find", Input).focus()

    @on(Input.Changed, "#ap-find")
    def _find_changed(self, event: Input.Changed) -> None:
        self.prefix = event.value.strip()
        if self.site_id is not None:
            # typing stays fluid: each key's search replaces the one still running
            self.run_worker(attempt(self, self._load_list()), group="ap-find", exclusive=True)

    @on(Input.Submitted, "#ap-find")
    def _find_submitted(self) -> None:
        self.table.focus()

    # --- actions --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what the operator may not do, and what does not apply to this view."""
        if self.site_id is None:
            return action in ("next_view", "find") or None
        if action == "create":
            return self.can(Action.MODIFY, Area.CREATE_APASSES)
        if action == "export":
            return self.can(Action.CONSULT, Area.EXPORT)
        if action in ACTION_STATES:
            return self.can(Action.MODIFY) and self.view in ACTION_STATES[action]
        return True

    async def action_export(self) -> None:
        """The list shown (this view, and the block picked for assigned ones) to a file
        in the operator's export folder (docs/export.md)."""
        site, state = self.site_id, self.view
        if site is None:
            return
        block = self.block_id if state is APassState.ASSIGNED else None
        from console.screens.export_progress import open_list_export
        await open_list_export(self, "apasses", "the APasses", lambda: self.ctx.view(
            passes_export, site, state, block_id=block))

    def _current(self) -> PassRow | None:
        row = self.table.current
        if row is None:
            self.notify("No APass selected.", severity="warning")
        return row

    async def _after_change(self, result: Any) -> None:
        if result:
            await self.refresh_tab()
            self.table.focus()

    def action_create(self) -> None:
        screen = create_passes_screen(self.ctx, self.site_id, self.choices, self.block_id)
        self.app.push_screen(screen, self._after_create)

    async def _after_create(self, result: Any) -> None:
        if result:
            numbers = [p.number for p in result]
            where = "assigned" if result[0].state is APassState.ASSIGNED else "in stock"
            self.notify(f"{len(numbers)} APass(es) created {where}: {numbers[0]}"
                        + (f" … {numbers[-1]}" if len(numbers) > 1 else ""), markup=False)
        await self._after_change(result)

    def action_move(self) -> None:
        if row := self._current():
            self.app.push_screen(assign_screen(self.ctx, row, self.choices,
                                               title=f"Move APass {row.number} to a flat"),
                                 self._after_change)

    def action_reassign(self) -> None:
        if row := self._current():
            self.app.push_screen(assign_screen(self.ctx, row, self.choices,
                                               title=f"Reassign APass {row.number} to a flat"),
                                 self._after_change)

    @on(DataTable.RowSelected, "#ap-table")
    def _row_selected(self) -> None:
        """Enter on a pass opens its APASS MANAGEMENT, as a click does in the guide."""
        if self.check_action("edit", ()):
            self.action_edit()

    def action_edit(self) -> None:
        if row := self._current():
            self.app.push_screen(edit_screen(self.ctx, row, self.choices), self._after_change)

    def action_stock(self) -> None:
        if row := self._current():
            self._confirm(stock_question(row), lambda: self.ctx.change(send_to_stock,
                                                                       row.number))

    def action_lost(self) -> None:
        if row := self._current():
            self._confirm(lost_question(row), lambda: self.ctx.change(send_to_lost,
                                                                      row.number))

    def _confirm(self, question: str, change: Callable[[], Awaitable[Any]]) -> None:
        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                result = await change()
            except DoorkeeperError as err:
                self.notify(err.message, severity="error", markup=False)
                return
            await self._after_change(result)

        self.app.push_screen(ConfirmScreen(question), answered)
