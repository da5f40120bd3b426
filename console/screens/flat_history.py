"""FLAT MANAGEMENT's History tab: the events that name the flat (its APasses, keypad
codes and calls at the doors) and the changes made to the flat, its telephones,
panel displays and APasses (from the audit trail), newest first, read a keyset page
at a time as the cursor goes down (core.views.history). Enter on an event shows it in
full. What the operator may not consult was left out by the read service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from console.screens.event_detail import show_event_detail
from console.tabs.event_rows import RESULT_STYLES
from console.widgets.columns import Col
from console.widgets.guard import guarded
from console.widgets.log_table import LogTable
from console.widgets.plain import plain
from core.model import AuditEntry
from core.views.history import HistoryRow, flat_history
from core.views.rows import FlatDetail

if TYPE_CHECKING:
    from console.screens.flat import FlatScreen

#: narrow, the details go (the row's detail, Enter, has them), then are cut to what is left
COLUMNS = ("Date & time", "What", "Result / by", Col("Details", 1, 16))
#: the audit trail's actions, as the History tab words them
ACTIONS = {
    "flat.create": "Flat created", "flat.update": "Flat modified", "flat.delete": "Flat deleted",
    "telephone.create": "Telephone added", "telephone.update": "Telephone modified",
    "telephone.delete": "Telephone deleted",
    "panel_display.create": "Panel display added",
    "panel_display.update": "Panel display modified",
    "panel_display.delete": "Panel display removed",
    "access_pass.create_batch": "APasses created", "access_pass.assign": "APass assigned",
    "access_pass.stock": "APass to site stock", "access_pass.lost": "APass to lost record",
    "access_pass.update": "APass modified",
}
#: what names the object of an entry, by entity
NAMES = {"flat": ("number", "name"), "telephone": ("value",),
         "panel_display": ("display_name",), "access_pass": ("number",)}
#: fields a change never shows (ids, internal keys)
QUIET = {"id", "flat_id", "block_id", "site_id", "temporary_id"}


def change_details(entry: AuditEntry) -> str:
    """What an entry is about ("07802980851", "APass 1111100007") and, for a change,
    what changed ("notes: 'old' → 'new'")."""
    image = entry.after or entry.before or {}
    if "numbers" in image:  # a batch of APasses
        name = ", ".join(str(n) for n in image["numbers"])
    else:
        name = " ".join(str(image[k]) for k in NAMES.get(entry.entity, ()) if image.get(k))
    if entry.before is None or entry.after is None:
        return name
    changes = [f"{k}: {entry.before.get(k)!r} → {v!r}" for k, v in entry.after.items()
               if k not in QUIET and entry.before.get(k) != v]
    return " · ".join([name, *changes]) if changes else name


class HistoryPane(Vertical):
    """The History tab: read when first shown, and again after a change to the flat."""

    def __init__(self, owner: FlatScreen, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owner = owner
        self.tz = ZoneInfo(owner.detail.site.timezone)
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Static("Events and changes of this flat, newest first", classes="pane-caption")
        yield LogTable(COLUMNS, fetch=self._fetch, cells=self._cells, key=lambda r: r.key,
                       id="history-table")

    @property
    def table(self) -> LogTable[HistoryRow]:
        return self.query_one("#history-table", LogTable)

    @property
    def current(self) -> HistoryRow | None:
        return self.table.current

    async def _fetch(self, after: Any, limit: int) -> list[HistoryRow]:
        return await self.owner.ctx.view(flat_history, self.owner.detail.flat.id, after, limit)

    def _cells(self, row: HistoryRow) -> tuple[Text, ...]:
        when = plain(row.at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S"))
        if row.event is not None:
            e = row.event
            alarm = e["result"] == "Alarm"
            return (when, plain(e["kind"], "bold red" if alarm else ""),
                    plain(e["result"], RESULT_STYLES.get(e["result"], "")),
                    plain(e["description"]))
        entry = row.change
        assert entry is not None
        return (when, plain(ACTIONS.get(entry.action, entry.action), "cyan"),
                plain(entry.actor, "dim"), plain(change_details(entry)))

    def show(self, detail: FlatDetail) -> None:
        """The flat was read again (a change): read the history again if it is shown."""
        if self._loaded:
            self.run_worker(self._load(), group="history", exclusive=True)

    async def on_show(self) -> None:
        if not self._loaded:
            await self._load()

    @guarded
    async def _load(self) -> None:
        self._loaded = True
        await self.table.load()

    @on(LogTable.RowSelected, "#history-table")
    async def _open_event(self, event: LogTable.RowSelected) -> None:
        event.stop()
        row = self.current
        if row is not None and row.event is not None:
            await show_event_detail(self, self.owner.ctx, row.event["id"], self.tz)
