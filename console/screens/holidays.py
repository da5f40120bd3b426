"""Holidays (key `h` from Week types, the "Week types / Holidays" right): a site's
holidays by date; add one, delete one, or import a list pasted or typed one a line
("2026-12-25 Christmas Day", or a CSV's "2026-12-25,Christmas Day"). An import with a
bad line names every bad line and imports nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label, Static, TextArea

from console.context import ConsoleContext
from console.screens.setup_list import SetupListScreen
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.errors import DoorkeeperError, ValidationError
from core.model import Holiday
from core.rights import Area
from core.services.schedules import add_holiday, delete_holiday, import_holidays
from core.views.schedules import holidays
from core.week_slots import HOLIDAYS_IMPORT_MAX


def typed_date(text: object, field: str = "day") -> date:
    """A date typed as 2026-12-25, or a ValidationError by its field."""
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        raise ValidationError("Write the date as 2026-12-25.", field=field) from None


def holiday_form(ctx: ConsoleContext, site_id: int) -> FormScreen:
    """Declare one holiday: its date and name."""
    fields = [Field("day", "Date (YYYY-MM-DD)", "", placeholder="2026-12-25"),
              Field("name", "Name", "", placeholder="Christmas Day")]

    async def save(values: dict[str, Any]) -> Holiday:
        return await ctx.change(add_holiday, site_id, typed_date(values["day"]),
                                values["name"])

    return FormScreen("Add a holiday", fields, save)


class ImportForm(FormScreen):
    """A list of holidays pasted into a text area."""

    AUTO_FOCUS = "#f-lines"

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="field", id="field-lines"):
            yield Label(f"One holiday a line, date then name (at most {HOLIDAYS_IMPORT_MAX})")
            lines = TextArea("", id="f-lines", soft_wrap=False, show_line_numbers=True)
            lines.cursor_blink = False  # steady, as every field's (console/widgets/text_input.py)
            yield lines
            yield Static("", classes="field-error", id="e-lines")

    def values(self) -> dict[str, Any]:
        return {"lines": self.query_one("#f-lines", TextArea).text}


def import_form(ctx: ConsoleContext, site_id: int) -> ImportForm:
    """Import holidays from a list: all of them or none."""

    async def save(values: dict[str, Any]) -> list[Holiday]:
        return await ctx.change(import_holidays, site_id, values["lines"])

    return ImportForm("Import holidays", [Field("lines", "Holidays")], save,
                      save_label="Import")


class HolidaysScreen(SetupListScreen[Holiday]):
    """The site's holidays: on these days week types use their holiday slots."""

    area = Area.WEEK_TYPES
    heading = "Holidays"
    columns = ("Date", "Day", "Holiday")
    BINDINGS = [Binding("i", "import", "Import")]
    DEFAULT_CSS = "HolidaysScreen #f-lines { height: 8; }"

    async def read(self) -> list[Holiday]:
        return await self.ctx.view(holidays, self.site_id)

    def cells(self, row: Holiday) -> tuple[Text, ...]:
        return plain(row.day.isoformat()), plain(f"{row.day:%A}"), plain(row.name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "modify":
            return False  # a holiday is a date and a name: delete it and add it again
        if action == "import":
            return self.may_modify
        return super().check_action(action, parameters)

    def form(self, row: Holiday | None) -> Screen:
        return holiday_form(self.ctx, self.site_id)

    def name_of(self, row: object) -> str:
        if isinstance(row, list):
            return f"{len(row)} holiday{'s' if len(row) != 1 else ''}"
        if isinstance(row, Holiday):
            return f"{row.name} ({row.day.isoformat()})"
        return super().name_of(row)

    async def delete(self, row: Holiday) -> None:
        if row.id is None:
            raise DoorkeeperError("This holiday was never saved.")
        await self.ctx.change(delete_holiday, row.id)

    def action_import(self) -> None:
        self.run_worker(self._import(), group="setup-form", exclusive=True)

    async def _import(self) -> None:
        made = await self.app.push_screen_wait(import_form(self.ctx, self.site_id))
        if made:
            await self.reload()
            self.say(f"{self.name_of(made)} imported.")
