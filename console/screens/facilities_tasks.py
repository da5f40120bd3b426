"""The Facilities screen's second view, "Access rights for my sites": the tasks with
access on my Facilities sites, a page at a time, with the guide's columns and FILTER
(management company, provider, site, keypad code, telephone, APass)."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from console.context import ConsoleContext
from console.screens.facilities_task_form import TaskForm
from console.screens.setup_list import FILTER_BINDINGS, LIST_BINDINGS, ListActions
from console.widgets.columns import Col
from console.widgets.form import Field, FormScreen
from console.widgets.log_table import LogTable
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import id_of
from core.rights import Action, Area
from core.services.facilities import delete_task
from core.views.facilities import company_rows, facilities_sites, task_detail, task_page
from core.views.facilities_rows import TaskFilter, TaskRow

#: rows of the first page: about a screenful
FIRST_PAGE = 50
#: narrow, the least needed columns give way (console/widgets/columns.py)
COLUMNS = ("Task(s) on my sites", Col("Management co.", 3), Col("Service Provider", 1),
           Col("Keypad codes", 2), Col("APasses/Radio transmitters", 4),
           Col("Perimeter access", 5))


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
        self._ahead: list[TaskRow] | None = None  # the first page, read before mounting

    def compose(self) -> ComposeResult:
        yield Static("Task(s) on my sites", id="tasks-title")
        yield LogTable(COLUMNS, fetch=self._fetch, cells=self._cells, key=lambda r: r.key,
                       first_page=FIRST_PAGE, id="tasks")

    async def read_ahead(self) -> None:
        """Read the first page and the companies before the pane is mounted, so that it
        is drawn once, with its rows (not empty first, while they are read)."""
        self._ahead, _ = await asyncio.gather(self._fetch(None, FIRST_PAGE),
                                              self._read_companies())

    @property
    def tasks(self) -> LogTable[TaskRow]:
        return self.query_one("#tasks", LogTable)

    async def on_mount(self) -> None:
        if self._ahead is None:
            await self.reload()
            return
        await self.tasks.load()  # the page read ahead
        self._loaded()

    async def reload(self) -> None:
        """The first page of tasks and the companies (for the dialogs), again."""
        await asyncio.gather(self.tasks.load(keep_cursor=True), self._read_companies())
        self._loaded()

    async def _read_companies(self) -> None:
        self.companies = [(plain(c.name), c.id) for c in await self.ctx.view(company_rows)]

    def _loaded(self) -> None:
        """Say the filter in force; the keys follow the rows."""
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
        ahead, self._ahead = self._ahead, None
        if ahead is not None and after is None and limit == FIRST_PAGE:
            return ahead
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

    @on(LogTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.screen.refresh_bindings()

    @on(LogTable.RowSelected)
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
