"""The guide's Events tab ("How to view system events"): the event log of the selected
site (the GSM access point), newest first, a page at a time, narrowed by period,
device type, device, event type, result and a search on telephone number, APass
number or name. New events join at the top while the operator follows the top;
otherwise a note counts them and the cursor stays put."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, Select, Static

from console.live import LiveBatch
from console.tabs.base import SiteTab
from console.widgets.paged_table import PagedTable
from console.widgets.plain import plain
from core.errors import ValidationError
from core.model import DeviceType, EventKind, EventResult
from core.rights import Area
from store.event_queries import event_detail, event_matches, site_devices
from store.queries import EventFilter, event_page

COLUMNS = ("Date & time", "Device", "Event type", "Result", "Description")
PERIODS = [("All", "all"), ("Today", "today"), ("7 days", "7d"), ("30 days", "30d"),
           ("From – to", "range")]
RESULT_STYLES = {
    EventResult.OPENING.value: "green",
    EventResult.OPENING_DENIED.value: "bold red",
    EventResult.COMMUNICATION_NOT_COMPLETED.value: "yellow",
    EventResult.ALARM.value: "bold red",
    EventResult.INFORMATION.value: "",
}
#: a description longer than this is cut in the list (the detail shows all of it)
DESCRIPTION_CELL = 100
#: after a live event, how often and how many times to look for it in the store
CATCH_UP_S, CATCH_UP_TRIES = 0.15, 6
SEARCH_DEBOUNCE_S = 0.3


def _day(value: str, name: str, label: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{label}: a date as YYYY-MM-DD.", field=name) from None


def period_bounds(period: str, now: datetime, tz: ZoneInfo, date_from: str = "",
                  date_to: str = "") -> tuple[datetime | None, datetime | None]:
    """(since, until) of a period; dates are the site's local days, To included."""
    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tz)

    if period == "today":
        return midnight(now.astimezone(tz).date()), None
    if period == "7d":
        return now - timedelta(days=7), None
    if period == "30d":
        return now - timedelta(days=30), None
    if period == "range":
        start = _day(date_from, "from", "From")
        end = _day(date_to, "to", "To")
        if start and end and end < start:
            raise ValidationError("To must not be before From.", field="to")
        return (midnight(start) if start else None,
                midnight(end + timedelta(days=1)) if end else None)
    return None, None


class EventTable(PagedTable[dict]):
    """The log: Home goes to the newest event (and fetches what came meanwhile)."""

    BINDINGS = [Binding("home", "newest", "Newest", show=False),
                Binding("ctrl+home", "newest", "Newest", show=False)]

    class Newest(Message):
        """The operator went back to the top."""

    def action_newest(self) -> None:
        self.move_cursor(row=0, animate=False)
        self.scroll_x = 0
        self.post_message(self.Newest())


