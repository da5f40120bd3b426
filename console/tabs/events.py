"""The guide's Events tab ("How to view system events"): the event log of the selected
site (the GSM access point), newest first, a page at a time, narrowed by period,
device type, device, event type, result, a search on telephone number, APass number or
name, and the block and the flat (exact; the block picked in the tree fills the Block
filter). New events join at the top while the operator follows the top;
otherwise a note counts them and the cursor stays put."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from console.live import LiveBatch
from console.screens.event_detail import show_event_detail
from console.tabs.base import SiteTab
from console.tabs.event_filters import (
    FIELDS,
    Choices,
    FilterBar,
    describe_filter,
    find_flat,
    period_bounds,
)
from console.tabs.event_rows import RESULT_STYLES, EventTable, live_row
from console.widgets.columns import Col
from console.widgets.log_table import LogTable
from console.widgets.plain import plain
from core.errors import ValidationError
from core.model import DeviceType, EventResult
from core.rights import Area
from core.views.devices import site_devices
from core.views.events import event_blocks, event_page, live_events
from core.views.rows import DeviceChoice, EventFilter

#: narrow, the device goes first, then the event type (the detail, Enter, has every field);
#: the description always stays, cut to what is left down to 36 cells
COLUMNS = (Col("Date & time"), Col("Device", 3), Col("Event type", 2), Col("Result", 0, 14),
           Col("Description", 0, 36))
#: rows held while following the live tail (a tall screenful); older ones page back in
#: from the store when the cursor goes down. Each batch redraws what is held, per session.
LIVE_CAP = 75
#: a live row has no id yet: it sorts after any stored event of the same instant
LIVE_ID = 2**62
SEARCH_DEBOUNCE_S = 0.3


class EventsTab(SiteTab):
    """The guide's Events tab."""

    area = Area.EVENTS
    title = "Events"

    BINDINGS = [
        Binding("f", "filters", "Filters"),
        Binding("s", "search", "Search log"),
        Binding("x", "clear_filters", "Clear filters"),
        Binding("e", "export", "Export"),
        Binding("escape", "to_list", "Back to the list", show=False),
    ]

    DEFAULT_CSS = """
    EventsTab #ev-status { height: 1; padding: 0 1; }
    EventsTab #ev-summary { width: 1fr; color: $text-muted; }
    EventsTab #ev-new { width: auto; color: $warning; text-style: bold; }
    EventsTab #ev-filters {
        grid-size: 4; grid-columns: 12 1fr 8 1fr; grid-rows: 1; grid-gutter: 0 1;
        height: auto; padding: 0 1;
    }
    EventsTab #ev-filters Label { color: $text-muted; }
    EventsTab #ev-dates { height: 1; }
    EventsTab #ev-dates Input { width: 1fr; }
    EventsTab #ev-from { margin-right: 1; }
    EventsTab #ev-search { column-span: 3; }
    EventsTab #ev-error { height: auto; padding: 0 1; color: $error; display: none; }
    EventsTab EventTable { height: 1fr; }
    """

    def __init__(self, ctx, **kwargs: Any) -> None:
        super().__init__(ctx, **kwargs)
        self.flt: EventFilter | None = None
        self.choices = Choices()
        self.devices: list[DeviceChoice] = []
        self.device_names: dict[int, str] = {}
        self.device_types: dict[int, str] = {}
        self.blocks: dict[int, str] = {}  # the site's blocks, for the Block filter
        self.flat_id: int | None = None  # the Flat N° typed, found in the block
        self._devices_of: int | None = None
        self.pending = 0
        self._search_timer: Timer | None = None
        self.tz = ZoneInfo("UTC")

    # --- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="ev-status"):
            yield Static("", id="ev-summary")
            yield Static("", id="ev-new")
        yield Static("", id="ev-error")
        yield EventTable(COLUMNS, fetch=self._fetch, cells=self._cells,
                         key=lambda r: (r["at"], LIVE_ID if r["id"] is None else r["id"]), id="ev-table")

    @property
    def table(self) -> EventTable:
        return self.query_one(EventTable)

    @property
    def bar(self) -> FilterBar | None:
        """The filter bar, once it has been shown."""
        found = self.query(FilterBar)
        return found.first() if found else None

    async def _show_bar(self) -> FilterBar:
        bar = self.bar
        if bar is None:
            bar = FilterBar(self.choices, self._device_options(), self._block_options())
            await self.mount(bar, before="#ev-error")
        bar.display = True
        return bar

    @property
    def focus_target(self) -> Widget:
        """The tab's focus goes to its list."""
        return self.table

    # --- reading ----------------------------------------------------------------------
    async def reload(self) -> None:
        """The site changed (or the tab was first shown): its devices, then the log."""
        if self.site_id is None:
            return
        self.tz = ZoneInfo(self.ctx.site(self.site_id).timezone)
        if self._devices_of != self.site_id:
            await self._load_devices()
        try:
            self.flt = self._build_filter()
        except ValidationError:
            self.flt = EventFilter(site_id=self.site_id)
        await self._load_rows()

    async def _load_devices(self) -> None:
        """The site's devices: names for the list, options for the Device filter."""
        self.devices = await self.ctx.view(site_devices, self.site_id)
        if self._devices_of != self.site_id:
            self.choices.device_id = None
        self._devices_of = self.site_id
        self.device_names = {d.id: d.name for d in self.devices}
        self.device_types = {d.id: d.type for d in self.devices}
        self._refresh_device_options()
        self.blocks = dict(await self.ctx.view(event_blocks, self.site_id))
        if self.bar is not None:
            self.bar.set_blocks(self._block_options(), self.choices.block_id)

    def _block_options(self) -> list[tuple[Text, int]]:
        return [(plain(name), block_id) for block_id, name in self.blocks.items()]

    async def select(self, site_id: int, block_id: int | None) -> None:
        """The tree's block (or none, for a site) fills the Block filter."""
        if (site_id, block_id) != (self.site_id, self.block_id):
            self.choices.block_id, self.choices.flat, self.flat_id = block_id, "", None
            if self.bar is not None:
                self.bar.show_choices(self.choices)
                self.query_one("#ev-error", Static).display = False  # it named the old one
        await super().select(site_id, block_id)

    def _device_options(self) -> list[tuple[Text, int]]:
        chosen_type = self.choices.device_type
        return [(plain(d.name), d.id) for d in self.devices
                if chosen_type is None or d.type == chosen_type]

    def _refresh_device_options(self) -> None:
        options = self._device_options()
        if self.choices.device_id not in {value for _, value in options}:
            self.choices.device_id = None
        if self.bar is not None:
            self.bar.set_devices(options, self.choices.device_id)

    async def _fetch(self, after: tuple[datetime, int] | None, limit: int) -> list[dict]:
        if self.flt is None:
            return []
        return await self.ctx.view(event_page, self.flt, after, limit)

    def _cells(self, row: dict) -> tuple[Text, ...]:
        alarm = row["result"] == EventResult.ALARM.value
        device = row["device_id"]
        name = self.device_names.get(device, f"#{device}" if device is not None else "")
        return (plain(row["at"].astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")),
                plain(name),
                plain(row["kind"], "bold red" if alarm else ""),
                plain(row["result"], RESULT_STYLES.get(row["result"], "")),
                plain(row["description"]))  # the list cuts a long one; the detail has all

    async def _load_rows(self) -> None:
        """The first page for the current filter; what was new is now in view."""
        self.pending = 0
        self._show_status()
        await self.table.load()

    # --- filters ----------------------------------------------------------------------
    def _build_filter(self) -> EventFilter:
        """The filter the choices describe (ValidationError naming a bad date)."""
        c = self.choices
        since, until = period_bounds(c.period, self.ctx.actor.now(), self.tz, c.date_from,
                                     c.date_to)
        return EventFilter(site_id=self.site_id, since=since, until=until,
                           device_type=DeviceType(c.device_type) if c.device_type else None,
                           device_id=c.device_id, kind=c.kind, result=c.result,
                           search=c.search.strip(), block_id=c.block_id,
                           flat_id=self.flat_id if c.flat.strip() else None)

    async def apply_filters(self) -> bool:
        """Read the choices; a bad date shows its message and changes nothing (False)."""
        if self.site_id is None:
            return False
        error = self.query_one("#ev-error", Static)
        try:
            self.flat_id = await find_flat(self.ctx, self.site_id, self.choices, self.blocks)
            flt = self._build_filter()
        except ValidationError as err:
            error.update(plain(err.message))
            error.display = True
            return False
        error.update("")
        error.display = False
        if flt != self.flt:
            self.flt = flt
            await self._load_rows()
        return True

    @on(Select.Changed)
    async def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        name = FIELDS.get(event.select.id or "")
        if name is None:
            return
        setattr(self.choices, name, None if event.value is Select.NULL else event.value)
        if name == "device_type":
            self._refresh_device_options()
        if name == "period" and event.value != "range":
            self.choices.date_from = self.choices.date_to = ""
            if self.bar is not None:
                self.bar.show_choices(self.choices)
        await self.apply_filters()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        name = FIELDS.get(event.input.id or "")
        if name is None:
            return
        setattr(self.choices, name, event.value)
        if name in ("date_from", "date_to") and event.value.strip() and (
                self.choices.period != "range"):
            self.choices.period = "range"
            if self.bar is not None:
                self.bar.show_choices(self.choices)
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_S, self.apply_filters)

    @on(Input.Submitted)
    async def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        if await self.apply_filters():
            self.table.focus()

    async def action_filters(self) -> None:
        """Show or hide the filter bar."""
        bar = self.bar
        if bar is not None and bar.display:
            bar.display = False
            self.table.focus()
        else:
            bar = await self._show_bar()
            bar.query_one("#ev-period").focus()

    async def action_search(self) -> None:
        """Show the filters and type in the Search field."""
        bar = await self._show_bar()
        bar.query_one("#ev-search").focus()

    async def action_clear_filters(self) -> None:
        """Back to every event of the site."""
        self.choices = Choices()
        if self.bar is not None:
            self.bar.show_choices(self.choices)
        self._refresh_device_options()
        await self.apply_filters()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Export only with the Export right on the site shown."""
        return action != "export" or (self.site_id is not None
                                      and self.ctx.can(self.site_id, Area.EXPORT))

    async def action_export(self) -> None:
        """The list as filtered, to a file in the operator's export folder (docs/export.md)."""
        if self.site_id is not None and await self.apply_filters() and self.flt is not None:
            from console.screens.export_progress import open_export
            await open_export(self, "events", "the events", self.flt)

    def action_to_list(self) -> None:
        self.table.focus()

    def _show_status(self) -> None:
        """One line: the filters in force, and how many new events wait above."""
        summary = describe_filter(self.choices, self.flt or EventFilter(), self.device_names,
                                  self.blocks)
        summary.append("   f filters  s search", style="dim")
        self.query_one("#ev-summary", Static).update(summary)
        note = (f"▲ {self.pending} new event{'s' if self.pending != 1 else ''} — "
                f"Home to see them" if self.pending else "")
        self.query_one("#ev-new", Static).update(note)

    # --- the detail -------------------------------------------------------------------
    @on(LogTable.RowSelected, "#ev-table")
    async def _row_selected(self, event: LogTable.RowSelected) -> None:
        event.stop()
        row = self.table.current
        if row is None:
            return
        event_id = row["id"] if row["id"] is not None else await self._stored_id(row)
        if event_id:
            await show_event_detail(self, self.ctx, event_id, self.tz)

    async def _stored_id(self, row: dict) -> int | None:
        """The id of a row that came live (the store gave it one on commit)."""
        at = row["at"]
        flt = EventFilter(site_id=row["site_id"], since=at, until=at + timedelta(microseconds=1))
        for stored in await self.ctx.view(event_page, flt, None, 50):
            if all(stored[k] == row[k] for k in ("device_id", "kind", "result", "credential")):
                row["id"] = stored["id"]
                return stored["id"]
        return None

    # --- live -------------------------------------------------------------------------
    @property
    def following(self) -> bool:
        """At the newest event with no end to the period: new events join in view."""
        return (self.flt is not None and self.flt.until is None
                and self.table.cursor_row <= 0)

    async def live(self, batch: LiveBatch) -> None:
        """New events that pass the filter: at the top when following, else counted."""
        if batch.changed and self.site_id is not None:
            await self._load_devices()
        if self.flt is None:
            return
        if batch.reconnected:  # what the gateway published while away is in the store
            await self._load_rows()
            return
        new = live_events(self.ctx.viewer, self.flt, batch.events, self.device_types)
        if not new:
            return
        if not self.following:
            self.pending += len(new)
            self._show_status()
            return
        # The bus already carries every field: show them as they are, no store query
        # (one per batch and session was what saturated a worker of `serve`).
        rows = [live_row(e) for e in reversed(new)]
        self.table.prepend([r for r in rows if r is not None], LIVE_CAP)

    @on(EventTable.Newest)
    async def _newest(self, event: EventTable.Newest) -> None:
        event.stop()
        if self.pending:
            await self._load_rows()

    def live_hidden(self, batch: LiveBatch) -> None:
        """Hidden (another tab, or a dialog above): count what would have joined."""
        if batch.reconnected:
            self.stale = True  # reload when shown: events came while the gateway was away
        if self.flt is None:
            return
        self.pending += len(live_events(self.ctx.viewer, self.flt, batch.events,
                                        self.device_types))

    async def show(self) -> None:
        """Shown again: what came meanwhile joins if the operator was at the top."""
        await super().show()
        if self.pending and self.following:
            await self._load_rows()
        else:
            self._show_status()
