"""The live overview for alarm monitoring (key `O` from the main screen): one row per
site the operator consults Events on, the numbers that need a person first (open
alarms, devices offline), then the events per hour over the last 24 h as a bar chart
and the current hour's count; under the sites, the door activity now.

It costs a session no more than the Events tab does: one read when it opens, then the
main screen hands it each live batch while it is the screen shown (console/live.py);
events are counted into the hours and the door activity in memory (no store query per
event), only alarm news reads the alarm counts again (one aggregate query), and it
repaints at most twice a second (as often as a busy session's live feed is drained,
console/live.py), so a door event is on it within a second.
"""

from __future__ import annotations

import time
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from console.context import ConsoleContext
from console.live import LiveBatch
from console.widgets.guard import guarded
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from core.model import EventResult
from core.views.events import live_events
from core.views.overview import HOURS, Overview, SiteOverview, alarm_counts, hour_start, overview
from core.views.rows import EventFilter

#: at most one repaint in this many seconds: a busy session's drain interval
#: (console.live.BUSY_DRAIN_S), so a drained batch is painted at once and an event waits
#: at most a drain and a paint, under a second
PAINT_S = 0.5
#: how often the chart is checked for a new hour while no event comes
CLOCK_S = 30.0
EVERY_EVENT = EventFilter()
#: the shortest timer set (see _due)
MIN_TIMER_S = 0.01
RESULT_STYLES = {EventResult.OPENING.value: "green", EventResult.OPENING_DENIED.value: "red",
                 EventResult.ALARM.value: "bold red",
                 EventResult.COMMUNICATION_NOT_COMPLETED.value: "yellow"}


