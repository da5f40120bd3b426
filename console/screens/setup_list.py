"""What the list screens share. `ListActions`: add / modify / delete keys shown only to an
operator who may change that area (greyed out with no row to act on), the filter keys,
the form to open, and the confirmed delete. `SetupListScreen` (week types, holidays,
access profiles) adds a title naming the site, a table of what the site has, and a line
saying what was done or refused; the Facilities views (console/screens/facilities_*.py)
use `ListActions` in their panes. The services check the right again; a refusal is said
and nothing changes."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Static

from console.context import ConsoleContext
from console.widgets.form import ConfirmScreen
from console.widgets.key_bar import KeyBar
from console.widgets.message_line import MessageLine
from console.widgets.paged_table import RowTable
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.rights import Action, Area

R = TypeVar("R")

#: the keys of a list's changes, and of the guide's FILTER box where a list has one
LIST_BINDINGS = [
    Binding("n", "add", "Add"),
    Binding("e", "modify", "Modify"),
    Binding("d", "delete", "Delete"),
]
FILTER_BINDINGS = [Binding("f", "filter", "Filter"), Binding("x", "clear_filter", "Clear filter")]


class ListActions(Generic[R], Widget):
    """Add / modify / delete (and filter) over a list: mixed into a screen or a pane, whose
    BINDINGS hold LIST_BINDINGS (and FILTER_BINDINGS) where its footer shows them."""

    # --- what applies (subclasses) ------------------------------------------------------
    @property
    def may_modify(self) -> bool:
        raise NotImplementedError

    @property
    def current(self) -> R | None:
        """The row the keys act on (None: modify and delete are greyed out)."""
        raise NotImplementedError

    def can_add(self) -> bool:
        return True

    def filtered(self) -> bool:
        """A filter is in force (the clear key applies)."""
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Changes hidden from those who may only consult; greyed out with nothing to act on."""
        if action in ("filter", "clear_filter"):
            return True if action == "filter" or self.filtered() else None
        if action in ("add", "modify", "delete"):
            if not self.may_modify:
                return False
            if action == "add":
                return True if self.can_add() else None
            return True if self.current is not None else None
        return True

    # --- keys ---------------------------------------------------------------------------
    async def action_add(self) -> None:
        await self.edit(None)

    async def action_modify(self) -> None:
        row = self.current
        if row is not None:
            await self.edit(row)

    def action_delete(self) -> None:
        row = self.current
        if row is not None:
            self.run_worker(self._delete(row), group="setup-form", exclusive=True)

    async def edit(self, row: R | None) -> None:
        """Open the row's form (None: a new one); `saved` follows a save. Pushed before
        the key is done with, so whatever comes next sees the form."""
        form = await self.open_form(row)
        if form is not None:
            await self.app.push_screen(form, self._form_closed)

    async def _form_closed(self, saved: Any) -> None:
        if saved:
            await self.saved(saved)

    async def open_form(self, row: R | None) -> Screen[Any] | None:
        """The form to open (None: nothing to open, already said why)."""
        return self.form(row)

    def form(self, row: R | None) -> Screen[Any]:
        raise NotImplementedError

    async def saved(self, row: Any) -> None:
        """After a save (subclasses reload)."""

    def name_of(self, row: object) -> str:
        return str(getattr(row, "name", ""))

    def delete_question(self, row: R) -> str:
        return f"Delete {self.name_of(row)}?"

    async def _delete(self, row: R) -> None:
        if not await self.app.push_screen_wait(ConfirmScreen(self.delete_question(row),
                                                             yes="Delete")):
            return
        try:
            await self.delete(row)
        except DoorkeeperError as err:  # say why; nothing changed
            self.say(err.message, error=True)
            return
        await self.deleted(row)

    async def delete(self, row: R) -> None:
        raise NotImplementedError

    async def deleted(self, row: R) -> None:
        """After a delete (subclasses reload)."""

    def say(self, message: str = "", error: bool = False) -> None:
        """What was done or refused (a pane: a notification)."""
        if message:
            self.notify(message, severity="error" if error else "information")


class SetupListScreen(ListActions[R], Screen[None]):
    """A list of one site's things of one area of the rights matrix."""

    area: ClassVar[Area]
    heading: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]

    BINDINGS = [Binding("escape", "close", "Close"), *LIST_BINDINGS]
    DEFAULT_CSS = """
    SetupListScreen .setup-title { height: 1; padding: 0 1; background: $panel; }
    SetupListScreen .setup-status { height: auto; max-height: 3; padding: 0 1;
                                    color: $text-muted; }
    SetupListScreen .setup-status.-error { color: $error; }
    SetupListScreen DataTable { height: 1fr; }
    """

    def __init__(self, ctx: ConsoleContext, site_id: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.site_id = site_id
        self.rows: list[R] = []

    # --- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="setup-title")
        table: DataTable[Text] = RowTable(id="setup-table", cursor_type="row",
                                           zebra_stripes=True)
        table.add_columns(*self.columns)
        yield table
        yield from self.compose_below()
        yield MessageLine(classes="setup-status", id="setup-status")
        yield KeyBar()

    def compose_below(self) -> ComposeResult:
        """What a screen shows under its table (the week grid)."""
        yield from ()

    def _title(self) -> Text:
        site = self.ctx.site(self.site_id).name
        text = Text(f"{self.heading} · ", style="bold")
        text.append_text(plain(site, "bold"))
        if not self.may_modify:
            text.append("  (consult only)", style="dim")
        return text

    async def on_mount(self) -> None:
        await self.reload()
        self.table.focus()

    @property
    def table(self) -> DataTable:
        return self.query_one("#setup-table", DataTable)

    @property
    def current(self) -> R | None:
        row = self.table.cursor_row
        return self.rows[row] if self.rows and 0 <= row < len(self.rows) else None

    @property
    def may_modify(self) -> bool:
        return self.ctx.can(self.site_id, self.area, Action.MODIFY)

    # --- reading ------------------------------------------------------------------------
    async def read(self) -> list[R]:
        """The rows, through a read service (subclasses)."""
        raise NotImplementedError

    def cells(self, row: R) -> tuple[Text, ...]:
        """One row's cells (subclasses)."""
        raise NotImplementedError

    async def reload(self, keep: object = None) -> None:
        """Read the rows again, keeping the cursor on the same one (or on `keep`'s id)."""
        was = keep if keep is not None else getattr(self.current, "id", None)
        self.rows = await self.read()
        table = self.table
        table.clear()
        for row in self.rows:
            table.add_row(*self.cells(row))
        index = next((i for i, r in enumerate(self.rows) if getattr(r, "id", None) == was), 0)
        if self.rows:
            table.move_cursor(row=index, animate=False)
        self.highlighted()
        self.refresh_bindings()

    def highlighted(self) -> None:
        """The cursor moved (a screen shows more of the row)."""

    @on(DataTable.RowHighlighted)
    def _moved(self) -> None:
        self.highlighted()
        self.refresh_bindings()

    def say(self, message: str = "", error: bool = False) -> None:
        self.query_one("#setup-status", MessageLine).say(message, error)

    # --- keys ---------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    async def saved(self, row: Any) -> None:
        await self.reload(keep=getattr(row, "id", None))
        self.say(f"{self.name_of(row)} saved.")

    async def deleted(self, row: R) -> None:
        await self.reload()
        self.say(f"{self.name_of(row)} deleted.")
