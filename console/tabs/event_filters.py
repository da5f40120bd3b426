"""The Events tab's filters (the guide's "How to view system events"): period, device
type, device, event type, result and a search on telephone number, APass number or
name, and the block and the flat (exact: Flat N° 041 of the block, never 0419), in a
compact bar that is mounted the first time it is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Input, Label, Select

from console.context import ConsoleContext
from console.widgets.plain import plain
from console.widgets.text_input import TextInput
from core.days import local_days
from core.errors import ValidationError
from core.model import DeviceType, EventKind, EventResult
from core.views.events import event_flat
from core.views.rows import EventFilter

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
    block_id: int | None = None
    flat: str = ""  # a Flat N° of the block, as typed


async def find_flat(ctx: ConsoleContext, site_id: int, choices: Choices,
                    blocks: dict[int, str]) -> int | None:
    """The flat whose Flat N° was typed, in the chosen block: exact, so 041 is never 0419
    (ValidationError naming what is wrong when there is none)."""
    typed, block_id = choices.flat.strip(), choices.block_id
    if not typed:
        return None
    if block_id is None:
        raise ValidationError("Flat N°: choose the block first.", field="flat")
    found = await ctx.view(event_flat, site_id, block_id, typed)
    if found is None:
        raise ValidationError(f"Flat N° {typed} is not a flat of "
                              f"{blocks.get(block_id, 'this block')}.", field="flat")
    return found.id


def describe_filter(c: Choices, flt: EventFilter, device_names: dict[int, str],
                    blocks: dict[int, str]) -> Text:
    """The filters in force, in one line for the tab's status ("Today · Block A · …")."""
    label = dict((v, k) for k, v in PERIODS).get(c.period, "All")
    if c.period == "range":
        label = f"{c.date_from or '…'} – {c.date_to or '…'}"
    parts = [Text(label)]
    if flt.block_id is not None:
        block = plain(blocks.get(flt.block_id, "?"))
        if flt.flat_id is not None:
            block.append_text(plain(f" › Flat N° {c.flat.strip()}"))
        parts.append(block)
    if flt.device_id is not None:
        parts.append(plain(device_names.get(flt.device_id, "?")))
    elif flt.device_type is not None:
        parts.append(Text(flt.device_type.value))
    for value in (flt.kind, flt.result):
        if value:
            parts.append(Text(value))
    if flt.search:
        parts.append(plain(f"“{flt.search}”"))
    return Text(" · ").join(parts)


#: filter widget id -> Choices field
FIELDS = {"ev-period": "period", "ev-from": "date_from", "ev-to": "date_to",
          "ev-type": "device_type", "ev-device": "device_id", "ev-kind": "kind",
          "ev-result": "result", "ev-search": "search", "ev-block": "block_id",
          "ev-flat": "flat"}


class FilterBar(Grid):
    """The guide's filters in five compact lines."""

    def __init__(self, choices: Choices, devices: list[tuple[Text, int]],
                 blocks: list[tuple[Text, int]], **kwargs: Any):
        super().__init__(id="ev-filters", **kwargs)
        self.choices = choices
        self.devices = devices
        self.blocks = blocks

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
        yield Label("Block")
        yield select(self.blocks, c.block_id, "ev-block")
        yield Label("Flat N°")
        yield TextInput(c.flat, placeholder="exact, in the block", compact=True, max_length=10,
                        id="ev-flat")
        yield Label("Search")
        yield TextInput(c.search, placeholder="Telephone number, APass number or name",
                    compact=True, max_length=60, id="ev-search")

    def set_devices(self, devices: list[tuple[Text, int]], chosen: int | None) -> None:
        """New options for the Device filter (another site, or another device type)."""
        self._set_options("#ev-device", devices, chosen)

    def set_blocks(self, blocks: list[tuple[Text, int]], chosen: int | None) -> None:
        """The site's blocks for the Block filter (another site was picked)."""
        self._set_options("#ev-block", blocks, chosen)

    def _set_options(self, selector: str, options: list[tuple[Text, int]],
                     chosen: int | None) -> None:
        select = self.query_one(selector, Select)
        with self.prevent(Select.Changed):
            select.set_options(options)
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