class EventsTab(SiteTab):
    """The guide's Events tab."""

    area = Area.EVENTS
    title = "Events"

    BINDINGS = [
        Binding("f", "filters", "Filters"),
        Binding("s", "search", "Search log"),
        Binding("x", "clear_filters", "Clear filters"),
        Binding("escape", "to_list", "Back to the list", show=False),
    ]

    DEFAULT_CSS = """
    EventsTab #ev-status { height: 1; padding: 0 1; }
    EventsTab #ev-summary { width: 1fr; color: $text-muted; }
    EventsTab #ev-new { width: auto; color: $warning; text-style: bold; }
    EventsTab #ev-filters {
        grid-size: 4; grid-columns: 12 1fr 8 1fr; grid-rows: 1; grid-gutter: 0 1;
        height: auto; padding: 0 1; display: none;
    }
    EventsTab #ev-filters.-shown { display: block; }
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
        self.device_names: dict[int, str] = {}
        self.device_types: dict[int, str] = {}
        self._devices_of: int | None = None
        self.pending = 0
        self._catch_up: tuple[datetime, int] | None = None
        self._search_timer: Timer | None = None
        self.tz = ZoneInfo("UTC")

    # --- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="ev-status"):
            yield Static("", id="ev-summary")
            yield Static("", id="ev-new")
        with Grid(id="ev-filters"):
            yield Label("Period")
            yield Select(PERIODS, value="all", allow_blank=False, compact=True,
                         id="ev-period")
            yield Label("From–to")
            with Horizontal(id="ev-dates"):
                yield Input(placeholder="YYYY-MM-DD", compact=True, max_length=10,
                            id="ev-from")
                yield Input(placeholder="YYYY-MM-DD", compact=True, max_length=10,
                            id="ev-to")
            yield Label("Device type")
            yield Select([(d.value, d.value) for d in DeviceType], prompt="All",
                         compact=True, id="ev-type")
            yield Label("Device")
            yield Select([], prompt="All", compact=True, id="ev-device")
            yield Label("Event type")
            yield Select([(k.value, k.value) for k in EventKind], prompt="All",
                         compact=True, id="ev-kind")
            yield Label("Result")
            yield Select([(r.value, r.value) for r in EventResult], prompt="All",
                         compact=True, id="ev-result")
            yield Label("Search")
            yield Input(placeholder="Telephone number, APass number or name", compact=True,
                        max_length=60, id="ev-search")
        yield Static("", id="ev-error")
        yield EventTable(COLUMNS, fetch=self._fetch, cells=self._cells,
                         key=lambda r: (r["at"], r["id"]), id="ev-table")

    @property
    def table(self) -> EventTable:
        return self.query_one(EventTable)

    def focus(self, scroll_visible: bool = True) -> EventsTab:
        """The tab's focus goes to its list."""
        self.table.focus(scroll_visible)
        return self

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
        devices = await site_devices(self.ctx.store, self.site_id)
        site_changed = self._devices_of != self.site_id
        self._devices_of = self.site_id
        self.device_names = {d.id: d.name for d in devices}
        self.device_types = {d.id: d.type for d in devices}
        select = self.query_one("#ev-device", Select)
        chosen_type = self.query_one("#ev-type", Select).value
        keep = select.value
        with self.prevent(Select.Changed):
            select.set_options([(plain(d.name), d.id) for d in devices
                                if chosen_type is Select.NULL or d.type == chosen_type])
            if not site_changed and keep in self.device_names:
                select.value = keep

    async def _fetch(self, after: tuple[datetime, int] | None, limit: int) -> list[dict]:
        if self.flt is None:
            return []
        return await event_page(self.ctx.store, self.flt, after, limit)

    def _cells(self, row: dict) -> tuple[Text, ...]:
        alarm = row["result"] == EventResult.ALARM.value
        device = row["device_id"]
        name = self.device_names.get(device, f"#{device}" if device is not None else "")
        description = row["description"]
        if len(description) > DESCRIPTION_CELL:
            description = description[:DESCRIPTION_CELL - 1] + "…"
        return (Text(row["at"].astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")),
                plain(name),
                plain(row["kind"], "bold red" if alarm else ""),
                plain(row["result"], RESULT_STYLES.get(row["result"], "")),
                plain(description))

    async def _load_rows(self) -> None:
        """The first page for the current filter; what was new is now in view."""
        self.pending = 0
        self._show_status()
        await self.table.load()

    # --- filters ----------------------------------------------------------------------
    def _build_filter(self) -> EventFilter:
        """The filter the bar describes (ValidationError naming a bad date)."""
        def value(widget_id: str) -> Any:
            v = self.query_one(widget_id, Select).value
            return None if v is Select.NULL else v

        since, until = period_bounds(value("#ev-period") or "all", self.ctx.actor.now(),
                                     self.tz, self.query_one("#ev-from", Input).value,
                                     self.query_one("#ev-to", Input).value)
        device_type = value("#ev-type")
        return EventFilter(site_id=self.site_id, since=since, until=until,
                           device_type=DeviceType(device_type) if device_type else None,
                           device_id=value("#ev-device"), kind=value("#ev-kind"),
                           result=value("#ev-result"),
                           search=self.query_one("#ev-search", Input).value.strip())

    async def apply_filters(self) -> bool:
        """Read the bar; a bad date shows its message and changes nothing (False)."""
        if self.site_id is None:
            return False
        error = self.query_one("#ev-error", Static)
        try:
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
        if event.select.id == "ev-type" and self._devices_of is not None:
            await self._load_devices()
        if event.select.id == "ev-period" and event.value != "range":
            for widget_id in ("#ev-from", "#ev-to"):
                with self.prevent(Input.Changed):
                    self.query_one(widget_id, Input).value = ""
        await self.apply_filters()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id in ("ev-from", "ev-to") and event.value.strip():
            period = self.query_one("#ev-period", Select)
            if period.value != "range":
                with self.prevent(Select.Changed):
                    period.value = "range"
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

    def action_filters(self) -> None:
        """Show or hide the filter bar."""
        bar = self.query_one("#ev-filters")
        bar.toggle_class("-shown")
        if bar.has_class("-shown"):
            self.query_one("#ev-period").focus()
        else:
            self.table.focus()

    def action_search(self) -> None:
        """Show the filters and type in the Search field."""
        self.query_one("#ev-filters").add_class("-shown")
        self.query_one("#ev-search").focus()

    async def action_clear_filters(self) -> None:
        """Back to every event of the site."""
        with self.prevent(Select.Changed, Input.Changed):
            self.query_one("#ev-period", Select).value = "all"
            for widget_id in ("#ev-type", "#ev-device", "#ev-kind", "#ev-result"):
                self.query_one(widget_id, Select).clear()
            for widget_id in ("#ev-from", "#ev-to", "#ev-search"):
                self.query_one(widget_id, Input).value = ""
        if self._devices_of is not None:
            await self._load_devices()
        await self.apply_filters()

    def action_to_list(self) -> None:
        self.table.focus()

    def _show_status(self) -> None:
        """One line: the filters in force, and how many new events wait above."""
        parts = []
        flt = self.flt or EventFilter()
        period = self.query_one("#ev-period", Select).value
        label = dict((v, k) for k, v in PERIODS).get(period, "All")
        if period == "range":
            label = (f"{self.query_one('#ev-from', Input).value or '…'} – "
                     f"{self.query_one('#ev-to', Input).value or '…'}")
        parts.append(Text(label))
        if flt.device_id is not None:
            parts.append(plain(self.device_names.get(flt.device_id, "?")))
        elif flt.device_type is not None:
            parts.append(Text(flt.device_type.value))
        for value in (flt.kind, flt.result):
            if value:
                parts.append(Text(value))
        if flt.search:
            parts.append(plain(f"“{flt.search}”"))
        summary = Text(" · ").join(parts)
        summary.append("   f filters  s search", style="dim")
        self.query_one("#ev-summary", Static).update(summary)
        note = (f"▲ {self.pending} new event{'s' if self.pending != 1 else ''} — "
                f"Home to see them" if self.pending else "")
        self.query_one("#ev-new", Static).update(note)

    # --- the detail -------------------------------------------------------------------
    @on(DataTable.RowSelected, "#ev-table")
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.table.current
        if row is None:
            return
        detail = await event_detail(self.ctx.store, row["id"])
        if detail is not None:
            from console.screens.event_detail import EventDetailScreen
            await self.app.push_screen(EventDetailScreen(detail, self.tz))

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
        new = [e for e in batch.events if event_matches(self.flt, e, self.device_types)]
        if not new:
            return
        if not self.following:
            self.pending += len(new)
            self._show_status()
            return
        newest = max(datetime.fromisoformat(e["at"]) for e in new)
        await self._load_rows()
        self._catch_up = (newest, CATCH_UP_TRIES)
        self._check_caught_up()

    def _check_caught_up(self) -> None:
        """An event is in the store within ~100 ms of its publication: until the list
        holds the newest one seen live, look again shortly."""
        if self._catch_up is None:
            return
        newest, tries = self._catch_up
        rows = self.table.rows_held
        if (rows and rows[0]["at"] >= newest) or tries <= 0:
            self._catch_up = None
            return
        self._catch_up = (newest, tries - 1)
        self.set_timer(CATCH_UP_S, self._catch_up_again)

    async def _catch_up_again(self) -> None:
        if self._catch_up is None or not self.shown:
            return
        if self.following:
            await self._load_rows()
            self._check_caught_up()
        else:
            self._catch_up = None

    @on(EventTable.Newest)
    async def _newest(self, event: EventTable.Newest) -> None:
        event.stop()
        if self.pending:
            await self._load_rows()

    def live_hidden(self, batch: LiveBatch) -> None:
        """Hidden (another tab, or a dialog above): count what would have joined."""
        if self.flt is None:
            return
        self.pending += sum(event_matches(self.flt, e, self.device_types)
                            for e in batch.events)

    async def show(self) -> None:
        """Shown again: what came meanwhile joins if the operator was at the top."""
        await super().show()
        if self.pending and self.following:
            await self._load_rows()
        else:
            self._show_status()
