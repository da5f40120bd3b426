"""Week types (key `w`, the "Week types / Holidays" right): a site's week types, the
highlighted one drawn on the week grid, and the form that edits one: its name and
the slots of each day and of holidays, typed as "08:00-18:00, 20:00-22:00" with the
grid redrawn as they are typed. An overlapping or inverted slot is refused by its
day's field (core.week_slots) and nothing is saved."""

from __future__ import annotations

import contextlib
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from console.context import ConsoleContext
from console.screens.setup_list import SetupListScreen
from console.screens.week_grid import WeekGrid
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.errors import DoorkeeperError, ValidationError
from core.model import TimeWindow, WeekType
from core.rights import Area
from core.services.schedules import delete_week_type, save_week_type
from core.views.schedules import week_types
from core.week_slots import DAY_LABELS, DAY_SHORT, day_text, parse_slots

DAYS = range(len(DAY_LABELS))


def summary(wt: WeekType) -> str:
    """"Mon–Fri 08:00-18:00 · Sat–Sun — · Hol —": days alike run together (not holidays)."""
    texts = [day_text(wt.windows, d) for d in DAYS]
    parts: list[str] = []
    start = 0
    for d in range(1, 8):
        if d == 7 or texts[d] != texts[start]:
            days = DAY_SHORT[start] if d - 1 == start else f"{DAY_SHORT[start]}–{DAY_SHORT[d - 1]}"
            parts.append(f"{days} {texts[start] or '—'}")
            start = d
    parts.append(f"{DAY_SHORT[7]} {texts[7] or '—'}")
    return " · ".join(parts)


class WeekTypeForm(FormScreen):
    """A week type's name and slots, with the grid under the fields."""

    def compose_body(self) -> ComposeResult:
        yield from self.compose_fields()
        yield WeekGrid(self._typed(), id="form-grid")

    def _typed(self, texts: list[str] | None = None) -> list[TimeWindow]:
        """What the day fields hold so far, skipping a day that does not parse yet."""
        texts = texts or [str(f.value) for f in self.fields if f.name.startswith("day")]
        out: list[TimeWindow] = []
        for day, text in enumerate(texts):
            with contextlib.suppress(ValidationError):
                out += parse_slots(text, day)
        return out

    @on(Input.Changed)
    def _redraw(self) -> None:
        if self.is_mounted:
            self.query_one("#form-grid", WeekGrid).show(self._typed(
                [self.query_one(f"#f-day{day}", Input).value for day in DAYS]))


def week_type_form(ctx: ConsoleContext, site_id: int, wt: WeekType | None) -> WeekTypeForm:
    """Add a week type to the site, or modify one."""
    windows = wt.windows if wt else []
    fields = [Field("name", "Week type name", wt.name if wt else "")]
    fields += [Field(f"day{d}", f"{DAY_LABELS[d]} (e.g. 08:00-12:00, 14:00-18:00)",
                     day_text(windows, d), placeholder="none") for d in DAYS]

    async def save(values: dict[str, Any]) -> WeekType:
        slots: list[TimeWindow] = []
        for d in DAYS:
            slots += parse_slots(values[f"day{d}"], d)
        changed = WeekType(site_id=site_id, name=values["name"], windows=slots,
                           id=wt.id if wt else None)
        return await ctx.change(save_week_type, changed)

    title = f"Modify week type {wt.name}" if wt else "Add a week type"
    return WeekTypeForm(title, fields, save)


class WeekTypesScreen(SetupListScreen[WeekType]):
    """The site's week types and the highlighted one's grid."""

    area = Area.WEEK_TYPES
    heading = "Week types"
    columns = ("Week type", "Slots")
    BINDINGS = [Binding("h", "holidays", "Holidays")]
    DEFAULT_CSS = "WeekTypesScreen DataTable { height: 1fr; min-height: 4; }"

    def compose_below(self) -> ComposeResult:
        yield WeekGrid(id="week-grid")

    async def read(self) -> list[WeekType]:
        return await self.ctx.view(week_types, self.site_id)

    def cells(self, row: WeekType) -> tuple[Text, ...]:
        return plain(row.name), plain(summary(row))

    def highlighted(self) -> None:
        row = self.current
        self.query_one("#week-grid", WeekGrid).show(row.windows if row else [])

    def form(self, row: WeekType | None) -> Screen:
        return week_type_form(self.ctx, self.site_id, row)

    async def delete(self, row: WeekType) -> None:
        if row.id is None:
            raise DoorkeeperError("This week type was never saved.")
        await self.ctx.change(delete_week_type, row.id)

    async def action_holidays(self) -> None:
        from console.screens.holidays import HolidaysScreen
        await self.app.push_screen(HolidaysScreen(self.ctx, self.site_id))
