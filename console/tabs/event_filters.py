"""The Events tab's filters (the guide's "How to view system events"): period, device
type, device, event type, result and a search on telephone number, APass number or
name, in a compact bar that is mounted the first time it is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Input, Label, Select

from console.widgets.text_input import TextInput
from core.days import local_days
from core.errors import ValidationError
from core.model import DeviceType, EventKind, EventResult

PERIODS = [("All", "all"), ("Today", "today"), ("7 days", "7d"), ("30 days", "30d"),
           ("From – to", "range")]


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
        return local_days(_day(date_from, "from", "From"), _day(date_to, "to", "To"), tz)
    return None, None


@dataclass
class Choices:
    """What the filter bar says, kept apart from its widgets (mounted on first use)."""

    period: str = "all"
    date_from: str = ""
    date_to: str = ""
    device_type: str | None = None
    device_id: int | None = None
    kind: str | None = None
    result: str | None = None
    search: str = ""


#: filter widget id -> Choices field
FIELDS = {"ev-period": "period", "ev-from": "date_from", "ev-to": "date_to",
          "ev-type": "device_type", "ev-device": "device_id", "ev-kind": "kind",
          "ev-result": "result", "ev-search": "search"}


class FilterBar(Grid):
    """The guide's filters in four compact lines."""

    def __init__(self, choices: Choices, devices: list[tuple[Text, int]], **kwargs: Any):
        super().__init__(id="ev-filters", **kwargs)
        self.choices = choices
        self.devices = devices

    def compose(self) -> ComposeResult:
        c = self.choices

        def select(options: list, value: Any, widget_id: str) -> Select:
            return Select(options, prompt="All", compact=True, id=widget_id,
                          value=Select.NULL if value is None else value)

        yield Label("Period")
        yield Select(PERIODS, value=c.period, allow_blank=False, compact=True, id="ev-period")
        yield Label("From–to")
        with Horizontal(id="ev-dates"):
            yield TextInput(c.date_from, placeholder="YYYY-MM-DD", compact=True, max_length=10,
                        id="ev-from")
            yield TextInput(c.date_to, placeholder="YYYY-MM-DD", compact=True, max_length=10,
                        id="ev-to")
        yield Label("Device type")
        yield select([(d.value, d.value) for d in DeviceType], c.device_type, "ev-type")
        yield Label("Device")
        yield select(self.devices, c.device_id, "ev-device")
        yield Label("Event type")
        yield select([(k.value, k.value) for k in EventKind], c.kind, "ev-kind")
        yield Label("Result")
        yield select([(r.value, r.value) for r in EventResult], c.result, "ev-result")
        yield Label("Search")
        yield TextInput(c.search, placeholder="Telephone number, APass number or name",
                    compact=True, max_length=60, id="ev-search")

    def set_devices(self, devices: list[tuple[Text, int]], chosen: int | None) -> None:
        """New options for the Device filter (another site, or another device type)."""
        select = self.query_one("#ev-device", Select)
        with self.prevent(Select.Changed):
            select.set_options(devices)
            if chosen is not None:
                select.value = chosen

    def show_choices(self, choices: Choices) -> None:
        """Set every widget to what `choices` says, without reacting to it."""
        with self.prevent(Select.Changed, Input.Changed):
            for widget_id, name in FIELDS.items():
                widget = self.query_one(f"#{widget_id}")
                value = getattr(choices, name)
                if isinstance(widget, Select):
                    if value is None:
                        widget.clear()
                    else:
                        widget.value = value
                else:
                    widget.value = value
