"""The Alarms screen (key `a` from anywhere): the alarms not yet acknowledged on the
operator's sites, newest first — tamper, door forced, door held open, device offline,
power failure — and acknowledging one with a note. New alarms appear while it is
open: it polls a cheap fingerprint of the alarms table every second."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.context import ConsoleContext
from console.screens.event_detail import show_event_detail
from console.widgets.form import Field, FormScreen
from console.widgets.guard import guarded
from console.widgets.key_bar import KeyBar
from console.widgets.paged_table import PagedTable
from console.widgets.plain import plain
from core.rights import Action, Area
from core.rules import NOTES_MAX
from core.services.operations import acknowledge_alarm
from core.views.events import alarm_page, alarm_signature, open_alarm_count
from core.views.rows import AlarmRow

OPEN_COLUMNS = ("Raised", "Site", "Device", "Alarm", "Cleared")
ALL_COLUMNS = (*OPEN_COLUMNS, "Acknowledged", "By", "Note")
POLL_S = 1.0


class NoteForm(FormScreen):
    """The acknowledgement's note, typed at once (the dialog's scroll area would
    otherwise take the first focus)."""

    def on_mount(self) -> None:
        self.query_one("#f-note").focus()


class AlarmsScreen(Screen[None]):
    """Open alarms of my sites; acknowledge with a note."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("k", "acknowledge", "Acknowledge"),
        Binding("h", "toggle_acknowledged", "Acknowledged too"),
        Binding("d", "detail", "Event detail"),
    ]

    DEFAULT_CSS = """
    AlarmsScreen #alarms-title { height: 1; padding: 0 1; background: $panel;
                                 text-style: bold; }
    AlarmsScreen #alarms-hint { height: 1; padding: 0 1; color: $text-muted; }
    AlarmsScreen PagedTable { height: 1fr; }
    """

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.zones = {s.id: ZoneInfo(s.timezone) for s in ctx.sites}
        self.show_acknowledged = False
        self._signature: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static("Alarms", id="alarms-title")
        yield self._make_table()
        yield Static("", id="alarms-hint")
        yield KeyBar()

    def _columns(self) -> tuple[str, ...]:
        return ALL_COLUMNS if self.show_acknowledged else OPEN_COLUMNS

    def _make_table(self) -> PagedTable[AlarmRow]:
        return PagedTable(self._columns(), fetch=self._fetch, cells=self._cells,
                          key=lambda r: r.key, id="alarms-table")

    @property
    def table(self) -> PagedTable[AlarmRow]:
        return self.query_one("#alarms-table", PagedTable)

    async def on_mount(self) -> None:
        await self.reload()
        self.table.focus()
        self.set_interval(POLL_S, self.poll)

    # --- reading ----------------------------------------------------------------------
    async def _fetch(self, after: Any, limit: int) -> list[AlarmRow]:
        return await self.ctx.view(alarm_page, acknowledged=self.show_acknowledged,
                                   before=after, limit=limit)

    def _when(self, row: AlarmRow, value) -> Text:
        if value is None:
            return Text("")
        zone = self.zones.get(row.site_id, ZoneInfo("UTC"))
        return Text(value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"))

    def _cells(self, row: AlarmRow) -> tuple[Text, ...]:
        open_ = row.acknowledged_at is None
        cells: tuple[Text, ...] = (self._when(row, row.raised_at), plain(row.site),
                                   plain(row.device),
                 plain(row.kind, "bold red" if open_ else ""), self._when(row, row.cleared_at))
        if self.show_acknowledged:
            cells = (*cells, self._when(row, row.acknowledged_at),
                     plain(row.acknowledged_by), plain(row.note))
        if not open_:  # done: greyed, so the open ones stand out
            for text in cells:
                text.stylize("dim")
        return cells

    async def reload(self, current: AlarmRow | None = None) -> None:
        """Read the list again, keeping the cursor on the same alarm."""
        current = current or self.table.current
        await self.table.load(keep_cursor=True)
        if current is not None:
            for index, row in enumerate(self.table.rows_held):
                if row.id == current.id:
                    self.table.move_cursor(row=index, animate=False)
                    break
        self._signature = await self.ctx.view(alarm_signature)
        await self._show_title()

    async def poll(self) -> None:
        """Reload when an alarm was raised, acknowledged or cleared since the last look."""
        if await self.ctx.view(alarm_signature) != self._signature:
            await self.reload()

    async def _show_title(self) -> None:
        rows = self.table.rows_held
        count = await self.ctx.view(open_alarm_count)
        title = Text(f"Alarms · {count} open on your sites", style="bold")
        if self.show_acknowledged:
            title.append(" · acknowledged ones shown too", style="")
        self.query_one("#alarms-title", Static).update(title)
        hint = "Escape back" if not rows else ""
        if rows and self.ctx.can(None, Area.EVENTS, Action.MODIFY):
            hint = "Enter or k: acknowledge with a note"
        self.query_one("#alarms-hint", Static).update(hint)
        self.refresh_bindings()

    # --- acting -----------------------------------------------------------------------
    def _may_acknowledge(self, row: AlarmRow | None) -> bool:
        return (row is not None and row.acknowledged_at is None
                and self.ctx.can(row.site_id, Area.EVENTS, Action.MODIFY))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Acknowledge only with Events modify (hidden without it anywhere)."""
        if action == "acknowledge":
            if not self.ctx.can(None, Area.EVENTS, Action.MODIFY):
                return False
            return True if self._may_acknowledge(self.table.current) else None
        if action == "detail":
            return True if self.table.current is not None else None
        return True

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self._may_acknowledge(self.table.current):
            self.action_acknowledge()

    @work(exclusive=True, group="acknowledge")

    @guarded
    async def action_acknowledge(self) -> None:
        """Acknowledge the alarm under the cursor, with a note."""
        row = self.table.current
        if not self._may_acknowledge(row):
            return

        async def save(values: dict[str, Any]) -> Any:
            return await self.ctx.change(acknowledge_alarm, row.id, values["note"] or "")

        title = f"Acknowledge: {row.kind} · {row.site} · {row.device}"
        form = NoteForm(title, [Field("note", f"Note (max {NOTES_MAX} characters)",
                                      max_length=NOTES_MAX,
                                      placeholder="What was done (optional)")], save,
                        save_label="Acknowledge")
        if await self.app.push_screen_wait(form):
            await self.reload()

    async def action_toggle_acknowledged(self) -> None:
        """Show the acknowledged alarms too (who, when, note), or only the open ones."""
        self.show_acknowledged = not self.show_acknowledged
        table = self.table
        current = table.current
        table.set_columns(self._columns())
        await self.reload(current)

    async def action_detail(self) -> None:
        """The event that raised the alarm, in full."""
        row = self.table.current
        if row is not None:
            await show_event_detail(self, self.ctx, row.event_id,
                                    self.zones.get(row.site_id, ZoneInfo("UTC")))

    def action_close(self) -> None:
        self.dismiss(None)