class DoorLines(Widget):
    """Lines cut with '…' to the width they have now, never wrapped: a name wrapped onto
    a line of its own would read as another event."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lines: list[Text] = []

    def show(self, lines: list[Text]) -> None:
        self.lines = lines
        self.refresh()

    def render(self) -> Text:
        width = self.content_size.width
        out = Text(no_wrap=True)
        for i, line in enumerate(self.lines):
            if i:
                out.append("\n")
            cut = line.copy()
            if width:
                cut.truncate(width, overflow="ellipsis")
            out.append_text(cut)
        return out


class HourChart(Static):
    """The events per hour: one bar character per hour, the busiest hour full height.
    (Textual's Sparkline partitions its data by its width, which met a width of 0 while
    the screen laid out and stopped the session on a division by zero.)"""

    BARS = "▁▂▃▄▅▆▇█"

    def __init__(self, data: list[int], **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.data = data

    def set_data(self, data: list[int]) -> None:
        self.data = data
        self.update(self.bars(data))

    @classmethod
    def bars(cls, data: list[int]) -> Text:
        top = max(data, default=0)
        line = Text(no_wrap=True, end="")
        for n in data:
            level = 0 if top <= 0 or n <= 0 else 1 + (n * (len(cls.BARS) - 2)) // top
            line.append(cls.BARS[min(level, len(cls.BARS) - 1)],
                        "bold" if n == top and top > 0 else "")
        return line


class SiteLine(Vertical):
    """One site: its numbers and chart on one line, its open alarms by kind under it."""

    def __init__(self, site_id: int) -> None:
        super().__init__(classes="ov-site")
        self.site_id = site_id

    def compose(self) -> ComposeResult:
        with Horizontal(classes="ov-row"):
            yield Static("", classes="ov-name")
            yield Static("", classes="ov-alarms")
            yield Static("", classes="ov-offline")
            yield HourChart([0] * HOURS, classes="ov-chart")
            yield Static("", classes="ov-now")
        yield Static("", classes="ov-kinds")

    def show(self, row: SiteOverview) -> None:
        alarms, offline = row.open_alarms, row.offline
        self.query_one(".ov-name", Static).update(plain(row.name, "bold"))
        self.query_one(".ov-alarms", Static).update(
            Text(f"⚠ {alarms}", "bold red") if alarms else Text("0", "dim"))
        self.query_one(".ov-offline", Static).update(
            Text(str(offline), "bold yellow") if offline else Text("0", "dim"))
        self.query_one(HourChart).set_data(list(row.hourly))
        self.query_one(".ov-now", Static).update(str(row.hourly[-1]))
        kinds = self.query_one(".ov-kinds", Static)
        kinds.display = bool(row.alarms)
        kinds.update(plain(" · ".join(f"{kind} {n}" for kind, n in
                                      sorted(row.alarms.items(), key=lambda kv: -kv[1]))))


class OverviewScreen(Screen[None]):
    """Every site at a glance, live."""

    BINDINGS = [Binding("escape", "close", "Close"),
                Binding("O", "close", "Close", show=False)]

    DEFAULT_CSS = """
    OverviewScreen #ov-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    OverviewScreen .ov-head { height: 1; padding: 0 1; color: $text-muted; }
    OverviewScreen #ov-sites { height: auto; max-height: 60%; }
    OverviewScreen .ov-site { height: auto; padding: 0 1; }
    OverviewScreen .ov-row { height: 1; }
    OverviewScreen .ov-name { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    OverviewScreen .ov-alarms { width: 8; }
    OverviewScreen .ov-offline { width: 8; }
    OverviewScreen .ov-chart { width: 24; }
    OverviewScreen .ov-now { width: 7; text-align: right; }
    OverviewScreen .ov-kinds { height: 1; color: $error; padding-left: 2;
                               text-wrap: nowrap; text-overflow: ellipsis; }
    OverviewScreen #ov-doors-title { height: 1; padding: 0 1; margin-top: 1;
                                     background: $panel; text-style: bold; }
    OverviewScreen #ov-doors { height: 1fr; padding: 0 1; }
    """

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.data: Overview | None = None
        self.zones = {s.id: ZoneInfo(s.timezone) for s in ctx.sites}
        self._painted_at = 0.0
        self._timer: Timer | None = None
        self._reread = False
        self._alarms_stale = False
        self._covered = False  # a screen (the palette) was above: batches went by
        self.gateway_lost = False

    def compose(self) -> ComposeResult:
        yield Static("Overview", id="ov-title")
        with Horizontal(classes="ov-head"):
            yield Static("Site", classes="ov-name")
            yield Static("Alarms", classes="ov-alarms")
            yield Static("Offline", classes="ov-offline")
            yield Static("Events/h, 24 h", classes="ov-chart")
            yield Static("Last h", classes="ov-now")
        yield VerticalScroll(id="ov-sites")
        yield Static("Door activity now", id="ov-doors-title")
        yield DoorLines(id="ov-doors")
        yield KeyBar()

    async def on_mount(self) -> None:
        await self._read_all()
        self.set_interval(CLOCK_S, self._clock)

    # --- reading ----------------------------------------------------------------------
    @guarded
    async def _read_all(self) -> None:
        """The whole picture from the store: on opening, and when the live feed had a gap."""
        self._reread = self._alarms_stale = False
        self.data = await self.ctx.view(overview)
        box = self.query_one("#ov-sites", VerticalScroll)
        await box.remove_children()
        await box.mount_all([SiteLine(row.site_id) for row in self.data.sites])
        self._paint()

    async def live(self, batch: LiveBatch) -> None:
        """A batch from the main screen's drain while this screen is shown."""
        if self.data is None:
            return
        if batch.gateway_lost is not None:
            self.gateway_lost = batch.gateway_lost
        counted = False
        if batch.reconnected or batch.skipped:
            self._reread = True  # what the buffer dropped, or the gateway published
        else:  # while away, is in the store only
            counted = self.data.add_live(live_events(self.ctx.viewer, EVERY_EVENT,
                                                     batch.events, {}))
        if batch.alarms or batch.acknowledged or batch.changed:
            self._alarms_stale = True
        # device health alone (most batches between events) changes nothing shown here
        if counted or self._reread or self._alarms_stale or batch.gateway_lost is not None:
            self._due()

    def on_screen_suspend(self) -> None:
        self._covered = True

    def on_screen_resume(self) -> None:
        """Back from a screen above: what came meanwhile was not handed over, read again."""
        if self._covered:
            self._covered = False
            self._reread = True
            self._due()

    def _due(self) -> None:
        """Repaint now if the last one was PAINT_S ago, else once when it is."""
        if self._timer is not None:
            return
        wait = self._painted_at + PAINT_S - time.monotonic()
        # never 0: Textual's Timer divides by its interval when it fires late (a busy
        # loop), and a 0.0 timer stopped the session on a division by zero
        self._timer = self.set_timer(max(wait, MIN_TIMER_S), self._refresh)

    @guarded
    async def _refresh(self) -> None:
        self._timer = None
        if self.data is None or self.app.screen is not self:
            return
        if self._reread:
            await self._read_all()
            return
        if self._alarms_stale:
            self._alarms_stale = False
            self.data.set_alarms(await self.ctx.view(alarm_counts))
        self._paint()

    def _clock(self) -> None:
        """A new hour moves the chart on, even with no event to say so."""
        if self.data is not None:
            first = self.data.first_hour
            self.data.move_on(hour_start(self.ctx.actor.now()))
            if self.data.first_hour != first:
                self._due()

    # --- painting ---------------------------------------------------------------------
    def _paint(self) -> None:
        self._painted_at = time.monotonic()
        data = self.data
        if data is None:
            return
        lines = {line.site_id: line for line in self.query(SiteLine)}
        for row in data.sites:
            if row.site_id in lines:
                lines[row.site_id].show(row)
        alarms = sum(r.open_alarms for r in data.sites)
        offline = sum(r.offline for r in data.sites)
        title = Text(f"Overview · {len(data.sites)} site{'s' if len(data.sites) != 1 else ''}"
                     f" · ", style="bold")
        title.append(f"{alarms} open alarm{'s' if alarms != 1 else ''}",
                     "bold red" if alarms else "")
        title.append(f" · {offline} device{'s' if offline != 1 else ''} offline",
                     "bold yellow" if offline else "")
        if self.gateway_lost:
            title.append(" · ⚠ gateway lost: not live", "bold red")
        self.query_one("#ov-title", Static).update(title)
        self.query_one("#ov-doors", DoorLines).show(self._door_lines(data))

    def _door_lines(self, data: Overview) -> list[Text]:
        """The newest door events, one line each (the site named when there are several)."""
        if not data.doors:
            return [Text("No door activity yet.", style="dim")]
        names = {r.site_id: r.name for r in data.sites}
        several = len(data.sites) > 1
        out: list[Text] = []
        for door in data.doors:
            one = Text()
            zone = self.zones.get(door["site_id"], ZoneInfo("UTC"))
            one.append(door["at"].astimezone(zone).strftime("%H:%M:%S"), "dim")
            if several:
                one.append("  ")
                one.append_text(plain(f"{names.get(door['site_id'], ''):<12.12}"))
            result = str(door.get("result") or "")
            one.append("  ")
            one.append_text(plain(f"{result:<14.14}", RESULT_STYLES.get(result, "")))
            one.append("  ")
            one.append_text(plain(str(door.get("kind") or "")))
            who = str(door.get("name") or door.get("credential") or "")
            if who:
                one.append(" · ")
                one.append_text(plain(who))
            out.append(one)
        return out

    def action_close(self) -> None:
        self.dismiss(None)
