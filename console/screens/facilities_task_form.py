"""ADD A TASK / MODIFY THE TASK (the guide's 12.6): INFORMATION (name, management
company, service provider) and ACCESS AUTHORISED (per site of mine with Facilities:
the week type, and per device the ways it may be opened, filtered by device type).
A task that opens nothing is refused with the guide's reason; the service checks the
sites and the rights again."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Label, Select, Static

from console.context import ConsoleContext
from console.screens.facilities_perimeter import LEGEND, PerimeterGrid
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.errors import ValidationError
from core.model import DeviceType, Task, id_of
from core.rights import Action
from core.services.facilities import save_task
from core.task_methods import Method, chosen_methods, methods_for, task_doors
from core.views.facilities import facilities_sites, provider_page, site_perimeter
from core.views.facilities_rows import ProviderFilter, SitePerimeter

ALWAYS = "always"  # the week type Select's "Always" (no week type)
TYPE_LABELS = {DeviceType.IPGUARD_4G: "IPGUARD 4G", DeviceType.PANEL_3G: "3G panels",
               DeviceType.GSM_MODEM: "Modems", DeviceType.CONTROL_UNIT: "Control unit",
               DeviceType.RADIO_RECEIVER: "Radio receiver",
               DeviceType.CODE_KEYPAD: "Code keypads", DeviceType.KEY_SAFE: "IPKEYSAFE",
               DeviceType.READER: "Readers"}


class TaskForm(FormScreen):
    """The task's fields, then the perimeter of the site chosen in "Site"."""

    AUTO_FOCUS = "#f-name"
    DEFAULT_CSS = """
    TaskForm #perimeter-count { height: 1; padding: 0 1; }
    TaskForm #perimeter-legend { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, ctx: ConsoleContext, companies: list[tuple[Text, int]],
                 task: Task | None) -> None:
        sites = facilities_sites(ctx.viewer, Action.MODIFY)
        first_site = (task.site_ids[0] if task and task.site_ids
                      and any(s.id == task.site_ids[0] for s in sites)
                      else sites[0].id if sites else None)
        fields = [
            Field("name", "Name of the task *", task.name if task else "", max_length=60),
            Field("company_id", "Management co. *", task.company_id if task else None,
                  kind="select", options=companies),
            Field("provider_id", "Service Provider *", None,
                  kind="select", options=[]),
            Field("site_id", "Site (my sites with Facilities)", first_site, kind="select",
                  options=[(plain(s.name), s.id) for s in sites], allow_blank=False),
            Field("week_type", "Week type on this site", ALWAYS, kind="select",
                  options=[("Always", ALWAYS)], allow_blank=False),
            Field("device_type", "Devices", None, kind="select",
                  options=[(label, t.value) for t, label in TYPE_LABELS.items()]),
        ]
        super().__init__("Modify the task" if task else "Add a task", fields, self._save)
        self.ctx = ctx
        self.editing = task
        self.sites = sites
        self.perimeters: dict[int, SitePerimeter] = {}
        self.chosen: dict[int, set[Method]] = {}
        self.week: dict[int, int | None] = dict(task.week_type_ids) if task else {}

    def compose_body(self) -> ComposeResult:
        yield from self.compose_fields()
        yield Label("Access authorised · arrows move, space ticks, a selects all")
        yield PerimeterGrid(self.chosen, id="perimeter")
        yield Static("", id="perimeter-count")
        yield Static(LEGEND, id="perimeter-legend")

    async def on_mount(self) -> None:
        # wider than the other dialogs, so the grid's ten columns fit (the app's .dialog
        # rule wins over DEFAULT_CSS; max-width keeps it inside an 80-column screen)
        self.query_one(".dialog").styles.width = 84
        if self.editing is not None:
            held = [s for s in self.editing.site_ids if any(x.id == s for x in self.sites)]
            for site_id in held:
                perimeter = await self._perimeter(site_id)
                devices = {d.id: d.doors for d in perimeter.devices}
                self.chosen.update(chosen_methods(self.editing.doors, devices))
            await self._load_providers(self.editing.company_id)
        await self._show_site()

    # --- what the form shows ------------------------------------------------------------
    async def _perimeter(self, site_id: int) -> SitePerimeter:
        if site_id not in self.perimeters:
            self.perimeters[site_id] = await self.ctx.view(site_perimeter, site_id)
        return self.perimeters[site_id]

    def _value(self, name: str) -> Any:
        value = self.query_one(f"#f-{name}", Select).value
        return None if value is Select.NULL else value

    async def _load_providers(self, company_id: int | None) -> None:
        select = self.query_one("#f-provider_id", Select)
        if company_id is None:
            select.set_options([])
            return
        rows = await self.ctx.view(provider_page, ProviderFilter(company_id=company_id),
                                   None, 500)
        select.set_options([(plain(r.provider.name), id_of(r.provider)) for r in rows])
        if self.editing is not None and self.editing.company_id == company_id:
            select.value = self.editing.provider_id

    async def _show_site(self) -> None:
        site_id = self._value("site_id")
        grid = self.query_one(PerimeterGrid)
        if site_id is None:
            grid.show([])
            return
        perimeter = await self._perimeter(site_id)
        week = self.query_one("#f-week_type", Select)
        week.set_options([("Always", ALWAYS), *[(plain(n), i) for i, n in
                                                perimeter.week_types]])
        current = self.week.get(site_id)
        week.value = current if current is not None else ALWAYS
        kind = self._value("device_type")
        grid.show([d for d in perimeter.devices  # only devices a task can open
                   if methods_for(d.doors) and (kind is None or d.doors.type == kind)])
        self._count()

    def _count(self) -> None:
        sites = {site for site, p in self.perimeters.items()
                 for d in p.devices if d.id in self.chosen}
        devices = len(self.chosen)
        self.query_one("#perimeter-count", Static).update(Text(
            f"Perimeter access: {len(sites)} site{'s' if len(sites) != 1 else ''} "
            f"{devices} device{'s' if devices != 1 else ''}", style="bold"))

    @on(Select.Changed, "#f-company_id")
    async def _company_changed(self, event: Select.Changed) -> None:
        value = event.value
        await self._load_providers(value if isinstance(value, int) else None)

    @on(Select.Changed, "#f-site_id")
    @on(Select.Changed, "#f-device_type")
    async def _site_changed(self) -> None:
        await self._show_site()

    @on(Select.Changed, "#f-week_type")
    def _week_changed(self, event: Select.Changed) -> None:
        site_id = self._value("site_id")
        if site_id is not None and event.value is not Select.NULL:
            value = event.value
            self.week[site_id] = value if isinstance(value, int) else None

    @on(PerimeterGrid.Changed)
    def _ticked(self) -> None:
        self._count()

    # --- saving -------------------------------------------------------------------------
    async def _save(self, values: dict[str, Any]) -> Task:
        if values["company_id"] is None:
            raise ValidationError("Choose a management company.", field="company_id")
        if values["provider_id"] is None:
            raise ValidationError("Choose a service provider.", field="provider_id")
        devices = {d.id: d.doors for p in self.perimeters.values() for d in p.devices}
        doors = task_doors(self.chosen, devices)
        site_of = {d.id: site for site, p in self.perimeters.items() for d in p.devices}
        sites = sorted({site_of[device_id] for device_id in self.chosen})
        # what the task grants elsewhere (sites this form does not show) is kept as it was
        shown = {door_id for d in devices.values() for door_id in d.doors.values()}
        kept = [td for td in (self.editing.doors if self.editing else []) if td.door_id not in shown]
        held = {s.id for s in self.sites}
        other_sites = [s for s in (self.editing.site_ids if self.editing else []) if s not in held]
        site_ids = sorted(set(sites) | set(other_sites))
        task = Task(values["name"], values["company_id"], values["provider_id"], site_ids,
                    {s: self.week.get(s) for s in site_ids}, doors + kept,
                    id=self.editing.id if self.editing else None)
        return await self.ctx.change(save_task, task)
