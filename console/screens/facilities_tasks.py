"""The Facilities screen's second view, "Access rights for my sites": the tasks with
access on my Facilities sites, a page at a time, with the guide's columns and FILTER
(management company, provider, site, keypad code, telephone, APass)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.context import ConsoleContext
from console.screens.facilities_task_form import TaskForm
from console.screens.setup_list import FILTER_BINDINGS, LIST_BINDINGS, ListActions
from console.widgets.form import Field, FormScreen
from console.widgets.paged_table import PagedTable
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import id_of
from core.rights import Action, Area
from core.services.facilities import delete_task
from core.views.facilities import company_rows, facilities_sites, task_detail, task_page
from core.views.facilities_rows import TaskFilter, TaskRow

COLUMNS = ("Task(s) on my sites", "Management co.", "Service Provider", "Keypad codes",
           "APasses/Radio transmitters", "Perimeter access")


def task_filter_form(flt: TaskFilter, companies: list[tuple[Text, int]],
                     sites: list[tuple[Text, int]]) -> FormScreen:
    """The guide's FILTER box of the tasks list."""

    async def save(values: dict[str, Any]) -> TaskFilter:
        return TaskFilter(values["company_id"], values["provider"] or "", values["site_id"],
                          values["code"] or "", values["telephone"] or "",
                          values["apass"] or "")

    return FormScreen("Filter the tasks", [
        Field("company_id", "Management co.", flt.company_id, kind="select",
              options=companies),
        Field("provider", "Service Provider", flt.provider, max_length=60),
        Field("site_id", "Site", flt.site_id, kind="select", options=sites),
        Field("code", "Keypad code", flt.code, max_length=8),
        Field("telephone", "Telephone", flt.telephone, max_length=20),
        Field("apass", "Access Pass", flt.apass, max_length=10),
    ], save, save_label="Filter")


class TasksPane(ListActions[TaskRow], Vertical):
    """Tasks on my sites, with add, modify, delete and the filter."""

    BINDINGS = [Binding("n", "add", "Add a task"), *LIST_BINDINGS[1:], *FILTER_BINDINGS]
    DEFAULT_CSS = """
    TasksPane #tasks-title { height: 1; padding: 0 1; background: $panel; }
    TasksPane #tasks { height: 1fr; }
    """

    def __init__(self, ctx: ConsoleContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.loads = 0  # reloads done (tests wait for the first)
        self.flt = TaskFilter()
        self.companies: list[tuple[Text, int]] = []

    def compose(self) -> ComposeResult:
        yield Static("Task(s) on my sites", id="tasks-title")
        yield PagedTable(COLUMNS, fetch=self._fetch, cells=self._cells, key=lambda r: r.key,
                         id="tasks")

    @property
    def tasks(self) -> PagedTable[TaskRow]:
        return self.query_one("#tasks", PagedTable)

    async def on_mount(self) -> None:
        await self.reload()

    async def reload(self) -> None:
        """The companies (for the dialogs) and the first page of tasks, again."""
        self.companies = [(plain(c.name), c.id) for c in await self.ctx.view(company_rows)]
        await self.tasks.load(keep_cursor=True)
        parts = [p for p in (self.flt.provider, self.flt.code, self.flt.telephone,
                             self.flt.apass) if p.strip()]
        if self.flt.company_id is not None:
            parts.insert(0, next((str(n) for n, i in self.companies
                                  if i == self.flt.company_id), "company"))
        if self.flt.site_id is not None:
            parts.append(next((s.name for s in self.ctx.sites if s.id == self.flt.site_id),
                              "site"))
        self.query_one("#tasks-title", Static).update(Text(
            f"Task(s) on my sites · filter: {', '.join(parts) or 'none'}", style="bold"))
        self.screen.refresh_bindings()
        self.loads += 1

    async def _fetch(self, after: tuple[str, int] | None, limit: int) -> list[TaskRow]:
        return await self.ctx.view(task_page, self.flt, after, limit)

    def _cells(self, row: TaskRow) -> list[Text]:
        return [plain(row.name), plain(row.company), plain(row.provider),
                plain(" ".join(row.codes)), plain(" ".join(row.passes)), plain(row.perimeter)]

    # --- what applies -------------------------------------------------------------------
    @property
    def may_modify(self) -> bool:
        return self.ctx.can(None, Area.FACILITIES, Action.MODIFY)

    @property
    def current(self) -> TaskRow | None:
        return self.tasks.current

    def can_add(self) -> bool:
        return bool(self.companies)

    def filtered(self) -> bool:
        return self.flt != TaskFilter()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.screen.refresh_bindings()

    @on(DataTable.RowSelected)
    async def _selected(self) -> None:
        if self.check_action("modify", ()):
            await self.action_modify()

    # --- acting -------------------------------------------------------------------------
    async def open_form(self, row: TaskRow | None) -> Screen[Any] | None:
        """ADD A TASK, or MODIFY THE TASK (read again: another session may have)."""
        if row is None:
            return TaskForm(self.ctx, self.companies, None)
        try:
            task = await self.ctx.view(task_detail, row.id)
        except DoorkeeperError as err:
            self.say(err.message, error=True)
            return None
        return TaskForm(self.ctx, self.companies, task)

    async def saved(self, row: Any) -> None:
        await self.reload()

    def delete_question(self, row: TaskRow) -> str:
        return f"Delete the task {row.name}? {row.provider} loses its access."

    async def delete(self, row: TaskRow) -> None:
        """Its provider loses that access at once."""
        await self.ctx.change(delete_task, row.id)

    async def deleted(self, row: TaskRow) -> None:
        await self.reload()

    async def action_filter(self) -> None:
        sites = [(plain(s.name), id_of(s)) for s in facilities_sites(self.ctx.viewer)]
        await self.app.push_screen(task_filter_form(self.flt, self.companies, sites),
                                   self._filtered)

    async def _filtered(self, flt: object) -> None:
        if isinstance(flt, TaskFilter):
            self.flt = flt
            await self.reload()
            self.tasks.focus()

    async def action_clear_filter(self) -> None:
        self.flt = TaskFilter()
        await self.reload()
